/**
 * Matching waiting callers with free agents: the decision the ACD makes whenever a caller joins
 * a queue or an agent becomes free. Pure and synchronous, so the ACD can reserve the chosen
 * agents before anything else runs (no agent is offered two calls), and so it can be timed
 * (bench/acd-selection.ts).
 *
 * Among the given groups, the caller served first is the one at the front of its line (VIP
 * first where the group says so, then the longest waiting); within a line, a caller whose
 * free agents all failed to answer already lets the next caller through.
 */
import { compareEntries, type QueueBook, type QueueEntry } from './queue-book.ts';
import type { AgentPool, PoolGroup } from './pool.ts';
import { freeMembers, selectAgents } from './strategies.ts';

export interface Assignment {
  entry: QueueEntry;
  group: PoolGroup;
  agentIds: number[];
}

/** The first caller in a group's line that one of its free members can take, with whom. */
function firstServable(
  book: QueueBook,
  pool: AgentPool,
  group: PoolGroup,
  now: number,
  random: () => number,
): Assignment | null {
  const line = book.line(group.id);
  if (line.length === 0) return null;
  if (freeMembers(group, pool, new Set()).length === 0) return null;
  for (const entry of line) {
    if (entry.offering || entry.notBefore > now) continue;
    const agentIds = selectAgents({
      group,
      pool,
      tried: entry.tried,
      lastAgentId: entry.lastAgentId,
      random,
    });
    if (agentIds.length > 0) return { entry, group, agentIds };
  }
  return null;
}

/**
 * The next caller to offer, and to whom, among the callers waiting in `groupIds` (all groups
 * with someone waiting when omitted); null when no free agent can take any of them.
 */
export function nextAssignment(
  book: QueueBook,
  pool: AgentPool,
  now: number,
  random: () => number = Math.random,
  groupIds: Iterable<number> = book.groupIds(),
): Assignment | null {
  let best: Assignment | null = null;
  for (const id of groupIds) {
    const group = pool.groups.get(id);
    if (!group) continue;
    const found = firstServable(book, pool, group, now, random);
    if (found && (!best || compareEntries(found.entry, best.entry) < 0)) best = found;
  }
  return best;
}

/** Marks the assignment taken: the caller is being offered, the agents are reserved for it. */
export function reserve(pool: AgentPool, a: Assignment, at?: number): void {
  a.entry.offering = true;
  for (const id of a.agentIds) {
    const agent = pool.agents.get(id);
    if (!agent) continue;
    agent.reservedFor = a.entry.key;
    agent.reservedAt = at;
  }
  pool.lastOffered.set(a.group.id, a.agentIds[a.agentIds.length - 1]!);
}
