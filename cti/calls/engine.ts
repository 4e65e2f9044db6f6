/**
 * The call engine: every call enters the Stasis application and is driven from here over ARI.
 *
 * - inbound: a call from a trunk to one of our numbers goes where its hotline says (an IVR, an
 *   agent group's queue, an agent), or rings the number's agent (direct route), then the
 *   fallback agent after the ring time, then tells the caller no one is there;
 * - internal: an agent dials a colleague's SIP username;
 * - outbound: an agent dials any other number; it goes out through the trunk of the number
 *   assigned to the agent (or the agent's department), shown as caller ID, if the agent may call
 *   out and the number's call-setting rules allow it;
 * - click-to-call and callbacks: the agent's phone rings first; once answered the customer is
 *   dialled.
 *
 * Queues, strategies and overflow are the ACD's (cti/acd); holding, transfers and conferences
 * the desk's (cti/desk/controls.ts); the survey after the call cti/acd/survey.ts. They work on
 * the call model (model.ts) through the methods marked "for cti modules".
 *
 * Each step is appended to the call event log; the call record is its projection. Every leg of
 * a call carries CC_CALL_ID and CC_ROLE as channel variables, so after a restart (or an ARI
 * reconnect) the engine rebuilds its calls from the channels Asterisk still has: a bridged call
 * is never dropped, callers waiting in a queue are put back in line, and records are completed.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { offerable } from '../agents/agent-states.ts';
import { isBlacklisted, isVip } from '../lines/caller-lists.ts';
import { hotlineOfNumber } from '../lines/hotlines.ts';
import { type Ivr, loadIvr } from '../ivr/ivrs.ts';
import { promptFileBase, promptVersion } from '../media/prompts.ts';
import type { DomainEvents } from '../../core/events.ts';
import { repeatCallerHours } from '../acd/acd-settings.ts';
import { normaliseNumber } from '../../core/validate.ts';
import type { Db } from '../../db/client.ts';
import type { AgentState, CallDirection } from '../../db/schema.ts';
import { Acd } from '../acd/acd.ts';
import { recentCalls } from '../acd/loader.ts';
import { runSurvey } from '../acd/survey.ts';
import type { AmiClient } from '../ami/client.ts';
import { type AriClient, AriError } from '../ari/client.ts';
import type { AriEvent, AriOperations, Channel } from '../ari/generated.ts';
import { type IvrResult, IvrRun } from '../ivr/runner.ts';
import { Prompter } from '../media/prompter.ts';
import { pieceMedia, type SystemPrompt } from '../media/system-prompts.ts';
import { agentById, numberByDid, numberById, type PhoneNumber, type Trunk, trunkById } from './directory.ts';
import {
  channelVars,
  defaultMohClass,
  promptMohClass,
  type StasisKind,
  trunkEndpoint,
  trunkIdOfChannel,
} from '../asterisk.ts';
import { DeskControls } from '../desk/controls.ts';
import { Monitor } from '../supervision/monitor.ts';
import type { CallEventBody, LegFailure, LegTarget } from '../call-log/events.ts';
import { AgentDesk, type DeskChange, type RepairReason } from './agent-desk.ts';
import { InvariantChecker, type InvariantReport } from './invariants.ts';
import { CallRefused, Outbound } from './outbound.ts';
import { type ResyncHost, resync } from './resync.ts';
import { CallLog } from '../call-log/log.ts';
import { type ActiveCall, blankCall, failureOf, type Leg, legUser, newLeg, type Role } from './model.ts';
import { Recorder, type RecordingPaths } from './recorder.ts';

export interface CallEngineOptions {
  db: Db;
  ari: AriClient;
  ami: () => AmiClient | null;
  app: string;
  recordings: RecordingPaths;
  now?: () => Date;
  log?: (line: string) => void;
  /** Ring time for internal and outbound calls (inbound uses the number's or group's). */
  ringSeconds?: number;
  /** Where prompt files are as Asterisk sees them (synced by pbx/prompt-sync.ts). */
  prompts?: { inside: string };
  /** Whether musiconhold.conf has a class per hold prompt (a PBX we configure). */
  holdPromptClasses?: boolean;
  /** The caller number's region (province and city) for the IVR, queues and the screen pop. */
  regionOf?: (number: string) => string;
  /** Domain events: agents' states, groups and employees changed (the ACD follows). */
  events?: DomainEvents;
  /** Random numbers for the ACD's random strategies (tests make them predictable). */
  random?: () => number;
}

export { CallRefused };

type HangupReason = NonNullable<AriOperations['channels.hangup']['params']['reason']>;
const hangupReasonFor: Record<number, HangupReason> = {
  403: 'rejected',
  404: 'unallocated',
  480: 'no_answer',
  486: 'busy',
  503: 'congestion',
};

export class CallEngine extends EventEmitter<{ changed: [callId: string] }> {
  readonly log: CallLog;
  readonly recorder: Recorder;
  readonly acd: Acd;
  readonly desk: DeskControls;
  readonly monitor: Monitor;
  /** The invariant checker (every minute; the PBX status page shows its latest report). */
  readonly invariants: InvariantChecker;
  readonly db: Db;
  readonly ari: AriClient;
  readonly app: string;
  private readonly calls = new Map<string, ActiveCall>();
  private readonly byChannel = new Map<string, ActiveCall>();
  /** Prompters talking to callers (IVR, queue menus, survey), by channel. */
  private readonly prompters = new Map<string, Prompter>();
  /** Agents' desk states as calls move them, and their repair. */
  private readonly agents: AgentDesk;
  /** Agents' calls out, click-to-call and callbacks. */
  private readonly outbound: Outbound;
  private readonly resyncHost: ResyncHost;
  /** The cause of a hangup request, kept until the channel is gone. */
  private readonly hangupCauses = new Map<string, { cause: number; tech: number | null }>();
  readonly now: () => Date;
  readonly say: (line: string) => void;
  private readonly onEvent = (e: AriEvent) => {
    if (process.env.CTI_TRACE)
      this.say(
        `event ${e.type} ${'channel' in e ? (e.channel as Channel).id : ''}${this.held ? ' (held)' : ''}`,
      );
    // While the calls are being rebuilt, events wait: a caller hanging up during the rebuild
    // must end the call it belongs to, not be dropped as unknown.
    if (this.held) this.held.push(e);
    else this.process(e);
  };
  private process(e: AriEvent) {
    void this.handle(e).catch((err: Error) => this.say(`${e.type}: ${err.message}`));
  }
  private held: AriEvent[] | null = null;
  private stopped = false;
  private resyncing: Promise<void> = Promise.resolve();
  private readonly onConnected = () => {
    this.held ??= [];
    this.resyncing = this.resync()
      .then(async () => {
        await this.repairAgents('resync');
      })
      .catch((err: Error) => this.say(`resync failed: ${err.message}`))
      .finally(() => {
        const waiting = this.held ?? [];
        this.held = null;
        for (const e of waiting) this.process(e);
      });
  };

