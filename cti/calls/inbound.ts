/**
 * Inbound routing: a call from a trunk to one of our numbers goes where its hotline says (an
 * IVR, an agent group's queue, an agent), or rings the number's agent (direct route), then the
 * fallback agent after the ring time, then tells the caller no one is there. Unknown trunks and
 * numbers, limits and the blacklist refuse or turn the caller away; the caller's facts (region,
 * VIP, repeat caller) are recorded once, in `call.flags`, for the IVR, the queues and the screen pop.
 */
import { normaliseNumber } from '../../core/validate.ts';
import { offerable } from '../agents/agent-states.ts';
import type { Channel } from '../ari/generated.ts';
import { trunkIdOfChannel } from '../asterisk.ts';
import type { Ivr } from '../ivr/ivrs.ts';
import { type IvrResult, IvrRun } from '../ivr/runner.ts';
import { callerFacts } from './caller-facts.ts';
import { agentById, numberById, type PhoneNumber } from './directory.ts';
import type { ActiveCall, Role } from './model.ts';
import type { CallParts } from './parts.ts';

/** What inbound routing needs beyond the shared parts (the engine fills it). */
export interface InboundHost {
  /** Sets the call id and role variables on a channel (kept across restarts). */
  tag(channelId: string, callId: string, role: Role): Promise<void>;
  /** Refuses the call: logged, and the caller hears the matching SIP response. */
  refuse(call: ActiveCall, reason: string, sipCode: number): Promise<void>;
  dialNext(call: ActiveCall): Promise<void>;
  /** The caller number's region (province and city). */
  regionOf?: (number: string) => string;
}

export class Inbound {
  constructor(
    private readonly parts: CallParts,
    private readonly host: InboundHost,
  ) {}

  async onInbound(channel: Channel, exten: string) {
    const trunkId = trunkIdOfChannel(channel.name);
    const number = await this.parts.config.numberByDid(exten);
    const call = this.parts.calls.newCall('inbound', channel, trunkId, number?.id ?? null);
    await this.host.tag(channel.id, call.id, 'caller');
    const from = normaliseNumber(channel.caller.number);
    await this.parts.append(call, {
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
    // The database has not taken the log's writes for long: refuse rather than lose events.
    if (this.parts.logFull()) return this.host.refuse(call, 'event_log_full', 503);
    const trunk = trunkId === null ? null : await this.parts.config.trunkById(trunkId);
    if (!trunk?.enabled) return this.host.refuse(call, 'unknown_trunk', 403);
    if (!number?.enabled || number.trunkId !== trunk.id) return this.host.refuse(call, 'unknown_number', 404);
    const limit = this.parts.calls.limitReached(trunk, number, call);
    if (limit) return this.host.refuse(call, limit, 486);
    const facts = await callerFacts(this.parts.db, from, call.startedAt, this.parts.config);
    const { blacklisted } = facts;
    call.region = this.host.regionOf?.(from) ?? '';
    call.vip = facts.vip;
    await this.parts.append(call, {
      type: 'call.flags',
      data: { region: call.region, repeat: facts.repeatCalls > 0, ...facts },
    });
    const hotline = await this.parts.config.hotlineOfNumber(number.id);
    if (hotline?.target === 'ivr' && hotline.ivrId !== null) {
      const ivr = await this.parts.config.ivr(hotline.ivrId);
      if (ivr) return this.runIvr(call, channel, number, ivr, hotline.id, blacklisted);
    }
    if (blacklisted) return this.turnAwayBlacklisted(call, hotline?.groupId ?? null);
    if (hotline?.target === 'group' && hotline.groupId !== null)
      return this.parts.acd.join(call, hotline.groupId, 'hotline');
    if (hotline?.target === 'agent' && hotline.userId !== null) {
      await this.queueNamedAgent(call, hotline.userId, number.ringSeconds);
    } else {
      for (const userId of [number.routeUserId, number.fallbackUserId])
        if (userId !== null) await this.queueNamedAgent(call, userId, number.ringSeconds);
    }
    if (call.next.length === 0) return this.host.refuse(call, 'no_route', 480);
    await this.parts.ari.call('channels.ring', { channelId: channel.id });
    await this.host.dialNext(call);
  }

  /** A blacklisted caller (3.4.9) on a hotline without an IVR hears the blacklist prompt and is let go. */
  private async turnAwayBlacklisted(call: ActiveCall, groupId: number | null) {
    const language =
      (groupId !== null ? this.parts.acd.pool.groups.get(groupId)?.settings.language : null) ?? 'en';
    await this.parts.append(call, { type: 'call.refused', data: { reason: 'blacklisted', sipCode: 403 } });
    const prompter = this.parts.prompter(call);
    await this.parts.ari.call('channels.answer', { channelId: call.caller! }).catch(() => {});
    await prompter?.play(this.parts.systemMedia(language, ['blacklisted']), false).catch(() => {});
    await this.parts.endCall(call, 'system', 21, 403);
  }

  /** Adds a named agent (direct route, hotline or IVR key) to the agents to ring, if they may be offered a call. */
  private async queueNamedAgent(call: ActiveCall, userId: number, ringSeconds: number) {
    if (!(await offerable(this.parts.db, userId))) return;
    const agent = await agentById(this.parts.db, userId);
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
      ari: this.parts.ari,
      channelId: channel.id,
      prompter: this.parts.prompter(call)!,
      ivr,
      hotlineId,
      caller: { number: call.callerId, region: call.region, vip: call.vip, blacklisted },
      promptUri: (promptId) => this.parts.promptMedia(promptId),
      systemUri: (name) => this.parts.systemMedia(ivr.language, [name])[0]!,
      log: (event) => this.parts.append(call, event),
      now: this.parts.now,
    });
    const result: IvrResult = await run.run();
    if (call.ended || result.kind === 'gone') return;
    if (result.kind === 'hangup') return this.parts.endCall(call, 'system', 16, null);
    const { action } = result;
    if (action.type === 'group') return this.parts.acd.join(call, action.groupId, 'ivr');
    if (action.type === 'agent') await this.queueNamedAgent(call, action.userId, number.ringSeconds);
    else {
      // Transfer to an outside number through the hotline's trunk, showing the hotline number.
      call.callerId = number.number;
      call.next.push({
        target: { kind: 'external', number: action.number, trunkId: number.trunkId },
        ringSeconds: this.parts.ringSeconds,
      });
    }
    if (call.next.length === 0) return this.parts.endCall(call, 'system', 16, null);
    await this.parts.ari.call('channels.ring', { channelId: channel.id }).catch(() => {});
    await this.host.dialNext(call);
  }

  /** Overflow to an outside number: through the trunk the call came in on, showing the number dialled. */
  async routeOut(call: ActiveCall, destination: string) {
    const number = call.numberId !== null ? await numberById(this.parts.db, call.numberId) : null;
    if (!number) return this.parts.endCall(call, 'system', 16, null);
    call.callerId = number.number;
    call.next.push({
      target: { kind: 'external', number: destination, trunkId: number.trunkId },
      ringSeconds: this.parts.ringSeconds,
    });
    await this.host.dialNext(call);
  }
}
