/**
 * The ACD (automatic call distribution): callers routed to an agent group wait in its queue —
 * in the group's holding bridge, hearing music or the group's prompt — and are offered to the
 * group's free agents by the group's strategies, the longest-waiting first (VIP first where
 * the group says so). Around that:
 *
 * - announcements of position and estimated wait every N seconds;
 * - the maximum wait: a prompt with keys to keep waiting, ask for a callback that keeps the
 *   caller's place in line (the caller hangs up; when their turn comes an agent is reserved and
 *   the caller is called back), or hang up;
 * - join/leave rules when no member is logged in;
 * - no-answer jump: an offered agent who does not answer within the ring time is skipped, and
 *   after the configured number of agents the caller moves to the jump group;
 * - overflow by queue length or waiting time to another group, an outside number or a prompt;
 * - the agent-number announcement before the caller is connected.
 *
 * The queue itself lives here in memory; every step is in the call's event log, so after a
 * restart the callers still in holding bridges are put back in their original order.
 */
import { EventEmitter } from 'node:events';
import type { DomainEvents } from '../../core/events.ts';
import type { Db } from '../../db/client.ts';
import type { AgentState } from '../../db/schema.ts';
import type { AriClient } from '../ari/client.ts';
import type { CallEventBody, QueueVia } from '../call-log/events.ts';
import { type ActiveCall, type Leg, legUser } from '../calls/model.ts';
import type { Prompter } from '../media/prompter.ts';
import { digitPieces } from '../media/system-prompts.ts';
import { type CallbackOutcome, type CallbackRequest, Callbacks } from './callbacks.ts';
import { type Assignment, nextAssignment, reserve } from './dispatcher.ts';
import { HoldingBridges } from './holding.ts';
import { PoolSync } from './pool-sync.ts';
import { type Waiting, WaitTimers } from './wait-timers.ts';
import { lastAgentOf, regionRuleFor } from './loader.ts';
import { AgentPool, type PoolAgent, type PoolGroup } from './pool.ts';
import { type QueueEntry, QueueBook } from './queue-book.ts';
import type { OverflowTarget } from './queue-settings.ts';

export type { CallbackRequest };

/** What the ACD needs from the call engine. */
export interface AcdHost {
  readonly db: Db;
  /** The call centre's time zone (where its days begin). */
  readonly timeZone: string;
  readonly ari: AriClient;
  /** The Stasis application (to subscribe to holding bridges found after a restart). */
  readonly app: string;
  now(): Date;
  say(line: string): void;
  append(call: ActiveCall, event: CallEventBody): Promise<void>;
  call(callId: string): ActiveCall | undefined;
  /** Rings an agent's phone for a queue's caller; false when the leg could not be created. */
  dialAgent(
    call: ActiveCall,
    agent: PoolAgent,
    ringSeconds: number,
    groupId: number,
    step: number,
  ): Promise<boolean>;
  /** A step number shared by legs dialled together (ring all). */
  nextStep(): number;
  /** The prompter talking to the call's caller. */
  prompter(call: ActiveCall): Prompter | null;
  /** `sound:` URIs of system prompt pieces in a language, and of a prompt's current version. */
  systemMedia(language: string, pieces: readonly string[]): string[];
  promptMedia(promptId: number): Promise<string | null>;
  /** The music-on-hold class that plays a prompt in a loop (null: the default music). */
  mohClass(promptId: number | null): string;
  /** Sends the caller to an outside number (overflow). */
  routeOut(call: ActiveCall, number: string): Promise<void>;
  /** Ends the call (the caller is hung up), by the system. */
  endCall(call: ActiveCall): Promise<void>;
  /** Places a callback: the agent's phone rings first, then the caller is dialled. */
  placeCallback(request: CallbackRequest, agent: PoolAgent, group: PoolGroup): Promise<void>;
}

