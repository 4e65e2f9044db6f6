/**
 * Reading call records (通话记录): the list with filters within the reader's data scope, one
 * call with its timeline from the event log, and access to its recording for listening or
 * download. Records are written only by the CTI (cti/calls); this module never changes them.
 */
import {
  aliasedTable,
  and,
  count,
  desc,
  eq,
  gte,
  ilike,
  inArray,
  isNotNull,
  lt,
  or,
  type SQL,
} from 'drizzle-orm';
import { eventsOf } from '../../cti/calls/log.ts';
import type { CallEvent } from '../../cti/calls/events.ts';
import { recordingParties, type RecordingParty } from '../../cti/calls/recorder.ts';
import {
  agentGroups,
  businessTypes,
  type CallDirection,
  type CallDisposition,
  callRecords,
  phoneNumbers,
  trunks,
  users,
} from '../../db/schema.ts';
import { recordScope, requirePermission, scopeCondition } from '../access/actor.ts';
import { audit } from '../audit/audit-log.ts';
import type { Ctx } from '../shared/context.ts';
import { NotFoundError } from '../shared/errors.ts';
import { likePattern, type ListQuery, type Listing, orderBy } from '../shared/list-query.ts';
import * as check from '../shared/validate.ts';

export const callDirections: readonly CallDirection[] = ['inbound', 'outbound', 'internal'];
export const callDispositions: readonly CallDisposition[] = [
  'in_progress',
  'answered',
  'no_answer',
  'busy',
  'abandoned',
  'failed',
  'refused',
  'ended_in_ivr',
  'callback',
  'unserved',
];

const agent = aliasedTable(users, 'agent');
const peer = aliasedTable(users, 'peer');

const rowColumns = {
  callId: callRecords.callId,
  direction: callRecords.direction,
  fromNumber: callRecords.fromNumber,
  toNumber: callRecords.toNumber,
  startedAt: callRecords.startedAt,
  answeredAt: callRecords.answeredAt,
  endedAt: callRecords.endedAt,
  ringSeconds: callRecords.ringSeconds,
  talkSeconds: callRecords.talkSeconds,
  disposition: callRecords.disposition,
  reason: callRecords.reason,
  sipCode: callRecords.sipCode,
  q850Cause: callRecords.q850Cause,
  hangupBy: callRecords.hangupBy,
  recording: callRecords.recording,
  recordingSeconds: callRecords.recordingSeconds,
  agentId: callRecords.agentId,
  agentName: agent.name,
  peerAgentName: peer.name,
  trunkName: trunks.name,
  numberLabel: phoneNumbers.label,
  groupName: agentGroups.name,
  queueSeconds: callRecords.queueSeconds,
  holdSeconds: callRecords.holdSeconds,
  transfers: callRecords.transfers,
  maxParties: callRecords.maxParties,
  surveyScore: callRecords.surveyScore,
  surveyLevels: callRecords.surveyLevels,
  businessType: businessTypes.name,
  businessTypeKey: businessTypes.builtinKey,
  note: callRecords.note,
  vip: callRecords.vip,
  repeatCaller: callRecords.repeatCaller,
  region: callRecords.region,
  callbackOf: callRecords.callbackOf,
};

/** Call records with the names of the agents, the trunk and the number they refer to. */
function selectCalls(db: Ctx['db']) {
  return db
    .select(rowColumns)
    .from(callRecords)
    .leftJoin(agent, eq(agent.id, callRecords.agentId))
    .leftJoin(peer, eq(peer.id, callRecords.peerAgentId))
    .leftJoin(trunks, eq(trunks.id, callRecords.trunkId))
    .leftJoin(phoneNumbers, eq(phoneNumbers.id, callRecords.numberId))
    .leftJoin(agentGroups, eq(agentGroups.id, callRecords.groupId))
    .leftJoin(businessTypes, eq(businessTypes.id, callRecords.businessTypeId))
    .$dynamic();
}

export type CallRow = Awaited<ReturnType<typeof selectCalls>>[number];

async function scopeOf(ctx: Ctx): Promise<SQL | undefined> {
  const scope = await recordScope(ctx.db, ctx.actor, 'calls:view');
  if (scope.all) return undefined;
  // Own calls (as the agent or the colleague called), or calls of agents in reachable departments.
  return or(
    scopeCondition(scope, callRecords.agentId, agent.departmentId),
    eq(callRecords.peerAgentId, scope.userId),
  );
}

