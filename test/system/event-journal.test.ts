/**
 * The call event log's journal (cti/call-log/log.ts) against a real PostgreSQL server reached
 * through a proxy the test cuts: appends never wait for the database; events are written in
 * batches, in order, exactly once; a cut keeps them in memory (bounded: `full` at the bound)
 * and they are written when the server is back; a value the database rejects costs only its
 * own call's events. Records and IVR rows always agree with a replay of the stored log.
 */
import { asc, eq } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CallEventBody } from '../../cti/call-log/events.ts';
import { CallLog } from '../../cti/call-log/log.ts';
import { type Database, openDatabase } from '../../db/client.ts';
import { callEvents, callRecords, ivrSessions } from '../../db/schema.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { type PgProxy, pgProxy } from '../support/pg-proxy.ts';
import { assertReplayAgrees } from '../support/replay.ts';

const test = suite('event journal');
let server: TestDatabase;
let proxy: PgProxy;
let database: Database;

test.before(async () => {
  server = await testDatabase('postgres');
  proxy = await pgProxy(server.url!);
  database = await openDatabase({ url: proxy.url });
});
test.after(async () => {
  await database?.close().catch(() => {});
  await proxy?.close();
  await server?.close();
});

/** A whole inbound call through an IVR and a queue to an agent, as the engine logs it. */
function callEventsOf(n: number): CallEventBody[] {
  const leg = `PJSIP/agent-${n}`;
  return [
    {
      type: 'call.started',
      data: {
        direction: 'inbound',
        from: `1380013${String(n).padStart(4, '0')}`,
        to: '4008001000',
        trunkId: null,
        numberId: null,
        agentId: null,
        channel: `PJSIP/trunk-${n}`,
      },
    },
    {
      type: 'ivr.entered',
      data: { ivrId: 1, name: 'Main', hotlineId: null, from: '13800130000', region: '' },
    },
    { type: 'ivr.menu', data: { menu: 'root', name: 'Welcome' } },
    { type: 'ivr.key', data: { menu: 'root', key: '1' } },
    { type: 'ivr.left', data: { outcome: 'group' } },
    {
      type: 'queue.joined',
      data: { groupId: 1, via: 'ivr', position: 1, vip: false, since: new Date().toISOString() },
    },
    { type: 'leg.ringing', data: { leg } },
    { type: 'leg.answered', data: { leg, userId: null } },
    { type: 'queue.left', data: { groupId: 1, reason: 'answered', waitedSeconds: 1 } },
    { type: 'call.bridged', data: { bridgeId: `b-${n}` } },
    { type: 'recording.started', data: { file: `r-${n}.wav` } },
    { type: 'call.ended', data: { by: 'caller', q850Cause: 16, sipCode: null } },
  ];
}

/**
 * Appends the calls' events interleaved (one event of each call in turn), as live calls do:
 * the events from `from` up to (not including) `to`.
 */
function appendInterleaved(log: CallLog, ids: string[], at: () => Date, from = 0, to = 99): Promise<void>[] {
  const lists = ids.map((id, i) => ({ id, events: callEventsOf(i).slice(from, to) }));
  const written: Promise<void>[] = [];
  for (let step = 0; lists.some((l) => step < l.events.length); step++)
    for (const l of lists) if (step < l.events.length) written.push(log.append(l.id, l.events[step]!, at()));
  return written;
}

async function typesOf(callId: string) {
  const rows = await server.db
    .select()
    .from(callEvents)
    .where(eq(callEvents.callId, callId))
    .orderBy(asc(callEvents.id));
  return rows.map((r) => r.type);
}

const clock = () => {
  let t = Date.parse('2026-12-01T09:00:00Z');
  return () => {
    t += 250;
    return new Date(t);
  };
};

