/**
 * What an agent does with their call from the desk (来电弹屏, 3.5): hold and resume, mute,
 * hang up, transfer — blind or attended — to a colleague, a group or an outside number,
 * a conference of up to six parties, sending the caller to the satisfaction survey, and the
 * wrap-up note with its business type. Each action acts on the agent's own call only (desk:use)
 * and is a step in the call's event log.
 *
 * Holding takes the agent out of the call's bridge and plays music to the others. An attended
 * transfer holds the caller, talks to the colleague in a consult bridge, then either hands the
 * caller over (the agent leaves) or returns to the caller. A blind transfer rings the target
 * (or queues the caller in the group) and the agent leaves at once.
 */
import { requirePermission } from '../../core/access/actor.ts';
import type { Ctx } from '../../core/context.ts';
import { DomainError } from '../../core/errors.ts';
import { normaliseNumber } from '../../core/validate.ts';
import { agentById, numberById, outboundNumberFor } from '../calls/directory.ts';
import type { Db } from '../../db/client.ts';
import type { Acd } from '../acd/acd.ts';
import { channelVars, defaultMohClass } from '../asterisk.ts';
import type { AriClient } from '../ari/client.ts';
import type { CallEventBody, LegFailure, LegTarget, TransferTarget } from '../call-log/events.ts';
import { type ActiveCall, type Leg, legUser, type Role } from '../calls/model.ts';
import { freeMembers } from '../acd/strategies.ts';
import type { Prompter } from '../media/prompter.ts';

/** Most parties in one conversation (3.5: up to six). */
export const maxParties = 6;

/** What the desk controls need from the call engine (a port: the engine fills it). */
export interface DeskHost {
  readonly db: Db;
  readonly ari: AriClient;
  readonly acd: Pick<Acd, 'join' | 'pool'>;
  append(call: ActiveCall, event: CallEventBody): Promise<void>;
  callOfAgent(userId: number): { call: ActiveCall; leg: Leg } | null;
  connect(call: ActiveCall, channels: string[]): Promise<void>;
  dialLeg(call: ActiveCall, target: LegTarget, ringSeconds: number, role: Role): Promise<boolean>;
  hangup(channelId: string, reason: 'normal'): Promise<void>;
  prompter(call: ActiveCall): Prompter | null;
  channelPrompter(channelId: string): Prompter;
  systemMedia(language: string, pieces: readonly string[]): string[];
}

export class DeskControls {
  constructor(private readonly engine: DeskHost) {}

  /** The agent's answered call and leg, or a clear refusal. */
  private mine(ctx: Ctx): { call: ActiveCall; leg: Leg; userId: number } {
    requirePermission(ctx.actor, 'desk:use');
    const userId = ctx.actor.userId;
    const found = this.engine.callOfAgent(userId);
    if (!found || found.call.ended || !(found.leg.answered || found.leg.role === 'caller'))
      throw new DomainError('not_on_call');
    return { ...found, userId };
  }

  private language(call: ActiveCall): string {
    return this.engine.acd.pool.groups.get(call.groupId ?? -1)?.settings.language ?? 'en';
  }

  // ── hold, mute, hang up ─────────────────────────────────────────────────────
  async hold(ctx: Ctx): Promise<void> {
    const { call, leg, userId } = this.mine(ctx);
    if (call.held || call.consult) throw new DomainError('transfer_in_progress');
    await this.holdFor(call, leg, userId);
  }

  private async holdFor(call: ActiveCall, leg: Leg, userId: number) {
    if (!call.bridgeId) throw new DomainError('not_on_call');
    const { ari } = this.engine;
    await ari.call('bridges.removeChannel', { bridgeId: call.bridgeId, channel: leg.channel });
    await ari.call('bridges.startMoh', { bridgeId: call.bridgeId, mohClass: defaultMohClass });
    call.held = { by: userId };
    await this.engine.append(call, { type: 'call.held', data: { userId } });
  }

