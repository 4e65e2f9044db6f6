/**
 * Caller lists kept by number: the blacklist (黑名单, 3.4.9) — callers who hear the blacklist
 * prompt and are never connected — and VIP callers, whom IVR caller rules can route first
 * (until the CRM's customer VIP flag takes over). Both are edited the same way.
 */
import { asc, count, eq, ilike } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { blacklist, users, vipCallers } from '../../db/schema.ts';
import { requirePermission } from '../../core/access/actor.ts';
import { audit } from '../../core/audit/audit-log.ts';
import type { Ctx } from '../../core/context.ts';
import { NotFoundError } from '../../core/errors.ts';
import { likePattern, type ListQuery, type Listing } from '../../core/list-query.ts';
import * as check from '../../core/validate.ts';

export type CallerList = 'blacklist' | 'vip';
const tables = { blacklist, vip: vipCallers } as const;

export type CallerRow = typeof blacklist.$inferSelect & { createdByName: string | null };

export async function isListed(db: Db, list: CallerList, number: string): Promise<boolean> {
  const n = check.normaliseNumber(number);
  if (!n) return false;
  const table = tables[list];
  const [row] = await db.select({ id: table.id }).from(table).where(eq(table.number, n));
  return Boolean(row);
}

export const isBlacklisted = (db: Db, number: string) => isListed(db, 'blacklist', number);
export const isVip = (db: Db, number: string) => isListed(db, 'vip', number);

export function callerListing(ctx: Ctx, list: CallerList, query: ListQuery): Listing<CallerRow> {
  requirePermission(ctx.actor, 'callcenter:view');
  const table = tables[list];
  const where = query.filters.q
    ? ilike(table.number, likePattern(query.filters.q.replace(/\D/g, '')))
    : undefined;
  return {
    count: async () => (await ctx.db.select({ n: count() }).from(table).where(where))[0]?.n ?? 0,
    fetch: async (limit, offset) =>
      (
        await ctx.db
          .select({ b: table, createdByName: users.name })
          .from(table)
          .leftJoin(users, eq(users.id, table.createdBy))
          .where(where)
          .orderBy(asc(table.number))
          .limit(limit)
          .offset(offset)
      ).map((r) => ({ ...r.b, createdByName: r.createdByName })),
  };
}

export async function addToList(
  ctx: Ctx,
  list: CallerList,
  raw: { number: unknown; reason: unknown },
): Promise<number> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const table = tables[list];
  const number = check.normaliseNumber(check.text(raw.number));
  const reason = check.text(raw.reason);
  const [same] = number ? await ctx.db.select().from(table).where(eq(table.number, number)) : [];
  check.collect({
    number:
      number === ''
        ? 'required'
        : !/^\d{3,20}$/.test(number)
          ? 'invalid_phone'
          : same
            ? 'number_taken'
            : null,
    reason: check.maxLength(reason, 200),
  });
  const [row] = await ctx.db
    .insert(table)
    .values({ number, reason, createdBy: ctx.actor.userId })
    .returning({ id: table.id });
  await audit(ctx, {
    action: `${list}.add`,
    targetType: 'number',
    targetId: number,
    targetLabel: number,
    detail: { reason },
  });
  return row!.id;
}

export async function removeFromList(ctx: Ctx, list: CallerList, id: number): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const table = tables[list];
  const [row] = await ctx.db.delete(table).where(eq(table.id, id)).returning();
  if (!row) throw new NotFoundError();
  await audit(ctx, {
    action: `${list}.remove`,
    targetType: 'number',
    targetId: row.number,
    targetLabel: row.number,
  });
}
