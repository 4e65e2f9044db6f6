/**
 * The crash window: the event log is written behind call control (call-log/log.ts), so a
 * crash can lose the last few milliseconds of a call's events. When a call is resumed after a
 * restart, what Asterisk still shows — a phone that is up, channels in the call's bridge — is
 * compared with the log, and what the log lacks is logged again (at the resume, and named in
 * `cti.resumed` as reconstructed) so that the call's record comes out complete.
 */
import type { CallEvent, CallEventBody } from '../call-log/events.ts';
import { type Leg, legUser } from './model.ts';

/** A leg as Asterisk shows it after the restart. */
export interface SeenLeg {
  leg: Leg;
  /** The channel is up (answered). */
  up: boolean;
}

/**
 * The events a crash lost: an answer of an agent's (or other callee's) phone that is up, the
 * caller leaving the queue to that agent, and the call's bridge.
 */
export function lostEvents(
  events: readonly CallEvent[],
  seen: readonly SeenLeg[],
  bridgeId: string | null,
  now: Date,
): CallEventBody[] {
  const out: CallEventBody[] = [];
  const answered = new Set(events.flatMap((e) => (e.type === 'leg.answered' ? [e.data.leg] : [])));
  const answering = seen.filter(
    (s) => s.up && s.leg.role !== 'caller' && s.leg.role !== 'originator' && !answered.has(s.leg.channel),
  );
  for (const s of answering)
    out.push({ type: 'leg.answered', data: { leg: s.leg.channel, userId: legUser(s.leg) } });
  const queued = queueState(events);
  if (queued && answering.some((s) => s.leg.role === 'callee'))
    out.push({
      type: 'queue.left',
      data: {
        groupId: queued.groupId,
        reason: 'answered',
        waitedSeconds: Math.round((now.getTime() - queued.joined.getTime()) / 1000),
      },
    });
  if (bridgeId && !events.some((e) => e.type === 'call.bridged'))
    out.push({ type: 'call.bridged', data: { bridgeId } });
  return out;
}

/** Whether the log leaves the caller waiting in a queue: which, since when, in what order. */
export function queueState(
  events: readonly CallEvent[],
): { groupId: number; since: Date; joined: Date; order: number } | null {
  let state: { groupId: number; since: Date; joined: Date; order: number } | null = null;
  events.forEach((e, i) => {
    if (e.type === 'queue.joined')
      state = { groupId: e.data.groupId, since: new Date(e.data.since), joined: e.at, order: i };
    else if (e.type === 'queue.left') state = null;
  });
  return state;
}
