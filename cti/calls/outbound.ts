/**
 * Agents' calls out: dialling a colleague's SIP username (internal) or any other number, which
 * goes out through the trunk of the number assigned to the agent (or their department), shown
 * as caller ID, if the agent may call out and the number's call-setting rules and limits allow
 * it; click-to-call (the agent's phone rings first, then the customer); and callbacks the ACD
 * reserved an agent for (the agent first, then the caller on the number they had called).
 */
import { normaliseNumber } from '../../core/validate.ts';
import type { Db } from '../../db/client.ts';
import type { CallDirection } from '../../db/schema.ts';
import type { Acd, CallbackRequest } from '../acd/acd.ts';
import type { PoolAgent, PoolGroup } from '../acd/pool.ts';
import type { AriClient } from '../ari/client.ts';
import type { Channel } from '../ari/generated.ts';
import { endpointOfChannel } from '../asterisk.ts';
import type { CallEventBody, LegTarget } from '../call-log/events.ts';
import {
  type Agent,
  agentByEndpoint,
  agentById,
  checkNumberRules,
  numberById,
  outboundNumberFor,
  type PhoneNumber,
  type Trunk,
  trunkById,
} from './directory.ts';
import type { ActiveCall, Role } from './model.ts';

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

/** What calls out need from the call engine (a port: the engine fills it). */
export interface OutboundHost {
  readonly db: Db;
  /** The call centre's time zone (the number rules' day). */
  readonly timeZone: string;
  readonly ari: AriClient;
  readonly acd: Pick<Acd, 'callbackPlaced' | 'callbackOutcome'>;
  /** Ring time for internal and outbound calls. */
  readonly ringSeconds: number;
  now(): Date;
  newCall(
    direction: CallDirection,
    caller: Channel | null,
    trunkId: number | null,
    numberId: number | null,
  ): ActiveCall;
  tag(channelId: string, callId: string, role: Role): Promise<void>;
  refuse(call: ActiveCall, reason: string, sipCode: number): Promise<void>;
  append(call: ActiveCall, event: CallEventBody): Promise<void>;
  dialNext(call: ActiveCall, role?: Role): Promise<void>;
  dialLeg(call: ActiveCall, target: LegTarget, ringSeconds: number, role: Role): Promise<boolean>;
  endCall(call: ActiveCall, by: 'system', q850Cause: number | null, sipCode: number | null): Promise<void>;
  forget(call: ActiveCall): void;
  hangup(channelId: string, reason: 'rejected'): Promise<void>;
  limitReached(trunk: Trunk, number: PhoneNumber, exclude?: ActiveCall): 'trunk_busy' | 'number_busy' | null;
}

export class Outbound {
  constructor(private readonly host: OutboundHost) {}

  /** An agent's phone dialled: a colleague's SIP username (internal), or a number out through a trunk. */
  async onAgentDial(channel: Channel, exten: string) {
    const endpoint = endpointOfChannel(channel.name) ?? '';
    const agent = await agentByEndpoint(this.host.db, endpoint);
    if (!agent) {
      await this.host.hangup(channel.id, 'rejected');
      return;
    }
    const dialled = normaliseNumber(exten);
    const colleague = await agentByEndpoint(this.host.db, dialled);
    if (colleague) {
      const call = this.host.newCall('internal', channel, null, null);
      call.legs.get(channel.id)!.target = { kind: 'agent', userId: agent.userId, endpoint: agent.endpoint };
      call.placedBy = agent.userId;
      await this.host.tag(channel.id, call.id, 'caller');
      await this.host.append(call, {
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
        ringSeconds: this.host.ringSeconds,
      });
      await this.host.ari.call('channels.ring', { channelId: channel.id });
      await this.host.dialNext(call);
      return;
    }
    const call = this.host.newCall('outbound', channel, null, null);
    call.legs.get(channel.id)!.target = { kind: 'agent', userId: agent.userId, endpoint: agent.endpoint };
    await this.host.tag(channel.id, call.id, 'caller');
    const plan = await this.planOutbound(agent, dialled);
    await this.startOutbound(call, agent, plan.number, dialled, channel.name);
    if (plan.refusal) return this.host.refuse(call, plan.refusal.reason, plan.refusal.sipCode);
    if (!plan.number) return;
    call.next.push({
      target: { kind: 'external', number: dialled, trunkId: plan.number.trunkId },
      ringSeconds: this.host.ringSeconds,
    });
    call.callerId = plan.number.number;
    await this.host.ari.call('channels.ring', { channelId: channel.id });
    await this.host.dialNext(call);
  }