  constructor(private readonly options: CallEngineOptions) {
    super();
    this.db = options.db;
    this.ari = options.ari;
    this.app = options.app;
    this.now = options.now ?? (() => new Date());
    this.say = options.log ?? ((l) => console.log(`[cti] ${l}`));
    this.log = new CallLog(options.db, this.now);
    this.recorder = new Recorder(options.recordings, options.ami);
    this.acd = new Acd(
      {
        db: options.db,
        ari: options.ari,
        app: options.app,
        now: this.now,
        say: this.say,
        append: (call, e) => this.append(call, e),
        call: (id) => this.calls.get(id),
        dialAgent: (call, agent, ringSeconds, groupId, step) =>
          this.dialLeg(
            call,
            { kind: 'agent', userId: agent.userId, endpoint: agent.endpoint },
            ringSeconds,
            'callee',
            { groupId },
            step,
          ),
        nextStep: () => this.nextStep(),
        prompter: (call) => this.prompter(call),
        systemMedia: (lang, pieces) => this.systemMedia(lang, pieces),
        promptMedia: (id) => this.promptMedia(id),
        mohClass: (promptId) =>
          promptId !== null && options.holdPromptClasses ? promptMohClass(promptId) : defaultMohClass,
        routeOut: (call, number) => this.routeOut(call, number),
        endCall: (call) => this.endCall(call, 'system', 16, null),
        placeCallback: (request, agent, group) => this.outbound.placeCallback(request, agent, group),
      },
      options.events,
      options.random,
    );
    this.agents = new AgentDesk({
      db: options.db,
      acd: this.acd,
      now: this.now,
      say: this.say,
      hasLeg: (userId) => this.callOfAgent(userId) !== null,
      isRinging: (userId) => this.ringingLegOf(userId) !== null,
    });
    this.outbound = new Outbound({
      db: options.db,
      ari: options.ari,
      acd: this.acd,
      ringSeconds: this.ringSeconds,
      now: this.now,
      newCall: (direction, caller, trunkId, numberId) => this.newCall(direction, caller, trunkId, numberId),
      tag: (channelId, callId, role) => this.tag(channelId, callId, role),
      refuse: (call, reason, sipCode) => this.refuse(call, reason, sipCode),
      append: (call, event) => this.append(call, event),
      dialNext: (call, role) => this.dialNext(call, role),
      dialLeg: (call, target, ringSeconds, role) => this.dialLeg(call, target, ringSeconds, role),
      endCall: (call, by, cause, sipCode) => this.endCall(call, by, cause, sipCode),
      forget: (call) => this.forget(call),
      hangup: (channelId, reason) => this.hangup(channelId, reason),
      limitReached: (trunk, number, exclude) => this.limitReached(trunk, number, exclude),
    });
    this.resyncHost = {
      db: options.db,
      ari: options.ari,
      app: options.app,
      acd: this.acd,
      log: this.log,
      now: this.now,
      say: this.say,
      calls: () => [...this.calls.values()],
      hasCall: (id) => this.calls.has(id),
      adopt: (call) => void this.calls.set(call.id, call),
      track: (call, leg) => this.track(call, leg),
      channelGone: (id, cause, sipCode, text) => this.onGone(id, cause, sipCode, text),
      append: (call, event) => this.append(call, event),
      hangup: (id, reason) => this.hangup(id, reason),
      cancelOffers: (call) => this.cancelOffers(call),
      endCall: (call, by, cause, sipCode) => this.endCall(call, by, cause, sipCode),
    };
    this.desk = new DeskControls(this);
    this.monitor = new Monitor(this);
    this.invariants = new InvariantChecker(
      {
        db: options.db,
        ari: options.ari,
        pool: this.acd.pool,
        calls: () => this.calls.values(),
        queuedCallIds: () => this.acd.queuedCallIds(),
        ownsChannel: (id) => this.monitor.owns(id),
        now: this.now,
      },
      (report) => this.onViolations(report),
    );
  }

  /** What the periodic check found is logged; stuck agents are repaired at once. */
  private async onViolations(report: InvariantReport): Promise<void> {
    for (const v of report.violations) this.say(`invariant ${v.kind}: ${v.subject}: ${v.detail}`);
    if (
      report.violations.some(
        (v) => v.kind === 'agent_without_channel' || v.kind === 'reservation_without_offer',
      )
    )
      await this.repairAgents('invariant');
  }

  /** Listens to the application's events and rebuilds the calls already in progress. */
  async start(): Promise<void> {
    const { ari } = this.options;
    await this.acd.start();
    ari.on('event', this.onEvent);
    ari.on('connected', this.onConnected);
    if (ari.connected) this.onConnected();
    else await ari.connect();
    await this.resyncing;
    await this.monitor.start().catch((err: Error) => this.say(`monitor: ${err.message}`));
    await this.agents.resumeWrapUps().catch((err: Error) => this.say(`wrap-ups: ${err.message}`));
    this.acd.dispatch();
    this.invariants.start();
  }