export class Acd extends EventEmitter<{ changed: [groupId: number]; agent: [userId: number] }> {
  readonly pool = new AgentPool();
  readonly book = new QueueBook();
  private readonly waiting = new Map<string, Waiting>();
  private readonly holding: HoldingBridges;
  private readonly callbacks: Callbacks;
  private readonly timers: WaitTimers;
  /** The pool kept in step with the database. */
  private readonly sync: PoolSync;
  /** Exponential average of talk seconds per group (estimated wait). */
  private readonly handleSeconds = new Map<number, number>();
  private readonly random: () => number;

  constructor(
    private readonly host: AcdHost,
    events?: DomainEvents,
    random: () => number = Math.random,
  ) {
    super();
    this.random = random;
    this.sync = new PoolSync(host, this.pool, events, {
      agent: (userId) => this.emit('agent', userId),
      changed: () => this.afterAgentsChanged(),
    });
    this.holding = new HoldingBridges(host.ari, host.app, host.mohClass, this.pool);
    this.callbacks = new Callbacks(host, this.book, this.pool);
    this.timers = new WaitTimers({
      now: () => host.now(),
      say: (line) => host.say(line),
      append: (call, event) => host.append(call, event),
      prompter: (call) => host.prompter(call),
      systemMedia: (language, pieces) => host.systemMedia(language, pieces),
      promptMedia: (promptId) => host.promptMedia(promptId),
      position: (key) => this.book.position(key),
      estimatedWait: (entry) => this.estimatedWait(entry),
      waiting: (w) => this.waiting.get(w.entry.key) === w,
      overflowAfterWait: (call, w, group) =>
        this.leaveQueue(call, 'overflow').then(() =>
          this.overflow(call, group, 'wait', new Date(w.entry.joinedAt)),
        ),
      requestCallback: (call, w, group) => this.requestCallback(call, w, group),
      leaveQueue: (call, reason) => this.leaveQueue(call, reason),
      endCall: (call) => host.endCall(call),
    });
  }

  // ── loading (pool-sync.ts) ──────────────────────────────────────────────────
  async start(): Promise<void> {
    await this.sync.start();
    await this.callbacks.load();
  }

  stop(): void {
    this.sync.stop();
    this.callbacks.stop();
    for (const w of this.waiting.values()) for (const t of w.timers) clearTimeout(t);
  }

  /** Reloads the groups (members, queue settings) and the region rules. */
  reloadGroups(): Promise<void> {
    return this.sync.reloadGroups();
  }

  private afterAgentsChanged() {
    this.leaveEmptyQueues();
    this.dispatch();
  }

  // ── agents ──────────────────────────────────────────────────────────────────
  /** The engine changed an agent's state (offered, on call, wrap-up, ready again). */
  agentState(userId: number, state: AgentState): void {
    this.pool.setState(userId, state, this.host.now().getTime());
    this.emit('agent', userId);
    if (state === 'ready') this.dispatch();
    else if (state === 'logged_out') this.leaveEmptyQueues();
  }

  /** An answered call of this agent ended: today's workload grows, the group's average follows. */
  callFinished(userId: number, talkSeconds: number, groupId: number | null): void {
    this.pool.callFinished(userId, talkSeconds, this.host.now().getTime());
    if (groupId !== null) {
      const avg = this.handleSeconds.get(groupId);
      this.handleSeconds.set(groupId, avg === undefined ? talkSeconds : (avg * 3 + talkSeconds) / 4);
    }
  }

