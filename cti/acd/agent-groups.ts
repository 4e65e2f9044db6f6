/**
 * Agent groups (客服组): a name, a leader, members with a skill level (0 offered first … 9
 * last), the ring time of an offer (未接跳转 time) and the queue settings (strategies, VIP,
 * what waiting callers hear, maximum wait, overflow …; cti/acd/queue-settings.ts). Hotlines and
 * IVR keys send callers to a group's queue; the ACD (cti/acd) serves them.
 */
import { asc, eq, inArray, sql } from 'drizzle-orm';
import {
  defaultQueueSettings,
  type OverflowTarget,
  type QueueSettings,
  type StrategyKey,
  strategyKeys,
  queueGroupIds,
  queueProblems,
  queuePromptIds,
  readQueueSettings,
} from './queue-settings.ts';
import type { Db } from '../../db/client.ts';
import {
  agentGroupMembers,
  agentGroups,
  groupPromptRefs,
  hotlines,
  ivrs,
  prompts,
  users,
} from '../../db/schema.ts';
import { requirePermission } from '../../core/access/actor.ts';
import { audit } from '../../core/audit/audit-log.ts';
import type { Ctx } from '../../core/context.ts';
import { DomainError, type ErrorCode, NotFoundError } from '../../core/errors.ts';
import * as check from '../../core/validate.ts';

export interface GroupMember {
  userId: number;
  penalty: number;
}

export type AgentGroup = Omit<typeof agentGroups.$inferSelect, 'queue'> & {
  queue: QueueSettings;
  members: GroupMember[];
  memberIds: number[];
  memberNames: string;
};

export interface GroupInput {
  name: string;
  ringSeconds: number;
  leaderId: number | null;
  members: GroupMember[];
  queue: QueueSettings;
}

const num = (v: unknown, fallback: number) => {
  const t = check.text(v);
  return t === '' ? fallback : Number(t);
};

/**
 * Reads the group form: members are the ticked `memberIds` with their level in `penalty_<id>`;
 * the strategies `strategy1` … `strategy4` in priority order (empty ones skipped).
 */
export function parseGroupInput(form: Record<string, unknown>): GroupInput {
  const d = defaultQueueSettings();
  const members = check.toIds(form.memberIds).map((userId) => ({
    userId,
    penalty: num(form[`penalty_${userId}`], 0),
  }));
  const strategies = [1, 2, 3, 4]
    .map((i) => check.text(form[`strategy${i}`]))
    .filter((k): k is StrategyKey => strategyKeys.includes(k as StrategyKey));
  const kind = check.text(form.overflowKind);
  const target: OverflowTarget | null =
    kind === 'group' && check.toId(form.overflowGroupId)
      ? { kind, groupId: check.toId(form.overflowGroupId)! }
      : kind === 'prompt' && check.toId(form.overflowPromptId)
        ? { kind, promptId: check.toId(form.overflowPromptId)! }
        : kind === 'external'
          ? { kind, number: check.normaliseNumber(check.text(form.overflowNumber)) }
          : null;
  return {
    name: check.text(form.name),
    ringSeconds: num(form.ringSeconds, 30),
    leaderId: check.toId(form.leaderId),
    members,
    queue: {
      strategies: strategies.length > 0 ? strategies : d.strategies,
      lastAgentHours: num(form.lastAgentHours, d.lastAgentHours),
      vipFirst: check.toBool(form.vipFirst),
      noAnswer: { jumpAfter: num(form.jumpAfter, 0), jumpGroupId: check.toId(form.jumpGroupId) },
      holdPromptId: check.toId(form.holdPromptId),
      announce: {
        everySeconds: num(form.announceEvery, 0),
        position: check.toBool(form.announcePosition),
        waitTime: check.toBool(form.announceWait),
      },
      maxWait: {
        seconds: num(form.maxWaitSeconds, 0),
        promptId: check.toId(form.maxWaitPromptId),
        keySeconds: num(form.maxWaitKeySeconds, d.maxWait.keySeconds),
        callback: check.toBool(form.maxWaitCallback),
        noKey: check.text(form.maxWaitNoKey) === 'hangup' ? 'hangup' : 'keep',
      },
      empty: { join: check.toBool(form.emptyJoin), leave: check.toBool(form.emptyLeave) },
      overflow: {
        waiting: num(form.overflowWaiting, 0),
        waitSeconds: num(form.overflowWaitSeconds, 0),
        target,
      },
      announceAgentNumber: check.toBool(form.announceAgentNumber),
      survey: check.toBool(form.survey),
      queueVisible: check.toBool(form.queueVisible),
      serveEarly: check.toBool(form.serveEarly),
      language: check.text(form.language) === 'zh' ? 'zh' : 'en',
    },
  };
}

