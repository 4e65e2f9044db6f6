/**
 * Reading call records (通话记录): the list with filters within the reader's data scope, one
 * call with its timeline from the event log, and access to its recording for listening or
 * download. Records are written only by the CTI (cti/calls); this module never changes them.
 */
import {
  aliasedTable,
  and,
  asc,
  count,
  desc,
  eq,
  gte,
  ilike,
  inArray,
  isNotNull,
  isNull,
  lt,
  lte,
  or,
  type SQL,
  sql,
} from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { eventsOf } from './log.ts';
import type { CallEvent } from './events.ts';
import { recordingParties, type RecordingParty } from '../calls/recorder.ts';
import {
  agentGroups,
  businessTypes,
  type CallDirection,
  type CallDisposition,
  callRecords,
  hotlines,
  ivrSessions,
  ivrs,
  phoneNumbers,
  trunks,
  users,
} from '../../db/schema.ts';
import { can, recordScope, requirePermission, scopeCondition } from '../../core/access/actor.ts';
import type { Permission } from '../../core/access/permissions.ts';
import { audit } from '../../core/audit/audit-log.ts';
import { listBusinessTypes } from '../acd/acd-settings.ts';
import type { Ctx } from '../../core/context.ts';
import { NotFoundError } from '../../core/errors.ts';
import {
  keysetAfter,
  keysetStream,
  likePattern,
  type ListQuery,
  type Listing,
  orderBy,
} from '../../core/list-query.ts';
import { lostCallGroups } from '../supervision/floor.ts';

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
/** The hotline of an inbound call's number, and the IVR session of the call (for the list's columns). */
const callHotline = aliasedTable(hotlines, 'call_hotline');
const callIvr = aliasedTable(ivrSessions, 'call_ivr');
const callIvrName = aliasedTable(ivrs, 'call_ivr_name');

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
  hotlineName: callHotline.name,
  ivrName: callIvrName.name,
  queueSeconds: callRecords.queueSeconds,
  waitSeconds: callRecords.waitSeconds,
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
    .leftJoin(
      callHotline,
      and(eq(callHotline.numberId, callRecords.numberId), eq(callRecords.direction, 'inbound')),
    )
    .leftJoin(callIvr, eq(callIvr.callId, callRecords.callId))
    .leftJoin(callIvrName, eq(callIvrName.id, callIvr.ivrId))
    .$dynamic();
}

export type CallRow = Awaited<ReturnType<typeof selectCalls>>[number];

/** What a reader of calls reaches: the data scope of the permission they use (view, listen, download, export). */
export type CallPermission = Extract<
  Permission,
  'calls:view' | 'calls:listen' | 'calls:download' | 'calls:export'
>;

async function scopeOf(ctx: Ctx, permission: CallPermission): Promise<SQL | undefined> {
  const scope = await recordScope(ctx.db, ctx.actor, permission);
  if (scope.all) return undefined;
  // Own calls (as the agent or the colleague called), or calls of agents in reachable departments.
  return or(
    scopeCondition(scope, callRecords.agentId, agent.departmentId),
    eq(callRecords.peerAgentId, scope.userId),
  );
}

