/**
 * Killing the application during a bridged call does not end the call: the product (`node
 * main.ts`, managed PBX, PostgreSQL shared with this test) routes a SIPp caller to a baresip
 * agent; the product is killed with SIGKILL mid-call; Asterisk keeps the call; the product
 * starts again, adopts the running Asterisk, picks the call up, and completes its record and
 * recording when the caller hangs up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc, eq, inArray } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CallEvent } from '../../cti/call-log/events.ts';
import { projectCallRecord } from '../../cti/call-log/projection.ts';
import { callEvents, callRecords } from '../../db/schema.ts';
import { accountOf } from '../../pbx/sip-accounts.ts';
import { logged } from '../support/assert.ts';
import { carrierLine } from '../support/telephony.ts';
import { Phone } from '../support/baresip.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { buildCompany, type Company } from '../support/fixtures.ts';
import { freeUdpPort } from '../support/pbx.ts';
import {
  killProducts,
  type RunningProduct,
  startProduct,
  stopProduct,
  waitForLog,
} from '../support/product.ts';
import { assertReplayAgrees } from '../support/replay.ts';
import { answeredCall, runSipp } from '../support/sipp.ts';

const test = suite('app crash during a call');
const dataDir = mkdtempSync(join(tmpdir(), 'cc-crash-data-'));
const did = '4008002000';
let db: TestDatabase;
let company: Company;
let env: Record<string, string>;
let carrierPort: number;
let phone: Phone | null = null;
let product: RunningProduct | null = null;

test.before(
  logged(async () => {
    db = await testDatabase('postgres');
    company = await buildCompany(db.db);
    carrierPort = (await carrierLine(company, did, 'Carrier', company.people.repA)).port;
    const rtpStart = 30000 + 200 * Math.floor(Math.random() * 90);
    env = {
      DATA_DIR: dataDir,
      DATABASE_URL: db.url!,
      PBX_MODE: 'managed',
      SIP_BIND: '127.0.0.1',
      SIP_PORT: String(await freeUdpPort()),
      RTP_START: String(rtpStart),
      RTP_END: String(rtpStart + 199),
    };
  }),
);
test.after(async () => {
  await phone?.stop();
  if (product) await stopProduct(product.proc);
  killProducts();
  await db?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function record(from = '13800138100') {
  const [row] = await db.db.select().from(callRecords).where(eq(callRecords.fromNumber, from));
  return row ?? null;
}

async function until<T>(
  what: string,
  check: () => Promise<T | null | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}; the product said:\n${product?.log().slice(-6000) ?? ''}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('SIGKILL of the app mid-call: the call goes on, and its record is completed after the restart', async () => {
  product = await startProduct(env);
  await waitForLog(product, /\[cti\] ready/, 120_000);
  const account = (await accountOf(db.db, company.people.repA))!;
  phone = await Phone.start({
    username: account.username,
    password: account.password,
    registrar: Number(env.SIP_PORT),
  });
  await phone.waitFor('REGISTER_OK');

  const call = runSipp({
    scenario: answeredCall(9000),
    port: carrierPort,
    remotePort: Number(env.SIP_PORT),
    service: did,
    callerNumber: '13800138100',
  });
  await until('the agent to answer', async () => (await record())?.answeredAt);

  product.proc.kill('SIGKILL');
  await new Promise((r) => product!.proc.once('exit', r));
  await new Promise((r) => setTimeout(r, 1000));
  assert.is((await record())?.endedAt, null, 'nobody has closed the call');

  product = await startProduct(env);
  await waitForLog(product, /adopted the running Asterisk/, 60_000);
  await waitForLog(product, /\[cti\] resumed 1 call/, 30_000);

  const run = await call.done;
  assert.is(
    run.code,
    0,
    `the caller's call went on to its own hang-up: ${run.output}\nthe product said:\n${product.log().slice(-6000)}`,
  );
  const r = await until(
    'the record to close with its recording',
    async () => {
      const row = await record();
      return row?.endedAt && row.recording ? row : null;
    },
    30_000,
  );
  assert.is(r.disposition, 'answered');
  assert.is(r.hangupBy, 'caller');
  assert.is(r.agentId, company.people.repA);
  assert.ok(r.talkSeconds >= 8 && r.talkSeconds <= 10, `talk ${r.talkSeconds}`);
  assert.ok((r.recordingSeconds ?? 0) >= 8, `recording ${r.recordingSeconds}`);
  const types = (
    await db.db.select().from(callEvents).where(eq(callEvents.callId, r.callId)).orderBy(asc(callEvents.id))
  ).map((e) => e.type);
  assert.ok(types.includes('cti.resumed'), types.join());
  assert.is(types.filter((t) => t === 'call.ended').length, 1);
});

test('the crash window: events the crash lost (answer, bridge, recording) are rebuilt from Asterisk', async () => {
  const from = '13800138101';
  const call = runSipp({
    scenario: answeredCall(9000),
    port: carrierPort,
    remotePort: Number(env.SIP_PORT),
    service: did,
    callerNumber: from,
  });
  const answered = await until('the agent to answer', async () => {
    const r = await record(from);
    return r?.answeredAt && r.recording === null ? r : null;
  });
  await until('the recording to be logged', async () => {
    const rows = await db.db.select().from(callEvents).where(eq(callEvents.callId, answered.callId));
    return rows.some((e) => e.type === 'recording.started');
  });
  product!.proc.kill('SIGKILL');
  await new Promise((r) => product!.proc.once('exit', r));
  // As if the crash came before the last batch was written: the answer and everything after it
  // never reached the log, and the record is what the earlier events gave.
  const events = await db.db
    .select()
    .from(callEvents)
    .where(eq(callEvents.callId, answered.callId))
    .orderBy(asc(callEvents.id));
  const cut = events.findIndex((e) => e.type === 'leg.answered');
  assert.ok(cut > 0, events.map((e) => e.type).join());
  await db.db.delete(callEvents).where(
    inArray(
      callEvents.id,
      events.slice(cut).map((e) => e.id),
    ),
  );
  const kept = events.slice(0, cut).map((e) => ({ type: e.type, data: e.data, at: e.at }) as CallEvent);
  await db.db
    .update(callRecords)
    .set(projectCallRecord(answered.callId, kept)!)
    .where(eq(callRecords.callId, answered.callId));
  assert.is((await record(from))?.answeredAt, null, 'the log no longer knows of the answer');

  product = await startProduct(env);
  await waitForLog(product, /\[cti\] resumed 1 call/, 60_000);
  const run = await call.done;
  assert.is(run.code, 0, `the call went on: ${run.output}\nthe product said:\n${product.log().slice(-6000)}`);
  const r = await until(
    'the record to close with its recording',
    async () => {
      const row = await record(from);
      return row?.endedAt && row.recording ? row : null;
    },
    30_000,
  );
  assert.is(r.disposition, 'answered');
  assert.is(r.agentId, company.people.repA);
  assert.is(r.hangupBy, 'caller');
  assert.ok(r.talkSeconds > 0, `talk ${r.talkSeconds}`);
  assert.ok((r.recordingSeconds ?? 0) >= 8, `the whole conversation is recorded: ${r.recordingSeconds}`);
  const resumed = (
    await db.db.select().from(callEvents).where(eq(callEvents.callId, r.callId)).orderBy(asc(callEvents.id))
  ).find((e) => e.type === 'cti.resumed');
  assert.equal((resumed?.data as { reconstructed?: string[] } | undefined)?.reconstructed, [
    'leg.answered',
    'call.bridged',
    'recording.started',
  ]);
  await assertReplayAgrees(db.db);
});

test.run();
