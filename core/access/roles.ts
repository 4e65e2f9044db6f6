/**
 * Roles (角色): a name, a set of function permissions and one data scope. Built-in roles are
 * created at setup; the Owner role cannot be changed or deleted. Deleting a role with members
 * moves them to a role the admin picks (the default role otherwise). A non-owner can write only
 * roles they could hand out (actor.ts grantProblem), move members only into such a role, and add,
 * remove or move only members within their data scope.
 */
import { and, asc, count, eq, inArray, ne } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { type DataScope, roles, userRoles, users } from '../../db/schema.ts';
import { audit } from '../audit/audit-log.ts';
import type { Ctx } from '../context.ts';
import { DomainError, NotFoundError } from '../errors.ts';
import { collect, requiredText, text, toId, toIds } from '../validate.ts';
import {
  grantProblem,
  inScope,
  recordScope,
  requireMayActOn,
  requirePermission,
  scopeCondition,
} from './actor.ts';
import { builtinRoles, defaultRoleKey, isDataScope, isPermission, type Permission } from './permissions.ts';

export type Role = typeof roles.$inferSelect & { memberCount: number };

export async function listRoles(ctx: Ctx): Promise<Role[]> {
  requirePermission(ctx.actor, 'roles:view');
  return allRoles(ctx.db);
}

/** Every role with its member count (also used to fill role pickers). */
export async function allRoles(db: Db): Promise<Role[]> {
  const rows = await db.select().from(roles).orderBy(asc(roles.id));
  const counts = await db
    .select({ roleId: userRoles.roleId, n: count() })
    .from(userRoles)
    .groupBy(userRoles.roleId);
  const byRole = new Map(counts.map((c) => [c.roleId, Number(c.n)]));
  return rows.map((r) => ({ ...r, memberCount: byRole.get(r.id) ?? 0 }));
}

/** One role with its members; only members within the reader's data scope are listed. */
export async function getRole(
  ctx: Ctx,
  id: number,
): Promise<Role & { members: { id: number; name: string; username: string }[] }> {
  const scope = await recordScope(ctx.db, ctx.actor, 'roles:view');
  const role = (await allRoles(ctx.db)).find((r) => r.id === id);
  if (!role) throw new NotFoundError();
  const members = await ctx.db
    .select({ id: users.id, name: users.name, username: users.username })
    .from(userRoles)
    .innerJoin(users, eq(users.id, userRoles.userId))
    .where(and(eq(userRoles.roleId, id), scopeCondition(scope, users.id, users.departmentId)))
    .orderBy(asc(users.name));
  return { ...role, members };
}

export interface RoleInput {
  name: string;
  description: string;
  dataScope: DataScope;
  permissions: Permission[];
  memberIds: number[];
}

export function parseRoleInput(raw: Record<string, unknown>): RoleInput & { invalidScope: boolean } {
  const scope = text(raw.dataScope);
  const perms = Array.isArray(raw.permissions) ? raw.permissions : raw.permissions ? [raw.permissions] : [];
  return {
    name: text(raw.name),
    description: text(raw.description),
    dataScope: isDataScope(scope) ? scope : 'self',
    invalidScope: !isDataScope(scope),
    permissions: perms.map(String).filter(isPermission),
    memberIds: toIds(raw.memberIds),
  };
}

/** Those of these people who are outside the actor's data scope for `permission`. */
async function outsideScope(ctx: Ctx, permission: Permission, userIds: number[]): Promise<number[]> {
  if (userIds.length === 0) return [];
  const scope = await recordScope(ctx.db, ctx.actor, permission);
  if (scope.all) return [];
  const people = await ctx.db
    .select({ id: users.id, departmentId: users.departmentId })
    .from(users)
    .where(inArray(users.id, userIds));
  return people.filter((u) => !inScope(scope, u.id, u.departmentId)).map((u) => u.id);
}

/**
 * Checks a role before it is written. A non-owner cannot write a role with permissions they lack
 * or a wider scope than theirs (grantProblem), nor add members outside their data scope.
 */
