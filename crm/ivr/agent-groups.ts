/**
 * Agent groups (客服组) as far as the IVR needs them: a name, members and a ring time. Until the
 * ACD (issue 4/5) brings queueing strategies, a call routed to a group rings all its members'
 * phones at once and the first to answer takes it.
 */
import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { agentGroupMembers, agentGroups, hotlines, ivrs, users } from '../../db/schema.ts';
import { requirePermission } from '../access/actor.ts';
import { audit } from '../audit/audit-log.ts';
import type { Ctx } from '../shared/context.ts';
import { DomainError, NotFoundError } from '../shared/errors.ts';
import * as check from '../shared/validate.ts';

export type AgentGroup = typeof agentGroups.$inferSelect & { memberIds: number[]; memberNames: string };

export interface GroupInput {
  name: string;
  ringSeconds: number;
  memberIds: number[];
}

export function parseGroupInput(form: Record<string, unknown>): GroupInput {
  const members = Array.isArray(form.memberIds)
    ? form.memberIds
    : form.memberIds === undefined
      ? []
      : [form.memberIds];
  const ring = Number(check.text(form.ringSeconds) || 30);
  return {
    name: check.text(form.name),
    ringSeconds: ring,
    memberIds: members.map(check.toId).filter((x): x is number => x !== null),
  };
}

export async function listGroups(db: Db): Promise<AgentGroup[]> {
  const rows = await db
    .select({
      g: agentGroups,
      memberIds: sql<
        number[]
      >`coalesce(array_agg(${agentGroupMembers.userId}) filter (where ${agentGroupMembers.userId} is not null), '{}')`,
      memberNames: sql<string>`coalesce(string_agg(${users.name}, ', ' order by ${users.name}), '')`,
    })
    .from(agentGroups)
    .leftJoin(agentGroupMembers, eq(agentGroupMembers.groupId, agentGroups.id))
    .leftJoin(users, eq(users.id, agentGroupMembers.userId))
    .groupBy(agentGroups.id)
    .orderBy(asc(agentGroups.name));
  return rows.map((r) => ({
    ...r.g,
    memberIds: (r.memberIds ?? []).map(Number),
    memberNames: r.memberNames,
  }));
}

export async function getGroup(ctx: Ctx, id: number): Promise<AgentGroup> {
  requirePermission(ctx.actor, 'callcenter:view');
  const g = (await listGroups(ctx.db)).find((x) => x.id === id);
  if (!g) throw new NotFoundError();
  return g;
}

async function problems(db: Db, input: GroupInput, id: number | null) {
  const [same] = await db
    .select({ id: agentGroups.id })
    .from(agentGroups)
    .where(eq(agentGroups.name, input.name));
  const known = input.memberIds.length
    ? await db.select({ id: users.id }).from(users).where(inArray(users.id, input.memberIds))
    : [];
  return {
    name: check.requiredText(input.name, 60) ?? (same && same.id !== id ? 'name_taken' : null),
    ringSeconds:
      Number.isInteger(input.ringSeconds) && input.ringSeconds >= 5 && input.ringSeconds <= 300
        ? null
        : 'out_of_range',
    memberIds: known.length === new Set(input.memberIds).size ? null : 'invalid_choice',
  } as const;
}

async function writeMembers(db: Db, groupId: number, memberIds: number[]) {
  await db.delete(agentGroupMembers).where(eq(agentGroupMembers.groupId, groupId));
  const unique = [...new Set(memberIds)];
  if (unique.length) await db.insert(agentGroupMembers).values(unique.map((userId) => ({ groupId, userId })));
}

export async function createGroup(ctx: Ctx, input: GroupInput): Promise<number> {
  requirePermission(ctx.actor, 'callcenter:edit');
  check.collect(await problems(ctx.db, input, null));
  const id = await ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(agentGroups)
      .values({ name: input.name, ringSeconds: input.ringSeconds })
      .returning({ id: agentGroups.id });
    await writeMembers(tx, row!.id, input.memberIds);
    return row!.id;
  });
  await audit(ctx, { action: 'group.create', targetType: 'group', targetId: id, targetLabel: input.name });
  return id;
}

export async function updateGroup(ctx: Ctx, id: number, input: GroupInput): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  await getGroup(ctx, id);
  check.collect(await problems(ctx.db, input, id));
  await ctx.db.transaction(async (tx) => {
    await tx
      .update(agentGroups)
      .set({ name: input.name, ringSeconds: input.ringSeconds, updatedAt: new Date() })
      .where(eq(agentGroups.id, id));
    await writeMembers(tx, id, input.memberIds);
  });
  await audit(ctx, { action: 'group.update', targetType: 'group', targetId: id, targetLabel: input.name });
}

export async function deleteGroup(ctx: Ctx, id: number): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const g = await getGroup(ctx, id);
  const used = await ctx.db.select({ name: hotlines.name }).from(hotlines).where(eq(hotlines.groupId, id));
  // jsonb prints `"groupId": 5`; the IVR tree and off-hours action may route to the group.
  const pattern = `"groupId": ${id}[,}]`;
  const inIvrs = await ctx.db
    .select({ name: ivrs.name })
    .from(ivrs)
    .where(sql`${ivrs.tree}::text ~ ${pattern} or ${ivrs.hours}::text ~ ${pattern}`);
  const names = [...used.map((u) => u.name), ...inIvrs.map((r) => r.name)];
  if (names.length) throw new DomainError('in_use', { users: names.join(', ') });
  await ctx.db.delete(agentGroups).where(eq(agentGroups.id, id));
  await audit(ctx, { action: 'group.delete', targetType: 'group', targetId: id, targetLabel: g.name });
}
