/**
 * Calls really flow: SIPp plays the carrier on a trunk (callers, and the far end of outbound
 * calls), baresip plays agents' phones, the real Asterisk carries the media, and the call
 * engine drives it over ARI. Tests assert on what the system recorded (event log, call record,
 * recording files) and what the peers saw (SIP final responses).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc, desc, eq, isNotNull } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { AmiClient } from '../../cti/ami/client.ts';
import type { AriClient } from '../../cti/ari/client.ts';
import { purgeExpiredRecordings, setRetentionDays } from '../../cti/call-log/recording-retention.ts';
import { ValidationError } from '../../core/errors.ts';
import { CallEngine, CallRefused } from '../../cti/calls/engine.ts';
import { CallLog } from '../../cti/call-log/log.ts';
import { recordingParties, storedRecording } from '../../cti/calls/recorder.ts';
import { callEvents, callRecords, users } from '../../db/schema.ts';
import {
  assignNumber,
  createNumber,
  createTrunk,
  parseNumberInput,
  parseTrunkInput,
  updateNumber,
  updateTrunk,
} from '../../cti/lines/lines.ts';
import { PbxConfigurator } from '../../pbx/configurator.ts';
import { inside, onHost } from '../../pbx/layout.ts';
import { accountOf } from '../../pbx/sip-accounts.ts';
import { ariFor } from '../support/ari.ts';
import { logged, rejects } from '../support/assert.ts';
import { Phone } from '../support/baresip.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { buildCompany, type Company } from '../support/fixtures.ts';
import { freeUdpPort, startTestPbx, type TestPbx } from '../support/pbx.ts';
import {
  answeredCall,
  answeredOrBusy,
  cancelledCall,
  carrierAnswers,
  refusedCall,
  runSipp,
} from '../support/sipp.ts';
import { timeZoneSetting } from '../../config/settings.ts';

const test = suite('calls');
let db: TestDatabase;
let company: Company;
let pbx: TestPbx;
let ami: AmiClient;
let ari: AriClient;
let engine: CallEngine;
let carrierPort: number;
let trunkId: number;
let hotline: number;
const store = mkdtempSync(join(tmpdir(), 'cc-recordings-'));
const phones = new Map<number, Phone>();
const did = '4008001000';

function newEngine(client: AriClient) {
  return new CallEngine({
    db: db.db,
    timeZone: timeZoneSetting(),
    ari: client,
    ami: () => ami,
    app: pbx.instance.app,
    recordings: {
      inside: inside(pbx.instance, 'recordings'),
      onHost: onHost(pbx.instance, 'recordings'),
      store,
    },
    ringSeconds: 8,
    log: process.env.CTI_LOG ? (l) => console.log(`[cti] ${l}`) : () => {},
  });
}

test.before(
  logged(async () => {
    db = await testDatabase();
    company = await buildCompany(db.db);
    await db.db.update(users).set({ canDialOut: true }).where(eq(users.id, company.people.repA));
    pbx = await startTestPbx();
    ami = await pbx.ami();
    carrierPort = await freeUdpPort();
    trunkId = await createTrunk(company.owner, carrierTrunk(2));
    hotline = await createNumber(
      company.owner,
      parseNumberInput({
        number: did,
        trunkId: String(trunkId),
        label: 'Hotline',
        routeUserId: String(company.people.repA),
        ringSeconds: '6',
      }),
    );
    await assignNumber(company.owner, hotline, { departmentId: company.salesA });
    await new PbxConfigurator(db.db, pbx.instance, () => ami).apply();
    ari = ariFor(pbx.instance);
    engine = newEngine(ari);
    await engine.start();
  }),
);
test.after(async () => {
  await engine?.stop();
  await ari?.close();
  for (const p of phones.values()) await p.stop();
  await pbx?.close();
  await db?.close();
  rmSync(store, { recursive: true, force: true });
});

async function phone(userId: number, autoAnswer = true): Promise<Phone> {
  const old = phones.get(userId);
  if (old) await old.stop();
  const account = (await accountOf(db.db, userId))!;
  const p = await Phone.start({
    username: account.username,
    password: account.password,
    registrar: pbx.instance.ports.sip,
    autoAnswer,
  });
  phones.set(userId, p);
  await p.waitFor('REGISTER_OK');
  return p;
}

/** The test carrier's trunk: IP-identified on the SIPp port, not probed, with a call limit. */
const carrierTrunk = (maxCalls: number) =>
  parseTrunkInput({
    name: 'Carrier',
    host: '127.0.0.1',
    port: String(carrierPort),
    maxCalls: String(maxCalls),
    qualify: 'no',
  });
