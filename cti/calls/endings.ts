/**
 * How legs and calls end: the one release path of a leg (whatever ended it), a channel gone
 * (a caller hanging up ends the call; an agent's unanswered leg fails over to the next step;
 * an answered party leaving leaves the others talking or sends the caller to the survey), an
 * agent's part in a call ending (wrap-up), a supervisor forcing an agent out, and the end of
 * the call (everything hung up, the end logged, the recording stored).
 */
import { runSurvey } from '../acd/survey.ts';
import type { AgentState } from '../../db/schema.ts';
import type { LegFailure } from '../call-log/events.ts';
import { reservationKey, ringsAgent } from './legs.ts';
import { type ActiveCall, failureOf, type Leg, legUser } from './model.ts';
import type { CallParts, EndCall } from './parts.ts';
import type { Recorder } from './recorder.ts';

/** What the endings need beyond the shared parts (the engine fills it). */
export interface EndingsHost {
  /** An attended transfer's or a conference's leg failed or left (the desk controls). */
  legFailed(call: ActiveCall, leg: Leg, failure: LegFailure): Promise<void>;
  legLeft(call: ActiveCall, leg: Leg): Promise<void>;
  dialNext(call: ActiveCall): Promise<void>;
  /** Stores the call's recording; what to log, if anything was recorded. */
  finishRecording(callId: string, startedAt: Date): ReturnType<Recorder['finish']>;
}

export class Endings {
  constructor(
    private readonly parts: CallParts,
    private readonly host: EndingsHost,
  ) {}

  /**
   * The one place a leg leaves the call model, whatever ended it: its channel went away, the
   * call ended (its ringing legs are hung up and released at once, not when Asterisk reports
   * them gone), a restart found it gone, or it was made for a call that ended meanwhile. Its ring
   * timer stops, and an agent it rang without answering is let go: the ACD's reservation of them
   * for this call is released and their desk state goes back from ringing. An agent who answered
   * leaves through agentLeft or endCall (wrap-up). Runs once per leg.
   */
  async releaseLeg(call: ActiveCall, leg: Leg): Promise<void> {
    if (leg.released) return;
    leg.released = true;
    this.parts.calls.untrack(call, leg);
    if (leg.timer) clearTimeout(leg.timer);
    leg.timer = null;
    const userId = legUser(leg);
    if (userId === null || leg.answered) return;
    const key = reservationKey(call, leg);
    if (key !== null) this.parts.acd.releaseReservation(userId, key);
    if (ringsAgent(call, leg.role)) await this.parts.deskState(userId, 'not_taken', call);
  }

  /**
   * A supervisor forced an agent into `state`: the ACD takes the new state at once, any
   * reservation of them goes, their phone stops ringing and their part in a call ends.
   */
  async releaseAgent(userId: number, state: AgentState): Promise<void> {
    this.parts.acd.releaseReservation(userId, null, state);
    for (const call of [...this.parts.calls.all()]) {
      if (call.ended) continue;
      for (const leg of [...call.legs.values()]) {
        if (legUser(leg) !== userId) continue;
        if (!leg.answered) leg.endedByUs ??= 'cancelled';
        await this.parts
          .hangup(leg.channel, 'normal')
          .catch((err: Error) => this.parts.say(`force ${userId}: ${err.message}`));
      }
    }
  }

