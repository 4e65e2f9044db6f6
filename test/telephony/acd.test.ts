/**
 * The ACD against the real Asterisk with SIPp callers and baresip agents: callers wait in a
 * group's queue and are offered by the group's strategies; VIP callers jump the line; no-answer
 * jumps and overflow happen at the configured times; the maximum wait offers its keys and a
 * callback keeps the caller's place; nobody logged in sends callers on; after an application
 * restart waiting callers keep hearing music and are served in their original order.
 */
import { eq } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { addRegionRule } from '../../cti/acd/acd-settings.ts';
import { addToList } from '../../cti/lines/caller-lists.ts';
import type { QueueSettings } from '../../cti/acd/queue-settings.ts';
import type { CallEvent } from '../../cti/call-log/events.ts';
import { queueCallbacks } from '../../db/schema.ts';
import { inside, onHost } from '../../pbx/layout.ts';
import { logged } from '../support/assert.ts';
import { meanVolume } from '../support/audio.ts';
import { type CallCenter, callCenter } from '../support/call-center.ts';
import { sipTrace } from '../support/telephony.ts';
import { setAutoAnswer } from '../../cti/agents/agent-states.ts';
import { accountOf } from '../../pbx/sip-accounts.ts';
import { carrierAnswers, type CallerStep, ivrCaller, runSipp, type SippRun } from '../support/sipp.ts';

const test = suite('ACD');
let cc: CallCenter;
let people: { a: number; b: number; c: number };
let group: number;
let other: number;
// Random strategies draw from this sequence (predictable).
let draws: number[] = [];

test.before(
  logged(async () => {
    cc = await callCenter({ random: () => draws.shift() ?? 0 });
    const p = cc.setup.company.people;
    people = { a: p.repA, b: p.repA1, c: p.repB };
    group = await cc.hotlineToGroup('Service', [people.a, people.b, people.c]);
    other = await cc.hotlineToGroup('Second line', [people.c]);
    for (const id of Object.values(people)) {
      await cc.phone(id);
      await cc.setState(id, 'break');
    }
  }),
);
test.after(async () => {
  await cc?.close();
});

/** A caller on line `line`: answered by the queue, does `steps`, then hangs up (or waits for the system's BYE). */
function caller(
  steps: CallerStep[],
  o: { line?: number; number?: string; until?: 'hangup' | 'bye'; timeout?: number } = {},
) {
  const line = cc.lines[o.line ?? 0]!;
  return runSipp({
    scenario: ivrCaller(steps, o.until ?? 'hangup'),
    port: line.port,
    remotePort: cc.setup.pbx.instance.ports.sip,
    service: line.did,
    callerNumber: o.number ?? '13800000000',
    timeoutSeconds: o.timeout ?? 60,
  });
}

const offered = (events: CallEvent[]) =>
  events.flatMap((e) =>
    e.type === 'leg.dialing' && e.data.target.kind === 'agent' ? [e.data.target.userId] : [],
  );
const ofType = <T extends CallEvent['type']>(events: CallEvent[], type: T) =>
  events.filter((e): e is Extract<CallEvent, { type: T }> => e.type === type);
const secondsBetween = (a: CallEvent | undefined, b: CallEvent | undefined) =>
  a && b ? (b.at.getTime() - a.at.getTime()) / 1000 : Number.NaN;

async function onlyReady(...ids: number[]) {
  for (const id of Object.values(people)) if (!ids.includes(id)) await cc.setState(id, 'break');
  for (const id of ids) await cc.setState(id, 'ready');
}

async function setQueue(
  queue: Partial<QueueSettings>,
  ringSeconds = 20,
  members = [people.a, people.b, people.c],
) {
  await cc.updateQueue(group, 'Service', members, queue, ringSeconds);
}

/** The calls that started since `since`, once all of them have ended (at least `count`). */
async function endedCalls(since: Date, count = 1) {
  return cc.until(
    `${count} ended call(s)`,
    async () => {
      const calls = await cc.callsSince(since);
      return calls.length >= count && calls.every((c) => c.endedAt) ? calls : null;
    },
    40_000,
  );
}

/** One call that talks `talkMs` after the queue answers; its record and events once it ended. */
async function oneCall(talkMs = 1500, number?: string): Promise<{ run: SippRun; events: CallEvent[] }> {
  const since = new Date();
  const run = await caller([{ pause: talkMs }], { number }).done;
  const [record] = await endedCalls(since);
  return { run, events: await cc.eventsOf(record!.callId) };
}

