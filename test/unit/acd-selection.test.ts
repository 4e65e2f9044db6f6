/**
 * The ACD's choice of agent and caller, without a PBX: every strategy and their chains, skill
 * levels, VIP callers jumping the line, a caller keeping their place, and no agent offered two
 * calls. (End-to-end with real phones: test/telephony/acd.test.ts.)
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { nextAssignment, reserve } from '../../cti/acd/dispatcher.ts';
import { type QueueEntry, QueueBook } from '../../cti/acd/queue-book.ts';
import { AgentPool, type PoolAgent } from '../../cti/acd/pool.ts';
import {
  defaultQueueSettings,
  queueProblems,
  readQueueSettings,
  type StrategyKey,
} from '../../cti/acd/queue-settings.ts';
import { selectAgents } from '../../cti/acd/strategies.ts';

const test = suite('ACD selection');

function agent(userId: number, over: Partial<PoolAgent> = {}): Omit<PoolAgent, 'groups'> {
  return {
    userId,
    name: `Agent ${userId}`,
    jobNumber: String(100 + userId),
    endpoint: String(1000 + userId),
    autoAnswer: false,
    state: 'ready',
    stateSince: 0,
    reservedFor: null,
    callsToday: 0,
    talkSecondsToday: 0,
    idleSince: 1000,
    ...over,
  };
}

function poolWith(
  strategies: StrategyKey[],
  agents: Omit<PoolAgent, 'groups'>[],
  penalties: Record<number, number> = {},
) {
  const pool = new AgentPool();
  for (const a of agents) pool.setAgent(a);
  pool.setGroup({
    id: 1,
    name: 'Service',
    ringSeconds: 20,
    leaderId: null,
    members: agents.map((a) => ({ userId: a.userId, penalty: penalties[a.userId] ?? 0 })),
    settings: { ...defaultQueueSettings(), strategies },
  });
  return pool;
}

const pick = (
  pool: AgentPool,
  over: { lastAgentId?: number; tried?: number[]; random?: () => number } = {},
) =>
  selectAgents({
    group: pool.groups.get(1)!,
    pool,
    tried: new Set(over.tried ?? []),
    lastAgentId: over.lastAgentId ?? null,
    random: over.random ?? (() => 0),
  });

test('longest idle: the agent free for the longest time', () => {
  const pool = poolWith(
    ['longest_idle'],
    [agent(1, { idleSince: 500 }), agent(2, { idleSince: 100 }), agent(3)],
  );
  assert.equal(pick(pool), [2]);
});

test('least workload: fewest calls today, then least talk time', () => {
  const pool = poolWith(
    ['least_workload'],
    [
      agent(1, { callsToday: 3, talkSecondsToday: 10 }),
      agent(2, { callsToday: 1, talkSecondsToday: 900 }),
      agent(3, { callsToday: 1, talkSecondsToday: 300 }),
    ],
  );
  assert.equal(pick(pool), [3]);
});

test('last agent: the agent who served the caller last, else the next strategy', () => {
  const pool = poolWith(['last_agent', 'least_workload'], [agent(1, { callsToday: 5 }), agent(2), agent(3)]);
  assert.equal(pick(pool, { lastAgentId: 1 }), [1]);
  // Their last agent is busy: least workload decides among the others (2 and 3 tie: longest idle).
  pool.agents.get(1)!.state = 'on_call';
  pool.agents.get(3)!.idleSince = 10;
  assert.equal(pick(pool, { lastAgentId: 1 }), [3]);
});

test('random idle, ring all, linear', () => {
  const agents = [agent(1), agent(2), agent(3)];
  assert.equal(pick(poolWith(['random'], agents), { random: () => 0.7 }), [3]);
  assert.equal(pick(poolWith(['ring_all'], agents)), [1, 2, 3]);
  const linear = poolWith(['linear'], agents);
  assert.equal(pick(linear), [1]);
  linear.agents.get(1)!.state = 'break';
  assert.equal(pick(linear), [2]);
});

test('round robin with memory: the member after the one offered last, wrapping round', () => {
  const pool = poolWith(['round_robin'], [agent(1), agent(2), agent(3)]);
  assert.equal(pick(pool), [1]);
  pool.lastOffered.set(1, 1);
  assert.equal(pick(pool), [2]);
  pool.lastOffered.set(1, 2);
  pool.agents.get(3)!.state = 'wrap_up';
  assert.equal(pick(pool), [1], 'agent 3 is not free: round to the first');
});

test('skill levels: lower level first; weighted random uses the level as weight', () => {
  const agents = [agent(1), agent(2), agent(3)];
  const pool = poolWith(['longest_idle'], agents, { 1: 2, 2: 0, 3: 5 });
  pool.agents.get(1)!.idleSince = 0;
  assert.equal(pick(pool), [2], 'agent 1 idles longer but has a higher level');
  // wrandom: score = random * (1 + level), lowest wins; with a fixed random the lowest level wins.
  const w = poolWith(['weighted_random'], agents, { 1: 2, 2: 4, 3: 0 });
  assert.equal(pick(w, { random: () => 0.5 }), [3]);
  let n = 0;
  const seq = [0.1, 0.9, 0.9]; // agent 1 draws low, the others high
  assert.equal(pick(w, { random: () => seq[n++ % 3]! }), [1]);
});

test('agents on break, in wrap-up, ringing, on a call or already reserved are never picked', () => {
  const pool = poolWith(
    ['ring_all'],
    [
      agent(1, { state: 'break' }),
      agent(2, { state: 'wrap_up' }),
      agent(3, { state: 'ringing' }),
      agent(4, { state: 'on_call' }),
      agent(5, { reservedFor: 'other-call' }),
      agent(6, { state: 'logged_out' }),
      agent(7),
    ],
  );
  assert.equal(pick(pool), [7]);
  assert.equal(pick(pool, { tried: [7] }), [], 'an agent who did not answer is not offered again');
});

function entry(book: QueueBook, key: string, joinedAt: number, over: Partial<QueueEntry> = {}): QueueEntry {
  const e: QueueEntry = {
    key,
    kind: 'caller',
    callId: key,
    groupId: 1,
    joinedAt,
    seq: book.nextSeq(),
    vip: false,
    priority: false,
    lastAgentId: null,
    tried: new Set(),
    offering: false,
    notBefore: 0,
    ...over,
  };
  book.add(e);
  return e;
}

test('the longest-waiting caller is served first; a VIP jumps two waiting callers', () => {
  const pool = poolWith(['longest_idle'], [agent(1)]);
  const book = new QueueBook();
  entry(book, 'a', 100);
  entry(book, 'b', 200);
  entry(book, 'vip', 300, { vip: true, priority: true });
  assert.equal(
    book.line(1).map((e) => e.key),
    ['vip', 'a', 'b'],
  );
  assert.is(book.position('a'), 2);
  const first = nextAssignment(book, pool, 1000)!;
  assert.is(first.entry.key, 'vip');
  reserve(pool, first);
  assert.is(nextAssignment(book, pool, 1000), null, 'the only agent is reserved for the VIP');
});

test('a caller moved from another queue keeps their place; a callback waits for its retry time', () => {
  const pool = poolWith(['longest_idle'], [agent(1), agent(2)]);
  const book = new QueueBook();
  entry(book, 'new', 500);
  entry(book, 'moved', 100);
  entry(book, 'callback-1', 50, { kind: 'callback', notBefore: 2000 });
  assert.equal(
    book.line(1).map((e) => e.key),
    ['callback-1', 'moved', 'new'],
  );
  assert.is(nextAssignment(book, pool, 1000)!.entry.key, 'moved');
  assert.is(nextAssignment(book, pool, 3000)!.entry.key, 'callback-1');
});

test('an agent free in two groups takes the longest-waiting caller of either', () => {
  const pool = poolWith(['longest_idle'], [agent(1)]);
  pool.setGroup({
    id: 2,
    name: 'Sales',
    ringSeconds: 20,
    leaderId: null,
    members: [{ userId: 1, penalty: 0 }],
    settings: defaultQueueSettings(),
  });
  const book = new QueueBook();
  entry(book, 'service', 300);
  entry(book, 'sales', 200, { groupId: 2 });
  const a = nextAssignment(book, pool, 1000)!;
  assert.is(a.entry.key, 'sales');
  assert.is(a.group.id, 2);
});

test('a caller whose free agents did not answer lets the next caller through', () => {
  const pool = poolWith(['longest_idle'], [agent(1)]);
  const book = new QueueBook();
  entry(book, 'first', 100, { tried: new Set([1]) });
  entry(book, 'second', 200);
  assert.is(nextAssignment(book, pool, 1000)!.entry.key, 'second');
});

test('queue settings: stored JSON reads with defaults; problems name the field', () => {
  const s = readQueueSettings({ strategies: ['last_agent', 'bogus'], maxWait: { seconds: 60 } });
  assert.equal(s.strategies, ['last_agent']);
  assert.is(s.maxWait.seconds, 60);
  assert.is(s.maxWait.keySeconds, 8);
  const ids = { groupId: 1, groups: new Set([1, 2]), prompts: new Set([9]) };
  assert.equal(queueProblems(defaultQueueSettings(), ids), {});
  const bad = {
    ...defaultQueueSettings(),
    strategies: ['random', 'last_agent'] as StrategyKey[],
    noAnswer: { jumpAfter: 1, jumpGroupId: 1 },
    overflow: { waiting: 5, waitSeconds: 0, target: null },
    holdPromptId: 4,
  };
  assert.equal(queueProblems(bad, ids), {
    strategies: 'strategy_after_decisive',
    jumpGroupId: 'same_group',
    holdPromptId: 'invalid_choice',
    overflowTarget: 'required',
  });
  assert.is(
    queueProblems({ ...defaultQueueSettings(), strategies: ['last_agent', 'region'] }, ids).strategies,
    'region_first',
  );
});

test.run();