/** A date filter (YYYY-MM-DD) as the start of that day in the server's time zone. */
function day(text: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  const d = new Date(`${text}T00:00:00`);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** A count of seconds or a score as typed: digits only. */
const whole = (text: string): number | null => (/^\d{1,9}$/.test(text) ? Number(text) : null);
const positive = (text: string): number | null => {
  const n = whole(text);
  return n !== null && n > 0 ? n : null;
};
const when = <T>(value: T | null, condition: (v: T) => SQL | undefined): SQL | null =>
  value === null ? null : (condition(value) ?? null);
const oneOf = <T extends string>(list: readonly T[], text: string): T | null =>
  (list as readonly string[]).includes(text) ? (text as T) : null;

/** The IVR sessions of the listed call (an IVR's id narrows it to that IVR). */
const throughIvr = (ivrId: number | null) =>
  sql`exists (select 1 from ${ivrSessions} where ${ivrSessions.callId} = ${callRecords.callId}${
    ivrId === null ? sql`` : sql` and ${ivrSessions.ivrId} = ${ivrId}`
  })`;

/**
 * The filters of every call list, one rule each: the condition for a value, or null when the
 * value means nothing. Such a value is left out of the listing (as if not given) and named by
 * `invalidCallFilters`, so the page can say so.
 * - q: caller or called number containing the text (spaces and dashes ignored)
 * - direction, disposition: one of their values
 * - agent: the agent's user id (answered, placed, or the colleague called)
 * - from / to: dates (YYYY-MM-DD), inclusive, in the server's time zone
 * - recorded: yes (a recording is kept) or no
 * - group: the agent group whose queue the call waited in first
 * - trunk: the trunk the call came in or went out on
 * - hotline: inbound calls to the hotline's number
 * - ivr: calls that went through that IVR; `any` through any IVR, `none` through none
 * - talkMin / talkMax: talk time at least / at most so many seconds
 * - businessType: the business type the agent filed the call under in the wrap-up notes
 * - satisfaction: the survey score (1 is best); `scored` any score, `none` no score
 */
const callFilterRules: Readonly<Record<string, (value: string) => SQL | null>> = {
  q: (v) => {
    const p = likePattern(v.replace(/[\s-]/g, ''));
    return or(ilike(callRecords.fromNumber, p), ilike(callRecords.toNumber, p)) as SQL;
  },
  direction: (v) => when(oneOf(callDirections, v), (d) => eq(callRecords.direction, d)),
  disposition: (v) => when(oneOf(callDispositions, v), (d) => eq(callRecords.disposition, d)),
  agent: (v) => when(positive(v), (id) => or(eq(callRecords.agentId, id), eq(callRecords.peerAgentId, id))),
  from: (v) => when(day(v), (d) => gte(callRecords.startedAt, d)),
  to: (v) => when(day(v), (d) => lt(callRecords.startedAt, new Date(d.getTime() + 86_400_000))),
  recorded: (v) =>
    v === 'yes' ? isNotNull(callRecords.recording) : v === 'no' ? isNull(callRecords.recording) : null,
  group: (v) => when(positive(v), (id) => eq(callRecords.groupId, id)),
  trunk: (v) => when(positive(v), (id) => eq(callRecords.trunkId, id)),
  hotline: (v) =>
    when(positive(v), (id) =>
      and(
        eq(callRecords.direction, 'inbound'),
        sql`${callRecords.numberId} in (select ${hotlines.numberId} from ${hotlines} where ${hotlines.id} = ${id})`,
      ),
    ),
  ivr: (v) =>
    v === 'any'
      ? throughIvr(null)
      : v === 'none'
        ? sql`not ${throughIvr(null)}`
        : when(positive(v), (id) => throughIvr(id)),
  talkMin: (v) => when(whole(v), (n) => gte(callRecords.talkSeconds, n)),
  talkMax: (v) => when(whole(v), (n) => lte(callRecords.talkSeconds, n)),
  businessType: (v) => when(positive(v), (id) => eq(callRecords.businessTypeId, id)),
  satisfaction: (v) =>
    v === 'scored'
      ? isNotNull(callRecords.surveyScore)
      : v === 'none'
        ? isNull(callRecords.surveyScore)
        : when(positive(v), (n) => eq(callRecords.surveyScore, n)),
};

export const callFilterKeys = Object.keys(callFilterRules);

/** The filters whose value means nothing (a duration that is not a number, an unknown result…); they are not applied. */
export function invalidCallFilters(filters: Readonly<Record<string, string>>): string[] {
  return Object.entries(filters)
    .filter(([key, value]) => value !== '' && callFilterRules[key] && callFilterRules[key](value) === null)
    .map(([key]) => key);
}

/** The views of the call records: all calls, or inbound (呼入通话记录) / outbound (呼出通话记录) only. */
export type CallView = 'all' | 'inbound' | 'outbound';

/** The columns the call lists sort by, with how a row gives its value (for the keyset export). */
const sortable: Readonly<
  Record<string, { column: AnyPgColumn; value: (r: CallRow) => unknown; nullable?: boolean }>
> = {
  startedAt: { column: callRecords.startedAt, value: (r) => r.startedAt },
  talkSeconds: { column: callRecords.talkSeconds, value: (r) => r.talkSeconds },
  ringSeconds: { column: callRecords.ringSeconds, value: (r) => r.ringSeconds },
  waitSeconds: { column: callRecords.waitSeconds, value: (r) => r.waitSeconds },
  agent: { column: agent.name, value: (r) => r.agentName, nullable: true },
};

/**
 * Call records within the reader's data scope, newest first unless sorted otherwise, with the
 * filters of `callFilterRules`; `view` keeps one direction. Its `stream` reads every row for the
 * export by keyset (started_at, call_id), never by OFFSET.
 */
export async function callListing(
  ctx: Ctx,
  query: ListQuery,
  view: CallView = 'all',
  /** calls:export when the listing is exported: the rows within that permission's scope. */
  permission: CallPermission = 'calls:view',
): Promise<Listing<CallRow>> {
  requirePermission(ctx.actor, permission);
  const conditions: (SQL | undefined)[] = [await scopeOf(ctx, permission)];
  if (view !== 'all') conditions.push(eq(callRecords.direction, view));
  for (const [key, value] of Object.entries(query.filters)) {
    const rule = callFilterRules[key];
    if (!rule || value === '' || (view !== 'all' && key === 'direction')) continue;
    conditions.push(rule(value) ?? undefined);
  }
  const where = and(...conditions);
  const sorted = query.sort ? sortable[query.sort] : undefined;
  const order = orderBy(
    query,
    Object.fromEntries(Object.entries(sortable).map(([k, s]) => [k, s.column])),
    desc(callRecords.startedAt),
    callRecords.callId,
  );
  const sort = sorted
    ? { ...sorted, dir: query.dir }
    : { column: callRecords.startedAt, value: (r: CallRow) => r.startedAt, dir: 'desc' as const };
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
    stream: keysetStream((last: CallRow | null, limit) =>
      selectCalls(ctx.db)
        .where(
          and(
            where,
            last
              ? keysetAfter(
                  { column: sort.column, dir: sort.dir, value: sort.value(last), nullable: sort.nullable },
                  { column: callRecords.callId, value: last.callId },
                )
              : undefined,
          ),
        )
        .orderBy(...order)
        .limit(limit),
    ),
  };
}