  // ── joining ─────────────────────────────────────────────────────────────────
  /**
   * Puts a caller in a group's queue (or where the group's rules send them instead). `since` is
   * when they first joined a queue in this call: their place in line.
   */
  async join(call: ActiveCall, groupId: number, via: QueueVia, since?: Date): Promise<void> {
    let group = this.pool.groups.get(groupId);
    if (!group || !call.caller) return this.noAgents(call, group?.settings.language ?? 'en');
    if (group.settings.strategies[0] === 'region' && via !== 'overflow' && via !== 'no_answer') {
      const rule = regionRuleFor(this.sync.regionRules, call.region);
      const to = rule ? this.pool.groups.get(rule.groupId) : undefined;
      if (to && to.id !== group.id) {
        await this.host.append(call, {
          type: 'queue.region',
          data: { fromGroupId: group.id, groupId: to.id, region: call.region },
        });
        group = to;
      }
    }
    const s = group.settings;
    if (!s.empty.join && !this.pool.anyLoggedIn(group.id)) return this.overflow(call, group, 'empty', since);
    if (s.overflow.waiting > 0 && this.book.line(group.id).length >= s.overflow.waiting)
      return this.overflow(call, group, 'length', since);
    const now = this.host.now();
    const joinedAt = since ?? now;
    const entry: QueueEntry = {
      key: call.id,
      kind: 'caller',
      callId: call.id,
      groupId: group.id,
      joinedAt: joinedAt.getTime(),
      seq: this.book.nextSeq(),
      vip: call.vip,
      priority: call.vip && s.vipFirst,
      lastAgentId: s.strategies.includes('last_agent')
        ? await lastAgentOf(this.host.db, call.callerId, s.lastAgentHours, now).catch(() => null)
        : null,
      tried: new Set(),
      offering: false,
      notBefore: 0,
    };
    call.queued = { groupId: group.id, joinedAt };
    call.groupId ??= group.id;
    await this.holding.enter(call, group);
    if (call.ended) return;
    this.book.add(entry);
    const w: Waiting = { entry, since: now.getTime(), timers: [], inMenu: false };
    this.waiting.set(entry.key, w);
    await this.host.append(call, {
      type: 'queue.joined',
      data: {
        groupId: group.id,
        via,
        position: this.book.position(entry.key),
        vip: call.vip,
        since: joinedAt.toISOString(),
      },
    });
    this.timers.start(call, w, group);
    this.emit('changed', group.id);
    // Nobody free as far as we know: read the members' states again before the caller waits.
    if (!group.members.some((m) => this.pool.isFree(this.pool.agents.get(m.userId))))
      await this.sync.reloadAgents(group.members.map((m) => m.userId)).catch(() => {});
    this.dispatch([group.id]);
  }

  /** A caller still waiting after a restart of the application: back in line at their place. */
  async restore(call: ActiveCall, groupId: number, since: Date, joinedThisGroup: Date): Promise<void> {
    const group = this.pool.groups.get(groupId);
    if (!group) return this.noAgents(call, 'en');
    const entry: QueueEntry = {
      key: call.id,
      kind: 'caller',
      callId: call.id,
      groupId,
      joinedAt: since.getTime(),
      seq: this.book.nextSeq(),
      vip: call.vip,
      priority: call.vip && group.settings.vipFirst,
      lastAgentId: null,
      tried: new Set(),
      offering: false,
      notBefore: 0,
    };
    call.queued = { groupId, joinedAt: since };
    this.book.add(entry);
    const w: Waiting = { entry, since: joinedThisGroup.getTime(), timers: [], inMenu: false };
    this.waiting.set(entry.key, w);
    this.timers.start(call, w, group);
    this.emit('changed', groupId);
  }

  /** Holding bridges left from before a restart are used again (holding.ts). */
  adoptHoldingBridges(bridges: readonly { id: string; name: string; channels: string[] }[]): Promise<void> {
    return this.holding.adopt(bridges);
  }

  /** Estimated seconds until this entry is served. */
  estimatedWait(entry: QueueEntry): number {
    const handle = this.handleSeconds.get(entry.groupId) ?? 120;
    const staffed = Math.max(1, this.pool.staffed(entry.groupId));
    return Math.ceil(this.book.position(entry.key) / staffed) * handle;
  }