async function validate(
  ctx: Ctx,
  input: RoleInput & { invalidScope: boolean },
  selfId: number | null,
  currentMemberIds: number[],
) {
  let nameProblem = requiredText(input.name, 60);
  if (!nameProblem) {
    const same = await ctx.db
      .select({ id: roles.id })
      .from(roles)
      .where(and(eq(roles.name, input.name), selfId === null ? undefined : ne(roles.id, selfId)));
    if (same.length > 0) nameProblem = 'name_taken';
  }
  const known =
    input.memberIds.length === 0
      ? []
      : await ctx.db.select({ id: users.id }).from(users).where(inArray(users.id, input.memberIds));
  const added = input.memberIds.filter((m) => !currentMemberIds.includes(m));
  const permission = selfId === null ? 'roles:create' : 'roles:edit';
  collect({
    name: nameProblem,
    description: input.description.length > 500 ? 'too_long' : null,
    dataScope: input.invalidScope ? 'invalid_choice' : null,
    memberIds:
      known.length !== input.memberIds.length
        ? 'invalid_choice'
        : (await outsideScope(ctx, permission, added)).length > 0
          ? 'scope_outside'
          : null,
  });
  const problem = grantProblem(ctx.actor, input);
  if (problem) throw new DomainError(problem);
}

export async function createRole(ctx: Ctx, input: RoleInput & { invalidScope: boolean }): Promise<number> {
  requirePermission(ctx.actor, 'roles:create');
  await validate(ctx, input, null, []);
  const created = await ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(roles)
      .values({
        name: input.name,
        description: input.description,
        dataScope: input.dataScope,
        permissions: input.permissions,
      })
      .returning({ id: roles.id });
    const id = row!.id;
    if (input.memberIds.length > 0)
      await tx.insert(userRoles).values(input.memberIds.map((userId) => ({ userId, roleId: id })));
    await audit(
      { ...ctx, db: tx },
      {
        action: 'role.created',
        targetType: 'role',
        targetId: id,
        targetLabel: input.name,
        detail: { dataScope: input.dataScope, permissions: input.permissions, memberIds: input.memberIds },
      },
    );
    return id;
  });
  ctx.events?.publish({ type: 'roles.changed', roleId: created });
  return created;
}

export async function updateRole(
  ctx: Ctx,
  id: number,
  input: RoleInput & { invalidScope: boolean },
): Promise<void> {
  requirePermission(ctx.actor, 'roles:edit');
  const [before] = await ctx.db.select().from(roles).where(eq(roles.id, id));
  if (!before) throw new NotFoundError();
  const isOwnerRole = before.builtinKey === 'owner';
  if (isOwnerRole && !ctx.actor.isOwner) throw new DomainError('role_owner_only');
  // A role is changed only by someone who could grant it as it is (not only as it would become):
  // nobody cuts down a role more powerful than their own.
  const problem = grantProblem(ctx.actor, before);
  if (problem) throw new DomainError(problem);
  // `memberIds` are the members within the editor's scope: members outside it (whom the editor
  // cannot see) stay as they are, and nobody outside it can be added.
  const current = (
    await ctx.db.select({ userId: userRoles.userId }).from(userRoles).where(eq(userRoles.roleId, id))
  ).map((m) => m.userId);
  const kept = await outsideScope(ctx, 'roles:edit', current);
  const memberIds = [...new Set([...input.memberIds, ...kept])];
  const effective = isOwnerRole
    ? {
        ...input,
        memberIds,
        dataScope: before.dataScope,
        permissions: before.permissions.filter(isPermission),
      }
    : { ...input, memberIds };
  await validate(ctx, effective, id, current);
  // Taking the role from someone, or giving it, changes their roles: only for people the editor
  // may act on (they hold no role the editor could not grant).
  const changed = [
    ...effective.memberIds.filter((m) => !current.includes(m)),
    ...current.filter((m) => !effective.memberIds.includes(m)),
  ];
  await requireMayActOn(ctx.db, ctx.actor, changed);
  if (isOwnerRole && input.memberIds.length === 0) throw new DomainError('last_owner');
  await ctx.db.transaction(async (tx) => {
    await tx
      .update(roles)
      .set({
        name: effective.name,
        description: effective.description,
        dataScope: effective.dataScope,
        permissions: effective.permissions,
        updatedAt: new Date(),
      })
      .where(eq(roles.id, id));
    await tx.delete(userRoles).where(eq(userRoles.roleId, id));
    if (effective.memberIds.length > 0)
      await tx.insert(userRoles).values(effective.memberIds.map((userId) => ({ userId, roleId: id })));
    await audit(
      { ...ctx, db: tx },
      {
        action: 'role.updated',
        targetType: 'role',
        targetId: id,
        targetLabel: effective.name,
        detail: {
          before: { name: before.name, dataScope: before.dataScope, permissions: before.permissions },
          after: {
            name: effective.name,
            dataScope: effective.dataScope,
            permissions: effective.permissions,
            memberIds: effective.memberIds,
          },
        },
      },
    );
  });
  ctx.events?.publish({ type: 'roles.changed', roleId: id });
}

