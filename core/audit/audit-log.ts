/**
 * The audit log: who did what, when, from where. Security events (logins, lockouts) and every
 * administrative change are appended here; nothing updates or deletes a row.
 */
import { and, count, desc, eq, gte, ilike, lt, or, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { auditLog } from '../../db/schema.ts';
import { recordScope, scopeCondition } from '../access/actor.ts';
import type { AnonymousCtx, Ctx } from '../context.ts';
import { type ListQuery, type Listing, likePattern, orderBy } from '../list-query.ts';

export interface AuditEntry {
  action: string;
  targetType?: string;
  targetId?: string | number;
  targetLabel?: string;
  detail?: Record<string, unknown>;
}

interface Who {
  actorId: number | null;
  actorName: string;
  actorDepartmentId: number | null;
}

async function insert(db: Db, who: Who, origin: { ip: string; userAgent: string }, entry: AuditEntry) {
  await db.insert(auditLog).values({
    ...who,
    action: entry.action,
    targetType: entry.targetType ?? '',
    targetId: entry.targetId === undefined ? '' : String(entry.targetId),
    targetLabel: entry.targetLabel ?? '',
    detail: entry.detail ?? {},
    ip: origin.ip,
    userAgent: origin.userAgent.slice(0, 500),
  });
}

/** Records an action done by the logged-in actor. */
export function audit(ctx: Ctx, entry: AuditEntry): Promise<void> {
  const { actor } = ctx;
  return insert(
    ctx.db,
    { actorId: actor.userId, actorName: actor.username, actorDepartmentId: actor.departmentId },
    ctx,
    entry,
  );
}

/** Records an event with no logged-in actor (failed login, setup); `who` names the account if known. */
export function auditAnonymous(
  ctx: AnonymousCtx,
  who: { id: number; username: string; departmentId: number } | { username: string } | null,
  entry: AuditEntry,
): Promise<void> {
  const actor: Who =
    who && 'id' in who
      ? { actorId: who.id, actorName: who.username, actorDepartmentId: who.departmentId }
      : { actorId: null, actorName: who?.username ?? '', actorDepartmentId: null };
  return insert(ctx.db, actor, ctx, entry);
}

export type AuditRow = typeof auditLog.$inferSelect;

/** Filters: actor (name), action (prefix), target, ip, from / to (calendar days in the server's time zone, both inclusive). */
export async function auditListing(ctx: Ctx, query: ListQuery): Promise<Listing<AuditRow>> {
  const scope = await recordScope(ctx.db, ctx.actor, 'audit:view');
  const f = query.filters;
  const conditions: (SQL | undefined)[] = [
    scopeCondition(scope, auditLog.actorId, auditLog.actorDepartmentId),
  ];
  if (f.actor) conditions.push(ilike(auditLog.actorName, likePattern(f.actor)));
  if (f.action) conditions.push(ilike(auditLog.action, `${f.action.replace(/[\\%_]/g, '')}%`));
  if (f.target)
    conditions.push(
      or(ilike(auditLog.targetLabel, likePattern(f.target)), eq(auditLog.targetId, f.target.trim())),
    );
  if (f.ip) conditions.push(ilike(auditLog.ip, likePattern(f.ip)));
  const from = parseDay(f.from);
  if (from) conditions.push(gte(auditLog.at, from));
  const to = parseDay(f.to);
  if (to) conditions.push(lt(auditLog.at, new Date(to.getFullYear(), to.getMonth(), to.getDate() + 1)));
  const where = and(...conditions);
  const order = orderBy(
    query,
    { at: auditLog.at, actor: auditLog.actorName, action: auditLog.action, ip: auditLog.ip },
    desc(auditLog.at),
    auditLog.id,
  );
  return {
    count: async () => (await ctx.db.select({ n: count() }).from(auditLog).where(where))[0]?.n ?? 0,
    fetch: (limit, offset) =>
      ctx.db
        .select()
        .from(auditLog)
        .where(where)
        .orderBy(...order)
        .limit(limit)
        .offset(offset),
  };
}

function parseDay(value: string | undefined): Date | null {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const d = new Date(`${value}T00:00:00`);
  return Number.isNaN(d.getTime()) ? null : d;
}
