/**
 * The call model the engine keeps in memory: a call and its legs (channels), what each leg is
 * for, and what the call is doing now. Everything here can be rebuilt after a restart from the
 * channels Asterisk still has (CC_CALL_ID, CC_ROLE) and the call's event log.
 */
import type { CallDirection } from '../../db/schema.ts';
import type { CallEvent, LegFailure, LegTarget } from '../call-log/events.ts';

/**
 * - caller: the channel that started the call (the customer inbound, the agent otherwise);
 * - callee: a phone rung to answer the caller (an agent, or the number an agent called);
 * - originator: the agent's own phone rung first (click-to-call, callbacks);
 * - consult: the colleague or number an agent consults before an attended transfer;
 * - party: someone invited into a conference.
 */
export type Role = 'caller' | 'callee' | 'originator' | 'consult' | 'party';

export interface Leg {
  channel: string;
  name: string;
  role: Role;
  target: LegTarget | null;
  answered: boolean;
  ringing: boolean;
  /** Set when we hang the leg up ourselves, so its end is not taken for the far end's. */
  endedByUs: LegFailure | null;
  timer: NodeJS.Timeout | null;
  /** A queue offer: the group whose waiting caller this agent's phone rings for. */
  offer: { groupId: number } | null;
  /** Legs dialled together (ring all) share a step: the first of them to answer takes the call. */
  step: number;
  /** The leg has left the call model and let its agent go (CallEngine.releaseLeg, once per leg). */
  released: boolean;
}

/** One step of trying to reach someone: a phone, or several ringing at once. */
export interface NextStep {
  target: LegTarget;
  ringSeconds: number;
  /** More phones that ring together with `target`; the first to answer takes the call. */
  alongside?: LegTarget[];
}

export interface ActiveCall {
  id: string;
  direction: CallDirection;
  startedAt: Date;
  trunkId: number | null;
  numberId: number | null;
  /** The channel that started the call (the customer inbound, the agent otherwise). */
  caller: string | null;
  legs: Map<string, Leg>;
  /** The mixing bridge the parties talk in. */
  bridgeId: string | null;
  /** Agents still to try when the current one does not answer (direct routes). */
  next: NextStep[];
  /** Click-to-call and callbacks: the customer to dial once the agent's phone answers. */
  afterAgentAnswers: { target: LegTarget; callerId: string } | null;
  /** The caller ID the dialled phones see. */
  callerId: string;
  recording: boolean;
  ended: boolean;
  /** Agents whose desk state this call holds (the ones who answered; the one who called out). */
  agentsOnCall: number[];
  /** When each agent's part of the conversation began (ms), for their talk time. */
  agentSince: Map<number, number>;
  /** The agent who placed an outbound or internal call (or click-to-call). */
  placedBy: number | null;
  /** The caller is waiting in a queue (its holding bridge), or is being offered from it. */
  queued: { groupId: number; joinedAt: Date } | null;
  /** The holding bridge the ACD put the caller in (unknown after a restart: looked up then). */
  holdingBridgeId: string | null;
  /** The group that served the call (or is serving it). */
  groupId: number | null;
  /** The caller's number region, VIP and repeat-caller flags (screen pop). */
  region: string;
  vip: boolean;
  /** The caller is on hold (the agent left the bridge, music plays to the others). */
  held: { by: number } | null;
  /** Agents whose voice does not reach the others. */
  muted: Set<number>;
  /** An attended transfer in progress: the agent consulting and their consult bridge. */
  consult: { by: number; bridgeId: string; leg: string | null } | null;
  /** The caller goes to the satisfaction survey when the agents hang up. */
  survey: boolean;
  /** The call is in its survey: the agents have left, the caller is rating. */
  inSurvey: boolean;
  /** A callback placed for a caller who asked for one. */
  callbackId: number | null;
}

export function blankCall(id: string, direction: CallDirection, startedAt: Date): ActiveCall {
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
    agentsOnCall: [],
    agentSince: new Map(),
    placedBy: null,
    queued: null,
    holdingBridgeId: null,
    groupId: null,
    region: '',
    vip: false,
    held: null,
    muted: new Set(),
    consult: null,
    survey: false,
    inSurvey: false,
    callbackId: null,
  };
}

export function newLeg(channel: string, name: string, role: Role, target: LegTarget | null): Leg {
  return {
    channel,
    name,
    role,
    target,
    answered: false,
    ringing: false,
    endedByUs: null,
    timer: null,
    offer: null,
    step: 0,
    released: false,
  };
}

/** A call as its logged events describe it (after a restart; legs come from Asterisk). */
export function restoredCall(id: string, events: readonly CallEvent[], now: Date): ActiveCall {
  const started = events.find((e) => e.type === 'call.started');
  const call = blankCall(
    id,
    started?.type === 'call.started' ? started.data.direction : 'inbound',
    started?.at ?? now,
  );
  if (started?.type === 'call.started') {
    Object.assign(call, {
      trunkId: started.data.trunkId,
      numberId: started.data.numberId,
      callerId: started.data.direction === 'inbound' ? started.data.from : started.data.to,
      placedBy: started.data.direction === 'inbound' ? null : started.data.agentId,
    });
  }
  call.recording = events.some((e) => e.type === 'recording.started');
  for (const e of events) {
    if (e.type === 'leg.answered' && e.data.userId !== null && !e.data.originator) {
      call.agentsOnCall.push(e.data.userId);
      call.agentSince.set(e.data.userId, e.at.getTime());
    }
    if (e.type === 'queue.joined') call.groupId ??= e.data.groupId;
    if (e.type === 'call.flags') Object.assign(call, { vip: e.data.vip, region: e.data.region });
    if (e.type === 'survey.invited') call.survey = true;
  }
  if (call.placedBy !== null && !call.agentsOnCall.includes(call.placedBy))
    call.agentsOnCall.push(call.placedBy);
  return call;
}

/** The target each leg was dialled for, from the log (legs restored after a restart). */
export function legTargets(
  events: readonly CallEvent[],
): Map<string, { target: LegTarget; groupId: number | null }> {
  const out = new Map<string, { target: LegTarget; groupId: number | null }>();
  for (const e of events)
    if (e.type === 'leg.dialing' && e.data.leg)
      out.set(e.data.leg, { target: e.data.target, groupId: e.data.groupId ?? null });
  return out;
}

/** Q.850 cause of a failed dial attempt → what it means for the call. */
export function failureOf(cause: number): LegFailure {
  if (cause === 17) return 'busy';
  if (cause === 18 || cause === 19) return 'no_answer';
  if (cause === 21) return 'rejected';
  return 'unavailable';
}

/** The user on a leg, when it is an agent's phone. */
export const legUser = (leg: Leg): number | null => (leg.target?.kind === 'agent' ? leg.target.userId : null);