/** Makes an agent ready and has them take `calls` waiting calls, hanging each up after a moment. */
async function serveOneByOne(userId: number, calls: number) {
  const phone = cc.phones.get(userId)!;
  let established = phone.next('CALL_ESTABLISHED', 15_000);
  await cc.setState(userId, 'ready');
  for (let i = 0; i < calls; i++) {
    await established;
    await new Promise((r) => setTimeout(r, 500));
    const closed = phone.next('CALL_CLOSED', 10_000);
    if (i < calls - 1) established = phone.next('CALL_ESTABLISHED', 15_000);
    phone.command('hangup');
    await closed;
  }
}

/** Waits until `n` callers wait in the group's queue. */
const queued = (n: number, groupId = group) =>
  cc.until(`${n} caller(s) queued`, () => {
    const w = cc.engine.floor.waitingIn([groupId]);
    return w.length === n ? w : null;
  });

test('a caller waits in the queue until an agent is free; the longest idle agent takes it', async () => {
  await onlyReady();
  const since = new Date();
  const call = caller([{ pause: 6000 }]);
  const [waiting] = await queued(1);
  assert.is(waiting!.position, 1);
  // A is made ready before B: A has been idle longer.
  await cc.setState(people.a, 'ready');
  await cc.setState(people.b, 'ready');
  const run = await call.done;
  assert.is(run.code, 0, run.output);
  const [record] = await endedCalls(since);
  assert.is(record!.disposition, 'answered');
  assert.is(record!.agentId, people.a);
  assert.is(record!.groupId, group);
  const events = await cc.eventsOf(record!.callId);
  assert.equal(
    ofType(events, 'queue.left').map((e) => e.data.reason),
    ['answered'],
  );
  assert.equal(offered(events), [people.a]);
});

test('each strategy picks the expected agent', async () => {
  // Member order is by level, then name: Bob RepB (c), Ray RepA (a), Rita TeamA1 (b).
  const expect = async (label: string, want: number | number[], number?: string) => {
    const { events } = await oneCall(1200, number);
    assert.equal(offered(events), Array.isArray(want) ? want : [want], label);
  };
  // a took the first call today; b and c have none: least workload picks between them by idle
  // time (b has been ready since the first test, c only now).
  await setQueue({ strategies: ['least_workload'] });
  await onlyReady(people.a, people.b, people.c);
  await expect('least workload', people.b, '13900000009');
  // The caller (13800000000) was served by a first: a is their last agent.
  await setQueue({ strategies: ['last_agent', 'least_workload'] });
  await expect('last agent', people.a);
  // A new caller has no last agent: least workload decides (c has no call yet).
  await expect('last agent, then least workload', people.c, '13900000001');
  await setQueue({ strategies: ['linear'] });
  await expect('linear', people.c);
  await setQueue({ strategies: ['round_robin'] });
  cc.engine.acd.pool.lastOffered.set(group, people.c);
  await expect('round robin after c', people.a);
  await expect('round robin after a', people.b);
  await expect('round robin wraps', people.c);
  await setQueue({ strategies: ['random'] });
  draws = [0.99];
  await expect('random (last of three)', people.b);
  // Weighted random: a at level 0, b at 5, c at 9; equal draws favour the lowest level.
  const levels = { [people.a]: 0, [people.b]: 5, [people.c]: 9 };
  await cc.updateQueue(
    group,
    'Service',
    [people.a, people.b, people.c],
    { strategies: ['weighted_random'] },
    20,
    levels,
  );
  draws = [0.5, 0.5, 0.5];
  await expect('weighted random', people.a);
  await setQueue({ strategies: ['ring_all'] });
  const { events } = await oneCall(1500);
  assert.equal(new Set(offered(events)), new Set([people.c, people.a, people.b]), 'ring all rings everyone');
  const answered = ofType(events, 'leg.answered');
  assert.is(answered.length, 1, 'one agent takes it');
  assert.is(ofType(events, 'leg.failed').filter((e) => e.data.failure === 'cancelled').length, 2);
  await setQueue({ strategies: ['longest_idle'] });
});