  // ── leaving ─────────────────────────────────────────────────────────────────
  /** Takes the caller out of the queue and logs why. */
  private async leaveQueue(
    call: ActiveCall,
    reason: 'answered' | 'abandoned' | 'overflow' | 'callback' | 'empty' | 'max_wait',
  ) {
    const w = this.waiting.get(call.id);
    if (!w) return;
    this.waiting.delete(call.id);
    this.timers.clear(w);
    this.book.remove(w.entry.key);
    call.queued = null;
    await this.host.append(call, {
      type: 'queue.left',
      data: {
        groupId: w.entry.groupId,
        reason,
        waitedSeconds: Math.round((this.host.now().getTime() - w.since) / 1000),
      },
    });
    this.emit('changed', w.entry.groupId);
  }

  /** The caller hung up while waiting (or while an agent's phone rang for them). */
  async callerGone(call: ActiveCall): Promise<void> {
    if (!this.waiting.has(call.id)) return;
    await this.leaveQueue(call, 'abandoned');
    this.dispatch();
  }

  /** Where a caller goes when the queue sends them on (overflow, nobody logged in). */
  private async overflow(
    call: ActiveCall,
    from: PoolGroup,
    reason: 'length' | 'wait' | 'empty' | 'no_answer',
    since?: Date,
  ): Promise<void> {
    const target: OverflowTarget | null =
      reason === 'no_answer' && from.settings.noAnswer.jumpGroupId !== null
        ? { kind: 'group', groupId: from.settings.noAnswer.jumpGroupId }
        : from.settings.overflow.target;
    await this.host.append(call, { type: 'queue.overflow', data: { fromGroupId: from.id, reason, target } });
    if (!target) return this.noAgents(call, from.settings.language);
    if (target.kind === 'group')
      return this.join(call, target.groupId, reason === 'no_answer' ? 'no_answer' : 'overflow', since);
    if (target.kind === 'external') return this.host.routeOut(call, target.number);
    const prompter = this.host.prompter(call);
    const media = await this.host.promptMedia(target.promptId);
    if (prompter && media) await prompter.play([media], false).catch(() => {});
    return this.host.endCall(call);
  }

  private async noAgents(call: ActiveCall, language: string): Promise<void> {
    const prompter = this.host.prompter(call);
    if (prompter) {
      await this.host.ari.call('channels.answer', { channelId: prompter.channelId }).catch(() => {});
      await prompter.play(this.host.systemMedia(language, ['no_agents']), false).catch(() => {});
    }
    return this.host.endCall(call);
  }

  /** Queues whose members all logged out send their callers on (when the group says so). */
  private leaveEmptyQueues() {
    for (const w of [...this.waiting.values()]) {
      const group = this.pool.groups.get(w.entry.groupId);
      if (!group?.settings.empty.leave || w.entry.offering || this.pool.anyLoggedIn(group.id)) continue;
      const call = this.host.call(w.entry.callId);
      if (!call) continue;
      void this.leaveQueue(call, 'empty').then(() =>
        this.overflow(call, group, 'empty', new Date(w.entry.joinedAt)),
      );
    }
  }

  // ── offering ────────────────────────────────────────────────────────────────
  /** Offers waiting callers to free agents until no free agent can take anyone. */
  dispatch(groupIds?: Iterable<number>): void {
    const ids = groupIds ? [...groupIds] : undefined;
    for (;;) {
      const a = nextAssignment(
        this.book,
        this.pool,
        this.host.now().getTime(),
        this.random,
        ids ?? this.book.groupIds(),
      );
      if (!a) break;
      reserve(this.pool, a, this.host.now().getTime());
      for (const id of a.agentIds) this.pool.setState(id, 'ringing', this.host.now().getTime());
      void this.offer(a).catch((err: Error) => this.host.say(`offer ${a.entry.key}: ${err.message}`));
    }
    this.callbacks.scheduleRetry(() => this.dispatch());
  }

