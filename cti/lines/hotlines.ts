/**
 * Hotlines (热线号码, 3.4.1): a number's inbound calls go to an IVR, straight to an agent group,
 * or to one agent. A number without a hotline keeps its direct route (Numbers page).
 */
import { asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { agentGroups, type HotlineTarget, hotlines, ivrs, phoneNumbers, users } from '../../db/schema.ts';
import { requirePermission } from '../../core/access/actor.ts';
import { audit } from '../../core/audit/audit-log.ts';
import type { Ctx } from '../../core/context.ts';
import { type ErrorCode, NotFoundError } from '../../core/errors.ts';
import * as check from '../../core/validate.ts';

export type Hotline = typeof hotlines.$inferSelect;
export const hotlineTargets: readonly HotlineTarget[] = ['ivr', 'group', 'agent'];

export interface HotlineInput {
  name: string;
  numberId: number | null;
  target: string;
  ivrId: number | null;
  groupId: number | null;
  userId: number | null;
}

export function parseHotlineInput(form: Record<string, unknown>): HotlineInput {
  return {
    name: check.text(form.name),
    numberId: check.toId(form.numberId),
    target: check.text(form.target) || 'ivr',
    ivrId: check.toId(form.ivrId),
    groupId: check.toId(form.groupId),
    userId: check.toId(form.userId),
  };
}

async function problems(
  db: Db,
  input: HotlineInput,
  id: number | null,
): Promise<Record<string, ErrorCode | null>> {
  const exists = async (
    table: typeof ivrs | typeof agentGroups | typeof users | typeof phoneNumbers,
    value: number | null,
  ) =>
    value !== null && (await db.select({ id: table.id }).from(table).where(eq(table.id, value))).length > 0;
  const [taken] = input.numberId
    ? await db.select({ id: hotlines.id }).from(hotlines).where(eq(hotlines.numberId, input.numberId))
    : [];
  return {
    name: check.requiredText(input.name, 60),
    numberId: !(await exists(phoneNumbers, input.numberId))
      ? 'required'
      : taken && taken.id !== id
        ? 'number_taken'
        : null,
    target: (hotlineTargets as readonly string[]).includes(input.target) ? null : 'invalid_choice',
    ivrId: input.target === 'ivr' && !(await exists(ivrs, input.ivrId)) ? 'required' : null,
    groupId: input.target === 'group' && !(await exists(agentGroups, input.groupId)) ? 'required' : null,
    userId: input.target === 'agent' && !(await exists(users, input.userId)) ? 'required' : null,
  };
}

const values = (input: HotlineInput) => ({
  name: input.name,
  numberId: input.numberId!,
  target: input.target as HotlineTarget,
  ivrId: input.target === 'ivr' ? input.ivrId : null,
  groupId: input.target === 'group' ? input.groupId : null,
  userId: input.target === 'agent' ? input.userId : null,
});

export async function createHotline(ctx: Ctx, input: HotlineInput): Promise<number> {
  requirePermission(ctx.actor, 'callcenter:edit');
  check.collect(await problems(ctx.db, input, null));
  const [row] = await ctx.db.insert(hotlines).values(values(input)).returning({ id: hotlines.id });
  await audit(ctx, {
    action: 'hotline.create',
    targetType: 'hotline',
    targetId: row!.id,
    targetLabel: input.name,
  });
  return row!.id;
}

export async function updateHotline(ctx: Ctx, id: number, input: HotlineInput): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  await getHotline(ctx, id);
  check.collect(await problems(ctx.db, input, id));
  await ctx.db
    .update(hotlines)
    .set({ ...values(input), updatedAt: new Date() })
    .where(eq(hotlines.id, id));
  await audit(ctx, {
    action: 'hotline.update',
    targetType: 'hotline',
    targetId: id,
    targetLabel: input.name,
  });
}

export async function deleteHotline(ctx: Ctx, id: number): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const h = await getHotline(ctx, id);
  await ctx.db.delete(hotlines).where(eq(hotlines.id, id));
  await audit(ctx, { action: 'hotline.delete', targetType: 'hotline', targetId: id, targetLabel: h.name });
}

export async function getHotline(ctx: Ctx, id: number): Promise<Hotline> {
  requirePermission(ctx.actor, 'callcenter:view');
  const [row] = await ctx.db.select().from(hotlines).where(eq(hotlines.id, id));
  if (!row) throw new NotFoundError();
  return row;
}

export async function listHotlines(ctx: Ctx) {
  requirePermission(ctx.actor, 'callcenter:view');
  return ctx.db
    .select({
      h: hotlines,
      number: phoneNumbers.number,
      ivrName: ivrs.name,
      groupName: agentGroups.name,
      userName: users.name,
    })
    .from(hotlines)
    .innerJoin(phoneNumbers, eq(phoneNumbers.id, hotlines.numberId))
    .leftJoin(ivrs, eq(ivrs.id, hotlines.ivrId))
    .leftJoin(agentGroups, eq(agentGroups.id, hotlines.groupId))
    .leftJoin(users, eq(users.id, hotlines.userId))
    .orderBy(asc(hotlines.name));
}

/** The hotline of a dialled number, for the call engine. */
export async function hotlineOfNumber(db: Db, numberId: number): Promise<Hotline | null> {
  const [row] = await db.select().from(hotlines).where(eq(hotlines.numberId, numberId));
  return row ?? null;
}