test('region routing: a Beijing caller goes to the group for Beijing first', async () => {
  await onlyReady(people.a, people.b, people.c);
  await addRegionRule(await cc.ctx(cc.setup.company.ownerId), { province: '北京', city: '', groupId: other });
  await setQueue({ strategies: ['region', 'longest_idle'] });
  await cc.engine.acd.reloadGroups();
  const { events } = await oneCall(1200, '01062345678');
  assert.equal(offered(events), [people.c]);
  const region = ofType(events, 'queue.region')[0];
  assert.equal(region?.data, { fromGroupId: group, groupId: other, region: '北京' });
  const flags = ofType(events, 'call.flags')[0];
  assert.is(flags?.data.region, '北京');
  await setQueue({ strategies: ['longest_idle'] });
});

test('a VIP caller jumps two waiting callers; the others follow in the order they came', async () => {
  await onlyReady();
  await setQueue({ strategies: ['longest_idle'], vipFirst: true });
  await addToList(await cc.ctx(cc.setup.company.ownerId), 'vip', {
    number: '13700000003',
    reason: 'key account',
  });
  const since = new Date();
  const runs = [caller([], { line: 0, number: '13700000001', until: 'bye' })];
  await queued(1);
  runs.push(caller([], { line: 1, number: '13700000002', until: 'bye' }));
  await queued(2);
  runs.push(caller([], { line: 2, number: '13700000003', until: 'bye' }));
  const waiting = await queued(3);
  assert.equal(
    waiting.map((w) => [w.number, w.vip]),
    [
      ['13700000003', true],
      ['13700000001', false],
      ['13700000002', false],
    ],
  );
  // One agent serves them one by one; each call is hung up by the agent after a moment.
  await serveOneByOne(people.a, 3);
  for (const r of runs) assert.is((await r.done).code, 0);
  const calls = (await endedCalls(since, 3)).sort(
    (x, y) => x.answeredAt!.getTime() - y.answeredAt!.getTime(),
  );
  assert.equal(
    calls.map((c) => c.fromNumber),
    ['13700000003', '13700000001', '13700000002'],
  );
  assert.equal(
    calls.map((c) => c.vip),
    [true, false, false],
  );
});

test('no answer: after the ring time the call jumps to the next agent, then to the jump group', async () => {
  await onlyReady();
  await cc.phone(people.a, { autoAnswer: false });
  await cc.phone(people.b, { autoAnswer: false });
  await setQueue({ noAnswer: { jumpAfter: 2, jumpGroupId: other } }, 5, [people.a, people.b]);
  await cc.setState(people.a, 'ready');
  await cc.setState(people.b, 'ready');
  await cc.setState(people.c, 'ready');
  const { events } = await oneCall(14_000);
  const dials = ofType(events, 'leg.dialing');
  assert.equal(
    dials.map((d) => (d.data.target.kind === 'agent' ? d.data.target.userId : 0)),
    [people.a, people.b, people.c],
    'a, then b (same group), then c in the jump group',
  );
  const failed = ofType(events, 'leg.failed');
  assert.equal(
    failed.map((f) => f.data.failure),
    ['no_answer', 'no_answer'],
  );
  const jump = secondsBetween(dials[0], dials[1]);
  assert.ok(jump >= 4.5 && jump <= 6.5, `next agent after the 5 s ring time, was ${jump}`);
  const overflow = ofType(events, 'queue.overflow')[0];
  assert.equal(overflow?.data.reason, 'no_answer');
  assert.equal(overflow?.data.target, { kind: 'group', groupId: other });
  const joined = ofType(events, 'queue.joined');
  assert.equal(
    joined.map((j) => [j.data.groupId, j.data.via]),
    [
      [group, 'hotline'],
      [other, 'no_answer'],
    ],
  );
  assert.is(joined[1]!.data.since, joined[0]!.data.since, 'the caller keeps their place in line');
  assert.is(ofType(events, 'leg.answered')[0]?.data.userId, people.c);
  // The agents who did not answer were ready again at once.
  assert.is(cc.stateOf(people.a), 'ready');
  await cc.phone(people.a);
  await cc.phone(people.b);
});

