/**
 * The call engine: every call enters the Stasis application and is driven from here over ARI.
 * It holds the calls in progress (registry.ts), takes Asterisk's events, ends legs and calls
 * (one release path per leg), and hands the rest to its parts, each behind a port:
 *
 * - inbound.ts: a call from a trunk to one of our numbers goes where its hotline says (an IVR,
 *   an agent group's queue, an agent), or rings the number's agent, then the fallback agent;
 * - outbound.ts: agents' internal and outbound calls, click-to-call and callbacks;
 * - legs.ts: dialling legs, the first answer taking the call, bridges and recording;
 * - agent-desk.ts: agents' desk states as calls move them, wrap-up and the repair;
 * - resync.ts: rebuilding the calls after a restart or an ARI reconnect;
 * - queues, strategies and overflow are the ACD's (cti/acd); holding, transfers and conferences
 *   the desk's (cti/desk/controls.ts); the survey after the call cti/acd/survey.ts.
 *
 * Each step is appended to the call event log; the call record is its projection. Every leg of
 * a call carries CC_CALL_ID and CC_ROLE as channel variables, so after a restart (or an ARI
 * reconnect) the engine rebuilds its calls from the channels Asterisk still has: a bridged call
 * is never dropped, callers waiting in a queue are put back in line, and records are completed.
 */
import { logOf } from '../../core/ops/log.ts';
import { EventEmitter } from 'node:events';
import type { DomainEvents } from '../../core/events.ts';
import { ctiTrace } from '../../config/settings.ts';
import type { Db } from '../../db/client.ts';
import type { AgentState, CallDirection } from '../../db/schema.ts';
import { Acd } from '../acd/acd.ts';
import { FloorView } from '../acd/floor-view.ts';
import type { AmiClient } from '../ami/client.ts';
import { type AriClient, AriError } from '../ari/client.ts';
import type { AriEvent, Channel } from '../ari/generated.ts';
import { channelVars, defaultMohClass, promptMohClass, type StasisKind } from '../asterisk.ts';
import type { CallEventBody, LegTarget } from '../call-log/events.ts';
import { CallLog } from '../call-log/log.ts';
import { DeskControls } from '../desk/controls.ts';
import type { Prompter } from '../media/prompter.ts';
import { promptFileBase } from '../media/prompts.ts';
import { pieceMedia, type SystemPrompt } from '../media/system-prompts.ts';
import { Monitor } from '../supervision/monitor.ts';
import { AgentDesk, type DeskChange, type RepairReason } from './agent-desk.ts';
import { Endings } from './endings.ts';
import { Inbound } from './inbound.ts';
import { InvariantChecker, type InvariantReport } from './invariants.ts';
import { Legs } from './legs.ts';
import type { ActiveCall, Leg, Role } from './model.ts';
import { CallRefused, Outbound } from './outbound.ts';
import { ConfigCache } from './config-cache.ts';
import { type CallParts, type EndCall, type HangupReason, hangupReasonFor } from './parts.ts';
import { Recorder, type RecordingPaths } from './recorder.ts';
import { CallRegistry } from './registry.ts';
import { type ResyncHost, resync } from './resync.ts';

const trace = ctiTrace();

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
  /** The call centre's time zone (IANA name): where its days begin (number rules, today's workload). */
  timeZone: string;
  /** Events the event log may hold unwritten before new calls are refused (call-log/log.ts). */
  eventLogBound?: number;
}

export { CallRefused };

