/**
 * Legs and bridges: dialling the next step of a call (one phone or several at once), creating
 * and dialling one leg, the first answer taking the call (the others stop ringing), putting
 * the parties in the call's mixing bridge and starting its recording once.
 */
import type { Channel } from '../ari/generated.ts';
import { channelVars, type StasisKind, trunkEndpoint } from '../asterisk.ts';
import type { LegTarget } from '../call-log/events.ts';
import { type ActiveCall, type Leg, legUser, newLeg, type Role } from './model.ts';
import type { CallParts } from './parts.ts';

/** What the legs need beyond the shared parts (the engine fills it). */
export interface LegsHost {
  /** An attended transfer's or a conference's leg answered (the desk controls). */
  legAnswered(call: ActiveCall, leg: Leg): Promise<void>;
  /** Starts recording the call from the caller's channel; the file name. */
  startRecording(callerChannelName: string, callId: string): Promise<string>;
}

export class Legs {
  private stepSeq = 0;
  /** Legs whose StasisStart came before anyone waited for it, and those waiting for theirs. */
  private readonly legsInStasis = new Set<string>();
  private readonly legWaiters = new Map<string, () => void>();

  constructor(
    private readonly parts: CallParts,
    private readonly host: LegsHost,
  ) {}

  /** A new step number for legs dialled together. */
  nextStep(): number {
    return ++this.stepSeq;
  }

