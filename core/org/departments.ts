/**
 * The department tree (组织): name, parent, leader and collaborators. A department that still
 * has sub-departments or members cannot be deleted.
 */
import { and, asc, count, eq, inArray, ne } from 'drizzle-orm';
import { departmentCollaborators, departments, users } from '../../db/schema.ts';
import { type Actor, inScope, recordScope, type RecordScope } from '../access/actor.ts';
import type { Permission } from '../access/permissions.ts';
import { audit } from '../audit/audit-log.ts';
import type { Ctx } from '../context.ts';
import { DomainError, NotFoundError } from '../errors.ts';
import { collect, requiredText, text, toId, toIds } from '../validate.ts';
import type { Db } from '../../db/client.ts';

export interface Department {
  id: number;
  name: string;
  parentId: number | null;
  leaderId: number | null;
  leaderName: string | null;
  collaboratorIds: number[];
  memberCount: number;
  depth: number;
  /** Names from the root down, e.g. ["Company", "Sales", "Team 1"]. */
  path: string[];
}

/** All departments in tree order (parents before children, siblings by name) with depth and path. */
export async function departmentTree(db: Db): Promise<Department[]> {
  const rows = await db
    .select({
      id: departments.id,
      name: departments.name,
      parentId: departments.parentId,
      leaderId: departments.leaderId,
      leaderName: users.name,
    })
    .from(departments)
    .leftJoin(users, eq(users.id, departments.leaderId))
    .orderBy(asc(departments.name), asc(departments.id));
  const members = await db
    .select({ departmentId: users.departmentId, n: count() })
    .from(users)
    .groupBy(users.departmentId);
  const memberCount = new Map(members.map((m) => [m.departmentId, Number(m.n)]));
  const collaborators = await db.select().from(departmentCollaborators);
  const children = new Map<number | null, typeof rows>();
  for (const r of rows) children.set(r.parentId, [...(children.get(r.parentId) ?? []), r]);
  const out: Department[] = [];
  const walk = (parentId: number | null, depth: number, path: string[]) => {
    for (const r of children.get(parentId) ?? []) {
      const here = [...path, r.name];
      out.push({
        ...r,
        collaboratorIds: collaborators.filter((c) => c.departmentId === r.id).map((c) => c.userId),
        memberCount: memberCount.get(r.id) ?? 0,
        depth,
        path: here,
      });
      walk(r.id, depth + 1, here);
    }
  };
  walk(null, 0, []);
  return out;
}

/** The departments a permission lets the actor see or place records in. */
export async function departmentsInScope(ctx: Ctx, permission: Permission): Promise<Department[]> {
  const scope = await recordScope(ctx.db, ctx.actor, permission);
  const tree = await departmentTree(ctx.db);
  return tree.filter(
    (d) => scope.all || scope.departmentIds.includes(d.id) || d.id === ctx.actor.departmentId,
  );
}

export async function listDepartments(ctx: Ctx): Promise<Department[]> {
  return departmentsInScope(ctx, 'departments:view');
}

export async function getDepartment(ctx: Ctx, id: number): Promise<Department> {
  const found = (await listDepartments(ctx)).find((d) => d.id === id);
  if (!found) throw new NotFoundError();
  return found;
}

export interface DepartmentInput {
  name: string;
  parentId: number | null;
  leaderId: number | null;
  collaboratorIds: number[];
}

export function parseDepartmentInput(raw: Record<string, unknown>): DepartmentInput {
  return {
    name: text(raw.name),
    parentId: toId(raw.parentId),
    leaderId: toId(raw.leaderId),
    collaboratorIds: toIds(raw.collaboratorIds),
  };
}

function ensureDepartmentInScope(scope: RecordScope, actor: Actor, departmentId: number) {
  if (!inScope(scope, null, departmentId) && departmentId !== actor.departmentId)
    throw new DomainError('scope_outside');
}

