/**
 * The facts statistics are counted from, as a pure function of a call's events (with its
 * record, the agents' wrap-up times and when the customer called next): what happened to the
 * call (offered, answered, abandoned where, waited, talked, held, transferred …), each agent's
 * part in it (rang, answered, talked, wrapped up, placed it), and the IVR menus it visited.
 * Facts hold no thresholds; the statistics rules apply when they are rolled up
 * (cti/stats/rollups.ts), so changing a rule recounts history from the same facts.
 */
import { and, asc, eq, gt, isNotNull, sql } from 'drizzle-orm';
import type { CallEvent } from '../call-log/events.ts';
import { eventsOf } from '../call-log/log.ts';
import { outcomeOf } from '../call-log/outcomes.ts';
import type { CallRecord } from '../call-log/projection.ts';
import type { Db } from '../../db/client.ts';
import {
  agentStateEvents,
  callRecords,
  type statsAgentFacts,
  type statsCallFacts,
  type statsIvrFacts,
} from '../../db/schema.ts';

export type CallFact = typeof statsCallFacts.$inferInsert;
export type AgentFact = typeof statsAgentFacts.$inferInsert;
export type IvrFact = typeof statsIvrFacts.$inferInsert;

export interface Facts {
  call: CallFact;
  agents: AgentFact[];
  ivr: IvrFact[];
}

const seconds = (from: number, to: number) => Math.max(0, Math.round((to - from) / 1000));

/**
 * The facts of an ended call. `wraps`: seconds of wrap-up each agent spent after this call;
 * `nextCallAt`: when the same customer called in next (first-call resolution).
 */
export function callFacts(
  record: CallRecord,
  events: readonly CallEvent[],
  wraps: ReadonlyMap<number, number>,
  nextCallAt: Date | null,
): Facts {
  const startedAt = record.startedAt;
  const direction = record.direction;
  const customer = direction === 'inbound' ? record.fromNumber : record.toNumber;
  // A call out whose customer was never dialled (its agent did not pick up first) is no attempt.
  const dialledOut = events.some(
    (e) => e.type === 'leg.dialing' && e.data.target.kind === 'external' && !e.data.originator,
  );
  const outcome =
    direction !== 'inbound' && !dialledOut && !record.answeredAt && record.disposition !== 'refused'
      ? 'not_dialled'
      : outcomeOf(record);
  const offered = direction === 'inbound' && !['refused', 'ended_in_ivr', 'abandoned_ivr'].includes(outcome);
  const endAt = (record.endedAt ?? startedAt).getTime();

  // Each agent's part, from the legs of the call.
  interface Part {
    rang: number;
    answeredAt: number | null;
    talk: number;
    hold: number;
    heldSince: number | null;
    transfers: number;
    groupId: number;
    callerHungUp: boolean;
  }
  const parts = new Map<number, Part>();
  const part = (userId: number) => {
    let p = parts.get(userId);
    if (!p) {
      p = {
        rang: 0,
        answeredAt: null,
        talk: 0,
        hold: 0,
        heldSince: null,
        transfers: 0,
        groupId: record.groupId ?? 0,
        callerHungUp: false,
      };
      parts.set(userId, p);
    }
    return p;
  };
  const legUser = new Map<string, number>();
  const placedBy = direction !== 'inbound' ? record.agentId : null;
  if (placedBy) part(placedBy);
  let lastAnswering: number | null = null;
  for (const e of events) {
    const at = e.at.getTime();
    switch (e.type) {
      case 'leg.dialing':
        if (e.data.target.kind !== 'agent' || e.data.originator) break;
        legUser.set(e.data.leg, e.data.target.userId);
        part(e.data.target.userId).rang++;
        if (e.data.groupId) part(e.data.target.userId).groupId = e.data.groupId;
        break;
      case 'leg.answered': {
        if (e.data.userId === null || e.data.originator) break;
        const p = part(e.data.userId);
        p.answeredAt ??= at;
        lastAnswering = e.data.userId;
        break;
      }
      case 'leg.left': {
        const userId = e.data.userId ?? legUser.get(e.data.leg);
        if (userId === undefined || userId === null) break;
        const p = part(userId);
        if (p.answeredAt !== null) p.talk += seconds(p.answeredAt, at);
        p.answeredAt = null;
        break;
      }
      case 'call.held':
        part(e.data.userId).heldSince = at;
        break;
      case 'call.resumed': {
        const p = part(e.data.userId);
        if (p.heldSince !== null) p.hold += seconds(p.heldSince, at);
        p.heldSince = null;
        break;
      }
      case 'transfer.completed':
        part(e.data.by).transfers++;
        break;
      default:
        break;
    }
  }
  // Whoever was still talking when the call ended talked until then.
  for (const p of parts.values()) {
    if (p.answeredAt !== null) {
      p.talk += seconds(p.answeredAt, endAt);
      p.callerHungUp = record.hangupBy === 'caller';
    }
    if (p.heldSince !== null) p.hold += seconds(p.heldSince, endAt);
  }
  // The agent who placed a call talks from the customer's answer.
  if (placedBy && record.answeredAt) {
    const p = part(placedBy);
    p.talk = Math.max(p.talk, seconds(record.answeredAt.getTime(), endAt));
    p.callerHungUp = record.hangupBy === 'callee';
  }
  const agents: AgentFact[] = [...parts].map(([agentId, p]) => ({
    callId: record.callId,
    agentId,
    startedAt,
    direction,
    groupId: p.groupId,
    rang: p.rang,
    answered:
      agentId === placedBy
        ? !!record.answeredAt
        : events.some((e) => e.type === 'leg.answered' && e.data.userId === agentId && !e.data.originator),
    placed: agentId === placedBy && outcome !== 'refused' && outcome !== 'not_dialled',
    talkSeconds: p.talk,
    holdSeconds: p.hold,
    wrapSeconds: wraps.get(agentId) ?? 0,
    transfers: p.transfers,
    conference: (record.maxParties ?? 0) >= 3 && p.talk > 0,
    callerHungUp: p.callerHungUp,
    // The survey rates the agent the caller last talked to.
    surveyScore: agentId === lastAnswering ? (record.surveyScore ?? null) : null,
    surveyLevels: agentId === lastAnswering ? (record.surveyLevels ?? null) : null,
  }));

  const ivr: IvrFact[] = [];
  const entered = events.find((e) => e.type === 'ivr.entered');
  if (entered?.type === 'ivr.entered') {
    const visits = new Map<string, number>([['@entered', 1]]);
    for (const e of events) {
      if (e.type === 'ivr.menu') visits.set(e.data.menu, (visits.get(e.data.menu) ?? 0) + 1);
      if (e.type === 'ivr.left') visits.set(`outcome:${e.data.outcome}`, 1);
    }
    for (const [node, count] of visits)
      ivr.push({ callId: record.callId, ivrId: entered.data.ivrId, node, startedAt, visits: count });
  }

  return {
    call: {
      callId: record.callId,
      startedAt,
      direction,
      groupId: record.groupId ?? 0,
      agentId: record.agentId ?? 0,
      numberId: record.numberId ?? 0,
      businessTypeId: record.businessTypeId ?? 0,
      region: record.region ?? '',
      customerNumber: customer,
      offered,
      answered: record.answeredAt !== null && record.answeredAt !== undefined,
      outcome,
      waitSeconds: record.waitSeconds ?? 0,
      talkSeconds: record.talkSeconds ?? 0,
      holdSeconds: record.holdSeconds ?? 0,
      wrapSeconds: [...wraps.values()].reduce((a, b) => a + b, 0),
      transfers: record.transfers ?? 0,
      maxParties: record.maxParties ?? 0,
      callerHungUp: record.hangupBy === 'caller',
      repeatCaller: record.repeatCaller ?? false,
      surveyScore: record.surveyScore ?? null,
      surveyLevels: record.surveyLevels ?? null,
      nextCallAt,
    },
    agents,
    ivr,
  };
}