/** The group form's values for a group (the inverse of parseGroupInput). */
export function groupFormValues(
  g: Pick<AgentGroup, 'name' | 'ringSeconds' | 'leaderId' | 'members' | 'queue'>,
) {
  const q = g.queue;
  const t = q.overflow.target;
  return {
    name: g.name,
    ringSeconds: g.ringSeconds,
    leaderId: g.leaderId ?? '',
    memberIds: g.members.map((m) => String(m.userId)),
    ...Object.fromEntries(g.members.map((m) => [`penalty_${m.userId}`, String(m.penalty)])),
    ...Object.fromEntries([1, 2, 3, 4].map((i) => [`strategy${i}`, q.strategies[i - 1] ?? ''])),
    lastAgentHours: q.lastAgentHours,
    vipFirst: q.vipFirst,
    jumpAfter: q.noAnswer.jumpAfter,
    jumpGroupId: q.noAnswer.jumpGroupId ?? '',
    holdPromptId: q.holdPromptId ?? '',
    announceEvery: q.announce.everySeconds,
    announcePosition: q.announce.position,
    announceWait: q.announce.waitTime,
    maxWaitSeconds: q.maxWait.seconds,
    maxWaitPromptId: q.maxWait.promptId ?? '',
    maxWaitKeySeconds: q.maxWait.keySeconds,
    maxWaitCallback: q.maxWait.callback,
    maxWaitNoKey: q.maxWait.noKey,
    emptyJoin: q.empty.join,
    emptyLeave: q.empty.leave,
    overflowWaiting: q.overflow.waiting,
    overflowWaitSeconds: q.overflow.waitSeconds,
    overflowKind: t?.kind ?? '',
    overflowGroupId: t?.kind === 'group' ? t.groupId : '',
    overflowNumber: t?.kind === 'external' ? t.number : '',
    overflowPromptId: t?.kind === 'prompt' ? t.promptId : '',
    announceAgentNumber: q.announceAgentNumber,
    survey: q.survey,
    queueVisible: q.queueVisible,
    serveEarly: q.serveEarly,
    language: q.language,
  };
}

/** A new group's form: the default queue settings. */
export const blankGroupForm = () =>
  groupFormValues({ name: '', ringSeconds: 20, leaderId: null, members: [], queue: defaultQueueSettings() });