  private async offer(a: Assignment): Promise<void> {
    const agents = a.agentIds.map((id) => this.pool.agents.get(id)!).filter(Boolean);
    if (a.entry.kind === 'callback') {
      const [agent] = agents;
      const request = agent ? await this.callbacks.dialing(a.entry) : null;
      if (!agent || !request) return this.releaseOffer(a.entry, a.agentIds, false);
      return this.host.placeCallback(request, agent, a.group);
    }
    const call = this.host.call(a.entry.callId);
    if (!call || call.ended) return this.releaseOffer(a.entry, a.agentIds, false);
    let dialled = 0;
    const step = this.host.nextStep();
    for (const agent of agents) {
      if (await this.host.dialAgent(call, agent, a.group.ringSeconds, a.group.id, step)) dialled++;
      else this.release(agent.userId);
    }
    if (dialled === 0) {
      for (const id of a.agentIds) a.entry.tried.add(id);
      a.entry.offering = false;
      this.dispatch();
    }
  }

  /** The agent is no longer held for an offer (it was not taken, or was answered). */
  private release(userId: number) {
    const agent = this.pool.agents.get(userId);
    if (!agent) return;
    agent.reservedFor = null;
    agent.reservedAt = undefined;
    if (agent.state === 'ringing') this.pool.setState(userId, 'ready', this.host.now().getTime());
  }

  /**
   * An agent's reservation ends: the leg that rang them left its call (the engine's one release
   * path), or a supervisor forced their state. Only the reservation for `key` is released (any,
   * when null); a forced state is taken at once. Free agents are offered waiting callers.
   */
  releaseReservation(userId: number, key: string | null, state?: AgentState): void {
    const agent = this.pool.agents.get(userId);
    if (!agent) return;
    const held = agent.reservedFor !== null && (key === null || agent.reservedFor === key);
    if (held) this.release(userId);
    if (state) this.pool.setState(userId, state, this.host.now().getTime());
    if (!held && !state) return;
    this.emit('agent', userId);
    this.dispatch();
  }

  private releaseOffer(entry: QueueEntry, agentIds: number[], tried: boolean) {
    for (const id of agentIds) {
      this.release(id);
      if (tried) entry.tried.add(id);
    }
    entry.offering = false;
    this.dispatch();
  }

  /** An agent answered a queue offer: the caller leaves the queue; the agent number is announced. */
  async offerAnswered(call: ActiveCall, leg: Leg): Promise<void> {
    const userId = legUser(leg);
    const agent = userId !== null ? this.pool.agents.get(userId) : undefined;
    if (agent) {
      this.pool.setState(agent.userId, 'on_call', this.host.now().getTime());
      agent.reservedFor = null;
    }
    const groupId = leg.offer?.groupId ?? call.queued?.groupId ?? null;
    call.groupId = groupId ?? call.groupId;
    await this.leaveQueue(call, 'answered');
    const group = groupId !== null ? this.pool.groups.get(groupId) : undefined;
    if (group?.settings.survey) call.survey = true;
    if (agent && group?.settings.announceAgentNumber && agent.jobNumber) {
      const prompter = this.host.prompter(call);
      if (prompter) {
        prompter.interrupt();
        await this.host.append(call, {
          type: 'agent.announced',
          data: { userId: agent.userId, jobNumber: agent.jobNumber },
        });
        const lang = group.settings.language;
        await prompter
          .play(
            this.host.systemMedia(lang, ['agent_number', ...digitPieces(agent.jobNumber), 'agent_serving']),
            false,
          )
          .catch(() => {});
      }
    }
    this.dispatch();
  }