async function validate(ctx: Ctx, input: DepartmentInput, selfId: number | null, scope: RecordScope) {
  const tree = await departmentTree(ctx.db);
  const isRoot = selfId !== null && tree.find((d) => d.id === selfId)?.parentId === null;
  let parentProblem: ReturnType<typeof requiredText> = null;
  if (!isRoot) {
    if (input.parentId === null) parentProblem = 'required';
    else if (!tree.some((d) => d.id === input.parentId)) parentProblem = 'department_unknown';
    else if (selfId !== null && isBelow(tree, input.parentId, selfId)) parentProblem = 'department_cycle';
  }
  let nameProblem = requiredText(input.name, 100);
  if (!nameProblem) {
    const siblings = await ctx.db
      .select({ id: departments.id })
      .from(departments)
      .where(
        and(
          eq(departments.name, input.name),
          isRoot || input.parentId === null ? undefined : eq(departments.parentId, input.parentId),
          selfId === null ? undefined : ne(departments.id, selfId),
        ),
      );
    if (siblings.length > 0 && !isRoot) nameProblem = 'name_taken';
  }
  const people = [...(input.leaderId ? [input.leaderId] : []), ...input.collaboratorIds];
  const known =
    people.length === 0
      ? []
      : await ctx.db.select({ id: users.id }).from(users).where(inArray(users.id, people));
  const knownIds = new Set(known.map((u) => u.id));
  collect({
    name: nameProblem,
    parentId: parentProblem,
    leaderId: input.leaderId !== null && !knownIds.has(input.leaderId) ? 'invalid_choice' : null,
    collaboratorIds: input.collaboratorIds.some((id) => !knownIds.has(id)) ? 'invalid_choice' : null,
  });
  if (!isRoot && input.parentId !== null) ensureDepartmentInScope(scope, ctx.actor, input.parentId);
  return { isRoot };
}

/** True when `id` is `ancestorId` or lies below it. */
export function isBelow(tree: Department[], id: number, ancestorId: number): boolean {
  const byId = new Map(tree.map((d) => [d.id, d]));
  for (let cur = byId.get(id); cur; cur = cur.parentId === null ? undefined : byId.get(cur.parentId)) {
    if (cur.id === ancestorId) return true;
  }
  return false;
}

export async function createDepartment(ctx: Ctx, input: DepartmentInput): Promise<number> {
  const scope = await recordScope(ctx.db, ctx.actor, 'departments:create');
  await validate(ctx, input, null, scope);
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(departments)
      .values({ name: input.name, parentId: input.parentId, leaderId: input.leaderId })
      .returning({ id: departments.id });
    const id = row!.id;
    if (input.collaboratorIds.length > 0)
      await tx
        .insert(departmentCollaborators)
        .values(input.collaboratorIds.map((userId) => ({ departmentId: id, userId })));
    await audit(
      { ...ctx, db: tx },
      {
        action: 'department.created',
        targetType: 'department',
        targetId: id,
        targetLabel: input.name,
        detail: { ...input },
      },
    );
    return id;
  });
}

export async function updateDepartment(ctx: Ctx, id: number, input: DepartmentInput): Promise<void> {
  const scope = await recordScope(ctx.db, ctx.actor, 'departments:edit');
  const before = (await departmentTree(ctx.db)).find((d) => d.id === id);
  if (!before) throw new NotFoundError();
  ensureDepartmentInScope(scope, ctx.actor, id);
  const { isRoot } = await validate(ctx, input, id, scope);
  await ctx.db.transaction(async (tx) => {
    await tx
      .update(departments)
      .set({
        name: input.name,
        parentId: isRoot ? null : input.parentId,
        leaderId: input.leaderId,
        updatedAt: new Date(),
      })
      .where(eq(departments.id, id));
    await tx.delete(departmentCollaborators).where(eq(departmentCollaborators.departmentId, id));
    if (input.collaboratorIds.length > 0)
      await tx
        .insert(departmentCollaborators)
        .values(input.collaboratorIds.map((userId) => ({ departmentId: id, userId })));
    await audit(
      { ...ctx, db: tx },
      {
        action: 'department.updated',
        targetType: 'department',
        targetId: id,
        targetLabel: input.name,
        detail: {
          before: { name: before.name, parentId: before.parentId, leaderId: before.leaderId },
          after: { ...input },
        },
      },
    );
  });
}

export async function deleteDepartment(ctx: Ctx, id: number): Promise<void> {
  const scope = await recordScope(ctx.db, ctx.actor, 'departments:delete');
  const tree = await departmentTree(ctx.db);
  const dept = tree.find((d) => d.id === id);
  if (!dept) throw new NotFoundError();
  ensureDepartmentInScope(scope, ctx.actor, id);
  if (dept.parentId === null) throw new DomainError('department_is_root');
  const childCount = tree.filter((d) => d.parentId === id).length;
  if (childCount > 0) throw new DomainError('department_has_children', { count: childCount });
  if (dept.memberCount > 0) throw new DomainError('department_has_members', { count: dept.memberCount });
  await ctx.db.transaction(async (tx) => {
    await tx.delete(departments).where(eq(departments.id, id));
    await audit(
      { ...ctx, db: tx },
      { action: 'department.deleted', targetType: 'department', targetId: id, targetLabel: dept.name },
    );
  });
}
