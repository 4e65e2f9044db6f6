/**
 * What the supervisor workbench (班长工作台) reads from the database: the agents a supervisor
 * may watch (their data scope), each queue's figures for today (offered, answered, abandoned,
 * service level), the monitoring log (监控记录), and the lost-calls list (呼损列表, 3.8.4:
 * inbound calls nobody answered, with whether someone has called back since).
 */
import { aliasedTable, and, count, desc, eq, gte, ilike, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { type LostDisposition, lostCalls, lostDispositions } from '../call-log/outcomes.ts';
import {
  agentGroupMembers,
  agentGroups,
  callRecords,
  type MonitorAction,
  monitoringLog,
  phoneNumbers,
  roles,
  userRoles,
  users,
} from '../../db/schema.ts';
import {
  inScope,
  type RecordScope,
  recordScope,
  requirePermission,
  scopeCondition,
} from '../../core/access/actor.ts';
import type { Ctx } from '../../core/context.ts';
import { likePattern, type ListQuery, type Listing, orderBy } from '../../core/list-query.ts';
import * as check from '../../core/validate.ts';

export interface SupervisedAgent {
  id: number;
  name: string;
  jobNumber: string;
  departmentId: number;
}

/** Agents (enabled users whose roles open the desk) within the supervisor's scope. */
export async function supervisedAgents(ctx: Ctx): Promise<SupervisedAgent[]> {
  const scope = await recordScope(ctx.db, ctx.actor, 'supervisor:view');
  const rows = await ctx.db
    .selectDistinct({
      id: users.id,
      name: users.name,
      jobNumber: users.jobNumber,
      departmentId: users.departmentId,
    })
    .from(users)
    .innerJoin(userRoles, eq(userRoles.userId, users.id))
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .where(and(eq(users.enabled, true), sql`'desk:use' = any(${roles.permissions})`))
    .orderBy(users.name);
  return rows
    .filter((r) => inScope(scope, r.id, r.departmentId))
    .map((r) => ({ ...r, jobNumber: r.jobNumber ?? '' }));
}

// ── monitoring log (监控记录) ────────────────────────────────────────────────────
const supervisor = aliasedTable(users, 'supervisor');
const agent = aliasedTable(users, 'agent');

function selectLog(db: Db) {
  return db
    .select({
      l: monitoringLog,
      supervisorName: supervisor.name,
      agentName: agent.name,
    })
    .from(monitoringLog)
    .innerJoin(supervisor, eq(supervisor.id, monitoringLog.supervisorId))
    .innerJoin(agent, eq(agent.id, monitoringLog.agentId))
    .$dynamic();
}

export type MonitoringRow = Awaited<ReturnType<ReturnType<typeof selectLog>['execute']>>[number];
export const monitorActions: readonly MonitorAction[] = [
  'listen',
  'whisper',
  'barge',
  'force_state',
  'force_logout',
];

const day = (text: string | undefined) =>
  text && /^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(`${text}T00:00:00`) : null;

function dateRange(
  column: typeof monitoringLog.startedAt | typeof callRecords.startedAt,
  f: Readonly<Record<string, string>>,
): SQL[] {
  const out: SQL[] = [];
  const from = day(f.from);
  if (from) out.push(gte(column, from));
  const to = day(f.to);
  if (to) out.push(lt(column, new Date(to.getTime() + 86_400_000)));
  return out;
}

/** Filters: q (agent or supervisor name), action, from / to (dates). Within the reader's scope over the agent. */
export async function monitoringListing(ctx: Ctx, query: ListQuery): Promise<Listing<MonitoringRow>> {
  const scope = await recordScope(ctx.db, ctx.actor, 'supervisor:view');
  const f = query.filters;
  const where = and(
    scopeCondition(scope, monitoringLog.agentId, agent.departmentId),
    f.q ? or(ilike(agent.name, likePattern(f.q)), ilike(supervisor.name, likePattern(f.q))) : undefined,
    f.action && (monitorActions as readonly string[]).includes(f.action)
      ? eq(monitoringLog.action, f.action as MonitorAction)
      : undefined,
    ...dateRange(monitoringLog.startedAt, f),
  );
  const order = orderBy(
    query,
    { startedAt: monitoringLog.startedAt },
    desc(monitoringLog.startedAt),
    monitoringLog.id,
  );
  return {
    count: async () =>
      (
        await ctx.db
          .select({ n: count() })
          .from(monitoringLog)
          .innerJoin(supervisor, eq(supervisor.id, monitoringLog.supervisorId))
          .innerJoin(agent, eq(agent.id, monitoringLog.agentId))
          .where(where)
      )[0]?.n ?? 0,
    fetch: (limit, offset) =>
      selectLog(ctx.db)
        .where(where)
        .orderBy(...order)
        .limit(limit)
        .offset(offset),
  };
}

// ── lost calls (呼损列表) ───────────────────────────────────────────────────────

/**
 * Which lost calls a reader sees: with scope "all", every one; otherwise the calls that rang
 * an agent in their scope, or waited in a group with a member in their scope (so an agent can
 * call back callers lost from their own groups).
 */
async function lostScope(db: Db, scope: RecordScope): Promise<SQL | undefined> {
  if (scope.all) return undefined;
  const groupIds = await groupsInScope(db, scope);
  const mine = scopeCondition(scope, callRecords.agentId, lostAgent.departmentId);
  return groupIds.length > 0 ? or(mine, inArray(callRecords.groupId, groupIds)) : mine;
}

/** The groups with a member inside the scope. */
export async function groupsInScope(db: Db, scope: RecordScope): Promise<number[]> {
  const members = await db
    .select({ groupId: agentGroupMembers.groupId, userId: users.id, departmentId: users.departmentId })
    .from(agentGroupMembers)
    .innerJoin(users, eq(users.id, agentGroupMembers.userId));
  return [...new Set(members.filter((m) => inScope(scope, m.userId, m.departmentId)).map((m) => m.groupId))];
}

/** The groups a reader of lost calls may filter by (all, or those with a member in their scope). */
export async function lostCallGroups(ctx: Ctx): Promise<{ id: number; name: string }[]> {
  const scope = await recordScope(ctx.db, ctx.actor, 'calls:view');
  const all = await ctx.db
    .select({ id: agentGroups.id, name: agentGroups.name })
    .from(agentGroups)
    .orderBy(agentGroups.name);
  if (scope.all) return all;
  const ids = new Set(await groupsInScope(ctx.db, scope));
  return all.filter((g) => ids.has(g.id));
}

const lostAgent = aliasedTable(users, 'lost_agent');
/** Answered outbound calls to the lost caller's number after the loss (someone called back). */
const callsBack = sql`from call_records later where later.to_number = ${callRecords.fromNumber} and later.direction = 'outbound' and later.answered_at is not null and later.started_at > ${callRecords.startedAt}`;

function selectLost(db: Db) {
  return db
    .select({
      r: callRecords,
      groupName: agentGroups.name,
      numberLabel: phoneNumbers.label,
      agentName: lostAgent.name,
      calledBackAt: sql<string | null>`(select min(later.started_at) ${callsBack})`,
    })
    .from(callRecords)
    .leftJoin(agentGroups, eq(agentGroups.id, callRecords.groupId))
    .leftJoin(phoneNumbers, eq(phoneNumbers.id, callRecords.numberId))
    .leftJoin(lostAgent, eq(lostAgent.id, callRecords.agentId))
    .$dynamic();
}

export type LostRow = Awaited<ReturnType<ReturnType<typeof selectLost>['execute']>>[number];

/** Filters: q (caller number), reason (disposition), group, status (open / called_back), from / to. */
export async function lostCallListing(
  ctx: Ctx,
  query: ListQuery,
  /** calls:export when the list is exported: the rows within that permission's scope. */
  permission: 'calls:view' | 'calls:export' = 'calls:view',
): Promise<Listing<LostRow>> {
  const scope = await recordScope(ctx.db, ctx.actor, permission);
  const f = query.filters;
  const calledBack = sql`exists (select 1 ${callsBack})`;
  const where = and(
    lostCalls(),
    await lostScope(ctx.db, scope),
    f.q ? ilike(callRecords.fromNumber, likePattern(f.q.replace(/\D/g, ''))) : undefined,
    f.reason && (lostDispositions as readonly string[]).includes(f.reason)
      ? lostCalls(f.reason as LostDisposition)
      : undefined,
    check.toId(f.group) ? eq(callRecords.groupId, check.toId(f.group)!) : undefined,
    f.status === 'open' ? sql`not ${calledBack}` : f.status === 'called_back' ? calledBack : undefined,
    ...dateRange(callRecords.startedAt, f),
  );
  const order = orderBy(
    query,
    { startedAt: callRecords.startedAt },
    desc(callRecords.startedAt),
    callRecords.callId,
  );
  return {
    count: async () =>
      (
        await ctx.db
          .select({ n: count() })
          .from(callRecords)
          .leftJoin(lostAgent, eq(lostAgent.id, callRecords.agentId))
          .where(where)
      )[0]?.n ?? 0,
    fetch: (limit, offset) =>
      selectLost(ctx.db)
        .where(where)
        .orderBy(...order)
        .limit(limit)
        .offset(offset),
  };
}

/** A supervisor may see the workbench. */
export function requireWorkbench(ctx: Ctx): void {
  requirePermission(ctx.actor, 'supervisor:view');
}
