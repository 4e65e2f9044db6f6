/**
 * The call-setting rules of a number (seed 000 §5.9.3) with real calls: SIPp plays the carrier
 * that answers outbound calls, baresip plays the agents' phones, the real Asterisk carries them
 * and the call engine checks the rules before dialling. The engine's clock is moved forward
 * (whole days, minutes) so intervals and day boundaries are tested without waiting; the day
 * starts at midnight in TIME_ZONE (Asia/Shanghai here, while the process runs in UTC).
 *
 * What the tests assert: the call record (disposition, reason, SIP code), its events (a refused
 * attempt never dials a leg), what the phone saw (403/486 for refusals, an established call
 * otherwise) and what the carrier saw (the INVITE of each call that went out).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, asc, desc, eq } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { AmiClient } from '../../cti/ami/client.ts';
import type { AriClient } from '../../cti/ari/client.ts';
import { CallEngine } from '../../cti/calls/engine.ts';
import { assignNumber, parseNumberInput, updateNumber } from '../../cti/lines/lines.ts';
import { callEvents, callRecords, users } from '../../db/schema.ts';
import { PbxConfigurator } from '../../pbx/configurator.ts';
import { inside, onHost } from '../../pbx/layout.ts';
import { accountOf } from '../../pbx/sip-accounts.ts';
import { ariFor } from '../support/ari.ts';
import { logged } from '../support/assert.ts';
import { Phone } from '../support/baresip.ts';
import { carrierLine } from '../support/telephony.ts';
import { type TestDatabase, testDatabase } from '../support/db.ts';
import { buildCompany, type Company } from '../support/fixtures.ts';
import { startTestPbx, type TestPbx } from '../support/pbx.ts';
import { carrierAnswers, runSipp } from '../support/sipp.ts';

const test = suite('call-setting rules');
let db: TestDatabase;
let company: Company;
let pbx: TestPbx;
let ami: AmiClient;
let ari: AriClient;
let engine: CallEngine;
let carrierPort: number;
let trunkId: number;
let numberId: number;
const store = mkdtempSync(join(tmpdir(), 'cc-rules-'));
const phones = new Map<number, Phone>();
const did = '4008002000';
const previousTimeZone = process.env.TIME_ZONE;

/** The engine's clock: real time moved by `shift` (tests jump it forward only). */
let shift = 0;
const clock = () => new Date(Date.now() + shift);
/** Moves the clock to an instant (ISO with offset); time keeps running from there. */
const jumpTo = (iso: string) => {
  const target = Date.parse(iso) - Date.now();
  assert.ok(target >= shift, `the clock only moves forward (${iso})`);
  shift = target;
};
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

test.before(
  logged(async () => {
    process.env.TIME_ZONE = 'Asia/Shanghai';
    db = await testDatabase();
    company = await buildCompany(db.db);
    for (const id of [company.people.repA, company.people.repA1])
      await db.db.update(users).set({ canDialOut: true }).where(eq(users.id, id));
    pbx = await startTestPbx();
    ami = await pbx.ami();
    ({ trunkId, numberId, port: carrierPort } = await carrierLine(company, did));
    // Both agents call out with this number (rep.a1's team is below Sales A).
    await assignNumber(company.owner, numberId, { departmentId: company.salesA });
    await new PbxConfigurator(db.db, pbx.instance, () => ami).apply();
    ari = ariFor(pbx.instance);
    engine = new CallEngine({
      db: db.db,
      timeZone: 'Asia/Shanghai',
      ari,
      ami: () => ami,
      app: pbx.instance.app,
      recordings: {
        inside: inside(pbx.instance, 'recordings'),
        onHost: onHost(pbx.instance, 'recordings'),
        store,
      },
      ringSeconds: 8,
      now: clock,
      log: process.env.CTI_LOG ? (l) => console.log(`[cti] ${l}`) : () => {},
    });
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
  if (previousTimeZone === undefined) delete process.env.TIME_ZONE;
  else process.env.TIME_ZONE = previousTimeZone;
});

async function phone(userId: number): Promise<Phone> {
  const known = phones.get(userId);
  if (known) return known;
  const account = (await accountOf(db.db, userId))!;
  const p = await Phone.start({
    username: account.username,
    password: account.password,
    registrar: pbx.instance.ports.sip,
    autoAnswer: true,
  });
  phones.set(userId, p);
  await p.waitFor('REGISTER_OK');
  return p;
}

/** The number's rules (0 = no rule). */
function rules(r: { minInterval?: number; dailyCap?: number; sameDestination?: number; maxCalls?: number }) {
  return updateNumber(
    company.owner,
    numberId,
    parseNumberInput({
      number: did,
      trunkId: String(trunkId),
      minIntervalSeconds: String(r.minInterval ?? 0),
      dailyCap: String(r.dailyCap ?? 0),
      sameDestinationDailyCap: String(r.sameDestination ?? 0),
      maxCalls: String(r.maxCalls ?? 0),
    }),
  );
}

/** The newest call to `to`, once its record is closed. */
async function finishedCall(to: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await engine.log.flush();
    const [r] = await db.db
      .select()
      .from(callRecords)
      .where(eq(callRecords.toNumber, to))
      .orderBy(desc(callRecords.startedAt))
      .limit(1);
    if (r?.endedAt && (r.disposition !== 'answered' || r.recording)) return r;
    if (Date.now() > deadline) throw new Error(`call to ${to} not finished: ${JSON.stringify(r)}`);
    await wait(200);
  }
}

