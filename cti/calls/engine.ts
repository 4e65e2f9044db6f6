/**
 * The call engine: every call enters the Stasis application and is driven from here over ARI.
 *
 * - inbound: a call from a trunk to one of our numbers rings the number's agent (direct
 *   route), then the fallback agent after the ring time, then tells the caller no one is there;
 * - internal: an agent dials a colleague's SIP username;
 * - outbound: an agent dials any other number; it goes out through the trunk of the number
 *   assigned to the agent (or the agent's department), shown as caller ID, if the agent may call
 *   out and the number's call-setting rules allow it;
 * - click-to-call: the agent's phone rings first; once answered the customer is dialled.
 *
 * Each step is appended to the call event log; the call record is its projection. Every leg of
 * a call carries CC_CALL_ID and CC_ROLE as channel variables, so after a restart (or an ARI
 * reconnect) the engine rebuilds its calls from the channels Asterisk still has: a bridged call
 * is never dropped, and its record is completed when it ends.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { normaliseNumber } from '../../crm/shared/validate.ts';
import type { Db } from '../../db/client.ts';
import type { CallDirection } from '../../db/schema.ts';
import type { AmiClient } from '../ami/client.ts';
import { type AriClient, AriError } from '../ari/client.ts';
import type { AriEvent, AriOperations, Channel } from '../ari/generated.ts';
import {
  type Agent,
  agentByEndpoint,
  agentById,
  checkNumberRules,
  outboundNumberFor,
  endpointOfChannel,
  numberByDid,
  openCallIds,
  type PhoneNumber,
  type Trunk,
  trunkById,
  trunkEndpoint,
  trunkIdOfChannel,
} from './directory.ts';
import type { CallEvent, CallEventBody, LegFailure, LegTarget } from './events.ts';
import { CallLog, eventsOf } from './log.ts';
import {
  agentsInWrapUp,
  callStateChanged,
  endWrapUp,
  offerable,
  readyAgents,
  wrapUpSeconds,
} from '../../crm/desk/agent-states.ts';
import { listGroups } from '../../crm/ivr/agent-groups.ts';
import { isBlacklisted, isVip } from '../../crm/ivr/caller-lists.ts';
import { hotlineOfNumber } from '../../crm/ivr/hotlines.ts';
import { type Ivr, loadIvr } from '../../crm/ivr/ivrs.ts';
import { promptFileBase, promptVersion } from '../../crm/prompts/prompts.ts';
import { type IvrResult, IvrRun } from '../ivr/runner.ts';
import { systemPromptBase } from '../ivr/system-prompts.ts';
import { Recorder, type RecordingPaths } from './recorder.ts';

type Role = 'caller' | 'callee' | 'originator';

interface Leg {
  channel: string;
  name: string;
  role: Role;
  target: LegTarget | null;
  answered: boolean;
  ringing: boolean;
  /** Set when we hang the leg up ourselves, so its end is not taken for the far end's. */
  endedByUs: LegFailure | null;
  timer: NodeJS.Timeout | null;
}

interface ActiveCall {
  id: string;
  direction: CallDirection;
  startedAt: Date;
  trunkId: number | null;
  numberId: number | null;
  /** The channel that started the call (the customer inbound, the agent otherwise). */
  caller: string | null;
  legs: Map<string, Leg>;
  bridgeId: string | null;
  /** Agents still to try when the current one does not answer (inbound direct route). */
  next: NextStep[];
  /** Click-to-call: the customer to dial once the agent's phone answers. */
  afterAgentAnswers: { target: LegTarget; callerId: string } | null;
  /** The caller ID the dialled phones see. */
  callerId: string;
  recording: boolean;
  ended: boolean;
  /** Agents whose desk state this call holds (the one who answered; the one who called out). */
  agentsOnCall?: number[];
  /** The agent who placed an outbound or internal call (or click-to-call). */
  placedBy?: number;
}

/** One step of trying to reach someone: a phone, or several ringing at once (an agent group). */
interface NextStep {
  target: LegTarget;
  ringSeconds: number;
  /** More phones that ring together with `target`; the first to answer takes the call. */
  alongside?: LegTarget[];
}

