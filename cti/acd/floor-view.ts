/**
 * The floor as the ACD holds it now, as plain read views: the groups (members and what their
 * queue shows agents), the agents (desk state, since when, their groups), callers waiting in
 * each queue in serving order, and each queue's figures now (waiting, longest wait, staffed,
 * free). The desk, the supervisor's workbench and the wallboard read these, never the ACD's pool.
 */
import type { AgentState } from '../../db/schema.ts';
import type { Acd } from './acd.ts';

export interface GroupView {
  id: number;
  name: string;
  memberIds: number[];
  /** Members see the queue's callers on the desk, and may take one out of turn. */
  queueVisible: boolean;
  serveEarly: boolean;
}

export interface AgentView {
  userId: number;
  name: string;
  state: AgentState;
  /** When the current state began (ms). */
  since: number;
  groupIds: number[];
}

/** A snapshot of one waiting caller for the desk's queue bar and the supervisor. */
export interface WaitingCaller {
  key: string;
  kind: 'caller' | 'callback';
  callId: string;
  groupId: number;
  number: string;
  position: number;
  waitedSeconds: number;
  vip: boolean;
  offering: boolean;
}

export interface QueueNow {
  waiting: number;
  longestSeconds: number;
  staffed: number;
  free: number;
}

export class FloorView {
  constructor(
    private readonly acd: Acd,
    private readonly now: () => Date,
    /** The caller number of a call in progress (for the queue's line). */
    private readonly callerOf: (callId: string) => string | undefined,
  ) {}

  /** Calls `listener` whenever a queue or an agent changed (the live pages re-render). */
  watch(listener: () => void): () => void {
    this.acd.on('changed', listener);
    this.acd.on('agent', listener);
    return () => {
      this.acd.off('changed', listener);
      this.acd.off('agent', listener);
    };
  }

  groups(): GroupView[] {
    return [...this.acd.pool.groups.values()].map((g) => ({
      id: g.id,
      name: g.name,
      memberIds: g.members.map((m) => m.userId),
      queueVisible: g.settings.queueVisible,
      serveEarly: g.settings.serveEarly,
    }));
  }

  /** The groups an agent is a member of. */
  groupsOf(userId: number): GroupView[] {
    return this.groups().filter((g) => g.memberIds.includes(userId));
  }

  agent(userId: number): AgentView | undefined {
    const a = this.acd.pool.agents.get(userId);
    return a
      ? { userId: a.userId, name: a.name, state: a.state, since: a.stateSince, groupIds: [...a.groups] }
      : undefined;
  }

  /** How many agents are in each state (metrics). */
  agentStates(): Map<AgentState, number> {
    const out = new Map<AgentState, number>();
    for (const a of this.acd.pool.agents.values()) out.set(a.state, (out.get(a.state) ?? 0) + 1);
    return out;
  }

  /** Agents' and groups' names by id. */
  names(): { agents: Map<number, string>; groups: Map<number, string> } {
    return {
      agents: new Map([...this.acd.pool.agents.values()].map((a) => [a.userId, a.name])),
      groups: new Map([...this.acd.pool.groups.values()].map((g) => [g.id, g.name])),
    };
  }

  private waitedSeconds(key: string, joinedAt: number, now: number): number {
    return Math.round((now - (this.acd.waitingSince(key) ?? joinedAt)) / 1000);
  }

  /** Callers waiting in these groups, in serving order per group. */
  waitingIn(groupIds: Iterable<number>): WaitingCaller[] {
    const now = this.now().getTime();
    const out: WaitingCaller[] = [];
    for (const groupId of groupIds) {
      this.acd.book.line(groupId).forEach((e, i) => {
        out.push({
          key: e.key,
          kind: e.kind,
          callId: e.callId,
          groupId,
          number: (e.kind === 'caller' ? this.callerOf(e.callId) : undefined) ?? '',
          position: i + 1,
          waitedSeconds: this.waitedSeconds(e.key, e.joinedAt, now),
          vip: e.vip,
          offering: e.offering,
        });
      });
    }
    return out;
  }

  /** Waiting, longest wait and staffing of a group now. */
  queueNow(groupId: number): QueueNow {
    const now = this.now().getTime();
    const { pool, book } = this.acd;
    let longest = 0;
    for (const e of book.line(groupId))
      longest = Math.max(longest, this.waitedSeconds(e.key, e.joinedAt, now));
    const group = pool.groups.get(groupId);
    const free = group?.members.filter((m) => pool.isFree(pool.agents.get(m.userId))).length ?? 0;
    return {
      waiting: book.line(groupId).length,
      longestSeconds: longest,
      staffed: pool.staffed(groupId),
      free,
    };
  }
}
