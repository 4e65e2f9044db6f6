/**
 * Picking the agent(s) to offer a waiting caller to, by the group's strategies in priority
 * order (ACD 策略): each strategy narrows the free members down; one that cannot apply (the
 * caller's last agent is busy) passes the same candidates on; a decisive one settles it. When
 * the chain leaves several candidates, the one idle longest is offered.
 *
 * Skill levels work like app_queue's penalties: only the free members with the lowest level
 * are considered, except with weighted_random, where the level is the weight instead (a member
 * at level p is picked with weight 1/(1+p)).
 */
import type { AgentPool, PoolAgent, PoolGroup } from './pool.ts';

export interface Candidate {
  agent: PoolAgent;
  penalty: number;
  /** Position in the group's member list. */
  index: number;
}

export interface SelectionInput {
  group: PoolGroup;
  pool: AgentPool;
  /** Agents who already did not answer this caller. */
  tried: ReadonlySet<number>;
  /** The agent who last served this caller within the group's window, if any. */
  lastAgentId: number | null;
  random: () => number;
}

/** The free members a caller may be offered to, in member order. */
export function freeMembers(group: PoolGroup, pool: AgentPool, tried: ReadonlySet<number>): Candidate[] {
  const out: Candidate[] = [];
  group.members.forEach((m, index) => {
    const agent = pool.agents.get(m.userId);
    if (pool.isFree(agent) && !tried.has(m.userId)) out.push({ agent, penalty: m.penalty, index });
  });
  return out;
}

function narrowest<T>(items: T[], key: (t: T) => number): T[] {
  let best = Number.POSITIVE_INFINITY;
  let out: T[] = [];
  for (const item of items) {
    const k = key(item);
    if (k < best) {
      best = k;
      out = [item];
    } else if (k === best) out.push(item);
  }
  return out;
}

const longestIdle = (c: Candidate[]) => narrowest(c, (x) => x.agent.idleSince)[0]!;

/** The user ids to offer the caller to: one agent, all free ones (ring_all), or none. */
export function selectAgents(input: SelectionInput): number[] {
  const { group, pool } = input;
  const strategies = group.settings.strategies;
  let cands = freeMembers(group, pool, input.tried);
  if (cands.length === 0) return [];
  if (!strategies.includes('weighted_random')) cands = narrowest(cands, (c) => c.penalty);
  const one = (c: Candidate) => [c.agent.userId];
  for (const strategy of strategies) {
    if (cands.length === 1) return one(cands[0]!);
    switch (strategy) {
      case 'region':
        break;
      case 'last_agent': {
        const last = cands.find((c) => c.agent.userId === input.lastAgentId);
        if (last) return one(last);
        break;
      }
      case 'least_workload':
        cands = narrowest(
          narrowest(cands, (c) => c.agent.callsToday),
          (c) => c.agent.talkSecondsToday,
        );
        break;
      case 'longest_idle':
        return one(longestIdle(cands));
      case 'random':
        return one(cands[Math.floor(input.random() * cands.length)] ?? cands[0]!);
      case 'ring_all':
        return cands.map((c) => c.agent.userId);
      case 'round_robin': {
        const last = pool.lastOffered.get(group.id);
        const lastIndex = group.members.findIndex((m) => m.userId === last);
        return one(cands.find((c) => c.index > lastIndex) ?? cands[0]!);
      }
      case 'linear':
        return one(cands[0]!);
      case 'weighted_random':
        return one(narrowest(cands, (c) => input.random() * (1 + c.penalty))[0]!);
    }
  }
  return one(cands.length === 1 ? cands[0]! : longestIdle(cands));
}