  async resume(ctx: Ctx): Promise<void> {
    const { call, leg, userId } = this.mine(ctx);
    if (call.consult) throw new DomainError('transfer_in_progress');
    if (!call.held) return;
    await this.resumeFor(call, leg, userId);
  }

  private async resumeFor(call: ActiveCall, leg: Leg, userId: number) {
    const { ari } = this.engine;
    if (call.bridgeId) {
      await ari.call('bridges.stopMoh', { bridgeId: call.bridgeId }).catch(() => {});
      await ari.call('bridges.addChannel', { bridgeId: call.bridgeId, channel: leg.channel });
    }
    call.held = null;
    await this.engine.append(call, { type: 'call.resumed', data: { userId } });
  }

  /** Mutes the agent's voice towards the others (or lets it through again). */
  async mute(ctx: Ctx, muted: boolean): Promise<void> {
    const { call, leg, userId } = this.mine(ctx);
    const op = muted ? 'channels.mute' : 'channels.unmute';
    await this.engine.ari.call(op, { channelId: leg.channel, direction: 'in' });
    if (muted) call.muted.add(userId);
    else call.muted.delete(userId);
    await this.engine.append(call, { type: 'call.muted', data: { userId, muted } });
  }

  /** Hangs up the agent's phone (the close button on the desk). */
  async hangup(ctx: Ctx): Promise<void> {
    requirePermission(ctx.actor, 'desk:use');
    const found = this.engine.callOfAgent(ctx.actor.userId);
    if (!found) throw new DomainError('not_on_call');
    await this.engine.hangup(found.leg.channel, 'normal');
  }

  /** Sends the caller to the satisfaction survey now; the agent's part ends. */
  async inviteSurvey(ctx: Ctx): Promise<void> {
    const { call, leg, userId } = this.mine(ctx);
    if (call.direction !== 'inbound' || leg.role === 'caller') throw new DomainError('not_allowed');
    call.survey = true;
    await this.engine.append(call, { type: 'survey.invited', data: { by: userId } });
    if (call.held) await this.resumeFor(call, leg, userId);
    await this.engine.hangup(leg.channel, 'normal');
  }

  // ── transfers and conferences ───────────────────────────────────────────────
  /** Where a target is dialled: an agent's phone, or an outside number through a trunk we may use. */
  private async legTarget(ctx: Ctx, call: ActiveCall, target: TransferTarget): Promise<LegTarget> {
    if (target.kind === 'agent') {
      if (target.userId === ctx.actor.userId) throw new DomainError('not_allowed');
      const agent = await agentById(this.engine.db, target.userId);
      const pooled = this.engine.acd.pool.agents.get(target.userId);
      if (!agent) throw new DomainError('agent_unknown');
      if (pooled && !['ready', 'logged_out'].includes(pooled.state)) throw new DomainError('agent_busy');
      return { kind: 'agent', userId: agent.userId, endpoint: agent.endpoint };
    }
    if (target.kind === 'group') {
      const group = this.engine.acd.pool.groups.get(target.groupId);
      if (!group) throw new DomainError('invalid_choice');
      const [free] = freeMembers(group, this.engine.acd.pool, new Set([ctx.actor.userId]));
      if (!free) throw new DomainError('no_agent_free');
      return { kind: 'agent', userId: free.agent.userId, endpoint: free.agent.endpoint };
    }
    const me = await agentById(this.engine.db, ctx.actor.userId);
    if (!me?.canDialOut) throw new DomainError('not_allowed');
    const number = normaliseNumber(target.number);
    if (!/^\d{3,20}$/.test(number)) throw new DomainError('invalid_phone');
    // Inbound calls go out on the number the caller dialled; others on the agent's own number.
    const line =
      call.numberId !== null
        ? await numberById(this.engine.db, call.numberId)
        : await outboundNumberFor(this.engine.db, me);
    if (!line) throw new DomainError('not_allowed');
    call.callerId = line.number;
    return { kind: 'external', number, trunkId: line.trunkId };
  }