export interface CallFilterChoices {
  groups: { id: number; name: string }[];
  /** Trunks, hotlines and IVRs are call-centre settings: listed for readers who may see them (callcenter:view, or every call), else empty. */
  trunks: { id: number; name: string }[];
  hotlines: { id: number; name: string }[];
  ivrs: { id: number; name: string }[];
  businessTypes: { id: number; name: string; builtinKey: string | null }[];
}

/** What the call lists' choice filters offer this reader. */
export async function callFilterChoices(ctx: Ctx): Promise<CallFilterChoices> {
  const scope = await recordScope(ctx.db, ctx.actor, 'calls:view');
  const settings = scope.all || can(ctx.actor, 'callcenter:view');
  return {
    groups: await lostCallGroups(ctx),
    trunks: settings
      ? await ctx.db.select({ id: trunks.id, name: trunks.name }).from(trunks).orderBy(asc(trunks.name))
      : [],
    hotlines: settings
      ? await ctx.db
          .select({ id: hotlines.id, name: hotlines.name })
          .from(hotlines)
          .orderBy(asc(hotlines.name))
      : [],
    ivrs: settings
      ? await ctx.db.select({ id: ivrs.id, name: ivrs.name }).from(ivrs).orderBy(asc(ivrs.name))
      : [],
    businessTypes: (await listBusinessTypes(ctx.db, true)).map((b) => ({
      id: b.id,
      name: b.name,
      builtinKey: b.builtinKey,
    })),
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

async function visibleCall(
  ctx: Ctx,
  callId: string,
  permission: CallPermission = 'calls:view',
): Promise<CallRow> {
  const [row] = await selectCalls(ctx.db).where(
    and(eq(callRecords.callId, callId), await scopeOf(ctx, permission)),
  );
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
 * calls:download (and is audited), each within its own data scope. Returns the path relative to the recording store.
 */
export async function recordingFor(
  ctx: Ctx,
  callId: string,
  purpose: 'listen' | 'download',
): Promise<{ file: string; call: CallRow }> {
  // The call must be within the scope of the permission used, not only of calls:view.
  const permission = purpose === 'listen' ? 'calls:listen' : 'calls:download';
  requirePermission(ctx.actor, permission);
  const call = await visibleCall(ctx, callId, permission);
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
