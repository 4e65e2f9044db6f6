/** Reading the IVR reception log (IVR 接待记录): filtered, sorted, paged and exportable. */
import { and, count, desc, eq, gte, ilike, lt, type SQL } from 'drizzle-orm';
import { hotlines, ivrSessions, ivrs } from '../../db/schema.ts';
import { requirePermission } from '../../core/access/actor.ts';
import type { Ctx } from '../../core/context.ts';
import { likePattern, type ListQuery, type Listing, orderBy } from '../../core/list-query.ts';
import * as check from '../../core/validate.ts';

export const ivrOutcomes = [
  'group',
  'agent',
  'transfer',
  'hangup',
  'play_hangup',
  'blacklisted',
  'off_hours',
  'timeout',
  'caller_hung_up',
  'in_progress',
] as const;

function select(ctx: Ctx) {
  return ctx.db
    .select({ s: ivrSessions, ivrName: ivrs.name, hotlineName: hotlines.name })
    .from(ivrSessions)
    .leftJoin(ivrs, eq(ivrs.id, ivrSessions.ivrId))
    .leftJoin(hotlines, eq(hotlines.id, ivrSessions.hotlineId))
    .$dynamic();
}

export type ReceptionRow = Awaited<ReturnType<ReturnType<typeof select>['execute']>>[number];

const day = (text: string | undefined) =>
  text && /^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(`${text}T00:00:00`) : null;

/** Filters: q (caller number), ivr (id), outcome, region (text), from / to (dates, inclusive). */
export async function receptionListing(ctx: Ctx, query: ListQuery): Promise<Listing<ReceptionRow>> {
  requirePermission(ctx.actor, 'callcenter:view');
  const f = query.filters;
  const conditions: (SQL | undefined)[] = [];
  if (f.q) conditions.push(ilike(ivrSessions.fromNumber, likePattern(f.q.replace(/\D/g, ''))));
  const ivr = check.toId(f.ivr);
  if (ivr) conditions.push(eq(ivrSessions.ivrId, ivr));
  if (f.outcome && (ivrOutcomes as readonly string[]).includes(f.outcome))
    conditions.push(eq(ivrSessions.outcome, f.outcome));
  if (f.region) conditions.push(ilike(ivrSessions.region, likePattern(f.region)));
  const from = day(f.from);
  if (from) conditions.push(gte(ivrSessions.enteredAt, from));
  const to = day(f.to);
  if (to) conditions.push(lt(ivrSessions.enteredAt, new Date(to.getTime() + 86_400_000)));
  const where = and(...conditions);
  const order = orderBy(
    query,
    { enteredAt: ivrSessions.enteredAt },
    desc(ivrSessions.enteredAt),
    ivrSessions.callId,
  );
  return {
    count: async () => (await ctx.db.select({ n: count() }).from(ivrSessions).where(where))[0]?.n ?? 0,
    fetch: (limit, offset) =>
      select(ctx)
        .where(where)
        .orderBy(...order)
        .limit(limit)
        .offset(offset),
  };
}