/** A date filter (YYYY-MM-DD) as the start of that day in the server's time zone. */
function day(text: string | undefined): Date | null {
  if (!text || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  const d = new Date(`${text}T00:00:00`);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Filters: q (either number), direction, disposition, agent (user id), from / to (dates, inclusive), recorded (yes). */
export async function callListing(ctx: Ctx, query: ListQuery): Promise<Listing<CallRow>> {
  const f = query.filters;
  const conditions: (SQL | undefined)[] = [await scopeOf(ctx)];
  if (f.q) {
    const p = likePattern(f.q.replace(/[\s-]/g, ''));
    conditions.push(or(ilike(callRecords.fromNumber, p), ilike(callRecords.toNumber, p)));
  }
  if (f.direction && (callDirections as string[]).includes(f.direction))
    conditions.push(eq(callRecords.direction, f.direction as CallDirection));
  if (f.disposition && (callDispositions as string[]).includes(f.disposition))
    conditions.push(eq(callRecords.disposition, f.disposition as CallDisposition));
  const agentId = check.toId(f.agent);
  if (agentId) conditions.push(or(eq(callRecords.agentId, agentId), eq(callRecords.peerAgentId, agentId)));
  const from = day(f.from);
  if (from) conditions.push(gte(callRecords.startedAt, from));
  const to = day(f.to);
  if (to) conditions.push(lt(callRecords.startedAt, new Date(to.getTime() + 86_400_000)));
  if (f.recorded === 'yes') conditions.push(isNotNull(callRecords.recording));
  const where = and(...conditions);
  const order = orderBy(
    query,
    {
      startedAt: callRecords.startedAt,
      talkSeconds: callRecords.talkSeconds,
      ringSeconds: callRecords.ringSeconds,
      agent: agent.name,
    },
    desc(callRecords.startedAt),
    callRecords.callId,
  );
  return {
    count: async () =>
      (
        await ctx.db
          .select({ n: count() })
          .from(callRecords)
          .leftJoin(agent, eq(agent.id, callRecords.agentId))
          .where(where)
      )[0]?.n ?? 0,
    fetch: (limit, offset) =>
      selectCalls(ctx.db)
        .where(where)
        .orderBy(...order)
        .limit(limit)
        .offset(offset),
  };
}

export interface CallDetail {
  call: CallRow;
  events: CallEvent[];
  /** Names of the agents the events mention, by user id. */
  people: Map<number, string>;
  /** Names of the agent groups the events mention, by id. */
  groups: Map<number, string>;
  /** The separate party files kept next to the mixed recording. */
  parties: RecordingParty[];
}

async function visibleCall(ctx: Ctx, callId: string): Promise<CallRow> {
  const [row] = await selectCalls(ctx.db).where(and(eq(callRecords.callId, callId), await scopeOf(ctx)));
  if (!row) throw new NotFoundError();
  return row;
}

export async function callDetail(ctx: Ctx, callId: string): Promise<CallDetail> {
  const call = await visibleCall(ctx, callId);
  const events = await eventsOf(ctx.db, callId);
  const ids = new Set<number>();
  for (const e of events) {
    if (e.type === 'call.started' && e.data.agentId) ids.add(e.data.agentId);
    if (e.type === 'leg.dialing' && e.data.target.kind === 'agent') ids.add(e.data.target.userId);
    if (e.type === 'leg.answered' && e.data.userId) ids.add(e.data.userId);
    if (e.type === 'transfer.started' || e.type === 'transfer.completed' || e.type === 'conference.invited')
      ids.add(e.data.by);
    if (e.type === 'transfer.started' && e.data.target.kind === 'agent') ids.add(e.data.target.userId);
    if (
      e.type === 'call.held' ||
      e.type === 'call.resumed' ||
      e.type === 'call.muted' ||
      e.type === 'agent.announced'
    )
      ids.add(e.data.userId);
  }
  const names =
    ids.size > 0
      ? await ctx.db
          .select({ id: users.id, name: users.name })
          .from(users)
          .where(inArray(users.id, [...ids]))
      : [];
  const stored = [...events].reverse().find((e) => e.type === 'recording.stored');
  const parties =
    call.recording && stored?.type === 'recording.stored'
      ? recordingParties.filter((p) => stored.data.parties.includes(p))
      : [];
  const groupIds = new Set<number>();
  for (const e of events) {
    if (e.type === 'queue.joined' || e.type === 'queue.left') groupIds.add(e.data.groupId);
    if (e.type === 'queue.region') groupIds.add(e.data.groupId);
    if (e.type === 'transfer.started' && e.data.target.kind === 'group') groupIds.add(e.data.target.groupId);
  }
  const groupNames =
    groupIds.size > 0
      ? await ctx.db
          .select({ id: agentGroups.id, name: agentGroups.name })
          .from(agentGroups)
          .where(inArray(agentGroups.id, [...groupIds]))
      : [];
  return {
    call,
    events,
    people: new Map(names.map((n) => [n.id, n.name])),
    groups: new Map(groupNames.map((g) => [g.id, g.name])),
    parties,
  };
}

/**
 * The stored recording of a call the actor may reach: listening needs calls:listen, download
 * calls:download (and is audited). Returns the path relative to the recording store.
 */
export async function recordingFor(
  ctx: Ctx,
  callId: string,
  purpose: 'listen' | 'download',
): Promise<{ file: string; call: CallRow }> {
  requirePermission(ctx.actor, purpose === 'listen' ? 'calls:listen' : 'calls:download');
  const call = await visibleCall(ctx, callId);
  if (!call.recording) throw new NotFoundError();
  if (purpose === 'download')
    await audit(ctx, {
      action: 'recording.downloaded',
      targetType: 'call',
      targetId: callId,
      targetLabel: `${call.fromNumber} → ${call.toNumber}`,
    });
  return { file: call.recording, call };
}

export const isRecordingParty = (p: unknown): p is RecordingParty =>
  (recordingParties as readonly unknown[]).includes(p);