export interface CallEngineOptions {
  db: Db;
  ari: AriClient;
  ami: () => AmiClient | null;
  app: string;
  recordings: RecordingPaths;
  now?: () => Date;
  log?: (line: string) => void;
  /** Ring time for internal and outbound calls (inbound uses the number's). */
  ringSeconds?: number;
  /** Where prompt files are as Asterisk sees them (synced by pbx/prompt-sync.ts). */
  prompts?: { inside: string };
  /** The caller number's region (province and city) for the IVR and its log. */
  regionOf?: (number: string) => string;
  /** Told when the engine changed an agent's desk state (live views). */
  onAgentState?: (userId: number) => void;
}

/** Refusals reported to the web (click-to-call) and written to the log. */
export class CallRefused extends Error {
  constructor(
    readonly reason: string,
    readonly sipCode: number,
  ) {
    super(reason);
    this.name = 'CallRefused';
  }
}

type HangupReason = NonNullable<AriOperations['channels.hangup']['params']['reason']>;
const hangupReasonFor: Record<number, HangupReason> = {
  403: 'rejected',
  404: 'unallocated',
  480: 'no_answer',
  486: 'busy',
  503: 'congestion',
};

export class CallEngine extends EventEmitter<{ changed: [string] }> {
  readonly log: CallLog;
  readonly recorder: Recorder;
  private readonly calls = new Map<string, ActiveCall>();
  private readonly byChannel = new Map<string, ActiveCall>();
  /** Callers in an IVR, by their channel. */
  private readonly ivrRuns = new Map<string, IvrRun>();
  /** Agents in wrap-up, until they become ready again. */
  private readonly autoReady = new Map<number, NodeJS.Timeout>();
  /** The cause of a hangup request, kept until the channel is gone. */
  private readonly hangupCauses = new Map<string, { cause: number; tech: number | null }>();
  private readonly now: () => Date;
  private readonly say: (line: string) => void;
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
  private resyncing: Promise<void> = Promise.resolve();
  private readonly onConnected = () => {
    this.held ??= [];
    this.resyncing = this.resync()
      .catch((err: Error) => this.say(`resync failed: ${err.message}`))
      .finally(() => {
        const waiting = this.held ?? [];
        this.held = null;
        for (const e of waiting) this.process(e);
      });
  };

  constructor(private readonly options: CallEngineOptions) {
    super();
    this.now = options.now ?? (() => new Date());
    this.say = options.log ?? ((l) => console.log(`[cti] ${l}`));
    this.log = new CallLog(options.db, this.now);
    this.recorder = new Recorder(options.recordings, options.ami);
  }

  /** Listens to the application's events and rebuilds the calls already in progress. */
  async start(): Promise<void> {
    const { ari } = this.options;
    ari.on('event', this.onEvent);
    ari.on('connected', this.onConnected);
    if (ari.connected) this.onConnected();
    else await ari.connect();
    await this.resyncing;
    await this.resumeWrapUps().catch((err: Error) => this.say(`wrap-ups: ${err.message}`));
  }

  /** Stops listening (the calls themselves go on in Asterisk). */
  async stop(): Promise<void> {
    this.options.ari.off('event', this.onEvent);
    this.options.ari.off('connected', this.onConnected);
    for (const call of this.calls.values())
      for (const leg of call.legs.values()) if (leg.timer) clearTimeout(leg.timer);
    for (const timer of this.autoReady.values()) clearTimeout(timer);
    this.autoReady.clear();
    await this.log.flush();
  }

  /** Moves a logged-in agent's desk state with the call; after a call, wrap-up then auto-ready. */
  private async deskState(
    userId: number,
    change: 'offered' | 'connected' | 'ended' | 'not_taken',
    call: ActiveCall,
  ) {
    try {
      const seconds = await wrapUpSeconds(this.options.db);
      const next = await callStateChanged(this.options.db, userId, change, call.id, seconds);
      if (next) this.options.onAgentState?.(userId);
      if (next === 'wrap_up') this.scheduleAutoReady(userId, call.id, seconds * 1000);
    } catch (err) {
      this.say(`agent ${userId} state: ${err instanceof Error ? err.message : err}`);
    }
  }