const limitTrunk = (maxCalls: number) => updateTrunk(company.owner, trunkId, carrierTrunk(maxCalls));

/** Points the hotline at an agent (and a fallback) with a ring time. */
function routeHotline(agent: number, fallback: number | null, ringSeconds: number) {
  return updateNumber(
    company.owner,
    hotline,
    parseNumberInput({
      number: did,
      trunkId: String(trunkId),
      routeUserId: String(agent),
      fallbackUserId: fallback === null ? '' : String(fallback),
      ringSeconds: String(ringSeconds),
    }),
  );
}

async function latestRecord() {
  const [row] = await db.db.select().from(callRecords).orderBy(desc(callRecords.startedAt)).limit(1);
  return row!;
}

/** Waits until the newest call's record is closed (and its recording stored, when there is one). */
async function finishedCall(timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await engine.log.flush();
    const r = await latestRecord();
    if (r?.endedAt && (r.disposition !== 'answered' || r.recording)) return r;
    if (Date.now() > deadline) throw new Error(`call not finished: ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

async function eventTypes(callId: string) {
  const rows = await db.db
    .select()
    .from(callEvents)
    .where(eq(callEvents.callId, callId))
    .orderBy(asc(callEvents.id));
  return rows.map((r) => r.type);
}

const caller = (scenario: string, callerNumber = '13800138000') =>
  runSipp({ scenario, port: carrierPort, remotePort: pbx.instance.ports.sip, service: did, callerNumber });

test('inbound: a caller on the trunk reaches the agent of the number; the call is logged and recorded', async () => {
  await phone(company.people.repA);
  const run = await caller(answeredCall(3000)).done;
  assert.is(run.code, 0, run.output);
  const r = await finishedCall();
  assert.is(r.direction, 'inbound');
  assert.is(r.disposition, 'answered');
  assert.is(r.fromNumber, '13800138000');
  assert.is(r.toNumber, did);
  assert.is(r.trunkId, trunkId);
  assert.is(r.numberId, hotline);
  assert.is(r.agentId, company.people.repA);
  assert.is(r.hangupBy, 'caller');
  assert.ok(r.talkSeconds >= 2 && r.talkSeconds <= 4, `talk ${r.talkSeconds}`);
  assert.ok(r.recordingSeconds! >= 2 && r.recordingSeconds! <= 4.5, `recording ${r.recordingSeconds}`);
  assert.ok(existsSync(engine.recorder.pathOf(r.recording!)), 'mixed recording stored');
  assert.ok(existsSync(engine.recorder.pathOf(r.recording!, 'caller')), 'caller channel stored');
  assert.ok(existsSync(engine.recorder.pathOf(r.recording!, 'agent')), 'agent channel stored');
  assert.equal(await eventTypes(r.callId), [
    'call.started',
    'call.flags',
    'leg.dialing',
    'leg.ringing',
    'leg.answered',
    'call.bridged',
    'recording.started',
    'call.ended',
    'recording.stored',
  ]);
});

test('no answer: after the ring time the fallback agent rings; when nobody answers the caller is told', async () => {
  await routeHotline(company.people.repA, company.people.repA1, 5);
  await phone(company.people.repA, false);
  await phone(company.people.repA1, false);
  const run = await caller(refusedCall(480), '13800138001').done;
  assert.is(run.code, 0, run.output);
  const r = await finishedCall();
  assert.is(r.disposition, 'no_answer');
  // Q.850 19: no answer from user (user alerted).
  assert.is(r.q850Cause, 19);
  assert.ok(r.ringSeconds >= 4, `ring ${r.ringSeconds}`);
  const types = await eventTypes(r.callId);
  assert.is(types.filter((t) => t === 'leg.dialing').length, 2, types.join());
});

test('busy: the agent rejects the call and the caller hears busy', async () => {
  await routeHotline(company.people.repA, null, 10);
  const p = await phone(company.people.repA, false);
  const onIncoming = p.waitFor('CALL_INCOMING');
  const call = caller(refusedCall(486), '13800138002');
  await onIncoming;
  p.command('hangup');
  const run = await call.done;
  assert.is(run.code, 0, run.output);
  const r = await finishedCall();
  assert.is(r.disposition, 'busy');
  assert.is(r.sipCode, 486);
  // Q.850 17: user busy.
  assert.is(r.q850Cause, 17);
});

test('the caller hangs up while the agent’s phone rings: abandoned', async () => {
  await phone(company.people.repA, false);
  const run = await caller(cancelledCall(1500), '13800138003').done;
  assert.is(run.code, 0, run.output);
  const r = await finishedCall();
  assert.is(r.disposition, 'abandoned');
  assert.is(r.hangupBy, 'caller');
  assert.is(r.answeredAt, null);
});

test('an unknown number is refused with 404 and logged', async () => {
  const run = runSipp({
    scenario: refusedCall(404),
    port: carrierPort,
    remotePort: pbx.instance.ports.sip,
    service: '4009999999',
    callerNumber: '13800138004',
  });
  assert.is((await run.done).code, 0);
  const r = await finishedCall();
  assert.is(r.disposition, 'refused');
  assert.is(r.reason, 'unknown_number');
});

test('trunk concurrency: a call beyond the trunk’s limit is refused with 486 and logged', async () => {
  await limitTrunk(1);
  await phone(company.people.repA);
  const run = await runSipp({
    scenario: answeredOrBusy(3000),
    port: carrierPort,
    remotePort: pbx.instance.ports.sip,
    service: did,
    callerNumber: '13800138005',
    calls: 2,
    periodMs: 1200,
  }).done;
  assert.is(run.code, 0, run.output);
  // Both calls are logged and closed (the answered one ends a few seconds after the refusal).
  let rows: (typeof callRecords.$inferSelect)[] = [];
  for (let i = 0; i < 50; i++) {
    await engine.log.flush();
    rows = await db.db
      .select()
      .from(callRecords)
      .where(eq(callRecords.fromNumber, '13800138005'))
      .orderBy(asc(callRecords.startedAt));
    if (rows.length === 2 && rows.every((r) => r.endedAt)) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  assert.equal(
    rows.map((r) => r.disposition),
    ['answered', 'refused'],
  );
  assert.is(rows[1]!.reason, 'trunk_busy');
  assert.is(rows[1]!.sipCode, 486);
  await limitTrunk(2);
});

test('no guest calls: a peer the trunk does not know is challenged and never reaches the call engine', async () => {
  const before = (await db.db.select().from(callRecords)).length;
  const run = await runSipp({
    scenario: refusedCall(401),
    port: await freeUdpPort(),
    remotePort: pbx.instance.ports.sip,
    service: did,
  }).done;
  assert.is(run.code, 0, run.output);
  assert.is((await db.db.select().from(callRecords)).length, before);
});

test('outbound: the agent dials out through the trunk showing the assigned number', async () => {
  const p = await phone(company.people.repA);
  const carrier = runSipp({ scenario: carrierAnswers(), port: carrierPort });
  await new Promise((r) => setTimeout(r, 300));
  p.command('dial', `sip:013900139000@127.0.0.1:${pbx.instance.ports.sip}`);
  await p.waitFor('CALL_ESTABLISHED', 10_000);
  await new Promise((r) => setTimeout(r, 2000));
  p.command('hangup');
  const run = await carrier.done;
  assert.is(run.code, 0, run.output);
  assert.match(run.messages, /From: .*<sip:4008001000@/, run.messages.slice(0, 1500));
  const r = await finishedCall();
  assert.is(r.direction, 'outbound');
  assert.is(r.disposition, 'answered');
  assert.is(r.fromNumber, did);
  assert.is(r.toNumber, '013900139000');
  assert.is(r.agentId, company.people.repA);
  assert.ok(r.recording);
});

test('an agent without the outbound flag is refused (403) and the refusal is logged', async () => {
  const p = await phone(company.people.repB);
  p.command('dial', `sip:013900139001@127.0.0.1:${pbx.instance.ports.sip}`);
  const closed = await p.waitFor('CALL_CLOSED', 10_000);
  assert.match(String(closed.param), /403/);
  const r = await finishedCall();
  assert.is(r.disposition, 'refused');
  assert.is(r.reason, 'no_permission');
  assert.is(r.agentId, company.people.repB);
});

test('internal: an agent dials a colleague by number', async () => {
  const a = await phone(company.people.repA);
  await phone(company.people.repA1);
  a.command('dial', `sip:2003@127.0.0.1:${pbx.instance.ports.sip}`);
  await a.waitFor('CALL_ESTABLISHED', 10_000);
  await new Promise((r) => setTimeout(r, 1500));
  a.command('hangup');
  const r = await finishedCall();
  assert.is(r.direction, 'internal');
  assert.is(r.disposition, 'answered');
  assert.is(r.agentId, company.people.repA);
  assert.is(r.peerAgentId, company.people.repA1);
});

test('click-to-call: the agent’s phone rings first, then the customer; refusals carry a reason', async () => {
  const p = await phone(company.people.repA);
  const carrier = runSipp({ scenario: carrierAnswers(), port: carrierPort });
  await new Promise((r) => setTimeout(r, 300));
  const callId = await engine.clickToCall(company.people.repA, '013900139002');
  await p.waitFor('CALL_ESTABLISHED', 10_000);
  await new Promise((r) => setTimeout(r, 2500));
  p.command('hangup');
  assert.is((await carrier.done).code, 0);
  const r = await finishedCall();
  assert.is(r.callId, callId);
  assert.is(r.disposition, 'answered');
  assert.is(r.toNumber, '013900139002');
  await rejects(
    () => engine.clickToCall(company.people.repB, '013900139003'),
    (e) => e instanceof CallRefused && e.reason === 'no_permission',
  );
});

test('the CTI losing and regaining ARI during a bridged call does not drop it; the record is completed when it ends', async () => {
  await phone(company.people.repA);
  const call = caller(answeredCall(6000), '13800138009');
  const deadline = Date.now() + 5000;
  while ((await latestRecord()).fromNumber !== '13800138009' || !(await latestRecord()).answeredAt) {
    if (Date.now() > deadline) throw new Error('call was not answered');
    await new Promise((r) => setTimeout(r, 200));
  }
  // The application goes away (its ARI connection closes) …
  await engine.stop();
  await ari.close();
  await new Promise((r) => setTimeout(r, 1000));
  // … and comes back: a new client and engine rebuild the call from Asterisk.
  ari = ariFor(pbx.instance);
  engine = newEngine(ari);
  await engine.start();
  assert.is(engine.callIds().length, 1);
  const run = await call.done;
  assert.is(run.code, 0, `the call survived: ${run.output}`);
  const r = await finishedCall();
  assert.is(r.disposition, 'answered');
  assert.ok(r.talkSeconds >= 5, `talk ${r.talkSeconds}`);
  assert.ok((await eventTypes(r.callId)).includes('cti.resumed'));
  assert.ok(r.recordingSeconds! >= 5, `recording ${r.recordingSeconds}`);
});

test('recordings past the retention period are deleted with all channels; the record and its log say so', async () => {
  const recorded = await db.db.select().from(callRecords).where(isNotNull(callRecords.recording));
  assert.ok(recorded.length >= 2, 'earlier tests recorded calls');
  const files = recorded.flatMap((r) =>
    [undefined, ...recordingParties].map((p) => storedRecording(store, r.recording!, p)),
  );
  assert.ok(files.every((f) => existsSync(f)));
  const log = new CallLog(db.db);
  assert.is(await purgeExpiredRecordings(db.db, log, store), 0, 'retention 0 keeps everything');
  const set = await setRetentionDays(company.owner, { days: '1', confirm: '1' });
  assert.is(set.status, 'saved', 'from forever to one day, confirmed');
  assert.is(await purgeExpiredRecordings(db.db, log, store), 0, 'nothing is a day old yet');
  const inTwoDays = new Date(Date.now() + 2 * 86_400_000);
  assert.is(await purgeExpiredRecordings(db.db, log, store, inTwoDays), recorded.length);
  assert.ok(
    files.every((f) => !existsSync(f)),
    'every channel deleted',
  );
  const after = await db.db.select().from(callRecords).where(eq(callRecords.callId, recorded[0]!.callId));
  assert.is(after[0]!.recording, null);
  assert.is(after[0]!.disposition, 'answered', 'the call record itself stays');
  assert.ok((await eventTypes(recorded[0]!.callId)).includes('recording.purged'));
  await rejects(
    () => setRetentionDays(company.owner, { days: '-3' }),
    (e) => e instanceof ValidationError,
  );
});

test.run();
