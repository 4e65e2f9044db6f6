/**
 * What the ACD knows about agents and groups, in memory, so that picking an agent for a caller
 * never waits for the database: each agent's desk state, whether a call is already being
 * offered to them, today's workload, and since when they are idle; each group's members (with
 * their skill level) and queue settings. The database stays the truth: the ACD service loads
 * this at start and updates it as states change.
 */
import type { AgentState } from '../../db/schema.ts';
import type { QueueSettings } from './queue-settings.ts';

export interface PoolAgent {
  userId: number;
  name: string;
  jobNumber: string;
  /** SIP username of the agent's phone. */
  endpoint: string;
  autoAnswer: boolean;
  state: AgentState;
  /** When the current state began (ms since epoch). */
  stateSince: number;
  /** The call being offered to (or taken by) this agent, set the moment the ACD picks them. */
  reservedFor: string | null;
  /** When the reservation was made (ms), so that one no offer followed can be told from one being set up. */
  reservedAt?: number;
  /** Answered calls and talk seconds today. */
  callsToday: number;
  talkSecondsToday: number;
  /** When the agent last finished a call or became ready, whichever is later (ms). */
  idleSince: number;
  /** The groups the agent is a member of. */
  groups: Set<number>;
}

export interface GroupMember {
  userId: number;
  /** 0 (offered first) … 9 (offered last). */
  penalty: number;
}

export interface PoolGroup {
  id: number;
  name: string;
  ringSeconds: number;
  leaderId: number | null;
  /** In listed order (linear and round-robin follow it). */
  members: GroupMember[];
  settings: QueueSettings;
}

export class AgentPool {
  readonly agents = new Map<number, PoolAgent>();
  readonly groups = new Map<number, PoolGroup>();
  /** Round-robin memory: the member offered last, per group. */
  readonly lastOffered = new Map<number, number>();

  /** Replaces a group (members and settings) and the agents' memberships. */
  setGroup(group: PoolGroup): void {
    this.removeGroup(group.id);
    this.groups.set(group.id, group);
    for (const m of group.members) this.agents.get(m.userId)?.groups.add(group.id);
  }

  removeGroup(id: number): void {
    const old = this.groups.get(id);
    if (!old) return;
    for (const m of old.members) this.agents.get(m.userId)?.groups.delete(id);
    this.groups.delete(id);
  }

  setAgent(agent: Omit<PoolAgent, 'groups'>): PoolAgent {
    const groups = new Set<number>();
    for (const g of this.groups.values())
      if (g.members.some((m) => m.userId === agent.userId)) groups.add(g.id);
    const previous = this.agents.get(agent.userId);
    const next: PoolAgent = {
      ...agent,
      reservedFor: previous?.reservedFor ?? agent.reservedFor,
      reservedAt: previous?.reservedAt ?? agent.reservedAt,
      groups,
    };
    this.agents.set(agent.userId, next);
    return next;
  }

  removeAgent(userId: number): void {
    this.agents.delete(userId);
  }

  /** Ready and not already picked for another call. */
  isFree(agent: PoolAgent | undefined): agent is PoolAgent {
    return agent !== undefined && agent.state === 'ready' && agent.reservedFor === null;
  }

  /** Whether any member of the group is logged in (for join/leave-empty). */
  anyLoggedIn(groupId: number): boolean {
    const g = this.groups.get(groupId);
    return !!g?.members.some((m) => {
      const a = this.agents.get(m.userId);
      return a !== undefined && a.state !== 'logged_out';
    });
  }

  /** Members that are logged in and not on break (they will take calls). */
  staffed(groupId: number): number {
    const g = this.groups.get(groupId);
    let n = 0;
    for (const m of g?.members ?? []) {
      const s = this.agents.get(m.userId)?.state;
      if (s && s !== 'logged_out' && s !== 'break') n++;
    }
    return n;
  }

  setState(userId: number, state: AgentState, at: number): void {
    const a = this.agents.get(userId);
    if (!a) return;
    if (state === 'ready' && a.state !== 'ready') a.idleSince = Math.max(a.idleSince, at);
    a.state = state;
    a.stateSince = at;
  }

  /** An answered call ended: it counts towards today's workload, and idle time starts now. */
  callFinished(userId: number, talkSeconds: number, at: number): void {
    const a = this.agents.get(userId);
    if (!a) return;
    a.callsToday++;
    a.talkSecondsToday += talkSeconds;
    a.idleSince = at;
  }

  /** At midnight, today's workload starts again. */
  newDay(): void {
    for (const a of this.agents.values()) {
      a.callsToday = 0;
      a.talkSecondsToday = 0;
    }
  }
}