  private scheduleAutoReady(userId: number, callId: string, delayMs: number) {
    clearTimeout(this.autoReady.get(userId));
    const timer = setTimeout(
      () => {
        this.autoReady.delete(userId);
        void endWrapUp(this.options.db, userId, callId)
          .then((changed) => changed && this.options.onAgentState?.(userId))
          .catch((err: Error) => this.say(`auto-ready ${userId}: ${err.message}`));
      },
      Math.max(0, delayMs),
    );
    this.autoReady.set(userId, timer);
  }

  /** Wrap-ups that were running when the engine stopped end when they would have. */
  private async resumeWrapUps() {
    const seconds = await wrapUpSeconds(this.options.db);
    for (const w of await agentsInWrapUp(this.options.db))
      this.scheduleAutoReady(w.userId, w.callId, w.since.getTime() + seconds * 1000 - this.now().getTime());
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

  private append(call: ActiveCall, event: CallEventBody): Promise<void> {
    const written = this.log.append(call.id, event);
    void written.then(
      () => this.emit('changed', call.id),
      (err: Error) => this.say(`event log: ${err.message}`),
    );
    return written;
  }

  // ── events from Asterisk ──────────────────────────────────────────────────
  private async handle(e: AriEvent): Promise<void> {
    switch (e.type) {
      case 'StasisStart': {
        const [kind, exten = ''] = e.args;
        if (kind === 'inbound') await this.onInbound(e.channel, exten);
        else if (kind === 'agent') await this.onAgentDial(e.channel, exten);
        else if (kind !== 'leg') await this.hangup(e.channel.id, 'normal');
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
        this.ivrRuns.get(e.channel.id)?.onEvent(e);
        return;
      case 'PlaybackFinished':
        for (const run of this.ivrRuns.values()) run.onEvent(e);
        return;
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
    if (caller)
      this.track(call, {
        channel: caller.id,
        name: caller.name,
        role: 'caller',
        target: null,
        answered: caller.state === 'Up',
        ringing: false,
        endedByUs: null,
        timer: null,
      });
    return call;
  }

  private track(call: ActiveCall, leg: Leg) {
    call.legs.set(leg.channel, leg);
    this.byChannel.set(leg.channel, call);
  }

  private async tag(channelId: string, callId: string, role: Role) {
    await this.options.ari.call('channels.setChannelVar', {
      channelId,
      variable: 'CC_CALL_ID',
      value: callId,
    });
    await this.options.ari.call('channels.setChannelVar', { channelId, variable: 'CC_ROLE', value: role });
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

  private get ringSeconds(): number {
    return this.options.ringSeconds ?? 60;
  }

  private async onInbound(channel: Channel, exten: string) {
    const trunkId = trunkIdOfChannel(channel.name);
    const number = await numberByDid(this.options.db, exten);
    const call = this.newCall('inbound', channel, trunkId, number?.id ?? null);
    await this.tag(channel.id, call.id, 'caller');
    await this.append(call, {
      type: 'call.started',
      data: {
        direction: 'inbound',
        from: normaliseNumber(channel.caller.number),
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
    const from = normaliseNumber(channel.caller.number);
    const blacklisted = await isBlacklisted(this.options.db, from);
    const hotline = await hotlineOfNumber(this.options.db, number.id);
    if (hotline?.target === 'ivr' && hotline.ivrId !== null) {
      const ivr = await loadIvr(this.options.db, hotline.ivrId);
      if (ivr) return this.runIvr(call, channel, number, ivr, hotline.id, blacklisted);
    }
    if (blacklisted) return this.refuse(call, 'blacklisted', 403);
    if (hotline?.target === 'group' && hotline.groupId !== null) {
      const step = await this.groupStep(hotline.groupId);
      if (step) call.next.push(step);
    } else if (hotline?.target === 'agent' && hotline.userId !== null) {
      const agent = (await offerable(this.options.db, hotline.userId))
        ? await agentById(this.options.db, hotline.userId)
        : null;
      if (agent)
        call.next.push({
          target: { kind: 'agent', userId: agent.userId, endpoint: agent.endpoint },
          ringSeconds: number.ringSeconds,
        });
    } else {
      for (const userId of [number.routeUserId, number.fallbackUserId]) {
        if (userId === null || !(await offerable(this.options.db, userId))) continue;
        const agent = await agentById(this.options.db, userId);
        if (agent)
          call.next.push({
            target: { kind: 'agent', userId, endpoint: agent.endpoint },
            ringSeconds: number.ringSeconds,
          });
      }
    }
    if (call.next.length === 0) return this.refuse(call, 'no_route', 480);
    await this.options.ari.call('channels.ring', { channelId: channel.id });
    await this.dialNext(call);
  }

  /** All members of an agent group with a phone, ringing at once (until the ACD brings strategies). */
  private async groupStep(groupId: number): Promise<NextStep | null> {
    const group = (await listGroups(this.options.db)).find((g) => g.id === groupId);
    if (!group) return null;
    const targets: LegTarget[] = [];
    for (const userId of await readyAgents(this.options.db, group.memberIds)) {
      const agent = await agentById(this.options.db, userId);
      if (agent) targets.push({ kind: 'agent', userId, endpoint: agent.endpoint });
    }
    const [first, ...rest] = targets;
    return first ? { target: first, alongside: rest, ringSeconds: group.ringSeconds } : null;
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
    const promptsInside = this.options.prompts?.inside ?? '';
    const run = new IvrRun({
      ari: this.options.ari,
      channelId: channel.id,
      ivr,
      hotlineId,
      caller: {
        number: call.callerId,
        region: this.options.regionOf?.(call.callerId) ?? '',
        vip: await isVip(this.options.db, call.callerId),
        blacklisted,
      },
      promptUri: async (promptId) => {
        const version = await promptVersion(this.options.db, promptId);
        return version === null ? null : `sound:${promptsInside}/${promptFileBase(promptId, version)}`;
      },
      systemUri: (name) => `sound:${promptsInside}/${systemPromptBase(ivr.language, name)}`,
      log: (event) => this.append(call, event),
      now: this.now,
    });
    this.ivrRuns.set(channel.id, run);
    let result: IvrResult;
    try {
      result = await run.run();
    } finally {
      this.ivrRuns.delete(channel.id);
    }
    if (call.ended || result.kind === 'gone') return;
    if (result.kind === 'hangup') return this.endCall(call, 'system', 16, null);
    const { action } = result;
    if (action.type === 'group') {
      const step = await this.groupStep(action.groupId);
      if (step) call.next.push(step);
    } else if (action.type === 'agent') {
      const agent = (await offerable(this.options.db, action.userId))
        ? await agentById(this.options.db, action.userId)
        : null;
      if (agent)
        call.next.push({
          target: { kind: 'agent', userId: agent.userId, endpoint: agent.endpoint },
          ringSeconds: number.ringSeconds,
        });
    } else {
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

  private async onAgentDial(channel: Channel, exten: string) {
    const endpoint = endpointOfChannel(channel.name) ?? '';
    const agent = await agentByEndpoint(this.options.db, endpoint);
    if (!agent) {
      await this.hangup(channel.id, 'rejected');
      return;
    }
    const dialled = normaliseNumber(exten);
    const colleague = await agentByEndpoint(this.options.db, dialled);
    if (colleague) {
      const call = this.newCall('internal', channel, null, null);
      call.placedBy = agent.userId;
      await this.tag(channel.id, call.id, 'caller');
      await this.append(call, {
        type: 'call.started',
        data: {
          direction: 'internal',
          from: agent.endpoint,
          to: colleague.endpoint,
          trunkId: null,
          numberId: null,
          agentId: agent.userId,
          channel: channel.name,
        },
      });
      call.next.push({
        target: { kind: 'agent', userId: colleague.userId, endpoint: colleague.endpoint },
        ringSeconds: this.ringSeconds,
      });
      await this.options.ari.call('channels.ring', { channelId: channel.id });
      await this.dialNext(call);
      return;
    }
    const call = this.newCall('outbound', channel, null, null);
    await this.tag(channel.id, call.id, 'caller');
    const plan = await this.planOutbound(agent, dialled);
    await this.startOutbound(call, agent, plan.number, dialled, channel.name);
    if (plan.refusal) return this.refuse(call, plan.refusal.reason, plan.refusal.sipCode);
    if (!plan.number) return;
    call.next.push({
      target: { kind: 'external', number: dialled, trunkId: plan.number.trunkId },
      ringSeconds: this.ringSeconds,
    });
    call.callerId = plan.number.number;
    await this.options.ari.call('channels.ring', { channelId: channel.id });
    await this.dialNext(call);
  }

  /** Whether an agent may call `destination` now, and with which number. */
  private async planOutbound(
    agent: Agent,
    destination: string,
  ): Promise<{ number: PhoneNumber | null; refusal: CallRefused | null }> {
    const refusal = (reason: string, sipCode: number) => ({
      number: null,
      refusal: new CallRefused(reason, sipCode),
    });
    if (!agent.canDialOut) return refusal('no_permission', 403);
    if (!/^\d{3,20}$/.test(destination)) return refusal('invalid_number', 404);
    const number = await outboundNumberFor(this.options.db, agent);
    if (!number) return refusal('no_outbound_number', 403);
    const trunk = await trunkById(this.options.db, number.trunkId);
    if (!trunk?.enabled) return refusal('no_outbound_number', 403);
    const rule = await checkNumberRules(this.options.db, number, destination, this.now());
    if (rule) return { number, refusal: new CallRefused(rule, 403) };
    const busy = this.limitReached(trunk, number);
    return { number, refusal: busy ? new CallRefused(busy, 486) : null };
  }

  /** Logs the start of an agent's call out (from the phone, or click-to-call when there is no channel yet). */
  private startOutbound(
    call: ActiveCall,
    agent: Agent,
    number: PhoneNumber | null,
    dialled: string,
    channel: string,
  ) {
    call.trunkId = number?.trunkId ?? null;
    call.numberId = number?.id ?? null;
    call.placedBy = agent.userId;
    return this.append(call, {
      type: 'call.started',
      data: {
        direction: 'outbound',
        from: number?.number ?? agent.endpoint,
        to: dialled,
        trunkId: call.trunkId,
        numberId: call.numberId,
        agentId: agent.userId,
        channel,
        ...(channel === '' ? { clickToCall: true } : {}),
      },
    });
  }

  /**
   * Click-to-call: rings the agent's phone; when the agent answers, dials the customer with the
   * agent's outbound number. Refusals (permission, rules, limits) throw CallRefused and are logged.
   */
  async clickToCall(userId: number, destination: string): Promise<string> {
    const agent = await agentById(this.options.db, userId);
    if (!agent) throw new CallRefused('no_phone', 404);
    const dialled = normaliseNumber(destination);
    const plan = await this.planOutbound(agent, dialled);
    const call = this.newCall('outbound', null, null, null);
    await this.startOutbound(call, agent, plan.number, dialled, '');
    if (plan.refusal || !plan.number) {
      const refusal = plan.refusal ?? new CallRefused('no_outbound_number', 403);
      await this.append(call, {
        type: 'call.refused',
        data: { reason: refusal.reason, sipCode: refusal.sipCode },
      });
      await this.append(call, {
        type: 'call.ended',
        data: { by: 'system', q850Cause: null, sipCode: refusal.sipCode },
      });
      this.forget(call);
      throw refusal;
    }
    call.afterAgentAnswers = {
      target: { kind: 'external', number: dialled, trunkId: plan.number.trunkId },
      callerId: plan.number.number,
    };
    call.next.push({
      target: { kind: 'agent', userId: agent.userId, endpoint: agent.endpoint },
      ringSeconds: this.ringSeconds,
    });
    call.callerId = dialled;
    await this.dialNext(call, 'originator');
    return call.id;
  }

  /** Dials the next step of the call (one phone, or a group's phones at once); when none is left, ends the call. */
  private async dialNext(call: ActiveCall, role: Role = 'callee'): Promise<void> {
    const next = call.next.shift();
    if (!next) return this.endCall(call, 'system', null, null);
    const targets = [next.target, ...(next.alongside ?? [])];
    let dialled = 0;
    for (const target of targets) if (await this.dialLeg(call, target, next.ringSeconds, role)) dialled++;
    if (dialled === 0 && !call.ended) return this.dialNext(call, role);
  }

  /** Creates and dials one leg; false when it could not even be created. */
  private async dialLeg(
    call: ActiveCall,
    target: LegTarget,
    ringSeconds: number,
    role: Role,
  ): Promise<boolean> {
    const endpoint =
      target.kind === 'agent'
        ? `PJSIP/${target.endpoint}`
        : `PJSIP/${target.number}@${trunkEndpoint(target.trunkId)}`;
    // An outgoing channel presents its connected line (the party calling) in From/PAI; customers
    // see our number only, never an agent's name.
    const variables: Record<string, string> = {
      CC_CALL_ID: call.id,
      CC_ROLE: role,
      'CONNECTEDLINE(num)': call.callerId,
      'CONNECTEDLINE(name)': target.kind === 'external' ? call.callerId : '',
    };
    let channel: Channel;
    try {
      channel = await this.options.ari.call('channels.create', {
        endpoint,
        app: this.options.app,
        appArgs: 'leg',
        variables,
      });
    } catch (err) {
      this.say(`dialling ${endpoint} failed: ${err instanceof Error ? err.message : err}`);
      await this.append(call, { type: 'leg.dialing', data: { leg: '', target } });
      await this.append(call, {
        type: 'leg.failed',
        data: { leg: '', failure: 'unavailable', q850Cause: null, sipCode: null },
      });
      return false;
    }
    const leg: Leg = {
      channel: channel.id,
      name: channel.name,
      role,
      target,
      answered: false,
      ringing: false,
      endedByUs: null,
      timer: null,
    };
    this.track(call, leg);
    await this.append(call, {
      type: 'leg.dialing',
      data: { leg: channel.id, target, ...(role === 'originator' ? { originator: true } : {}) },
    });
    if (target.kind === 'agent' && role === 'callee') await this.deskState(target.userId, 'offered', call);
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
    leg.answered = true;
    if (leg.timer) clearTimeout(leg.timer);
    leg.timer = null;
    const { ari } = this.options;
    if (leg.role === 'originator') {
      // Click-to-call: the agent picked up; now the customer's phone rings.
      await this.append(call, {
        type: 'leg.answered',
        data: {
          leg: leg.channel,
          userId: leg.target?.kind === 'agent' ? leg.target.userId : null,
          originator: true,
        },
      });
      call.caller = leg.channel;
      leg.role = 'caller';
      await ari.call('channels.setChannelVar', {
        channelId: leg.channel,
        variable: 'CC_ROLE',
        value: 'caller',
      });
      await ari.call('channels.ring', { channelId: leg.channel }).catch(() => {});
      if (call.afterAgentAnswers) {
        call.next.push({
          target: call.afterAgentAnswers.target,
          ringSeconds: this.ringSeconds,
        });
        call.callerId = call.afterAgentAnswers.callerId;
        call.afterAgentAnswers = null;
        await this.dialNext(call);
      }
      return;
    }
    // Anyone else still ringing for this call stops.
    for (const other of call.legs.values()) {
      if (other !== leg && other.role === 'callee' && !other.answered) {
        other.endedByUs = 'cancelled';
        await this.hangup(other.channel, 'answered_elsewhere');
      }
    }
    call.next = [];
    await this.append(call, {
      type: 'leg.answered',
      data: { leg: leg.channel, userId: leg.target?.kind === 'agent' ? leg.target.userId : null },
    });
    for (const userId of [leg.target?.kind === 'agent' ? leg.target.userId : null, call.placedBy ?? null]) {
      if (userId === null) continue;
      call.agentsOnCall = [...(call.agentsOnCall ?? []), userId];
      await this.deskState(userId, 'connected', call);
    }
    if (!call.caller) return;
    await ari.call('channels.answer', { channelId: call.caller }).catch(() => {});
    const bridge = await ari.call('bridges.create', { type: 'mixing', name: `call-${call.id}` });
    call.bridgeId = bridge.id;
    await ari.call('bridges.addChannel', {
      bridgeId: bridge.id,
      channel: [call.caller, leg.channel].join(','),
    });
    await this.append(call, { type: 'call.bridged', data: { bridgeId: bridge.id } });
    const caller = call.legs.get(call.caller);
    if (caller) {
      try {
        const file = await this.recorder.start(caller.name, call.id);
        call.recording = true;
        await this.append(call, { type: 'recording.started', data: { file } });
      } catch (err) {
        this.say(`recording call ${call.id} failed: ${err instanceof Error ? err.message : err}`);
      }
    }
  }

  /** A channel of a call is gone (hung up, failed, or left the application). */
  private async onGone(channelId: string, cause: number, sipCode: number | null, causeText = '') {
    this.hangupCauses.delete(channelId);
    const call = this.byChannel.get(channelId);
    if (!call) return;
    const leg = call.legs.get(channelId);
    this.byChannel.delete(channelId);
    if (!leg || call.ended) return;
    call.legs.delete(leg.channel);
    if (leg.timer) clearTimeout(leg.timer);
    if (leg.role === 'caller') {
      this.ivrRuns.get(channelId)?.abort();
      return this.endCall(call, 'caller', cause, sipCode);
    }
    if (leg.answered) return this.endCall(call, 'callee', cause, sipCode);
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
    if (leg.target?.kind === 'agent' && leg.role === 'callee')
      await this.deskState(leg.target.userId, 'not_taken', call);
    if (failure === 'cancelled') return;
    const stillRinging = [...call.legs.values()].some((l) => l.role !== 'caller' && !l.answered);
    if (stillRinging) return;
    if (leg.role === 'originator') return this.endCall(call, 'system', cause, sipCode);
    if (call.next.length > 0) return this.dialNext(call);
    return this.endCall(call, 'system', cause, sipCode, failure);
  }

  /** Ends the call: hangs up what is left, logs the end, stores the recording. */
  private async endCall(
    call: ActiveCall,
    by: 'caller' | 'callee' | 'system',
    q850Cause: number | null,
    sipCode: number | null,
    failure?: LegFailure,
  ) {
    if (call.ended) return;
    call.ended = true;
    for (const leg of call.legs.values()) {
      if (leg.timer) clearTimeout(leg.timer);
      leg.endedByUs ??= 'cancelled';
      // An unanswered caller hears busy when the agent was busy, otherwise "temporarily unavailable".
      await this.hangup(leg.channel, leg.answered ? 'normal' : failure === 'busy' ? 'busy' : 'no_answer');
    }
    await this.append(call, { type: 'call.ended', data: { by, q850Cause, sipCode } });
    for (const userId of call.agentsOnCall ?? []) await this.deskState(userId, 'ended', call);
    if (call.bridgeId)
      await this.options.ari.call('bridges.destroy', { bridgeId: call.bridgeId }).catch(() => {});
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
    for (const [channel, c] of this.byChannel) if (c === call) this.byChannel.delete(channel);
  }

  private async hangup(channelId: string, reason: HangupReason) {
    try {
      await this.options.ari.call('channels.hangup', { channelId, reason });
    } catch (err) {
      if (!(err instanceof AriError && err.status === 404)) throw err;
    }
  }

  // ── resync after a restart or reconnect ──────────────────────────────────
  /**
   * Rebuilds the calls from the channels Asterisk has (their CC_CALL_ID and CC_ROLE) and the
   * event log; calls that ended while nobody was listening are closed.
   */
  async resync(): Promise<void> {
    const { ari, app } = this.options;
    const channels = await ari.call('channels.list', {});
    const bridges = await ari.call('bridges.list', {});
    const live = new Set(channels.map((c) => c.id));
    const byCall = new Map<string, Channel[]>();
    for (const ch of channels) {
      const id = String(ch.channelvars?.CC_CALL_ID ?? '');
      if (!id) continue;
      byCall.set(id, [...(byCall.get(id) ?? []), ch]);
    }
    // Calls we knew whose channels went away while we were not listening.
    for (const call of [...this.calls.values()]) {
      for (const leg of [...call.legs.values()]) {
        if (live.has(leg.channel)) continue;
        await this.onGone(leg.channel, 16, null, 'gone while disconnected');
      }
    }
    let resumed = 0;
    for (const [callId, chans] of byCall) {
      if (this.calls.has(callId)) continue;
      const events = await eventsOf(this.options.db, callId);
      const started = events.find((e) => e.type === 'call.started');
      if (started?.type !== 'call.started' || events.some((e) => e.type === 'call.ended')) continue;
      const call = restoredCall(callId, events, this.now());
      call.bridgeId =
        bridges.find((b) => b.channels.some((c) => chans.some((ch) => ch.id === c)))?.id ?? null;
      this.calls.set(call.id, call);
      for (const ch of chans) {
        const role = (String(ch.channelvars?.CC_ROLE ?? 'callee') as Role) || 'callee';
        if (role === 'caller') call.caller = ch.id;
        this.track(call, {
          channel: ch.id,
          name: ch.name,
          role,
          target: null,
          answered: ch.state === 'Up',
          ringing: false,
          endedByUs: null,
          timer: null,
        });
      }
      const sources = [
        ...chans.map((c) => `channel:${c.id}`),
        ...(call.bridgeId ? [`bridge:${call.bridgeId}`] : []),
      ];
      await ari.call('applications.subscribe', { applicationName: app, eventSource: sources });
      await this.append(call, { type: 'cti.resumed', data: { channels: chans.map((c) => c.id) } });
      resumed++;
      // A bridged call whose bridge Asterisk did not list (seen right after an app restart) is
      // joined again in a new bridge; a call that was never bridged cannot be resumed half-way.
      const wasBridged = events.some((e) => e.type === 'call.bridged');
      if (process.env.CTI_TRACE)
        this.say(
          `resync ${call.id}: ${chans.map((c) => `${c.id}/${c.state}/${c.channelvars?.CC_ROLE}`).join(' ')} bridge ${call.bridgeId} of ${bridges.length}`,
        );
      if (!call.bridgeId && wasBridged && chans.length >= 2 && chans.every((c) => c.state === 'Up'))
        call.bridgeId = await this.rebridge(call.id, chans).catch((err: Error) => {
          this.say(`re-bridging ${call.id} failed: ${err.message}`);
          return null;
        });
      if (!call.bridgeId || chans.length < 2) await this.endCall(call, 'system', null, null);
    }
    // Calls the log still has open but Asterisk no longer has.
    for (const callId of await openCallIds(this.options.db)) {
      if (this.calls.has(callId) || byCall.has(callId)) continue;
      const call = restoredCall(callId, await eventsOf(this.options.db, callId), this.now());
      await this.endCall(call, 'system', null, null);
    }
    if (resumed > 0) this.say(`resumed ${resumed} call(s) in progress`);
  }

  /** Puts the channels of a call in a new mixing bridge; returns its id. */
  private async rebridge(callId: string, chans: Channel[]): Promise<string> {
    const { ari, app } = this.options;
    const bridge = await ari.call('bridges.create', { type: 'mixing', name: `call-${callId}` });
    await ari.call('bridges.addChannel', { bridgeId: bridge.id, channel: chans.map((c) => c.id).join(',') });
    await ari.call('applications.subscribe', { applicationName: app, eventSource: [`bridge:${bridge.id}`] });
    this.say(`call ${callId}: joined again in a new bridge`);
    return bridge.id;
  }

  /** For tests and the status page: the ids of calls in progress. */
  callIds(): string[] {
    return [...this.calls.keys()];
  }
}

function blankCall(id: string, direction: CallDirection, startedAt: Date): ActiveCall {
  return {
    id,
    direction,
    startedAt,
    trunkId: null,
    numberId: null,
    caller: null,
    legs: new Map(),
    bridgeId: null,
    next: [],
    afterAgentAnswers: null,
    callerId: '',
    recording: false,
    ended: false,
  };
}

/** A call as its logged events describe it (after a restart; legs come from Asterisk). */
function restoredCall(id: string, events: readonly CallEvent[], now: Date): ActiveCall {
  const started = events.find((e) => e.type === 'call.started');
  const call = blankCall(
    id,
    started?.type === 'call.started' ? started.data.direction : 'inbound',
    started?.at ?? now,
  );
  if (started?.type === 'call.started')
    Object.assign(call, { trunkId: started.data.trunkId, numberId: started.data.numberId });
  call.recording = events.some((e) => e.type === 'recording.started');
  return call;
}

/** Q.850 cause of a failed dial attempt → what it means for the call. */
function failureOf(cause: number): LegFailure {
  if (cause === 17) return 'busy';
  if (cause === 18 || cause === 19) return 'no_answer';
  if (cause === 21) return 'rejected';
  return 'unavailable';
}