export async function listGroups(db: Db): Promise<AgentGroup[]> {
  const rows = await db.select().from(agentGroups).orderBy(asc(agentGroups.name));
  const members = await db
    .select({
      groupId: agentGroupMembers.groupId,
      userId: agentGroupMembers.userId,
      penalty: agentGroupMembers.penalty,
      name: users.name,
    })
    .from(agentGroupMembers)
    .innerJoin(users, eq(users.id, agentGroupMembers.userId))
    .orderBy(asc(agentGroupMembers.penalty), asc(users.name));
  return rows.map((g) => {
    const mine = members.filter((m) => m.groupId === g.id);
    return {
      ...g,
      queue: readQueueSettings(g.queue),
      members: mine.map((m) => ({ userId: m.userId, penalty: m.penalty })),
      memberIds: mine.map((m) => m.userId),
      memberNames: [...mine]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((m) => m.name)
        .join(', '),
    };
  });
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
  const userIds = [
    ...new Set([...input.members.map((m) => m.userId), ...(input.leaderId ? [input.leaderId] : [])]),
  ];
  const known = userIds.length
    ? await db.select({ id: users.id }).from(users).where(inArray(users.id, userIds))
    : [];
  const knownIds = new Set(known.map((k) => k.id));
  const groups = new Set((await db.select({ id: agentGroups.id }).from(agentGroups)).map((g) => g.id));
  const promptIds = new Set((await db.select({ id: prompts.id }).from(prompts)).map((p) => p.id));
  return {
    name: check.requiredText(input.name, 60) ?? (same && same.id !== id ? 'name_taken' : null),
    ringSeconds:
      Number.isInteger(input.ringSeconds) && input.ringSeconds >= 5 && input.ringSeconds <= 300
        ? null
        : 'out_of_range',
    leaderId: input.leaderId !== null && !knownIds.has(input.leaderId) ? 'invalid_choice' : null,
    memberIds: input.members.every((m) => knownIds.has(m.userId)) ? null : 'invalid_choice',
    penalty: input.members.every((m) => Number.isInteger(m.penalty) && m.penalty >= 0 && m.penalty <= 9)
      ? null
      : 'out_of_range',
    ...queueProblems(input.queue, { groupId: id, groups, prompts: promptIds }),
  } as Record<string, ErrorCode | null | undefined>;
}

async function write(db: Db, groupId: number, input: GroupInput) {
  await db.delete(agentGroupMembers).where(eq(agentGroupMembers.groupId, groupId));
  const seen = new Set<number>();
  const members = input.members.filter((m) => !seen.has(m.userId) && seen.add(m.userId));
  if (members.length)
    await db
      .insert(agentGroupMembers)
      .values(members.map((m) => ({ groupId, userId: m.userId, penalty: m.penalty })));
  await db.delete(groupPromptRefs).where(eq(groupPromptRefs.groupId, groupId));
  const promptIds = queuePromptIds(input.queue);
  if (promptIds.length)
    await db.insert(groupPromptRefs).values(promptIds.map((promptId) => ({ groupId, promptId })));
}

const columns = (input: GroupInput) => ({
  name: input.name,
  ringSeconds: input.ringSeconds,
  leaderId: input.leaderId,
  queue: input.queue,
});

export async function createGroup(ctx: Ctx, input: GroupInput): Promise<number> {
  requirePermission(ctx.actor, 'callcenter:edit');
  check.collect(await problems(ctx.db, input, null));
  const id = await ctx.db.transaction(async (tx) => {
    const [row] = await tx.insert(agentGroups).values(columns(input)).returning({ id: agentGroups.id });
    await write(tx, row!.id, input);
    return row!.id;
  });
  await audit(ctx, { action: 'group.create', targetType: 'group', targetId: id, targetLabel: input.name });
  ctx.events?.publish({ type: 'groups.changed' });
  return id;
}

export async function updateGroup(ctx: Ctx, id: number, input: GroupInput): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  await getGroup(ctx, id);
  check.collect(await problems(ctx.db, input, id));
  await ctx.db.transaction(async (tx) => {
    await tx
      .update(agentGroups)
      .set({ ...columns(input), updatedAt: new Date() })
      .where(eq(agentGroups.id, id));
    await write(tx, id, input);
  });
  await audit(ctx, { action: 'group.update', targetType: 'group', targetId: id, targetLabel: input.name });
  ctx.events?.publish({ type: 'groups.changed' });
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
  const inGroups = (await listGroups(ctx.db))
    .filter((other) => other.id !== id && queueGroupIds(other.queue).includes(id))
    .map((other) => other.name);
  const names = [...used.map((u) => u.name), ...inIvrs.map((r) => r.name), ...inGroups];
  if (names.length) throw new DomainError('in_use', { users: names.join(', ') });
  await ctx.db.delete(agentGroups).where(eq(agentGroups.id, id));
  await audit(ctx, { action: 'group.delete', targetType: 'group', targetId: id, targetLabel: g.name });
  ctx.events?.publish({ type: 'groups.changed' });
}