test('appends return at once; 40 calls × 12 events are written in a few batches, in order, once', async () => {
  const log = new CallLog(database.db);
  let batches = 0;
  log.onWrite = (_s, ok) => ok && batches++;
  const ids = Array.from({ length: 40 }, (_, i) => `batch-${i}`);
  const at = clock();
  const started = performance.now();
  const written = appendInterleaved(log, ids, at);
  const appendMs = performance.now() - started;
  assert.is(log.backlog, 480, 'everything waits in the journal right after the appends');
  assert.ok(appendMs < 50, `480 appends took ${appendMs.toFixed(1)} ms`);
  await Promise.all(written);
  assert.is(log.backlog, 0);
  assert.ok(batches <= 3, `${batches} batches for 480 events`);
  const expected = callEventsOf(0).map((e) => e.type);
  for (const id of ids) assert.equal(await typesOf(id), expected, id);
  const records = await server.db.select().from(callRecords);
  assert.is(records.filter((r) => r.callId.startsWith('batch-')).length, 40);
  assert.ok(
    records.every((r) => r.disposition === 'answered' && r.endedAt),
    'every record is complete',
  );
  assert.is((await server.db.select().from(ivrSessions)).length, 40);
  await assertReplayAgrees(server.db);
});

test('PostgreSQL cut for a while: calls keep appending, the backlog is bounded and shown, and everything lands once in order', async () => {
  const said: string[] = [];
  const log = new CallLog(database.db, undefined, { maxBacklog: 200, say: (l) => said.push(l) });
  const at = clock();
  // Two calls start before the cut and are written.
  await Promise.all(appendInterleaved(log, ['cut-a', 'cut-b'], at, 0, 3));
  await proxy.cut();
  const ids = Array.from({ length: 20 }, (_, i) => `cut-${i}`);
  let landed = 0;
  const written = appendInterleaved(log, ids, at).map((p) => p.then(() => landed++));
  await new Promise((r) => setTimeout(r, 1500));
  assert.is(landed, 0, 'nothing is written while the server cannot be reached');
  const state = log.state();
  assert.is(state.waiting, 240);
  assert.ok(state.full, 'past its bound the journal says so (new calls are refused)');
  assert.ok(state.failingSince, 'the failure is shown');
  assert.ok(state.oldestSeconds >= 1, `oldest waited ${state.oldestSeconds} s`);
  assert.ok(
    said.some((l) => /does not take writes/.test(l)),
    said.join('\n'),
  );
  // The calls from before the cut go on meanwhile.
  const before = appendInterleaved(log, ['cut-a', 'cut-b'], at, 3);

  await proxy.restore();
  assert.ok(await log.flush(30_000), 'the journal drains once the server is back');
  await Promise.all([...written, ...before]);
  assert.is(log.state().full, false);
  assert.is(log.state().failingSince, null);
  assert.ok(
    said.some((l) => /writing again after/.test(l)),
    said.join('\n'),
  );
  const expected = callEventsOf(0).map((e) => e.type);
  for (const id of [...ids, 'cut-a', 'cut-b']) assert.equal(await typesOf(id), expected, id);
  await assertReplayAgrees(server.db);
});

test('a value PostgreSQL rejects costs only its own call: reported, the other calls written', async () => {
  const said: string[] = [];
  const log = new CallLog(database.db, undefined, { say: (l) => said.push(l) });
  const at = clock();
  const good = log.append('bad-neighbour', callEventsOf(1)[0]!, at());
  // jsonb cannot hold U+0000 (a caller name with a NUL byte, say).
  const bad = log.append(
    'bad-call',
    { type: 'call.note', data: { userId: 1, businessTypeId: null, note: 'a\u0000b' } },
    at(),
  );
  await good;
  await assert.not.throws(() => good);
  let rejected = false;
  await bad.catch(() => (rejected = true));
  assert.ok(rejected, 'the rejected event is reported to whoever appended it');
  assert.ok(
    said.some((l) => /dropped 1 event\(s\) of call bad-call/.test(l)),
    said.join('\n'),
  );
  assert.equal(await typesOf('bad-neighbour'), ['call.started']);
  assert.is(log.backlog, 0, 'the journal goes on');
});

test.run();
