/**
 * How long the ACD takes to decide who gets a call (issue 4/5, item 8a): 1,000 agents in 50
 * groups (each agent in three, with skill levels), 10,000 callers waiting across the groups,
 * every group with its own strategy chain. A decision is what happens when an agent becomes
 * free: find the first caller their groups can serve and pick the agent(s) by the group's
 * strategies (cti/acd/dispatcher.ts, the code the product runs). Each decision is timed; the
 * served caller is replaced by a new one, so 10,000 keep waiting.
 *
 * Baseline, measured in the same run on the same data: the straightforward way — collect the
 * waiting callers of the agent's groups, sort them, and scan all 1,000 agents for the first
 * caller's group members that are free.
 *
 *   node --import tsx bench/acd-selection.ts         (BENCH_DECISIONS=20000 by default)
 */
import { nextAssignment, reserve } from '../cti/acd/dispatcher.ts';
import { AgentPool, type PoolAgent } from '../cti/acd/pool.ts';
import { compareEntries, type QueueEntry, QueueBook } from '../cti/acd/queue-book.ts';
import { defaultQueueSettings, type StrategyKey } from '../cti/acd/queue-settings.ts';

const AGENTS = 1000;
const GROUPS = 50;
const WAITING = 10_000;
const DECISIONS = Number(process.env.BENCH_DECISIONS ?? 20_000);

/** A small deterministic random generator, so every run uses the same data. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
/** The data's generator; each run starts it again, so both runs get the same agents and callers. */
let random = seeded(42);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const chains: StrategyKey[][] = [
  ['longest_idle'],
  ['last_agent', 'least_workload', 'random'],
  ['least_workload', 'longest_idle'],
  ['round_robin'],
  ['linear'],
  ['weighted_random'],
  ['ring_all'],
];

function build() {
  const pool = new AgentPool();
  const members = new Map<number, { userId: number; penalty: number }[]>();
  for (let g = 1; g <= GROUPS; g++) members.set(g, []);
  for (let id = 1; id <= AGENTS; id++) {
    const groups = new Set<number>();
    while (groups.size < 3) groups.add(1 + Math.floor(random() * GROUPS));
    for (const g of groups) members.get(g)!.push({ userId: id, penalty: Math.floor(random() * 3) });
  }
  for (const [id, list] of members)
    pool.setGroup({
      id,
      name: `Group ${id}`,
      ringSeconds: 20,
      leaderId: null,
      members: list,
      settings: { ...defaultQueueSettings(), strategies: pick(chains), vipFirst: true },
    });
  const now = Date.now();
  for (let id = 1; id <= AGENTS; id++)
    pool.setAgent({
      userId: id,
      name: `Agent ${id}`,
      jobNumber: String(1000 + id),
      endpoint: String(1000 + id),
      autoAnswer: false,
      // Everyone busy at first: each decision frees one agent.
      state: 'on_call',
      stateSince: now,
      reservedFor: null,
      callsToday: Math.floor(random() * 40),
      talkSecondsToday: Math.floor(random() * 10_000),
      idleSince: now - Math.floor(random() * 600_000),
    });
  const book = new QueueBook();
  let seq = 0;
  const newCaller = (at: number): QueueEntry => {
    const vip = random() < 0.02;
    return {
      key: `c${++seq}`,
      kind: 'caller',
      callId: `c${seq}`,
      groupId: 1 + Math.floor(random() * GROUPS),
      joinedAt: at - Math.floor(random() * 600_000),
      seq: book.nextSeq(),
      vip,
      priority: vip,
      lastAgentId: random() < 0.3 ? 1 + Math.floor(random() * AGENTS) : null,
      tried: new Set(),
      offering: false,
      notBefore: 0,
    };
  };
  for (let i = 0; i < WAITING; i++) book.add(newCaller(now));
  return { pool, book, newCaller };
}

/** The baseline decision: sort the agent's groups' callers, scan all agents for a free member. */
function naiveDecision(
  book: QueueBook,
  pool: AgentPool,
  agent: PoolAgent,
): { entry: QueueEntry; agentId: number } | null {
  const waiting: QueueEntry[] = [];
  for (const g of agent.groups) for (const e of book.line(g)) if (!e.offering) waiting.push(e);
  waiting.sort(compareEntries);
  for (const entry of waiting) {
    const group = pool.groups.get(entry.groupId)!;
    let best: PoolAgent | null = null;
    for (const candidate of pool.agents.values()) {
      if (!pool.isFree(candidate) || !group.members.some((m) => m.userId === candidate.userId)) continue;
      if (!best || candidate.idleSince < best.idleSince) best = candidate;
    }
    if (best) return { entry, agentId: best.userId };
  }
  return null;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function run(
  label: string,
  decide: (pool: AgentPool, book: QueueBook, agent: PoolAgent) => QueueEntry | null,
) {
  random = seeded(42);
  const { pool, book, newCaller } = build();
  const agents = [...pool.agents.values()];
  const times: number[] = [];
  let served = 0;
  for (let i = 0; i < DECISIONS; i++) {
    const agent = agents[i % agents.length]!;
    // The agent finishes a call and is ready: the decision runs.
    agent.state = 'ready';
    agent.reservedFor = null;
    agent.idleSince = Date.now();
    const t0 = process.hrtime.bigint();
    const entry = decide(pool, book, agent);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (entry) {
      served++;
      book.remove(entry.key);
      book.add(newCaller(Date.now()));
    }
    // Whoever was picked is on a call now.
    for (const a of agents)
      if (a.reservedFor !== null || a === agent) {
        a.state = 'on_call';
        a.reservedFor = null;
      }
  }
  times.sort((a, b) => a - b);
  const p50 = percentile(times, 50);
  const p99 = percentile(times, 99);
  const max = times[times.length - 1]!;
  console.log(
    `${label.padEnd(10)} decisions ${DECISIONS}  served ${served}  p50 ${p50.toFixed(4)} ms  p99 ${p99.toFixed(4)} ms  max ${max.toFixed(3)} ms`,
  );
  return { p50, p99 };
}

console.log(`${AGENTS} agents in ${GROUPS} groups (3 groups each), ${WAITING} callers waiting`);
// The strategies' own draws (random, weighted random) come from a generator of their own, so they
// do not shift the data of the run.
const strategyRandom = seeded(7);
const ours = run('ACD', (pool, book, agent) => {
  const a = nextAssignment(book, pool, Date.now(), strategyRandom, agent.groups);
  if (!a) return null;
  reserve(pool, a);
  return a.entry;
});
const naive = run('baseline', (pool, book, agent) => {
  const d = naiveDecision(book, pool, agent);
  if (!d) return null;
  pool.agents.get(d.agentId)!.reservedFor = d.entry.key;
  return d.entry;
});
console.log(
  `ratio (ACD / baseline): p50 ${(ours.p50 / naive.p50).toFixed(3)}  p99 ${(ours.p99 / naive.p99).toFixed(3)}  target p99 < 1 ms: ${ours.p99 < 1 ? 'met' : 'NOT met'}`,
);