test('overflow: by waiting time to another group, and by queue length at once', async () => {
  await onlyReady();
  await cc.setState(people.c, 'ready');
  await setQueue(
    { overflow: { waiting: 0, waitSeconds: 10, target: { kind: 'group', groupId: other } } },
    20,
    [people.a, people.b],
  );
  // a and b are logged in (on break): callers may wait.
  const byTime = await oneCall(13_000);
  const joined = ofType(byTime.events, 'queue.joined');
  const overflow = ofType(byTime.events, 'queue.overflow')[0];
  const waited = secondsBetween(joined[0], overflow);
  assert.ok(waited >= 9.5 && waited <= 11.5, `overflow after 10 s, was ${waited}`);
  assert.is(overflow?.data.reason, 'wait');
  assert.is(ofType(byTime.events, 'leg.answered')[0]?.data.userId, people.c);

  await cc.setState(people.c, 'break');
  await setQueue(
    { overflow: { waiting: 1, waitSeconds: 0, target: { kind: 'group', groupId: other } } },
    20,
    [people.a, people.b],
  );
  const since = new Date();
  const first = caller([{ pause: 4000 }], { line: 0, number: '13600000001' });
  await queued(1);
  const second = caller([{ pause: 2000 }], { line: 1, number: '13600000002' });
  await queued(1, other);
  await first.done;
  await second.done;
  const calls = await endedCalls(since, 2);
  const secondEvents = await cc.eventsOf(calls.find((c) => c.fromNumber === '13600000002')!.callId);
  assert.is(ofType(secondEvents, 'queue.overflow')[0]?.data.reason, 'length');
  assert.equal(
    ofType(secondEvents, 'queue.joined').map((j) => j.data.groupId),
    [other],
    'it never waited in the full queue',
  );
  await setQueue({});
});

test('nobody logged in: a caller is not queued and hears that no agent can take the call', async () => {
  for (const id of Object.values(people)) await cc.setState(id, 'logged_out');
  await setQueue({ empty: { join: false, leave: true } });
  const since = new Date();
  const run = await caller([], { until: 'bye', number: '13500000001' }).done;
  assert.is(run.code, 0, run.output);
  const [record] = await endedCalls(since);
  assert.is(record!.disposition, 'unserved');
  assert.is(record!.reason, 'no_agents');
  const events = await cc.eventsOf(record!.callId);
  assert.is(ofType(events, 'queue.overflow')[0]?.data.reason, 'empty');
  assert.is(ofType(events, 'queue.joined').length, 0);
  await setQueue({});
});

test('the maximum wait offers its keys: 1 keeps waiting, 2 asks for a callback that keeps the place in line', async () => {
  await onlyReady();
  await setQueue({ maxWait: { seconds: 10, promptId: null, keySeconds: 6, callback: true, noKey: 'keep' } });
  const since = new Date();
  // The first caller keeps waiting at the first menu and asks for a callback at the second.
  const first = caller([{ pause: 11_500 }, { info: '1' }, { pause: 10_500 }, { info: '2' }], {
    line: 0,
    number: '13400000001',
    until: 'bye',
  });
  await queued(1);
  await new Promise((r) => setTimeout(r, 1000));
  const second = caller([{ pause: 40_000 }], { line: 1, number: '13400000002' });
  await queued(2);
  const run = await first.done;
  assert.is(run.code, 0, run.output);
  const firstCall = (await cc.callsSince(since)).find((c) => c.fromNumber === '13400000001')!;
  await cc.until('first call ended', async () =>
    (await cc.callsSince(since)).find((c) => c.callId === firstCall.callId && c.endedAt),
  );
  const events = await cc.eventsOf(firstCall.callId);
  assert.equal(
    ofType(events, 'queue.max_wait').map((e) => e.data.choice),
    ['keep', 'callback'],
  );
  const menus = ofType(events, 'queue.max_wait');
  const joined = ofType(events, 'queue.joined')[0];
  const firstMenu = secondsBetween(joined, menus[0]);
  assert.ok(firstMenu >= 10 && firstMenu <= 13, `the menu came after 10 s, key at ${firstMenu}`);
  const [request] = await cc.setup.db.db
    .select()
    .from(queueCallbacks)
    .where(eq(queueCallbacks.callId, firstCall.callId));
  assert.ok(request, 'the callback is requested');
  assert.is(request!.status, 'waiting');
  const record = (await cc.callsSince(since)).find((c) => c.callId === firstCall.callId)!;
  assert.is(record.disposition, 'callback');
  // In line: the callback (joined first) before the second caller.
  const line = cc.engine.floor.waitingIn([group]);
  assert.equal(
    line.map((w) => w.kind),
    ['callback', 'caller'],
  );
  // The agent becomes free: their phone rings for the callback first; the caller is called back on line 0.
  const carrier = runSipp({ scenario: carrierAnswers(), port: cc.lines[0]!.port, timeoutSeconds: 40 });
  await cc.setState(people.a, 'ready');
  const callback = await cc.until(
    'callback answered',
    async () => {
      const calls = await cc.callsSince(since);
      return calls.find((c) => c.callbackOf === firstCall.callId && c.answeredAt);
    },
    25_000,
  );
  assert.is(callback.direction, 'outbound');
  assert.is(callback.agentId, people.a);
  assert.is(callback.toNumber, '13400000001');
  // The customer is answered by SIPp; the agent hangs up; then the second caller is served.
  await new Promise((r) => setTimeout(r, 1500));
  cc.phones.get(people.a)!.command('hangup');
  assert.is((await carrier.done).code, 0);
  const [done] = await cc.setup.db.db.select().from(queueCallbacks).where(eq(queueCallbacks.id, request!.id));
  assert.is(done!.status, 'done');
  const secondRecord = await cc.until(
    'second caller served',
    async () => {
      const calls = await cc.callsSince(since);
      return calls.find((c) => c.fromNumber === '13400000002' && c.answeredAt);
    },
    20_000,
  );
  assert.ok(secondRecord.answeredAt! > callback.answeredAt!);
  await second.done;
  await setQueue({});
});