  /** Makes the customer the call's caller when the agent who placed the call hands it on. */
  private async promoteCustomer(call: ActiveCall, agentLeg: Leg): Promise<void> {
    if (agentLeg.role !== 'caller') return;
    const customer = [...call.legs.values()].find((l) => l !== agentLeg && l.answered && legUser(l) === null);
    if (!customer) throw new DomainError('not_allowed');
    customer.role = 'caller';
    agentLeg.role = 'callee';
    call.caller = customer.channel;
    for (const [leg, role] of [
      [customer, 'caller'],
      [agentLeg, 'callee'],
    ] as const)
      await this.engine.ari
        .call('channels.setChannelVar', { channelId: leg.channel, variable: channelVars.role, value: role })
        .catch(() => {});
  }

  /** Blind transfer: the target rings (or the caller queues in the group) and the agent leaves. */
  async blindTransfer(ctx: Ctx, target: TransferTarget): Promise<void> {
    const { call, leg, userId } = this.mine(ctx);
    if (call.consult) throw new DomainError('transfer_in_progress');
    await this.promoteCustomer(call, leg);
    await this.engine.append(call, { type: 'transfer.started', data: { by: userId, kind: 'blind', target } });
    if (target.kind === 'group') {
      if (!this.engine.acd.pool.groups.has(target.groupId)) throw new DomainError('invalid_choice');
      await this.engine.acd.join(call, target.groupId, 'transfer');
    } else {
      const to = await this.legTarget(ctx, call, target);
      if (call.held) await this.resumeFor(call, leg, userId);
      if (call.bridgeId) {
        await this.engine.ari
          .call('bridges.removeChannel', { bridgeId: call.bridgeId, channel: leg.channel })
          .catch(() => {});
        await this.engine.ari
          .call('bridges.startMoh', { bridgeId: call.bridgeId, mohClass: defaultMohClass })
          .catch(() => {});
      }
      const prompter = this.engine.prompter(call);
      void prompter
        ?.play(this.engine.systemMedia(this.language(call), ['transfer_wait']), false)
        .catch(() => {});
      if (!(await this.engine.dialLeg(call, to, 30, 'callee'))) throw new DomainError('agent_unknown');
    }
    await this.engine.append(call, { type: 'transfer.completed', data: { by: userId, kind: 'blind' } });
    await this.engine.hangup(leg.channel, 'normal');
  }

  /** Attended transfer, first step: the caller is held and the agent talks to the target. */
  async consult(ctx: Ctx, target: TransferTarget): Promise<void> {
    const { call, leg, userId } = this.mine(ctx);
    if (call.consult) throw new DomainError('transfer_in_progress');
    const to = await this.legTarget(ctx, call, target);
    await this.promoteCustomer(call, leg);
    if (!call.held) await this.holdFor(call, leg, userId);
    const bridge = await this.engine.ari.call('bridges.create', {
      type: 'mixing',
      name: `consult-${call.id}`,
    });
    await this.engine.ari.call('bridges.addChannel', { bridgeId: bridge.id, channel: leg.channel });
    call.consult = { by: userId, bridgeId: bridge.id, leg: null };
    await this.engine.append(call, {
      type: 'transfer.started',
      data: { by: userId, kind: 'attended', target },
    });
    const before = new Set(call.legs.keys());
    if (!(await this.engine.dialLeg(call, to, 30, 'consult'))) {
      await this.endConsult(call, 'unavailable');
      throw new DomainError('agent_unknown');
    }
    call.consult.leg = [...call.legs.keys()].find((k) => !before.has(k)) ?? null;
  }

  /** Attended transfer, done: the target joins the caller, the agent leaves. */
  async completeTransfer(ctx: Ctx): Promise<void> {
    const { call, leg, userId } = this.mine(ctx);
    const consultLeg = call.consult?.leg ? call.legs.get(call.consult.leg) : undefined;
    if (!call.consult || call.consult.by !== userId || !consultLeg?.answered)
      throw new DomainError('no_consult');
    await this.handOver(call, consultLeg);
    await this.engine.hangup(leg.channel, 'normal');
  }