  /** A channel of a call is gone (hung up, failed, or left the application). */
  async channelGone(channelId: string, cause: number, sipCode: number | null, causeText = '') {
    this.parts.calls.dropPrompter(channelId);
    const call = this.parts.calls.ofChannel(channelId);
    if (!call) return;
    const leg = call.legs.get(channelId);
    if (!leg) {
      this.parts.calls.dropChannel(channelId);
      return;
    }
    await this.releaseLeg(call, leg);
    if (call.ended) return;
    const userId = legUser(leg);
    if (leg.role === 'caller') {
      if (call.queued) await this.parts.acd.callerGone(call);
      return this.endCall(call, 'caller', cause, sipCode);
    }
    if (leg.answered) return this.answeredLegGone(call, leg, cause, sipCode);
    const failure: LegFailure = leg.endedByUs ?? failureOf(cause);
    this.parts.say(
      `call ${call.id}: ${leg.name} ${failure} (cause ${cause} ${causeText}${sipCode ? `, SIP ${sipCode}` : ''})`,
    );
    await this.parts.append(call, {
      type: 'leg.failed',
      data: {
        leg: leg.channel,
        failure,
        q850Cause: cause,
        sipCode,
        ...(leg.role === 'originator' ? { originator: true } : {}),
      },
    });
    if (leg.offer) return this.parts.acd.offerFailed(call, leg, failure === 'cancelled');
    if (leg.role === 'consult' || leg.role === 'party') return this.host.legFailed(call, leg, failure);
    if (failure === 'cancelled') return;
    const stillRinging = [...call.legs.values()].some((l) => l.role !== 'caller' && !l.answered);
    if (stillRinging) return;
    if (leg.role === 'originator') {
      await this.endCall(call, 'system', cause, sipCode);
      if (call.callbackId !== null) await this.parts.acd.callbackOutcome(call.id, 'agent_no_answer', userId);
      return;
    }
    if (call.callbackId !== null) {
      await this.endCall(call, 'system', cause, sipCode, failure);
      return this.parts.acd.callbackOutcome(call.id, 'unreachable', null);
    }
    if (call.next.length > 0) return this.host.dialNext(call);
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
      await this.parts.append(call, { type: 'leg.left', data: { leg: leg.channel, userId } });
      if (userId !== null) await this.agentLeft(call, userId);
      return this.host.legLeft(call, leg);
    }
    if (call.survey && call.caller && call.direction === 'inbound' && !call.inSurvey) {
      await this.parts.append(call, { type: 'leg.left', data: { leg: leg.channel, userId } });
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
    await this.parts.deskState(userId, 'ended', call);
    const since = call.agentSince.get(userId);
    call.agentSince.delete(userId);
    if (since !== undefined)
      this.parts.acd.callFinished(
        userId,
        Math.round((this.parts.now().getTime() - since) / 1000),
        call.groupId,
      );
  }

  /** The satisfaction survey (3.4.7) for a caller whose agents have hung up. */
  async startSurvey(call: ActiveCall): Promise<void> {
    call.inSurvey = true;
    const prompter = this.parts.prompter(call);
    const lang = this.parts.acd.language(call.groupId);
    if (prompter)
      await runSurvey({
        db: this.parts.db,
        prompter,
        language: lang,
        systemMedia: (pieces) => this.parts.systemMedia(lang, pieces),
        promptMedia: (id) => this.parts.promptMedia(id),
        log: (e) => this.parts.append(call, e),
      }).catch((err: Error) => this.parts.say(`survey ${call.id}: ${err.message}`));
    if (!call.ended) await this.endCall(call, 'system', 16, null);
  }

  /** Ends the call: hangs up what is left, logs the end, stores the recording. */
  readonly endCall: EndCall = async (call, by, q850Cause, sipCode, failure) => {
    if (call.ended) return;
    call.ended = true;
    if (call.queued)
      await this.parts.acd.callerGone(call).catch((err: Error) => this.parts.say(`queue: ${err.message}`));
    for (const leg of [...call.legs.values()]) {
      if (leg.timer) clearTimeout(leg.timer);
      leg.endedByUs ??= 'cancelled';
      // An unanswered caller hears busy when the agent was busy, otherwise "temporarily unavailable".
      await this.parts
        .hangup(leg.channel, leg.answered ? 'normal' : failure === 'busy' ? 'busy' : 'no_answer')
        .catch((err: Error) => this.parts.say(`hanging up ${leg.name}: ${err.message}`));
      // Released now, not when Asterisk reports the channel gone: the call is over for everyone.
      await this.releaseLeg(call, leg);
    }
    await this.parts.append(call, { type: 'call.ended', data: { by, q850Cause, sipCode } });
    for (const userId of call.agentsOnCall) await this.finishAgent(call, userId);
    for (const bridgeId of [call.bridgeId, call.consult?.bridgeId])
      if (bridgeId) await this.parts.ari.call('bridges.destroy', { bridgeId }).catch(() => {});
    if (call.recording) {
      try {
        const stored = await this.host.finishRecording(call.id, call.startedAt);
        if (stored) await this.parts.append(call, { type: 'recording.stored', data: stored });
      } catch (err) {
        this.parts.say(
          `storing the recording of ${call.id} failed: ${err instanceof Error ? err.message : err}`,
        );
      }
    }
    this.parts.calls.forget(call);
    this.parts.changed(call.id);
  };
}