/**
 * Seconds each agent spent in wrap-up after this call (the wrap-up state carries the call id;
 * it lasts until the agent's next state change). A wrap-up still running counts nothing yet.
 */
export async function wrapUpsOf(db: Db, callId: string): Promise<Map<number, number>> {
  const rows = await db
    .select({
      userId: agentStateEvents.userId,
      at: agentStateEvents.at,
      // Qualified by hand: drizzle leaves the table name off columns in a one-table select.
      next: sql<
        string | null
      >`(select min(n.at) from agent_state_events n where n.user_id = agent_state_events.user_id and n.id > agent_state_events.id)`,
    })
    .from(agentStateEvents)
    .where(and(eq(agentStateEvents.reason, callId), eq(agentStateEvents.state, 'wrap_up')));
  const out = new Map<number, number>();
  for (const r of rows) {
    if (!r.next) continue;
    out.set(r.userId, (out.get(r.userId) ?? 0) + seconds(r.at.getTime(), new Date(r.next).getTime()));
  }
  return out;
}

/** The facts of a call from the database, or null while it is still going on. */
export async function factsOf(db: Db, callId: string): Promise<Facts | null> {
  const [record] = await db.select().from(callRecords).where(eq(callRecords.callId, callId));
  if (!record?.endedAt) return null;
  const customer = record.direction === 'inbound' ? record.fromNumber : record.toNumber;
  const [next] =
    record.direction === 'inbound' && customer
      ? await db
          .select({ at: callRecords.startedAt })
          .from(callRecords)
          .where(
            and(
              eq(callRecords.fromNumber, customer),
              eq(callRecords.direction, 'inbound'),
              gt(callRecords.startedAt, record.startedAt),
              isNotNull(callRecords.endedAt),
            ),
          )
          .orderBy(asc(callRecords.startedAt))
          .limit(1)
      : [];
  return callFacts(record, await eventsOf(db, callId), await wrapUpsOf(db, callId), next?.at ?? null);
}