/** Deletes a role; its members move to `moveToRoleId` (or the default role when null). */
export async function deleteRole(ctx: Ctx, id: number, moveToRoleId: number | null): Promise<void> {
  requirePermission(ctx.actor, 'roles:delete');
  const all = await allRoles(ctx.db);
  const role = all.find((r) => r.id === id);
  if (!role) throw new NotFoundError();
  if (role.builtinKey === 'owner') throw new DomainError('role_builtin');
  // Deleting a role takes it from its members: only a role the actor could grant as it is.
  const own = grantProblem(ctx.actor, role);
  if (own) throw new DomainError(own);
  const target =
    moveToRoleId === null
      ? all.find((r) => r.builtinKey === defaultRoleKey)
      : all.find((r) => r.id === moveToRoleId);
  const members = await ctx.db
    .select({ userId: userRoles.userId })
    .from(userRoles)
    .where(eq(userRoles.roleId, id));
  if (members.length > 0) {
    if (!target || target.id === id || target.builtinKey === 'owner')
      throw new DomainError('role_target_invalid');
    // Moving the members hands them the target role and takes this one away.
    const problem = grantProblem(ctx.actor, target);
    if (problem) throw new DomainError(problem);
    const outside = await outsideScope(
      ctx,
      'roles:delete',
      members.map((m) => m.userId),
    );
    if (outside.length > 0) throw new DomainError('scope_outside');
    await requireMayActOn(
      ctx.db,
      ctx.actor,
      members.map((m) => m.userId),
    );
  }
  await ctx.db.transaction(async (tx) => {
    if (target && members.length > 0) {
      await tx
        .insert(userRoles)
        .values(members.map((m) => ({ userId: m.userId, roleId: target.id })))
        .onConflictDoNothing();
    }
    await tx.delete(userRoles).where(eq(userRoles.roleId, id));
    await tx.delete(roles).where(eq(roles.id, id));
    await audit(
      { ...ctx, db: tx },
      {
        action: 'role.deleted',
        targetType: 'role',
        targetId: id,
        targetLabel: role.name,
        detail: { movedTo: target?.id ?? null, members: members.map((m) => m.userId) },
      },
    );
  });
  ctx.events?.publish({ type: 'roles.changed', roleId: id });
}

/** Creates the built-in roles that are missing (names in the installer's language). */
export async function ensureBuiltinRoles(
  db: Db,
  names: (key: string, fallback: string) => string,
): Promise<void> {
  for (const r of builtinRoles) {
    await db
      .insert(roles)
      .values({
        builtinKey: r.key,
        name: names(r.key, r.name),
        dataScope: r.dataScope,
        permissions: [...r.permissions],
      })
      .onConflictDoNothing();
  }
  // The owner role always holds every permission, including ones added by later versions.
  const owner = builtinRoles.find((r) => r.key === 'owner')!;
  await db
    .update(roles)
    .set({ permissions: [...owner.permissions] })
    .where(eq(roles.builtinKey, 'owner'));
}

export function parseDeleteTarget(raw: Record<string, unknown>): number | null {
  return toId(raw.moveTo);
}
