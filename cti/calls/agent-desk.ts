/**
 * How calls move agents' desk states (cti/agents/agent-states.ts holds the rules and the log):
 * offered → ringing, answered → on call, offer not taken → back to ready, their part over →
 * wrap-up with its auto-ready timer. One agent's changes are applied strictly in the order the
 * engine asked for them (a promise chain per agent), so an offer's "ringing" never lands after
 * the "not taken" of the same offer. Also the repair: agents whose state says ringing or on a
 * call while the engine holds no leg of theirs go back to ready (`recovered:<why>`), and ACD
 * reservations no ringing phone holds are released.
 */
import type { Db } from '../../db/client.ts';
import type { AgentState } from '../../db/schema.ts';
import type { Acd } from '../acd/acd.ts';
import {
  agentsInCallStates,
  agentsInWrapUp,
  callStateChanged,
  endWrapUp,
  recoverAgent,
  wrapUpSeconds,
} from '../agents/agent-states.ts';

export type DeskChange = 'offered' | 'connected' | 'ended' | 'not_taken';
export type RepairReason = 'resync' | 'invariant';

/** What the desk states need from the call engine (a port: the engine fills it). */
export interface AgentDeskHost {
  readonly db: Db;
  readonly acd: Pick<Acd, 'agentState' | 'pool' | 'releaseReservation'>;
  now(): Date;
  say(line: string): void;
  /** Whether the engine holds a leg of the agent's (ringing or answered) in a call in progress. */
  hasLeg(userId: number): boolean;
  /** Whether a phone of the agent's is ringing for a call in progress. */
  isRinging(userId: number): boolean;
}

/** A reservation older than this with no phone ringing for it is released by the repair. */
const staleReservationMs = 15_000;

export class AgentDesk {
  /** Each agent's pending changes, in order. */
  private readonly changes = new Map<number, Promise<void>>();
  /** Agents in wrap-up, until they become ready again. */
  private readonly autoReady = new Map<number, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly host: AgentDeskHost) {}

  /** Moves a logged-in agent's state with the call (`callId`), after the agent's earlier changes. */
  change(userId: number, change: DeskChange, callId: string): Promise<void> {
    return this.inLine(userId, () => this.apply(userId, change, callId));
  }

  /** Runs `step` after the agent's pending changes; errors are logged, never thrown. */
  private inLine(userId: number, step: () => Promise<void>): Promise<void> {
    const next = (this.changes.get(userId) ?? Promise.resolve())
      .then(step)
      .catch((err: Error) => this.host.say(`agent ${userId} state: ${err.message}`));
    this.changes.set(userId, next);
    void next.then(() => {
      if (this.changes.get(userId) === next) this.changes.delete(userId);
    });
    return next;
  }

  private async apply(userId: number, change: DeskChange, callId: string): Promise<void> {
    if (this.stopped) return;
    const seconds = await wrapUpSeconds(this.host.db);
    const next = await callStateChanged(this.host.db, userId, change, callId, seconds);
    if (next) this.changed(userId, next);
    if (next === 'wrap_up') this.scheduleAutoReady(userId, callId, seconds * 1000);
  }

  private changed(userId: number, state: AgentState) {
    this.host.acd.agentState(userId, state);
  }

  private scheduleAutoReady(userId: number, callId: string, delayMs: number) {
    clearTimeout(this.autoReady.get(userId));
    const timer = setTimeout(
      () => {
        this.autoReady.delete(userId);
        void endWrapUp(this.host.db, userId, callId)
          .then((changed) => changed && this.changed(userId, 'ready'))
          .catch((err: Error) => this.host.say(`auto-ready ${userId}: ${err.message}`));
      },
      Math.max(0, delayMs),
    );
    this.autoReady.set(userId, timer);
  }

  /** Wrap-ups that were running when the engine stopped end when they would have. */
  async resumeWrapUps(): Promise<void> {
    const seconds = await wrapUpSeconds(this.host.db);
    for (const w of await agentsInWrapUp(this.host.db))
      this.scheduleAutoReady(
        w.userId,
        w.callId,
        w.since.getTime() + seconds * 1000 - this.host.now().getTime(),
      );
  }

  /**
   * Repair (after every resync, and when the invariant checker finds one): agents whose state
   * says ringing or on a call while the engine holds no leg of theirs go back to ready, logged
   * as `recovered:<why>`; ACD reservations that no ringing leg holds are released. Returns the
   * agents repaired.
   */
  async repair(why: RepairReason): Promise<number[]> {
    const repaired: number[] = [];
    // In the agent's own line of changes, so that it sees the state the engine last wrote.
    for (const stuck of await agentsInCallStates(this.host.db))
      await this.inLine(stuck.userId, async () => {
        if (this.host.hasLeg(stuck.userId)) return;
        if (!(await recoverAgent(this.host.db, stuck.userId, stuck.callId, why))) return;
        repaired.push(stuck.userId);
        this.host.say(
          `agent ${stuck.userId} was ${stuck.state} for call ${stuck.callId || '?'} with no live channel: ready again (${why})`,
        );
        this.changed(stuck.userId, 'ready');
      });
    const now = this.host.now().getTime();
    for (const agent of this.host.acd.pool.agents.values()) {
      if (agent.reservedFor === null || now - (agent.reservedAt ?? 0) < staleReservationMs) continue;
      if (this.host.isRinging(agent.userId)) continue;
      this.host.say(
        `agent ${agent.userId}: reservation for ${agent.reservedFor} without a ringing phone released (${why})`,
      );
      this.host.acd.releaseReservation(agent.userId, agent.reservedFor);
      if (!repaired.includes(agent.userId)) repaired.push(agent.userId);
    }
    return repaired;
  }

  /** Writes nothing more (the engine stopped, as if the process had gone); timers stop. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.autoReady.values()) clearTimeout(timer);
    this.autoReady.clear();
  }
}
