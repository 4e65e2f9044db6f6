/**
 * What the agent desk and the supervisor see of calls in progress, taken from the engine's
 * call model: the agent's call (ringing or talking, the caller, the parties, held, muted,
 * consulting), and a line per agent for the supervisor's grid.
 */
import type { CallEngine } from '../calls/engine.ts';
import { type ActiveCall, legUser } from '../calls/model.ts';

export interface DeskParty {
  kind: 'caller' | 'agent' | 'external';
  userId: number | null;
  number: string;
  answered: boolean;
  role: string;
}

export interface DeskCall {
  callId: string;
  direction: ActiveCall['direction'];
  /** The other side's number as the agent sees it (the customer). */
  number: string;
  phase: 'ringing' | 'talking';
  groupId: number | null;
  region: string;
  vip: boolean;
  /** When the agent's part began (answered), ms. */
  since: number | null;
  held: boolean;
  muted: boolean;
  consulting: { answered: boolean } | null;
  survey: boolean;
  parties: DeskParty[];
  /** This agent placed the call (outbound, internal, click-to-call). */
  placedByMe: boolean;
}

function customerNumber(call: ActiveCall): string {
  if (call.direction === 'inbound') return call.callerId;
  // Outbound: the number dialled (kept in the external leg's target).
  for (const leg of call.legs.values()) if (leg.target?.kind === 'external') return leg.target.number;
  return call.callerId;
}

export function deskCall(engine: CallEngine, userId: number): DeskCall | null {
  const found = engine.callOfAgent(userId);
  if (!found || found.call.ended) return null;
  const { call, leg } = found;
  const consultLeg = call.consult?.leg ? call.legs.get(call.consult.leg) : undefined;
  const since = call.agentSince.get(userId);
  return {
    callId: call.id,
    direction: call.direction,
    number: customerNumber(call),
    phase: leg.answered || leg.role === 'caller' ? 'talking' : 'ringing',
    groupId: call.groupId,
    region: call.region,
    vip: call.vip,
    since: since ?? null,
    held: call.held !== null,
    muted: call.muted.has(userId),
    consulting:
      call.consult && call.consult.by === userId ? { answered: consultLeg?.answered ?? false } : null,
    survey: call.survey,
    placedByMe: call.placedBy === userId,
    parties: [...call.legs.values()].map((l) => {
      const uid = legUser(l);
      return {
        kind: uid !== null ? 'agent' : l.role === 'caller' ? 'caller' : 'external',
        userId: uid,
        number: l.target?.kind === 'external' ? l.target.number : l.role === 'caller' ? call.callerId : '',
        answered: l.answered || l.role === 'caller',
        role: l.role,
      };
    }),
  };
}

/** The number of the call each agent is in now (supervisor's grid). */
export function agentsOnCalls(
  engine: CallEngine,
  userIds: Iterable<number>,
): Map<number, { callId: string; number: string; since: number | null }> {
  const out = new Map<number, { callId: string; number: string; since: number | null }>();
  for (const id of userIds) {
    const c = deskCall(engine, id);
    if (c) out.set(id, { callId: c.callId, number: c.number, since: c.since });
  }
  return out;
}