test('restarting the application while callers wait: they stay in the queue and are served in their order', async () => {
  await onlyReady();
  const since = new Date();
  const runs = [caller([], { line: 0, number: '13300000001', until: 'bye', timeout: 90 })];
  await queued(1);
  runs.push(caller([], { line: 1, number: '13300000002', until: 'bye', timeout: 90 }));
  await queued(2);
  const before = await cc.callsSince(since);
  // What the first caller hears, recorded from here on.
  const heard = inside(cc.setup.pbx.instance, 'recordings', 'restart-heard.wav');
  const channel = (await cc.ari.call('channels.list', {})).find(
    (ch) => ch.caller.number === '13300000001' && ch.channelvars?.CC_ROLE === 'caller',
  )!;
  await cc.setup.ami.action('MixMonitor', {
    Channel: channel.name,
    File: heard.replace('.wav', '-mix.wav'),
    Options: `t(${heard})`,
  });
  await cc.restartEngine();
  const waiting = await queued(2);
  assert.equal(
    waiting.map((w) => w.number),
    ['13300000001', '13300000002'],
    'both are back in line in their order',
  );
  assert.is(cc.engine.floor.waitingIn([group]).length, 2);
  await new Promise((r) => setTimeout(r, 2000));
  await serveOneByOne(people.b, 2);
  for (const r of runs) assert.is((await r.done).code, 0);
  const calls = (await endedCalls(since, 2)).sort(
    (x, y) => x.answeredAt!.getTime() - y.answeredAt!.getTime(),
  );
  assert.equal(
    calls.map((c) => c.fromNumber),
    ['13300000001', '13300000002'],
  );
  assert.equal(
    calls.map((c) => c.callId).sort(),
    before.map((c) => c.callId).sort(),
    'the same calls, completed',
  );
  for (const c of calls) {
    const events = await cc.eventsOf(c.callId);
    assert.ok(events.some((e) => e.type === 'cti.resumed'));
  }
  // Music went on through the restart: the caller heard sound, not silence, while waiting.
  const volume = meanVolume(onHost(cc.setup.pbx.instance, 'recordings', 'restart-heard.wav'), 0, 3);
  assert.ok(volume > -50, `the waiting caller heard music (mean ${volume} dB)`);
});

test('an agent with auto-answer: their phone is asked to answer by itself (Call-Info answer-after=0)', async () => {
  await onlyReady();
  const a = people.a;
  const ctx = await cc.ctx(a);
  await setAutoAnswer(ctx, true);
  await cc.until('auto-answer loaded', () => cc.engine.acd.pool.agents.get(a)?.autoAnswer);
  // What Asterisk sends to the phone, from its own SIP log.
  const trace = await sipTrace(cc.setup);
  await cc.setState(a, 'ready');
  const { events } = await oneCall(1500);
  await trace.stop();
  assert.is(ofType(events, 'leg.answered')[0]?.data.userId, a);
  const account = (await accountOf(cc.setup.db.db, a))!;
  const invite = trace
    .messages()
    .split('<--- Transmitting SIP request')
    .find((m) => m.includes(`INVITE sip:${account.username}`));
  assert.ok(invite, 'the INVITE to the agent is in the log');
  assert.match(invite!, `Call-Info: <sip:${account.username}>;answer-after=0`);
  assert.match(invite!, 'Alert-Info:');
  await setAutoAnswer(ctx, false);
});

test.run();