  /** Stops listening (the calls themselves go on in Asterisk). */
  async stop(): Promise<void> {
    // Work still in flight writes nothing from now on, as if the process had gone: the next
    // engine takes over from what Asterisk and the log say.
    this.stopped = true;
    this.options.ari.off('event', this.onEvent);
    this.options.ari.off('connected', this.onConnected);
    this.acd.stop();
    this.monitor.stop();
    this.invariants.stop();
    for (const call of this.calls.values())
      for (const leg of call.legs.values()) if (leg.timer) clearTimeout(leg.timer);
    this.agents.stop();
    await this.log.flush();
  }

  // ── agents' desk states ──────────────────────────────────────────────────
  /** Moves a logged-in agent's desk state with the call (in order per agent; agent-desk.ts). */
  deskState(userId: number, change: DeskChange, call: ActiveCall): Promise<void> {
    return this.agents.change(userId, change, call.id);
  }

  /** Repair of agents stuck ringing or on a call with no leg (agent-desk.ts). */
  repairAgents(why: RepairReason): Promise<number[]> {
    return this.agents.repair(why);
  }

  // ── for cti modules (ACD, desk controls, survey, supervision) ─────────────
  /** The unanswered leg ringing an agent's phone, if any. */
  private ringingLegOf(userId: number): Leg | null {
    for (const call of this.calls.values())
      for (const leg of call.legs.values()) if (!leg.answered && legUser(leg) === userId) return leg;
    return null;
  }

  /** Calls in progress per trunk and per number (for limits and the status page). */
  activeCalls(): { total: number; byTrunk: Map<number, number>; byNumber: Map<number, number> } {
    const byTrunk = new Map<number, number>();
    const byNumber = new Map<number, number>();
    let total = 0;
    for (const c of this.calls.values()) {
      if (c.ended) continue;
      total++;
      if (c.trunkId !== null) byTrunk.set(c.trunkId, (byTrunk.get(c.trunkId) ?? 0) + 1);
      if (c.numberId !== null) byNumber.set(c.numberId, (byNumber.get(c.numberId) ?? 0) + 1);
    }
    return { total, byTrunk, byNumber };
  }

  call(callId: string): ActiveCall | undefined {
    return this.calls.get(callId);
  }

  /** The call an agent is in (answered, or ringing for them), with their leg. */
  callOfAgent(userId: number): { call: ActiveCall; leg: Leg } | null {
    let ringing: { call: ActiveCall; leg: Leg } | null = null;
    for (const call of this.calls.values()) {
      if (call.ended) continue;
      for (const leg of call.legs.values()) {
        if (legUser(leg) !== userId) continue;
        if (leg.answered || leg.role === 'caller') return { call, leg };
        ringing ??= { call, leg };
      }
    }
    return ringing;
  }

