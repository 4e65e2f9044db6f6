/**
 * The calls in progress, in memory: each call by id, each channel's call, and the prompter
 * talking on a channel (IVR, queue menus, survey). The engine's parts (inbound routing, legs,
 * calls out, resync, desk controls) find calls here; only the engine adds and forgets them.
 */
import { randomUUID } from 'node:crypto';
import { normaliseNumber } from '../../core/validate.ts';
import type { CallDirection } from '../../db/schema.ts';
import type { AriClient } from '../ari/client.ts';
import type { Channel } from '../ari/generated.ts';
import { Prompter } from '../media/prompter.ts';
import type { PhoneNumber, Trunk } from './directory.ts';
import { type ActiveCall, blankCall, type Leg, legUser, newLeg } from './model.ts';

export type LimitReached = 'trunk_busy' | 'number_busy';

export class CallRegistry {
  private readonly calls = new Map<string, ActiveCall>();
  private readonly byChannel = new Map<string, ActiveCall>();
  private readonly prompters = new Map<string, Prompter>();
  /** Calls started since this process started, by direction (metrics). */
  readonly started = new Map<CallDirection, number>();

  constructor(
    private readonly ari: AriClient,
    private readonly now: () => Date,
  ) {}

  /** A new call (with its caller's leg when a channel called in). */
  newCall(
    direction: CallDirection,
    caller: Channel | null,
    trunkId: number | null,
    numberId: number | null,
  ): ActiveCall {
    const call = blankCall(randomUUID(), direction, this.now());
    this.started.set(direction, (this.started.get(direction) ?? 0) + 1);
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

  /** Takes in a call rebuilt after a restart. */
  adopt(call: ActiveCall): void {
    this.calls.set(call.id, call);
  }

  track(call: ActiveCall, leg: Leg): void {
    call.legs.set(leg.channel, leg);
    this.byChannel.set(leg.channel, call);
  }

  /** The leg leaves its call (the engine's releaseLeg). */
  untrack(call: ActiveCall, leg: Leg): void {
    call.legs.delete(leg.channel);
    if (this.byChannel.get(leg.channel) === call) this.byChannel.delete(leg.channel);
  }

  /** The call is over: it and its channels are no longer known; their prompters stop. */
  forget(call: ActiveCall): void {
    call.ended = true;
    this.calls.delete(call.id);
    for (const [channel, c] of this.byChannel) {
      if (c !== call) continue;
      this.byChannel.delete(channel);
      this.dropPrompter(channel);
    }
  }

  get(callId: string): ActiveCall | undefined {
    return this.calls.get(callId);
  }

  has(callId: string): boolean {
    return this.calls.has(callId);
  }

  all(): IterableIterator<ActiveCall> {
    return this.calls.values();
  }

  ids(): string[] {
    return [...this.calls.keys()];
  }

  /** The call a channel belongs to. */
  ofChannel(channelId: string): ActiveCall | undefined {
    return this.byChannel.get(channelId);
  }

  /** A channel no call holds a leg for any more is dropped. */
  dropChannel(channelId: string): void {
    this.byChannel.delete(channelId);
  }

  /** The prompter of any channel of ours (fed its keys and playback ends until the channel goes). */
  prompterOf(channelId: string): Prompter {
    let p = this.prompters.get(channelId);
    if (!p) {
      p = new Prompter(this.ari, channelId);
      this.prompters.set(channelId, p);
    }
    return p;
  }

  /** The prompter of a channel, if one talks on it (for its keys and playback events). */
  existingPrompter(channelId: string): Prompter | undefined {
    return this.prompters.get(channelId);
  }

  /** The channel is gone: its prompter stops. */
  dropPrompter(channelId: string): void {
    this.prompters.get(channelId)?.abort();
    this.prompters.delete(channelId);
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

  /** The unanswered leg ringing an agent's phone, if any. */
  ringingLegOf(userId: number): Leg | null {
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

  /**
   * Whether one more call would exceed the trunk's or the number's limit of simultaneous calls
   * (`exclude`: the call asking, already counted when it is an inbound call being set up).
   */
  limitReached(trunk: Trunk, number: PhoneNumber, exclude?: ActiveCall): LimitReached | null {
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
}