  /** A leg we created entered the application. */
  entered(channelId: string): void {
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

  /** Dials the next step of the call (one phone, or several at once); when none is left, ends the call. */
  async dialNext(call: ActiveCall, role: Role = 'callee'): Promise<void> {
    const next = call.next.shift();
    if (!next) return this.parts.endCall(call, 'system', null, null);
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
    if (
      target.kind === 'agent' &&
      role !== 'caller' &&
      this.parts.acd.pool.agents.get(target.userId)?.autoAnswer
    ) {
      variables['PJSIP_HEADER(add,Call-Info)'] = `<sip:${target.endpoint}>;answer-after=0`;
      variables['PJSIP_HEADER(add,Alert-Info)'] = '<http://127.0.0.1/>;info=alert-autoanswer;delay=0';
    }
    const dialing = (leg: string) =>
      this.parts.append(call, {
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
      channel = await this.parts.ari.call('channels.create', {
        endpoint,
        app: this.parts.app,
        appArgs: 'leg' satisfies StasisKind,
        variables,
      });
    } catch (err) {
      this.parts.say(`dialling ${endpoint} failed: ${err instanceof Error ? err.message : err}`);
      await dialing('');
      await this.parts.append(call, {
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
      await this.parts.hangup(channel.id, 'normal').catch(() => {});
      return false;
    }
    const leg = newLeg(channel.id, channel.name, role, target);
    leg.offer = offer;
    leg.step = step;
    this.parts.calls.track(call, leg);
    // Asked before anything awaits, so a release of this leg is applied after it.
    const offered =
      target.kind === 'agent' && ringsAgent(call, role)
        ? this.parts.deskState(target.userId, 'offered', call)
        : Promise.resolve();
    await dialing(channel.id);
    await offered;
    if (leg.released) {
      await this.parts.hangup(channel.id, 'normal').catch(() => {});
      return true;
    }
    leg.timer = setTimeout(() => {
      leg.timer = null;
      if (leg.answered || call.ended) return;
      leg.endedByUs = 'no_answer';
      void this.parts.hangup(leg.channel, 'no_answer');
    }, ringSeconds * 1000);
    try {
      // Dialling "from" the caller's channel would copy its caller ID; only an agent's phone may see the customer's.
      const from = role === 'callee' && target.kind === 'agent' ? (call.caller ?? undefined) : undefined;
      await this.parts.ari.call('channels.dial', { channelId: channel.id, caller: from });
    } catch (err) {
      this.parts.say(`dial ${endpoint}: ${err instanceof Error ? err.message : err}`);
      leg.endedByUs = 'unavailable';
      await this.parts.hangup(channel.id, 'normal');
    }
    return true;
  }

  async answered(call: ActiveCall, leg: Leg) {
    // A leg already being hung up (no answer in time, cancelled, a resync's cancelled offer)
    // that answers in the same instant stays ended: bridging it would leave its agent on a
    // call that is about to go.
    if (leg.endedByUs !== null) return;
    // Two phones ringing together may both answer; the first one takes the call (decided
    // before anything awaits, so the second handler sees the first).
    if (
      leg.role === 'callee' &&
      [...call.legs.values()].some(
        (l) => l !== leg && l.step === leg.step && l.role === 'callee' && l.answered,
      )
    ) {
      leg.endedByUs = 'cancelled';
      await this.parts.hangup(leg.channel, 'answered_elsewhere');
      return;
    }
    leg.answered = true;
    if (leg.timer) clearTimeout(leg.timer);
    leg.timer = null;
    const { ari } = this.parts;
    const userId = legUser(leg);
    if (leg.role === 'originator') {
      // Click-to-call or callback: the agent picked up; now the customer's phone rings.
      await this.parts.append(call, {
        type: 'leg.answered',
        data: { leg: leg.channel, userId, originator: true },
      });
      call.caller = leg.channel;
      leg.role = 'caller';
      await ari.call('channels.setChannelVar', {
        channelId: leg.channel,
        variable: channelVars.role,
        value: 'caller',
      });
      if (call.callbackId !== null && userId !== null) {
        this.parts.acd.agentState(userId, 'on_call');
        const agent = this.parts.acd.pool.agents.get(userId);
        if (agent) agent.reservedFor = null;
        await this.agentJoined(call, userId);
      }
      await ari.call('channels.ring', { channelId: leg.channel }).catch(() => {});
      if (call.afterAgentAnswers) {
        call.next.push({ target: call.afterAgentAnswers.target, ringSeconds: this.parts.ringSeconds });
        call.callerId = call.afterAgentAnswers.callerId;
        call.afterAgentAnswers = null;
        await this.dialNext(call);
      }
      return;
    }
    if (leg.role === 'consult' || leg.role === 'party') {
      await this.parts.append(call, { type: 'leg.answered', data: { leg: leg.channel, userId } });
      if (userId !== null) await this.agentJoined(call, userId);
      await this.host.legAnswered(call, leg);
      return;
    }
    // A callee: anyone else still ringing for this call stops.
    for (const other of call.legs.values()) {
      if (other !== leg && other.role === 'callee' && !other.answered) {
        other.endedByUs = 'cancelled';
        await this.parts.hangup(other.channel, 'answered_elsewhere');
      }
    }
    call.next = [];
    await this.parts.append(call, { type: 'leg.answered', data: { leg: leg.channel, userId } });
    if (leg.offer) await this.parts.acd.offerAnswered(call, leg);
    if (call.callbackId !== null) await this.parts.acd.callbackOutcome(call.id, 'answered', null);
    for (const id of [userId, call.placedBy]) if (id !== null) await this.agentJoined(call, id);
    if (!call.caller || call.ended) return;
    await this.connect(call, [call.caller, leg.channel]);
    if (call.callbackId !== null) {
      // The caller called back hears why (the agent is already with them).
      const lang = this.parts.acd.pool.groups.get(call.groupId ?? -1)?.settings.language ?? 'en';
      void this.parts.calls
        .prompterOf(leg.channel)
        .play(this.parts.systemMedia(lang, ['callback_intro']), false)
        .catch(() => {});
    }
  }

  /** An agent is now talking in the call: on call at the desk, talk time from now. */
  private async agentJoined(call: ActiveCall, userId: number) {
    if (call.agentsOnCall.includes(userId)) return;
    call.agentsOnCall.push(userId);
    call.agentSince.set(userId, this.parts.now().getTime());
    await this.parts.deskState(userId, 'connected', call);
  }

  /** Puts channels in the call's mixing bridge (made when first needed); starts recording once. */
  async connect(call: ActiveCall, channels: string[]): Promise<void> {
    const { ari } = this.parts;
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
      await this.parts.append(call, { type: 'call.bridged', data: { bridgeId: bridge.id } });
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
        const file = await this.host.startRecording(caller.name, call.id);
        call.recording = true;
        await this.parts.append(call, { type: 'recording.started', data: { file } });
      } catch (err) {
        this.parts.say(`recording call ${call.id} failed: ${err instanceof Error ? err.message : err}`);
      }
    }
    this.parts.changed(call.id);
  }

  /** The holding bridge a channel waits in, if any. */
  private async holdingBridgeOf(channelId: string): Promise<string | null> {
    const bridges = await this.parts.ari.call('bridges.list', {});
    return bridges.find((b) => b.bridge_type === 'holding' && b.channels.includes(channelId))?.id ?? null;
  }

  /** Hangs up the legs still ringing agents for a caller (restored into the queue after a restart). */
  async cancelOffers(call: ActiveCall): Promise<void> {
    for (const leg of call.legs.values()) {
      if (leg.role !== 'callee' || leg.answered) continue;
      leg.endedByUs = 'cancelled';
      await this.parts.hangup(leg.channel, 'normal');
    }
  }
}

/** Whether a leg of this role rings an agent whose desk state follows it (offered, on call). */
export function ringsAgent(call: ActiveCall, role: Role): boolean {
  return (
    role === 'callee' ||
    role === 'consult' ||
    role === 'party' ||
    (role === 'originator' && call.callbackId !== null)
  );
}

/** The ACD reservation a ringing leg holds its agent by: the queue offer's caller, or the callback. */
export function reservationKey(call: ActiveCall, leg: Leg): string | null {
  if (leg.offer) return call.id;
  if (leg.role === 'originator' && call.callbackId !== null) return `callback-${call.callbackId}`;
  return null;
}