  /** An offered agent did not take the call: they are skipped for this caller; maybe a jump. */
  async offerFailed(call: ActiveCall, leg: Leg, cancelled: boolean): Promise<void> {
    // The engine released the agent's reservation when the leg left the call (releaseLeg).
    const userId = legUser(leg);
    const w = this.waiting.get(call.id);
    if (!w) return this.dispatch();
    const entry = w.entry;
    if (userId !== null && !cancelled) entry.tried.add(userId);
    // Another phone of the same offer still rings, or has just answered (the caller leaves the
    // queue a moment later): the caller is not offered again.
    const stillOffered = [...call.legs.values()].some((l) => l !== leg && l.offer);
    if (stillOffered) return;
    entry.offering = false;
    const group = this.pool.groups.get(entry.groupId);
    if (!group || cancelled) return this.dispatch();
    const jumpAfter = group.settings.noAnswer.jumpAfter;
    const allTried = group.members.every((m) => entry.tried.has(m.userId) || !this.pool.agents.has(m.userId));
    if ((jumpAfter > 0 && entry.tried.size >= jumpAfter) || allTried) {
      if (group.settings.noAnswer.jumpGroupId !== null) {
        await this.leaveQueue(call, 'overflow');
        return this.overflow(call, group, 'no_answer', new Date(entry.joinedAt));
      }
      // Everyone had their turn: start again.
      entry.tried.clear();
    }
    this.dispatch();
  }

  // ── callbacks ───────────────────────────────────────────────────────────────
  /** The caller asked to be called back: the request keeps their place in line; they hang up. */
  private async requestCallback(call: ActiveCall, w: Waiting, group: PoolGroup) {
    const id = await this.callbacks.request(call, w.entry, group.id);
    const entry = w.entry;
    await this.leaveQueue(call, 'callback');
    this.callbacks.enqueue(entry, id);
    this.emit('changed', group.id);
    const prompter = this.host.prompter(call);
    if (prompter)
      await prompter
        .play(this.host.systemMedia(group.settings.language, ['callback_confirm']), false)
        .catch(() => {});
    await this.host.endCall(call);
    this.dispatch([group.id]);
  }

  /** The engine placed the callback call for a request (to match its outcome). */
  callbackPlaced(callId: string, callbackId: number): void {
    this.callbacks.placed(callId, callbackId);
  }

  /** How a callback call went (callbacks.ts); the agent it rang is free again. */
  async callbackOutcome(callId: string, outcome: CallbackOutcome, agentId: number | null): Promise<void> {
    const key = this.callbacks.take(callId);
    if (!key) return;
    if (agentId !== null) this.release(agentId);
    const groupId = await this.callbacks.outcome(key, callId, outcome, agentId);
    if (groupId === null) return;
    this.emit('changed', groupId);
    this.dispatch();
  }

  // ── the desk's view (floor-view.ts) ─────────────────────────────────────────
  /** When the caller behind a queue entry joined its current queue (ms), if they are waiting. */
  waitingSince(key: string): number | undefined {
    return this.waiting.get(key)?.since;
  }

  /**
   * "Serve early" (提前服务): a member takes a particular waiting caller out of turn. The agent
   * must be logged in and not ringing or on a call.
   */
  serveEarly(userId: number, key: string): 'ok' | 'not_waiting' | 'agent_busy' | 'not_allowed' {
    const entry = this.book.get(key);
    const agent = this.pool.agents.get(userId);
    const group = entry ? this.pool.groups.get(entry.groupId) : undefined;
    if (!entry || !group || entry.offering || entry.notBefore > this.host.now().getTime())
      return 'not_waiting';
    if (!group.settings.serveEarly || !group.members.some((m) => m.userId === userId)) return 'not_allowed';
    if (!agent || agent.reservedFor || ['logged_out', 'ringing', 'on_call'].includes(agent.state))
      return 'agent_busy';
    const a: Assignment = { entry, group, agentIds: [userId] };
    reserve(this.pool, a, this.host.now().getTime());
    this.pool.setState(userId, 'ringing', this.host.now().getTime());
    void this.offer(a).catch((err: Error) => this.host.say(`serve early ${key}: ${err.message}`));
    return 'ok';
  }

  /** The language a group's callers hear prompts in (English when there is no group). */
  language(groupId: number | null): string {
    return this.pool.groups.get(groupId ?? -1)?.settings.language ?? 'en';
  }

  /** Call ids of the callers standing in the queues' lines (callbacks are not callers on the line). */
  queuedCallIds(): string[] {
    return [...this.book.entries()].filter((e) => e.kind === 'caller').map((e) => e.callId);
  }
}