  private async handOver(call: ActiveCall, consultLeg: Leg) {
    const consult = call.consult!;
    call.consult = null;
    call.held = null;
    consultLeg.role = 'callee';
    await this.engine.ari.call('bridges.destroy', { bridgeId: consult.bridgeId }).catch(() => {});
    await this.engine.connect(call, [consultLeg.channel]);
    await this.engine.append(call, {
      type: 'transfer.completed',
      data: { by: consult.by, kind: 'attended' },
    });
  }

  /** Attended transfer, called off: the target is hung up and the agent is back with the caller. */
  async cancelTransfer(ctx: Ctx): Promise<void> {
    const { call } = this.mine(ctx);
    if (!call.consult || call.consult.by !== ctx.actor.userId) throw new DomainError('no_consult');
    const consultLeg = call.consult.leg ? call.legs.get(call.consult.leg) : undefined;
    await this.endConsult(call, 'cancelled');
    if (consultLeg) {
      consultLeg.endedByUs = 'cancelled';
      await this.engine.hangup(consultLeg.channel, 'normal');
    }
  }

  /** Ends a consultation and brings the consulting agent back to the caller. */
  private async endConsult(call: ActiveCall, reason: string) {
    const consult = call.consult;
    if (!consult) return;
    call.consult = null;
    await this.engine.ari.call('bridges.destroy', { bridgeId: consult.bridgeId }).catch(() => {});
    const agent = this.engine.callOfAgent(consult.by);
    if (agent && agent.call === call && call.held) await this.resumeFor(call, agent.leg, consult.by);
    await this.engine.append(call, { type: 'transfer.cancelled', data: { by: consult.by, reason } });
  }

  /** Invites another party (colleague, group member or outside number) into the conversation. */
  async conference(ctx: Ctx, target: TransferTarget): Promise<void> {
    const { call, userId } = this.mine(ctx);
    if (call.consult) throw new DomainError('transfer_in_progress');
    const parties = [...call.legs.values()].filter((l) => l.answered || l.role === 'party').length;
    if (parties >= maxParties) throw new DomainError('conference_full');
    const to = await this.legTarget(ctx, call, target);
    await this.engine.append(call, { type: 'conference.invited', data: { by: userId, target } });
    if (!(await this.engine.dialLeg(call, to, 30, 'party'))) throw new DomainError('agent_unknown');
  }

  // ── hooks from the engine ───────────────────────────────────────────────────
  /** A consult target or conference party answered. */
  async legAnswered(call: ActiveCall, leg: Leg): Promise<void> {
    if (leg.role === 'consult' && call.consult) {
      await this.engine.ari.call('bridges.addChannel', {
        bridgeId: call.consult.bridgeId,
        channel: leg.channel,
      });
      return;
    }
    // A conference party hears that they join a conference, then joins.
    await this.engine
      .channelPrompter(leg.channel)
      .play(this.engine.systemMedia(this.language(call), ['conference_invite']), false)
      .catch(() => {});
    leg.role = 'callee';
    if (!call.ended) await this.engine.connect(call, [leg.channel]);
  }

  /** A consult target or conference party did not answer. */
  async legFailed(call: ActiveCall, leg: Leg, failure: LegFailure): Promise<void> {
    if (leg.role === 'consult' && call.consult?.leg === leg.channel) await this.endConsult(call, failure);
  }

  /** An answered party left while the call goes on. */
  async legLeft(call: ActiveCall, leg: Leg): Promise<void> {
    const consult = call.consult;
    if (!consult) return;
    if (consult.leg === leg.channel) return this.endConsult(call, 'hung_up');
    // The consulting agent hung up: the caller goes to the colleague (a common PBX habit).
    if (legUser(leg) === consult.by) {
      const consultLeg = consult.leg ? call.legs.get(consult.leg) : undefined;
      if (consultLeg?.answered) await this.handOver(call, consultLeg);
      else if (consultLeg) {
        consultLeg.role = 'callee';
        call.consult = null;
      }
    }
  }
}
