/** The blacklist (黑名单, 3.4.9): callers whose numbers are never connected; they hear the blacklist prompt. */
import { asc, count, eq, ilike } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { blacklist, users } from '../../db/schema.ts';
import { requirePermission } from '../access/actor.ts';
import { audit } from '../audit/audit-log.ts';
import type { Ctx } from '../shared/context.ts';
import { NotFoundError } from '../shared/errors.ts';
import { likePattern, type ListQuery, type Listing } from '../shared/list-query.ts';
import * as check from '../shared/validate.ts';

export type BlacklistRow = typeof blacklist.$inferSelect & { createdByName: string | null };

export async function isBlacklisted(db: Db, number: string): Promise<boolean> {
  const n = check.normaliseNumber(number);
  if (!n) return false;
  const [row] = await db.select({ id: blacklist.id }).from(blacklist).where(eq(blacklist.number, n));
  return Boolean(row);
}

export function blacklistListing(ctx: Ctx, query: ListQuery): Listing<BlacklistRow> {
  requirePermission(ctx.actor, 'callcenter:view');
  const where = query.filters.q
    ? ilike(blacklist.number, likePattern(query.filters.q.replace(/\D/g, '')))
    : undefined;
  return {
    count: async () => (await ctx.db.select({ n: count() }).from(blacklist).where(where))[0]?.n ?? 0,
    fetch: async (limit, offset) =>
      (
        await ctx.db
          .select({ b: blacklist, createdByName: users.name })
          .from(blacklist)
          .leftJoin(users, eq(users.id, blacklist.createdBy))
          .where(where)
          .orderBy(asc(blacklist.number))
          .limit(limit)
          .offset(offset)
      ).map((r) => ({ ...r.b, createdByName: r.createdByName })),
  };
}

export async function addToBlacklist(ctx: Ctx, raw: { number: unknown; reason: unknown }): Promise<number> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const number = check.normaliseNumber(check.text(raw.number));
  const reason = check.text(raw.reason);
  const [same] = number ? await ctx.db.select().from(blacklist).where(eq(blacklist.number, number)) : [];
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
    .insert(blacklist)
    .values({ number, reason, createdBy: ctx.actor.userId })
    .returning({ id: blacklist.id });
  await audit(ctx, {
    action: 'blacklist.add',
    targetType: 'number',
    targetId: number,
    targetLabel: number,
    detail: { reason },
  });
  return row!.id;
}

export async function removeFromBlacklist(ctx: Ctx, id: number): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const [row] = await ctx.db.delete(blacklist).where(eq(blacklist.id, id)).returning();
  if (!row) throw new NotFoundError();
  await audit(ctx, {
    action: 'blacklist.remove',
    targetType: 'number',
    targetId: row.number,
    targetLabel: row.number,
  });
}