async function eventTypes(callId: string) {
  const rows = await db.db
    .select({ type: callEvents.type })
    .from(callEvents)
    .where(eq(callEvents.callId, callId))
    .orderBy(asc(callEvents.id));
  return rows.map((r) => r.type);
}

const dial = (p: Phone, to: string) => {
  p.events.length = 0;
  p.command('dial', `sip:${to}@127.0.0.1:${pbx.instance.ports.sip}`);
};

/** An outbound call that goes out: the carrier gets the INVITE and answers; the agent hangs up. */
async function callGoesOut(p: Phone, to: string) {
  const carrier = runSipp({ scenario: carrierAnswers(), port: carrierPort });
  await wait(300);
  dial(p, to);
  await p.waitFor('CALL_ESTABLISHED', 10_000);
  await wait(1000);
  p.command('hangup');
  const run = await carrier.done;
  assert.is(run.code, 0, run.output);
  assert.match(run.messages, `INVITE sip:${to}@`, 'the carrier got the call');
  const r = await finishedCall(to);
  assert.is(r.disposition, 'answered', `call to ${to}`);
  assert.is(r.numberId, numberId);
  return r;
}

/** An outbound call the rules refuse: the phone hears `sipCode`, nothing is dialled, the record says why. */
async function callRefused(p: Phone, to: string, reason: string, sipCode = 403) {
  dial(p, to);
  const closed = await p.waitFor('CALL_CLOSED', 10_000);
  assert.match(String(closed.param), String(sipCode), `the phone heard ${sipCode}`);
  const r = await finishedCall(to);
  assert.is(r.disposition, 'refused', `call to ${to}`);
  assert.is(r.reason, reason);
  assert.is(r.sipCode, sipCode);
  assert.is(r.numberId, numberId);
  const types = await eventTypes(r.callId);
  assert.ok(types.includes('call.refused'), types.join());
  assert.not.ok(types.includes('leg.dialing'), `no leg dialled: ${types.join()}`);
  return r;
}

test('minimum interval: a second call too soon is refused with the reason; a refused attempt does not restart the interval', async () => {
  await rules({ minInterval: 600 });
  const p = await phone(company.people.repA);
  jumpTo('2031-03-03T10:00:00+08:00');
  await callGoesOut(p, '013900139100');
  jumpTo('2031-03-03T10:01:00+08:00');
  await callRefused(p, '013900139101', 'min_interval');
  // 10 minutes after the call that went out, 9 after the refused attempt: allowed.
  jumpTo('2031-03-03T10:10:10+08:00');
  await callGoesOut(p, '013900139102');
  jumpTo('2031-03-03T10:12:00+08:00');
  await callRefused(p, '013900139103', 'min_interval');
});

test('daily cap: calls that went out count, refused attempts do not; the day starts at midnight in TIME_ZONE', async () => {
  await rules({ dailyCap: 2, sameDestination: 1 });
  const p = await phone(company.people.repA);
  jumpTo('2031-03-04T09:00:00+08:00');
  await callGoesOut(p, '013900139200');
  // Refused by the same-destination cap: no call went out, so it does not count for the day.
  await callRefused(p, '013900139200', 'same_destination_cap');
  await callGoesOut(p, '013900139201');
  await callRefused(p, '013900139202', 'daily_cap');
  jumpTo('2031-03-04T23:59:00+08:00');
  await callRefused(p, '013900139203', 'daily_cap');
  // Midnight in Shanghai (still 16:00 on the 4th in UTC, the process's time zone): a new day.
  jumpTo('2031-03-05T00:00:30+08:00');
  await callGoesOut(p, '013900139204');
});

test('same-destination daily cap: a destination is called at most that often a day; other destinations are not held', async () => {
  await rules({ sameDestination: 1 });
  const p = await phone(company.people.repA);
  jumpTo('2031-03-06T11:00:00+08:00');
  await callGoesOut(p, '013900139300');
  await callRefused(p, '013900139300', 'same_destination_cap');
  await callGoesOut(p, '013900139301');
  // The refused attempt did not count: with two allowed, the destination can be called once more.
  await rules({ sameDestination: 2 });
  await callGoesOut(p, '013900139300');
  await callRefused(p, '013900139300', 'same_destination_cap');
  // The next day (in Shanghai) it can be called again.
  jumpTo('2031-03-07T08:00:00+08:00');
  await callGoesOut(p, '013900139300');
});

test('per-number concurrency: a call beyond the number’s limit is refused with 486 (number_busy)', async () => {
  await rules({ maxCalls: 1 });
  jumpTo('2031-03-08T10:00:00+08:00');
  const a = await phone(company.people.repA);
  const a1 = await phone(company.people.repA1);
  const carrier = runSipp({ scenario: carrierAnswers(), port: carrierPort });
  await wait(300);
  dial(a, '013900139400');
  await a.waitFor('CALL_ESTABLISHED', 10_000);
  // While rep.a's call is up, rep.a1 tries with the same number.
  await callRefused(a1, '013900139401', 'number_busy', 486);
  a.command('hangup');
  const run = await carrier.done;
  assert.is(run.code, 0, run.output);
  assert.is(run.messages.match(/INVITE sip:/g)?.length, 1, 'the carrier saw only the first call');
  assert.is((await finishedCall('013900139400')).disposition, 'answered');
  // With the line free again, rep.a1 gets through.
  await callGoesOut(a1, '013900139402');
  const refused = await db.db
    .select()
    .from(callRecords)
    .where(and(eq(callRecords.numberId, numberId), eq(callRecords.disposition, 'refused')));
  assert.ok(refused.length >= 6, 'every refusal is on record');
});

test.run();