export class CallEngine extends EventEmitter<{ changed: [callId: string] }> {
  readonly log: CallLog;
  /** Routing look-ups from memory (numbers, trunks, hotlines, IVRs, prompts, caller lists). */
  readonly config: ConfigCache;
  readonly recorder: Recorder;
  readonly acd: Acd;
  /** The floor now (groups, agents, queues) as read views for the desk, workbench and wallboard. */
  readonly floor: FloorView;
  readonly desk: DeskControls;
  readonly monitor: Monitor;
  /** The invariant checker (every minute; the PBX status page shows its latest report). */
  readonly invariants: InvariantChecker;
  readonly db: Db;
  readonly ari: AriClient;
  readonly app: string;
  /** The calls in progress. */
  private readonly calls: CallRegistry;
  /** Inbound routing (hotlines, IVRs, direct routes). */
  private readonly inbound: Inbound;
  /** Dialling legs, answers and bridges. */
  private readonly legs: Legs;
  /** Legs and calls ending. */
  private readonly endings: Endings;
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
    if (trace)
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
    this.say = options.log ?? logOf('cti').line;
    this.log = new CallLog(options.db, this.now, { say: this.say, maxBacklog: options.eventLogBound });
    this.config = new ConfigCache(options.db, this.say);
    this.recorder = new Recorder(options.recordings, options.ami);
    this.calls = new CallRegistry(options.ari, this.now);
    this.acd = new Acd(
      {
        db: options.db,
        timeZone: options.timeZone,
        ari: options.ari,
        app: options.app,
        now: this.now,
        say: this.say,
        append: (call, e) => this.append(call, e),
        call: (id) => this.calls.get(id),
        dialAgent: (call, agent, ringSeconds, groupId, step) =>
          this.legs.dialLeg(
            call,
            { kind: 'agent', userId: agent.userId, endpoint: agent.endpoint },
            ringSeconds,
            'callee',
            { groupId },
            step,
          ),
        nextStep: () => this.legs.nextStep(),
        prompter: (call) => this.prompter(call),
        systemMedia: (lang, pieces) => this.systemMedia(lang, pieces),
        promptMedia: (id) => this.promptMedia(id),
        mohClass: (promptId) =>
          promptId !== null && options.holdPromptClasses ? promptMohClass(promptId) : defaultMohClass,
        routeOut: (call, number) => this.inbound.routeOut(call, number),
        endCall: (call) => this.endCall(call, 'system', 16, null),
        placeCallback: (request, agent, group) => this.outbound.placeCallback(request, agent, group),
      },
      options.events,
      options.random,
    );
    this.floor = new FloorView(this.acd, this.now, (id) => this.calls.get(id)?.callerId);
    this.agents = new AgentDesk({
      db: options.db,
      acd: this.acd,
      now: this.now,
      say: this.say,
      hasLeg: (userId) => this.calls.callOfAgent(userId) !== null,
      isRinging: (userId) => this.calls.ringingLegOf(userId) !== null,
    });
    const parts: CallParts = {
      db: options.db,
      config: this.config,
      ari: options.ari,
      app: options.app,
      acd: this.acd,
      calls: this.calls,
      ringSeconds: options.ringSeconds ?? 60,
      now: this.now,
      say: this.say,
      append: (call, event) => this.append(call, event),
      logFull: () => this.log.full,
      hangup: (channelId, reason) => this.hangup(channelId, reason),
      endCall: this.endCall,
      deskState: (userId, change, call) => this.deskState(userId, change, call),
      prompter: (call) => this.prompter(call),
      systemMedia: (language, pieces) => this.systemMedia(language, pieces),
      promptMedia: (promptId) => this.promptMedia(promptId),
      changed: (callId) => this.emit('changed', callId),
    };
    this.legs = new Legs(parts, {
      legAnswered: (call, leg) => this.desk.legAnswered(call, leg),
      startRecording: (channelName, callId) => this.recorder.start(channelName, callId),
    });
    this.endings = new Endings(parts, {
      legFailed: (call, leg, failure) => this.desk.legFailed(call, leg, failure),
      legLeft: (call, leg) => this.desk.legLeft(call, leg),
      dialNext: (call) => this.dialNext(call),
      finishRecording: (callId, startedAt) => this.recorder.finish(callId, startedAt),
    });
    this.inbound = new Inbound(parts, {
      tag: (channelId, callId, role) => this.tag(channelId, callId, role),
      refuse: (call, reason, sipCode) => this.refuse(call, reason, sipCode),
      dialNext: (call) => this.dialNext(call),
      regionOf: options.regionOf,
    });
    this.outbound = new Outbound({
      db: options.db,
      timeZone: options.timeZone,
      ari: options.ari,
      acd: this.acd,
      ringSeconds: parts.ringSeconds,
      now: this.now,
      newCall: (direction, caller, trunkId, numberId) =>
        this.calls.newCall(direction, caller, trunkId, numberId),
      tag: (channelId, callId, role) => this.tag(channelId, callId, role),
      refuse: (call, reason, sipCode) => this.refuse(call, reason, sipCode),
      append: (call, event) => this.append(call, event),
      dialNext: (call, role) => this.dialNext(call, role),
      dialLeg: (call, target, ringSeconds, role) => this.dialLeg(call, target, ringSeconds, role),
      endCall: (call, by, cause, sipCode) => this.endCall(call, by, cause, sipCode),
      forget: (call) => {
        this.calls.forget(call);
        this.emit('changed', call.id);
      },
      hangup: (channelId, reason) => this.hangup(channelId, reason),
      limitReached: (trunk, number, exclude) => this.calls.limitReached(trunk, number, exclude),
    });
    this.resyncHost = {
      db: options.db,
      ari: options.ari,
      app: options.app,
      acd: this.acd,
      log: this.log,
      now: this.now,
      say: this.say,
      calls: () => [...this.calls.all()],
      hasCall: (id) => this.calls.has(id),
      adopt: (call) => this.calls.adopt(call),
      track: (call, leg) => this.calls.track(call, leg),
      channelGone: (id, cause, sipCode, text) => this.channelGone(id, cause, sipCode, text),
      append: (call, event) => this.append(call, event),
      hangup: (id, reason) => this.hangup(id, reason),
      cancelOffers: (call) => this.legs.cancelOffers(call),
      endCall: (call, by, cause, sipCode) => this.endCall(call, by, cause, sipCode),
      recordingInProgress: (callId) => this.recorder.inProgress(callId),
    };
    this.desk = new DeskControls(this);
    this.monitor = new Monitor(this);
    this.invariants = new InvariantChecker(
      {
        db: options.db,
        ari: options.ari,
        pool: this.acd.pool,
        calls: () => this.calls.all(),
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
    await this.config.start();
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
    for (const call of this.calls.all())
      for (const leg of call.legs.values()) if (leg.timer) clearTimeout(leg.timer);
    this.agents.stop();
    await this.config.stop();
    if (!(await this.log.flush(10_000))) {
      this.say(`stopping with ${this.log.backlog} event(s) unwritten: the database does not take writes`);
      this.log.close();
    }
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
  /** Calls in progress per trunk and per number (for limits and the status page). */
  activeCalls(): ReturnType<CallRegistry['activeCalls']> {
    return this.calls.activeCalls();
  }

  call(callId: string): ActiveCall | undefined {
    return this.calls.get(callId);
  }

  /** Calls started since this process started, by direction (metrics). */
  callsStarted(): ReadonlyMap<CallDirection, number> {
    return this.calls.started;
  }

  /** The call an agent is in (answered, or ringing for them), with their leg. */
  callOfAgent(userId: number): { call: ActiveCall; leg: Leg } | null {
    return this.calls.callOfAgent(userId);
  }

  /** For tests and the status page: the ids of calls in progress. */
  callIds(): string[] {
    return this.calls.ids();
  }

  /** Dials the next step of the call; when none is left, ends the call (legs.ts). */
  dialNext(call: ActiveCall, role: Role = 'callee'): Promise<void> {
    return this.legs.dialNext(call, role);
  }

  /** Creates and dials one leg; false when it could not even be created (legs.ts). */
  dialLeg(
    call: ActiveCall,
    target: LegTarget,
    ringSeconds: number,
    role: Role,
    offer: { groupId: number } | null = null,
  ): Promise<boolean> {
    return this.legs.dialLeg(call, target, ringSeconds, role, offer);
  }

  /** Puts channels in the call's mixing bridge; starts recording once (legs.ts). */
  connect(call: ActiveCall, channels: string[]): Promise<void> {
    return this.legs.connect(call, channels);
  }

  /** Resolves when a created channel has entered the application (legs.ts). */
  inStasis(channelId: string, ms?: number): Promise<void> {
    return this.legs.inStasis(channelId, ms);
  }

  /**
   * Logs a call event. Call control does not wait for the database: the event is in the log's
   * journal when this returns; the web hears `changed` once it is written.
   */
  append(call: ActiveCall, event: CallEventBody): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.log.append(call.id, event).then(
      () => this.emit('changed', call.id),
      () => {}, // reported by the log itself
    );
    return Promise.resolve();
  }

  /** The prompter that talks to the call's caller (one per caller channel). */
  prompter(call: ActiveCall): Prompter | null {
    return call.caller ? this.channelPrompter(call.caller) : null;
  }

  /** The prompter of any channel of ours (fed its keys and playback ends until the channel goes). */
  channelPrompter(channelId: string): Prompter {
    return this.calls.prompterOf(channelId);
  }

  systemMedia(language: string, pieces: readonly string[]): string[] {
    return pieceMedia(this.options.prompts?.inside ?? '', language, pieces as SystemPrompt[]);
  }

  async promptMedia(promptId: number): Promise<string | null> {
    const version = await this.config.promptVersion(promptId);
    return version === null
      ? null
      : `sound:${this.options.prompts?.inside ?? ''}/${promptFileBase(promptId, version)}`;
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
        if (kind === 'inbound') await this.inbound.onInbound(e.channel, exten);
        else if (kind === 'agent') await this.outbound.onAgentDial(e.channel, exten);
        else if (kind === 'leg' || kind === 'snoop') this.legs.entered(e.channel.id);
        else await this.hangup(e.channel.id, 'normal');
        return;
      }
      case 'ChannelStateChange': {
        const call = this.calls.ofChannel(e.channel.id);
        const leg = call?.legs.get(e.channel.id);
        if (!call || !leg || leg.role === 'caller') return;
        if (e.channel.state === 'Ringing' && !leg.ringing) {
          leg.ringing = true;
          await this.append(call, { type: 'leg.ringing', data: { leg: leg.channel } });
        } else if (e.channel.state === 'Up' && !leg.answered) {
          await this.legs.answered(call, leg);
        }
        return;
      }
      case 'ChannelDtmfReceived':
        this.calls.existingPrompter(e.channel.id)?.onEvent(e);
        return;
      case 'PlaybackFinished': {
        const target = /^channel:(.+)$/.exec(e.playback.target_uri)?.[1];
        if (target) this.calls.existingPrompter(target)?.onEvent(e);
        return;
      }
      case 'ChannelHangupRequest':
        if (e.cause) this.hangupCauses.set(e.channel.id, { cause: e.cause, tech: e.tech_cause ?? null });
        return;
      case 'StasisEnd': {
        // A caller's channel goes back to the dialplan (which hangs it up) and is no longer ours
        // to watch, so its end is taken here; legs we created end with ChannelDestroyed.
        const leg = this.calls.ofChannel(e.channel.id)?.legs.get(e.channel.id);
        if (leg?.role !== 'caller') return;
        const cause = this.hangupCauses.get(e.channel.id) ?? { cause: 16, tech: null };
        await this.channelGone(e.channel.id, cause.cause, cause.tech);
        return;
      }
      case 'ChannelDestroyed':
        await this.channelGone(e.channel.id, e.cause, e.tech_cause ?? null, e.cause_txt);
        return;
      default:
        return;
    }
  }

  // ── call set-up ───────────────────────────────────────────────────────────
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

  /** "Serve early" (提前服务): a member takes a waiting caller out of turn (the ACD decides). */
  serveEarly(userId: number, key: string): ReturnType<Acd['serveEarly']> {
    return this.acd.serveEarly(userId, key);
  }

  /** A supervisor forced an agent into `state` (endings.ts). */
  releaseAgent(userId: number, state: AgentState): Promise<void> {
    return this.endings.releaseAgent(userId, state);
  }

  /** A channel of a call is gone (hung up, failed, or left the application). */
  private channelGone(channelId: string, cause: number, sipCode: number | null, causeText = '') {
    this.hangupCauses.delete(channelId);
    return this.endings.channelGone(channelId, cause, sipCode, causeText);
  }

  /** An agent's part in the call is over (transfer, conference, survey): wrap-up starts (endings.ts). */
  agentLeft(call: ActiveCall, userId: number): Promise<void> {
    return this.endings.agentLeft(call, userId);
  }

  /** Ends the call: hangs up what is left, logs the end, stores the recording (endings.ts). */
  readonly endCall: EndCall = (...args) => this.endings.endCall(...args);

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
}