  /** Whether an agent may call `destination` now, and with which number. */
  async planOutbound(
    agent: Agent,
    destination: string,
  ): Promise<{ number: PhoneNumber | null; refusal: CallRefused | null }> {
    const refusal = (reason: string, sipCode: number) => ({
      number: null,
      refusal: new CallRefused(reason, sipCode),
    });
    if (!agent.canDialOut) return refusal('no_permission', 403);
    if (!/^\d{3,20}$/.test(destination)) return refusal('invalid_number', 404);
    const number = await outboundNumberFor(this.host.db, agent);
    if (!number) return refusal('no_outbound_number', 403);
    const trunk = await trunkById(this.host.db, number.trunkId);
    if (!trunk?.enabled) return refusal('no_outbound_number', 403);
    const rule = await checkNumberRules(
      this.host.db,
      number,
      destination,
      this.host.now(),
      this.host.timeZone,
    );
    if (rule) return { number, refusal: new CallRefused(rule, 403) };
    const busy = this.host.limitReached(trunk, number);
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
    return this.host.append(call, {
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
    const agent = await agentById(this.host.db, userId);
    if (!agent) throw new CallRefused('no_phone', 404);
    const dialled = normaliseNumber(destination);
    const plan = await this.planOutbound(agent, dialled);
    const call = this.host.newCall('outbound', null, null, null);
    await this.startOutbound(call, agent, plan.number, dialled, '');
    if (plan.refusal || !plan.number) {
      const refusal = plan.refusal ?? new CallRefused('no_outbound_number', 403);
      await this.host.append(call, {
        type: 'call.refused',
        data: { reason: refusal.reason, sipCode: refusal.sipCode },
      });
      await this.host.append(call, {
        type: 'call.ended',
        data: { by: 'system', q850Cause: null, sipCode: refusal.sipCode },
      });
      this.host.forget(call);
      throw refusal;
    }
    call.afterAgentAnswers = {
      target: { kind: 'external', number: dialled, trunkId: plan.number.trunkId },
      callerId: plan.number.number,
    };
    call.next.push({
      target: { kind: 'agent', userId: agent.userId, endpoint: agent.endpoint },
      ringSeconds: this.host.ringSeconds,
    });
    call.callerId = dialled;
    await this.host.dialNext(call, 'originator');
    return call.id;
  }

  /**
   * A callback the ACD reserved an agent for: the agent's phone rings first; when they answer,
   * the caller is dialled through the trunk of the number they had called, showing it.
   */
  async placeCallback(request: CallbackRequest, agent: PoolAgent, group: PoolGroup) {
    const call = this.host.newCall('outbound', null, null, null);
    this.host.acd.callbackPlaced(call.id, request.id);
    call.callbackId = request.id;
    call.groupId = group.id;
    let number = request.numberId !== null ? await numberById(this.host.db, request.numberId) : null;
    if (!number?.enabled) {
      const dir = await agentById(this.host.db, agent.userId);
      number = dir ? await outboundNumberFor(this.host.db, dir) : null;
    }
    const trunk = number ? await trunkById(this.host.db, number.trunkId) : null;
    call.trunkId = number?.trunkId ?? null;
    call.numberId = number?.id ?? null;
    call.placedBy = agent.userId;
    await this.host.append(call, {
      type: 'call.started',
      data: {
        direction: 'outbound',
        from: number?.number ?? agent.endpoint,
        to: request.number,
        trunkId: call.trunkId,
        numberId: call.numberId,
        agentId: agent.userId,
        channel: '',
      },
    });
    await this.host.append(call, {
      type: 'callback.placed',
      data: { callbackId: request.id, callId: request.callId, groupId: group.id },
    });
    const busy =
      number && trunk?.enabled ? this.host.limitReached(trunk, number, call) : 'no_outbound_number';
    if (!number || busy) {
      await this.host.append(call, {
        type: 'call.refused',
        data: { reason: busy ?? 'no_outbound_number', sipCode: 503 },
      });
      await this.host.endCall(call, 'system', null, 503);
      await this.host.acd.callbackOutcome(call.id, 'unreachable', agent.userId);
      return;
    }
    call.afterAgentAnswers = {
      target: { kind: 'external', number: request.number, trunkId: number.trunkId },
      callerId: number.number,
    };
    call.callerId = request.number;
    const ok = await this.host.dialLeg(
      call,
      { kind: 'agent', userId: agent.userId, endpoint: agent.endpoint },
      group.ringSeconds,
      'originator',
    );
    if (!ok) {
      await this.host.endCall(call, 'system', null, null);
      await this.host.acd.callbackOutcome(call.id, 'agent_no_answer', agent.userId);
    }
  }
}
