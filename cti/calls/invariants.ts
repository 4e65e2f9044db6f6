/**
 * The call engine's invariants, checked against what Asterisk and the database say:
 *
 * - `agent_without_channel`: an agent whose state (desk or ACD) says ringing or on a call has a
 *   live channel of theirs in a call the engine holds;
 * - `reservation_without_offer`: an agent the ACD holds for a caller has a phone ringing for it;
 * - `call_without_channels` / `channel_without_call`: every call in memory has a channel in
 *   Asterisk, and every channel tagged with a call id belongs to a call in memory;
 * - `open_record_without_call`: a call record with no end belongs to a call in progress;
 * - `queued_outside_holding`: a caller in a queue's line is in a holding bridge.
 *
 * Calls are set up and torn down over many steps, so a single look sees transient gaps (a leg
 * being created, a channel being hung up). A violation counts only when a second look
 * `confirmMs` later still finds it. The engine runs the check every minute; the latest report
 * is on the PBX status page, and agents found stuck are repaired (CallEngine.repairAgents).
 */
import { isNull } from 'drizzle-orm';
import { agentsInCallStates } from '../agents/agent-states.ts';
import type { Db } from '../../db/client.ts';
import { callRecords } from '../../db/schema.ts';
import type { AgentPool } from '../acd/pool.ts';
import type { AriClient } from '../ari/client.ts';
import { channelVar } from '../asterisk.ts';
import { type ActiveCall, legUser } from './model.ts';

export type ViolationKind =
  | 'agent_without_channel'
  | 'reservation_without_offer'
  | 'call_without_channels'
  | 'channel_without_call'
  | 'open_record_without_call'
  | 'queued_outside_holding';

export interface Violation {
  kind: ViolationKind;
  /** What it is about ("agent 12", "call <id>", "channel <id>"). */
  subject: string;
  detail: string;
}

export interface InvariantReport {
  at: Date;
  violations: Violation[];
  /** How long the check took (ms), both looks and the pause between them. */
  tookMs: number;
}

/** What the checker reads from the engine. */
export interface InvariantHost {
  readonly db: Db;
  readonly ari: AriClient;
  readonly pool: AgentPool;
  /** The calls in memory (ended ones included until they are forgotten). */
  calls(): Iterable<ActiveCall>;
  /** Call ids of callers standing in a queue's line. */
  queuedCallIds(): Iterable<string>;
  /** Channels that are not calls' legs but the engine's own (supervisors' snoops and phones). */
  ownsChannel(channelId: string): boolean;
  now(): Date;
}

export const everyMs = 60_000;
/** How many violations the status page keeps (newest first). */
const keptViolations = 50;

export class InvariantChecker {
  private latestReport: InvariantReport | null = null;
  private readonly found: { at: Date; violation: Violation }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly host: InvariantHost,
    /** Called with each periodic report that found something. */
    private readonly onViolations: (report: InvariantReport) => Promise<void> | void,
  ) {}

  /** The latest periodic (or explicit) check, for the status page. */
  get latest(): InvariantReport | null {
    return this.latestReport;
  }

  /** The violations found since the start, newest first (at most 50). */
  get recent(): readonly { at: Date; violation: Violation }[] {
    return this.found;
  }

  start(intervalMs = everyMs): void {
    this.stop();
    this.timer = setInterval(() => void this.runPeriodic(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async runPeriodic() {
    try {
      const report = await this.check();
      if (report.violations.length > 0) await this.onViolations(report);
    } catch {
      // Asterisk or the database unreachable: the status page says so on its own.
    }
  }

  /** Two looks `confirmMs` apart; what both find is reported. */
  async check(options: { confirmMs?: number } = {}): Promise<InvariantReport> {
    const started = Date.now();
    const confirmMs = options.confirmMs ?? 2000;
    let found = await this.look();
    if (confirmMs > 0 && found.length > 0) {
      await new Promise((r) => setTimeout(r, confirmMs));
      const again = new Set((await this.look()).map(key));
      found = found.filter((v) => again.has(key(v)));
    }
    const report = { at: this.host.now(), violations: found, tookMs: Date.now() - started };
    this.latestReport = report;
    this.found.unshift(...found.map((violation) => ({ at: report.at, violation })));
    this.found.splice(keptViolations);
    return report;
  }

  /** One look at the engine, Asterisk and the database. */
  private async look(): Promise<Violation[]> {
    const { ari, db, pool } = this.host;
    const [channels, bridges, states, open] = await Promise.all([
      ari.call('channels.list', {}),
      ari.call('bridges.list', {}),
      agentsInCallStates(db),
      db.select({ id: callRecords.callId }).from(callRecords).where(isNull(callRecords.endedAt)),
    ]);
    const live = new Set(channels.map((c) => c.id));
    const calls = [...this.host.calls()].filter((c) => !c.ended);
    const byId = new Map(calls.map((c) => [c.id, c]));
    const out: Violation[] = [];

    // Agents: whose live legs, ringing or answered.
    const liveLegs = new Map<number, { ringing: boolean }[]>();
    for (const call of calls)
      for (const leg of call.legs.values()) {
        const userId = legUser(leg);
        if (userId === null || !live.has(leg.channel)) continue;
        liveLegs.set(userId, [...(liveLegs.get(userId) ?? []), { ringing: !leg.answered }]);
      }
    const busy = new Map<number, string>();
    for (const s of states) busy.set(s.userId, `desk ${s.state} for call ${s.callId || '?'}`);
    for (const a of pool.agents.values())
      if ((a.state === 'ringing' || a.state === 'on_call') && !busy.has(a.userId))
        busy.set(a.userId, `ACD ${a.state}`);
    for (const [userId, what] of busy)
      if (!liveLegs.has(userId))
        out.push({ kind: 'agent_without_channel', subject: `agent ${userId}`, detail: what });
    for (const a of pool.agents.values())
      if (a.reservedFor !== null && !liveLegs.get(a.userId)?.some((l) => l.ringing))
        out.push({
          kind: 'reservation_without_offer',
          subject: `agent ${a.userId}`,
          detail: `reserved for ${a.reservedFor}`,
        });

    // Calls and channels.
    for (const call of calls)
      if (![...call.legs.keys()].some((id) => live.has(id)))
        out.push({
          kind: 'call_without_channels',
          subject: `call ${call.id}`,
          detail: `${call.legs.size} leg(s) in memory, none in Asterisk`,
        });
    for (const ch of channels) {
      const callId = channelVar(ch, 'callId');
      if (!callId || byId.has(callId) || this.host.ownsChannel(ch.id)) continue;
      out.push({
        kind: 'channel_without_call',
        subject: `channel ${ch.id}`,
        detail: `${ch.name} (${ch.state}) of call ${callId}`,
      });
    }
    for (const r of open)
      if (!byId.has(r.id))
        out.push({ kind: 'open_record_without_call', subject: `call ${r.id}`, detail: 'record has no end' });

    // Queues.
    const holding = new Set(bridges.filter((b) => b.bridge_type === 'holding').flatMap((b) => b.channels));
    for (const callId of this.host.queuedCallIds()) {
      const caller = byId.get(callId)?.caller ?? null;
      if (caller === null || !holding.has(caller))
        out.push({
          kind: 'queued_outside_holding',
          subject: `call ${callId}`,
          detail: caller === null ? 'no caller channel' : `caller ${caller} in no holding bridge`,
        });
    }
    return out;
  }
}

const key = (v: Violation) => `${v.kind} ${v.subject}`;