  append(call: ActiveCall, event: CallEventBody): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const written = this.log.append(call.id, event);
    void written.then(
      () => this.emit('changed', call.id),
      (err: Error) => this.say(`event log: ${err.message}`),
    );
    return written;
  }

  /** The prompter that talks to the call's caller (one per caller channel). */
  prompter(call: ActiveCall): Prompter | null {
    return call.caller ? this.channelPrompter(call.caller) : null;
  }

  /** The prompter of any channel of ours (fed its keys and playback ends until the channel goes). */
  channelPrompter(channelId: string): Prompter {
    let p = this.prompters.get(channelId);
    if (!p) {
      p = new Prompter(this.options.ari, channelId);
      this.prompters.set(channelId, p);
    }
    return p;
  }

  systemMedia(language: string, pieces: readonly string[]): string[] {
    return pieceMedia(this.options.prompts?.inside ?? '', language, pieces as SystemPrompt[]);
  }

  async promptMedia(promptId: number): Promise<string | null> {
    const version = await promptVersion(this.options.db, promptId);
    return version === null
      ? null
      : `sound:${this.options.prompts?.inside ?? ''}/${promptFileBase(promptId, version)}`;
  }

  private stepSeq = 0;
  /** A new step number for legs dialled together. */
  nextStep(): number {
    return ++this.stepSeq;
  }

  private get ringSeconds(): number {
    return this.options.ringSeconds ?? 60;
  }

  /** Legs whose StasisStart came before anyone waited for it, and those waiting for theirs. */
  private readonly legsInStasis = new Set<string>();
  private readonly legWaiters = new Map<string, () => void>();

  private legEntered(channelId: string): void {
    const waiter = this.legWaiters.get(channelId);
    if (waiter) waiter();
    else this.legsInStasis.add(channelId);
  }

  /** Resolves when the created channel has entered the application (or after `ms`, to dial anyway). */
  inStasis(channelId: string, ms = 3000): Promise<void> {
    if (this.legsInStasis.delete(channelId)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.legWaiters.delete(channelId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.legWaiters.set(channelId, done);
    });
  }

  /**
   * Click-to-call: rings the agent's phone; when the agent answers, dials the customer with the
   * agent's outbound number. Refusals throw CallRefused and are logged (outbound.ts).
   */
  clickToCall(userId: number, destination: string): Promise<string> {
    return this.outbound.clickToCall(userId, destination);
  }

  // ── events from Asterisk ──────────────────────────────────────────────────
  private async handle(e: AriEvent): Promise<void> {
    switch (e.type) {
      case 'StasisStart': {
        const [kind, exten = ''] = e.args as [StasisKind | string, string?];
        if (kind === 'inbound') await this.onInbound(e.channel, exten);
        else if (kind === 'agent') await this.outbound.onAgentDial(e.channel, exten);
        else if (kind === 'leg' || kind === 'snoop') this.legEntered(e.channel.id);
        else await this.hangup(e.channel.id, 'normal');
        return;
      }
      case 'ChannelStateChange': {
        const call = this.byChannel.get(e.channel.id);
        const leg = call?.legs.get(e.channel.id);
        if (!call || !leg || leg.role === 'caller') return;
        if (e.channel.state === 'Ringing' && !leg.ringing) {
          leg.ringing = true;
          await this.append(call, { type: 'leg.ringing', data: { leg: leg.channel } });
        } else if (e.channel.state === 'Up' && !leg.answered) {
          await this.onLegAnswered(call, leg);
        }
        return;
      }
      case 'ChannelDtmfReceived':
        this.prompters.get(e.channel.id)?.onEvent(e);
        return;
      case 'PlaybackFinished': {
        const target = /^channel:(.+)$/.exec(e.playback.target_uri)?.[1];
        if (target) this.prompters.get(target)?.onEvent(e);
        return;
      }
      case 'ChannelHangupRequest':
        if (e.cause) this.hangupCauses.set(e.channel.id, { cause: e.cause, tech: e.tech_cause ?? null });
        return;
      case 'StasisEnd': {
        // A caller's channel goes back to the dialplan (which hangs it up) and is no longer ours
        // to watch, so its end is taken here; legs we created end with ChannelDestroyed.
        const leg = this.byChannel.get(e.channel.id)?.legs.get(e.channel.id);
        if (leg?.role !== 'caller') return;
        const cause = this.hangupCauses.get(e.channel.id) ?? { cause: 16, tech: null };
        await this.onGone(e.channel.id, cause.cause, cause.tech);
        return;
      }
      case 'ChannelDestroyed':
        await this.onGone(e.channel.id, e.cause, e.tech_cause ?? null, e.cause_txt);
        return;
      default:
        return;
    }
  }

  // ── call set-up ───────────────────────────────────────────────────────────
  private newCall(
    direction: CallDirection,
    caller: Channel | null,
    trunkId: number | null,
    numberId: number | null,
  ): ActiveCall {
    const call = blankCall(randomUUID(), direction, this.now());
    Object.assign(call, {
      trunkId,
      numberId,
      caller: caller?.id ?? null,
      callerId: normaliseNumber(caller?.caller.number ?? ''),
    });
    this.calls.set(call.id, call);
    if (caller) {
      const leg = newLeg(caller.id, caller.name, 'caller', null);
      leg.answered = caller.state === 'Up';
      this.track(call, leg);
    }
    return call;
  }

  track(call: ActiveCall, leg: Leg): void {
    call.legs.set(leg.channel, leg);
    this.byChannel.set(leg.channel, call);
  }

  private async tag(channelId: string, callId: string, role: Role) {
    await this.options.ari.call('channels.setChannelVar', {
      channelId,
      variable: channelVars.callId,
      value: callId,
    });
    await this.options.ari.call('channels.setChannelVar', {
      channelId,
      variable: channelVars.role,
      value: role,
    });
  }

  /** Refuses a call: logs why and ends the caller's channel with the matching SIP response. */
  private async refuse(call: ActiveCall, reason: string, sipCode: number) {
    this.say(`call ${call.id} refused: ${reason}`);
    await this.append(call, { type: 'call.refused', data: { reason, sipCode } });
    if (call.caller) await this.hangup(call.caller, hangupReasonFor[sipCode] ?? 'normal');
  }

  /**
   * Whether one more call would exceed the trunk's or the number's limit of simultaneous calls
   * (`exclude`: the call asking, already counted when it is an inbound call being set up).
   */
  private limitReached(
    trunk: Trunk,
    number: PhoneNumber,
    exclude?: ActiveCall,
  ): 'trunk_busy' | 'number_busy' | null {
    let onTrunk = 0;
    let onNumber = 0;
    for (const c of this.calls.values()) {
      if (c.ended || c === exclude) continue;
      if (c.trunkId === trunk.id) onTrunk++;
      if (c.numberId === number.id) onNumber++;
    }
    if (trunk.maxCalls > 0 && onTrunk >= trunk.maxCalls) return 'trunk_busy';
    if (number.maxCalls > 0 && onNumber >= number.maxCalls) return 'number_busy';
    return null;
  }

  private async onInbound(channel: Channel, exten: string) {
    const trunkId = trunkIdOfChannel(channel.name);
    const number = await numberByDid(this.options.db, exten);
    const call = this.newCall('inbound', channel, trunkId, number?.id ?? null);
    await this.tag(channel.id, call.id, 'caller');
    const from = normaliseNumber(channel.caller.number);
    await this.append(call, {
      type: 'call.started',
      data: {
        direction: 'inbound',
        from,
        to: normaliseNumber(exten),
        trunkId,
        numberId: number?.id ?? null,
        agentId: null,
        channel: channel.name,
      },
    });
    const trunk = trunkId === null ? null : await trunkById(this.options.db, trunkId);
    if (!trunk?.enabled) return this.refuse(call, 'unknown_trunk', 403);
    if (!number?.enabled || number.trunkId !== trunk.id) return this.refuse(call, 'unknown_number', 404);
    const limit = this.limitReached(trunk, number, call);
    if (limit) return this.refuse(call, limit, 486);
    const blacklisted = await isBlacklisted(this.options.db, from);
    call.region = this.options.regionOf?.(from) ?? '';
    call.vip = await isVip(this.options.db, from);
    const hours = await repeatCallerHours(this.options.db);
    const repeat = (await recentCalls(this.options.db, from, hours, call.startedAt)) > 0;
    await this.append(call, { type: 'call.flags', data: { region: call.region, vip: call.vip, repeat } });
    const hotline = await hotlineOfNumber(this.options.db, number.id);
    if (hotline?.target === 'ivr' && hotline.ivrId !== null) {
      const ivr = await loadIvr(this.options.db, hotline.ivrId);
      if (ivr) return this.runIvr(call, channel, number, ivr, hotline.id, blacklisted);
    }
    if (blacklisted) return this.turnAwayBlacklisted(call, hotline?.groupId ?? null);
    if (hotline?.target === 'group' && hotline.groupId !== null)
      return this.acd.join(call, hotline.groupId, 'hotline');
    if (hotline?.target === 'agent' && hotline.userId !== null) {
      await this.queueNamedAgent(call, hotline.userId, number.ringSeconds);
    } else {
      for (const userId of [number.routeUserId, number.fallbackUserId])
        if (userId !== null) await this.queueNamedAgent(call, userId, number.ringSeconds);
    }
    if (call.next.length === 0) return this.refuse(call, 'no_route', 480);
    await this.options.ari.call('channels.ring', { channelId: channel.id });
    await this.dialNext(call);
  }

  /** A blacklisted caller (3.4.9) on a hotline without an IVR hears the blacklist prompt and is let go. */
  private async turnAwayBlacklisted(call: ActiveCall, groupId: number | null) {
    const language = (groupId !== null ? this.acd.pool.groups.get(groupId)?.settings.language : null) ?? 'en';
    await this.append(call, { type: 'call.refused', data: { reason: 'blacklisted', sipCode: 403 } });
    const prompter = this.prompter(call);
    await this.options.ari.call('channels.answer', { channelId: call.caller! }).catch(() => {});
    await prompter?.play(this.systemMedia(language, ['blacklisted']), false).catch(() => {});
    await this.endCall(call, 'system', 21, 403);
  }

  /** Adds a named agent (direct route, hotline or IVR key) to the agents to ring, if they may be offered a call. */
  private async queueNamedAgent(call: ActiveCall, userId: number, ringSeconds: number) {
    if (!(await offerable(this.options.db, userId))) return;
    const agent = await agentById(this.options.db, userId);
    if (agent) call.next.push({ target: { kind: 'agent', userId, endpoint: agent.endpoint }, ringSeconds });
  }

  /** Takes the caller through an IVR, then does what it decided. */
  private async runIvr(
    call: ActiveCall,
    channel: Channel,
    number: PhoneNumber,
    ivr: Ivr,
    hotlineId: number,
    blacklisted: boolean,
  ) {
    const run = new IvrRun({
      ari: this.options.ari,
      channelId: channel.id,
      prompter: this.prompter(call)!,
      ivr,
      hotlineId,
      caller: { number: call.callerId, region: call.region, vip: call.vip, blacklisted },
      promptUri: (promptId) => this.promptMedia(promptId),
      systemUri: (name) => this.systemMedia(ivr.language, [name])[0]!,
      log: (event) => this.append(call, event),
      now: this.now,
    });
    const result: IvrResult = await run.run();
    if (call.ended || result.kind === 'gone') return;
    if (result.kind === 'hangup') return this.endCall(call, 'system', 16, null);
    const { action } = result;
    if (action.type === 'group') return this.acd.join(call, action.groupId, 'ivr');
    if (action.type === 'agent') await this.queueNamedAgent(call, action.userId, number.ringSeconds);
    else {
      // Transfer to an outside number through the hotline's trunk, showing the hotline number.
      call.callerId = number.number;
      call.next.push({
        target: { kind: 'external', number: action.number, trunkId: number.trunkId },
        ringSeconds: this.ringSeconds,
      });
    }
    if (call.next.length === 0) return this.endCall(call, 'system', 16, null);
    await this.options.ari.call('channels.ring', { channelId: channel.id }).catch(() => {});
    await this.dialNext(call);
  }

  /** Overflow to an outside number: through the trunk the call came in on, showing the number dialled. */
  private async routeOut(call: ActiveCall, destination: string) {
    const number = call.numberId !== null ? await numberById(this.options.db, call.numberId) : null;
    if (!number) return this.endCall(call, 'system', 16, null);
    call.callerId = number.number;
    call.next.push({
      target: { kind: 'external', number: destination, trunkId: number.trunkId },
      ringSeconds: this.ringSeconds,
    });
    await this.dialNext(call);
  }

  /** Dials the next step of the call (one phone, or several at once); when none is left, ends the call. */
  async dialNext(call: ActiveCall, role: Role = 'callee'): Promise<void> {
    const next = call.next.shift();
    if (!next) return this.endCall(call, 'system', null, null);
    const targets = [next.target, ...(next.alongside ?? [])];
    const step = this.nextStep();
    let dialled = 0;
    for (const target of targets)
      if (await this.dialLeg(call, target, next.ringSeconds, role, null, step)) dialled++;
    if (dialled === 0 && !call.ended) return this.dialNext(call, role);
  }

  /** Creates and dials one leg; false when it could not even be created. */
  async dialLeg(
    call: ActiveCall,
    target: LegTarget,
    ringSeconds: number,
    role: Role,
    offer: { groupId: number } | null = null,
    step = this.nextStep(),
  ): Promise<boolean> {
    const endpoint =
      target.kind === 'agent'
        ? `PJSIP/${target.endpoint}`
        : `PJSIP/${target.number}@${trunkEndpoint(target.trunkId)}`;
    // An outgoing channel presents its connected line (the party calling) in From/PAI; customers
    // see our number only, never an agent's name.
    const variables: Record<string, string> = {
      [channelVars.callId]: call.id,
      [channelVars.role]: role,
      'CONNECTEDLINE(num)': call.callerId,
      'CONNECTEDLINE(name)': target.kind === 'external' ? call.callerId : '',
    };
    // Phones that support it answer by themselves (the agent's auto-answer setting).
    if (target.kind === 'agent' && role !== 'caller' && this.acd.pool.agents.get(target.userId)?.autoAnswer) {
      variables['PJSIP_HEADER(add,Call-Info)'] = `<sip:${target.endpoint}>;answer-after=0`;
      variables['PJSIP_HEADER(add,Alert-Info)'] = '<http://127.0.0.1/>;info=alert-autoanswer;delay=0';
    }
    const dialing = (leg: string) =>
      this.append(call, {
        type: 'leg.dialing',
        data: {
          leg,
          target,
          ...(role === 'originator' ? { originator: true } : {}),
          ...(offer ? { groupId: offer.groupId } : {}),
          ...(role === 'consult' || role === 'party' ? { role } : {}),
        },
      });
    let channel: Channel;
    try {
      channel = await this.options.ari.call('channels.create', {
        endpoint,
        app: this.options.app,
        appArgs: 'leg' satisfies StasisKind,
        variables,
      });
    } catch (err) {
      this.say(`dialling ${endpoint} failed: ${err instanceof Error ? err.message : err}`);
      await dialing('');
      await this.append(call, {
        type: 'leg.failed',
        data: { leg: '', failure: 'unavailable', q850Cause: null, sipCode: null },
      });
      return false;
    }
    // A channel created for the application can be dialled once it is in Stasis; dialling
    // earlier is refused (409), which would count as the agent not answering.
    await this.inStasis(channel.id);
    if (call.ended) {
      // The call ended while its leg was being made: the phone is never rung.
      await this.hangup(channel.id, 'normal').catch(() => {});
      return false;
    }
    const leg = newLeg(channel.id, channel.name, role, target);
    leg.offer = offer;
    leg.step = step;
    this.track(call, leg);
    // Asked before anything awaits, so a release of this leg is applied after it.
    const offered =
      target.kind === 'agent' && ringsAgent(call, role)
        ? this.deskState(target.userId, 'offered', call)
        : Promise.resolve();
    await dialing(channel.id);
    await offered;
    if (leg.released) {
      await this.hangup(channel.id, 'normal').catch(() => {});
      return true;
    }
    leg.timer = setTimeout(() => {
      leg.timer = null;
      if (leg.answered || call.ended) return;
      leg.endedByUs = 'no_answer';
      void this.hangup(leg.channel, 'no_answer');
    }, ringSeconds * 1000);
    try {
      // Dialling "from" the caller's channel would copy its caller ID; only an agent's phone may see the customer's.
      const from = role === 'callee' && target.kind === 'agent' ? (call.caller ?? undefined) : undefined;
      await this.options.ari.call('channels.dial', { channelId: channel.id, caller: from });
    } catch (err) {
      this.say(`dial ${endpoint}: ${err instanceof Error ? err.message : err}`);
      leg.endedByUs = 'unavailable';
      await this.hangup(channel.id, 'normal');
    }
    return true;
  }

  private async onLegAnswered(call: ActiveCall, leg: Leg) {
    // Two phones ringing together may both answer; the first one takes the call (decided
    // before anything awaits, so the second handler sees the first).
    if (
      leg.role === 'callee' &&
      [...call.legs.values()].some(
        (l) => l !== leg && l.step === leg.step && l.role === 'callee' && l.answered,
      )
    ) {
      leg.endedByUs = 'cancelled';
      await this.hangup(leg.channel, 'answered_elsewhere');
      return;
    }
    leg.answered = true;
    if (leg.timer) clearTimeout(leg.timer);
    leg.timer = null;
    const { ari } = this.options;
    const userId = legUser(leg);
    if (leg.role === 'originator') {
      // Click-to-call or callback: the agent picked up; now the customer's phone rings.
      await this.append(call, { type: 'leg.answered', data: { leg: leg.channel, userId, originator: true } });
      call.caller = leg.channel;
      leg.role = 'caller';
      await ari.call('channels.setChannelVar', {
        channelId: leg.channel,
        variable: channelVars.role,
        value: 'caller',
      });
      if (call.callbackId !== null && userId !== null) {
        this.acd.agentState(userId, 'on_call');
        const agent = this.acd.pool.agents.get(userId);
        if (agent) agent.reservedFor = null;
        await this.agentJoined(call, userId);
      }
      await ari.call('channels.ring', { channelId: leg.channel }).catch(() => {});
      if (call.afterAgentAnswers) {
        call.next.push({ target: call.afterAgentAnswers.target, ringSeconds: this.ringSeconds });
        call.callerId = call.afterAgentAnswers.callerId;
        call.afterAgentAnswers = null;
        await this.dialNext(call);
      }
      return;
    }
    if (leg.role === 'consult' || leg.role === 'party') {
      await this.append(call, { type: 'leg.answered', data: { leg: leg.channel, userId } });
      if (userId !== null) await this.agentJoined(call, userId);
      await this.desk.legAnswered(call, leg);
      return;
    }
    // A callee: anyone else still ringing for this call stops.
    for (const other of call.legs.values()) {
      if (other !== leg && other.role === 'callee' && !other.answered) {
        other.endedByUs = 'cancelled';
        await this.hangup(other.channel, 'answered_elsewhere');
      }
    }
    call.next = [];
    await this.append(call, { type: 'leg.answered', data: { leg: leg.channel, userId } });
    if (leg.offer) await this.acd.offerAnswered(call, leg);
    if (call.callbackId !== null) await this.acd.callbackOutcome(call.id, 'answered', null);
    for (const id of [userId, call.placedBy]) if (id !== null) await this.agentJoined(call, id);
    if (!call.caller || call.ended) return;
    await this.connect(call, [call.caller, leg.channel]);
    if (call.callbackId !== null) {
      // The caller called back hears why (the agent is already with them).
      const lang = this.acd.pool.groups.get(call.groupId ?? -1)?.settings.language ?? 'en';
      void this.channelPrompter(leg.channel)
        .play(this.systemMedia(lang, ['callback_intro']), false)
        .catch(() => {});
    }
  }

  /** An agent is now talking in the call: on call at the desk, talk time from now. */
  private async agentJoined(call: ActiveCall, userId: number) {
    if (call.agentsOnCall.includes(userId)) return;
    call.agentsOnCall.push(userId);
    call.agentSince.set(userId, this.now().getTime());
    await this.deskState(userId, 'connected', call);
  }

  /** Puts channels in the call's mixing bridge (made when first needed); starts recording once. */
  async connect(call: ActiveCall, channels: string[]): Promise<void> {
    const { ari } = this.options;
    if (call.caller) await ari.call('channels.answer', { channelId: call.caller }).catch(() => {});
    // Out of the queue's holding bridge: the one the ACD used, or (after a restart) found by listing.
    const holding = call.caller ? (call.holdingBridgeId ?? (await this.holdingBridgeOf(call.caller))) : null;
    call.holdingBridgeId = null;
    if (holding)
      await ari.call('bridges.removeChannel', { bridgeId: holding, channel: call.caller! }).catch(() => {});
    if (!call.bridgeId) {
      const bridge = await ari.call('bridges.create', { type: 'mixing', name: `call-${call.id}` });
      call.bridgeId = bridge.id;
      await ari.call('bridges.addChannel', { bridgeId: bridge.id, channel: channels.join(',') });
      await this.append(call, { type: 'call.bridged', data: { bridgeId: bridge.id } });
    } else {
      await ari.call('bridges.stopMoh', { bridgeId: call.bridgeId }).catch(() => {});
      const inside = (await ari.call('bridges.get', { bridgeId: call.bridgeId })).channels;
      const joining = channels.filter((c) => !inside.includes(c));
      if (joining.length > 0)
        await ari.call('bridges.addChannel', { bridgeId: call.bridgeId, channel: joining.join(',') });
    }
    const caller = call.caller ? call.legs.get(call.caller) : undefined;
    if (caller && !call.recording) {
      try {
        const file = await this.recorder.start(caller.name, call.id);
        call.recording = true;
        await this.append(call, { type: 'recording.started', data: { file } });
      } catch (err) {
        this.say(`recording call ${call.id} failed: ${err instanceof Error ? err.message : err}`);
      }
    }
    this.emit('changed', call.id);
  }

  /** The holding bridge a channel waits in, if any. */
  private async holdingBridgeOf(channelId: string): Promise<string | null> {
    const bridges = await this.options.ari.call('bridges.list', {});
    return bridges.find((b) => b.bridge_type === 'holding' && b.channels.includes(channelId))?.id ?? null;
  }

  /** Hangs up the legs still ringing agents for a caller (restored into the queue after a restart). */
  private async cancelOffers(call: ActiveCall): Promise<void> {
    for (const leg of call.legs.values()) {
      if (leg.role !== 'callee' || leg.answered) continue;
      leg.endedByUs = 'cancelled';
      await this.hangup(leg.channel, 'normal');
    }
  }

  /**
   * The one place a leg leaves the call model, whatever ended it: its channel went away, the
   * call ended (its ringing legs are hung up and released at once, not when Asterisk reports
   * them gone), a restart found it gone, or it was made for a call that ended meanwhile. Its ring
   * timer stops, and an agent it rang without answering is let go: the ACD's reservation of them
   * for this call is released and their desk state goes back from ringing. An agent who answered
   * leaves through agentLeft or endCall (wrap-up). Runs once per leg.
   */
  private async releaseLeg(call: ActiveCall, leg: Leg): Promise<void> {
    if (leg.released) return;
    leg.released = true;
    call.legs.delete(leg.channel);
    if (this.byChannel.get(leg.channel) === call) this.byChannel.delete(leg.channel);
    if (leg.timer) clearTimeout(leg.timer);
    leg.timer = null;
    const userId = legUser(leg);
    if (userId === null || leg.answered) return;
    const key = reservationKey(call, leg);
    if (key !== null) this.acd.releaseReservation(userId, key);
    if (ringsAgent(call, leg.role)) await this.deskState(userId, 'not_taken', call);
  }

  /**
   * A supervisor forced an agent into `state`: the ACD takes the new state at once, any
   * reservation of them goes, their phone stops ringing and their part in a call ends.
   */
  async releaseAgent(userId: number, state: AgentState): Promise<void> {
    this.acd.releaseReservation(userId, null, state);
    for (const call of [...this.calls.values()]) {
      if (call.ended) continue;
      for (const leg of [...call.legs.values()]) {
        if (legUser(leg) !== userId) continue;
        if (!leg.answered) leg.endedByUs ??= 'cancelled';
        await this.hangup(leg.channel, 'normal').catch((err: Error) =>
          this.say(`force ${userId}: ${err.message}`),
        );
      }
    }
  }

  /** A channel of a call is gone (hung up, failed, or left the application). */
  private async onGone(channelId: string, cause: number, sipCode: number | null, causeText = '') {
    this.hangupCauses.delete(channelId);
    const prompter = this.prompters.get(channelId);
    if (prompter) {
      prompter.abort();
      this.prompters.delete(channelId);
    }
    const call = this.byChannel.get(channelId);
    if (!call) return;
    const leg = call.legs.get(channelId);
    if (!leg) {
      this.byChannel.delete(channelId);
      return;
    }
    await this.releaseLeg(call, leg);
    if (call.ended) return;
    const userId = legUser(leg);
    if (leg.role === 'caller') {
      if (call.queued) await this.acd.callerGone(call);
      return this.endCall(call, 'caller', cause, sipCode);
    }
    if (leg.answered) return this.answeredLegGone(call, leg, cause, sipCode);
    const failure: LegFailure = leg.endedByUs ?? failureOf(cause);
    this.say(
      `call ${call.id}: ${leg.name} ${failure} (cause ${cause} ${causeText}${sipCode ? `, SIP ${sipCode}` : ''})`,
    );
    await this.append(call, {
      type: 'leg.failed',
      data: {
        leg: leg.channel,
        failure,
        q850Cause: cause,
        sipCode,
        ...(leg.role === 'originator' ? { originator: true } : {}),
      },
    });
    if (leg.offer) return this.acd.offerFailed(call, leg, failure === 'cancelled');
    if (leg.role === 'consult' || leg.role === 'party') return this.desk.legFailed(call, leg, failure);
    if (failure === 'cancelled') return;
    const stillRinging = [...call.legs.values()].some((l) => l.role !== 'caller' && !l.answered);
    if (stillRinging) return;
    if (leg.role === 'originator') {
      await this.endCall(call, 'system', cause, sipCode);
      if (call.callbackId !== null) await this.acd.callbackOutcome(call.id, 'agent_no_answer', userId);
      return;
    }
    if (call.callbackId !== null) {
      await this.endCall(call, 'system', cause, sipCode, failure);
      return this.acd.callbackOutcome(call.id, 'unreachable', null);
    }
    if (call.next.length > 0) return this.dialNext(call);
    return this.endCall(call, 'system', cause, sipCode, failure);
  }

  /**
   * An answered party left. Others may still talk (a conference, a transfer in progress); if
   * nobody is left with the caller, the caller goes to the survey when it applies, else the
   * call ends.
   */
  private async answeredLegGone(call: ActiveCall, leg: Leg, cause: number, sipCode: number | null) {
    const userId = legUser(leg);
    const others = [...call.legs.values()].filter((l) => l.role !== 'caller' && l.answered);
    const pending = [...call.legs.values()].some((l) => l.role !== 'caller' && !l.answered);
    if (others.length > 0 || pending || call.queued) {
      await this.append(call, { type: 'leg.left', data: { leg: leg.channel, userId } });
      if (userId !== null) await this.agentLeft(call, userId);
      return this.desk.legLeft(call, leg);
    }
    if (call.survey && call.caller && call.direction === 'inbound' && !call.inSurvey) {
      await this.append(call, { type: 'leg.left', data: { leg: leg.channel, userId } });
      if (userId !== null) await this.agentLeft(call, userId);
      return this.startSurvey(call);
    }
    return this.endCall(call, 'callee', cause, sipCode);
  }

  /** An agent's part in the call is over (transfer, conference, survey): wrap-up starts for them. */
  async agentLeft(call: ActiveCall, userId: number): Promise<void> {
    if (!call.agentsOnCall.includes(userId)) return;
    call.agentsOnCall = call.agentsOnCall.filter((id) => id !== userId);
    call.muted.delete(userId);
    await this.finishAgent(call, userId);
  }

  private async finishAgent(call: ActiveCall, userId: number) {
    await this.deskState(userId, 'ended', call);
    const since = call.agentSince.get(userId);
    call.agentSince.delete(userId);
    if (since !== undefined)
      this.acd.callFinished(userId, Math.round((this.now().getTime() - since) / 1000), call.groupId);
  }

  /** The satisfaction survey (3.4.7) for a caller whose agents have hung up. */
  async startSurvey(call: ActiveCall): Promise<void> {
    call.inSurvey = true;
    const prompter = this.prompter(call);
    const lang = this.acd.pool.groups.get(call.groupId ?? -1)?.settings.language ?? 'en';
    if (prompter)
      await runSurvey({
        db: this.options.db,
        prompter,
        language: lang,
        systemMedia: (pieces) => this.systemMedia(lang, pieces),
        promptMedia: (id) => this.promptMedia(id),
        log: (e) => this.append(call, e),
      }).catch((err: Error) => this.say(`survey ${call.id}: ${err.message}`));
    if (!call.ended) await this.endCall(call, 'system', 16, null);
  }

  /** Ends the call: hangs up what is left, logs the end, stores the recording. */
  async endCall(
    call: ActiveCall,
    by: 'caller' | 'callee' | 'system',
    q850Cause: number | null,
    sipCode: number | null,
    failure?: LegFailure,
  ): Promise<void> {
    if (call.ended) return;
    call.ended = true;
    if (call.queued) await this.acd.callerGone(call).catch((err: Error) => this.say(`queue: ${err.message}`));
    for (const leg of [...call.legs.values()]) {
      if (leg.timer) clearTimeout(leg.timer);
      leg.endedByUs ??= 'cancelled';
      // An unanswered caller hears busy when the agent was busy, otherwise "temporarily unavailable".
      await this.hangup(
        leg.channel,
        leg.answered ? 'normal' : failure === 'busy' ? 'busy' : 'no_answer',
      ).catch((err: Error) => this.say(`hanging up ${leg.name}: ${err.message}`));
      // Released now, not when Asterisk reports the channel gone: the call is over for everyone.
      await this.releaseLeg(call, leg);
    }
    await this.append(call, { type: 'call.ended', data: { by, q850Cause, sipCode } });
    for (const userId of call.agentsOnCall) await this.finishAgent(call, userId);
    for (const bridgeId of [call.bridgeId, call.consult?.bridgeId])
      if (bridgeId) await this.options.ari.call('bridges.destroy', { bridgeId }).catch(() => {});
    if (call.recording) {
      try {
        const stored = await this.recorder.finish(call.id, call.startedAt);
        if (stored) await this.append(call, { type: 'recording.stored', data: stored });
      } catch (err) {
        this.say(`storing the recording of ${call.id} failed: ${err instanceof Error ? err.message : err}`);
      }
    }
    this.forget(call);
  }

  private forget(call: ActiveCall) {
    call.ended = true;
    this.calls.delete(call.id);
    for (const [channel, c] of this.byChannel) {
      if (c !== call) continue;
      this.byChannel.delete(channel);
      this.prompters.get(channel)?.abort();
      this.prompters.delete(channel);
    }
    this.emit('changed', call.id);
  }

  async hangup(channelId: string, reason: HangupReason): Promise<void> {
    try {
      await this.options.ari.call('channels.hangup', { channelId, reason });
    } catch (err) {
      if (!(err instanceof AriError && err.status === 404)) throw err;
    }
  }

  // ── resync after a restart or reconnect ──────────────────────────────────
  /** Rebuilds the calls from the channels Asterisk has and the event log (resync.ts). */
  resync(): Promise<void> {
    return resync(this.resyncHost);
  }

  /** For tests and the status page: the ids of calls in progress. */
  callIds(): string[] {
    return [...this.calls.keys()];
  }
}

/** Whether a leg of this role rings an agent whose desk state follows it (offered, on call). */
function ringsAgent(call: ActiveCall, role: Role): boolean {
  return (
    role === 'callee' ||
    role === 'consult' ||
    role === 'party' ||
    (role === 'originator' && call.callbackId !== null)
  );
}

/** The ACD reservation a ringing leg holds its agent by: the queue offer's caller, or the callback. */
function reservationKey(call: ActiveCall, leg: Leg): string | null {
  if (leg.offer) return call.id;
  if (leg.role === 'originator' && call.callbackId !== null) return `callback-${call.callbackId}`;
  return null;
}
