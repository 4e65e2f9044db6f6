/**
 * The actor: who is asking, with the permissions and data scopes of all their roles merged.
 * Every domain function takes an actor and checks it here, so a route that forgets to hide a
 * button still cannot reach data it must not see.
 */
import { eq, inArray, or, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/client.ts';
import { type DataScope, departments, type Locale, roles, userRoles, users } from '../../db/schema.ts';
import { DomainError, type ErrorCode, ForbiddenError } from '../errors.ts';
import { isPermission, type Permission, widerScope } from './permissions.ts';

export interface Actor {
  userId: number;
  username: string;
  name: string;
  departmentId: number;
  locale: Locale;
  mustChangePassword: boolean;
  isOwner: boolean;
  /** Each granted permission with the widest data scope of the roles that grant it. */
  grants: ReadonlyMap<Permission, DataScope>;
  /** Departments this user leads: a leader sees their departments' records whatever the scope. */
  ledDepartmentIds: readonly number[];
}

/** Loads the actor for an enabled user; null when the user is missing or disabled. */
export async function loadActor(db: Db, userId: number): Promise<Actor | null> {
  const [user] = await db.select().from(users).where(eq(users.id, userId));
  if (!user?.enabled) return null;
  const held = await db
    .select({ key: roles.builtinKey, scope: roles.dataScope, permissions: roles.permissions })
    .from(userRoles)
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .where(eq(userRoles.userId, userId));
  const grants = new Map<Permission, DataScope>();
  for (const role of held) {
    for (const p of role.permissions) {
      if (!isPermission(p)) continue;
      const current = grants.get(p);
      grants.set(p, current ? widerScope(current, role.scope) : role.scope);
    }
  }
  const led = await db
    .select({ id: departments.id })
    .from(departments)
    .where(eq(departments.leaderId, userId));
  return {
    userId: user.id,
    username: user.username,
    name: user.name,
    departmentId: user.departmentId,
    locale: user.locale,
    mustChangePassword: user.mustChangePassword,
    isOwner: held.some((r) => r.key === 'owner'),
    grants,
    ledDepartmentIds: led.map((d) => d.id),
  };
}

export function can(actor: Actor, permission: Permission): boolean {
  return actor.grants.has(permission);
}

/** Throws ForbiddenError unless the actor holds the permission; returns its data scope. */
export function requirePermission(actor: Actor, permission: Permission): DataScope {
  const scope = actor.grants.get(permission);
  if (!scope) throw new ForbiddenError(permission);
  return scope;
}

/**
 * Whether the actor may hand out a role (assign it to someone, move people into it, or write it):
 * an owner may hand out anything; anyone else never the Owner role, and otherwise only roles
 * whose permissions they all hold themselves with at least the role's data scope. Returns the
 * refusal's code, or null when allowed.
 */
export function grantProblem(
  actor: Actor,
  role: { builtinKey?: string | null; dataScope: DataScope; permissions: readonly string[] },
): Extract<ErrorCode, 'role_owner_only' | 'scope_outside'> | null {
  if (actor.isOwner) return null;
  if (role.builtinKey === 'owner') return 'role_owner_only';
  for (const p of role.permissions) {
    // Unknown permissions (left by another version) grant nothing, as in loadActor.
    if (!isPermission(p)) continue;
    const held = actor.grants.get(p);
    if (!held || widerScope(held, role.dataScope) !== held) return 'scope_outside';
  }
  return null;
}

/**
 * Whether the actor may act on a person (edit, disable, reset the password, change their roles or
 * move them between roles): only when the actor could grant every role the person holds
 * (grantProblem) — nobody acts on someone more powerful than themselves. Returns the refusal's
 * code (`role_owner_only` for an owner, `target_outranks` otherwise), or null when allowed.
 */
export function actOnProblem(
  actor: Actor,
  heldRoles: readonly { builtinKey?: string | null; dataScope: DataScope; permissions: readonly string[] }[],
): Extract<ErrorCode, 'role_owner_only' | 'target_outranks'> | null {
  const problems = heldRoles.map((r) => grantProblem(actor, r));
  if (problems.includes('role_owner_only')) return 'role_owner_only';
  return problems.some((p) => p !== null) ? 'target_outranks' : null;
}

/** Refuses (DomainError) when any of these people holds a role the actor could not grant (actOnProblem). */
export async function requireMayActOn(db: Db, actor: Actor, userIds: readonly number[]): Promise<void> {
  if (actor.isOwner || userIds.length === 0) return;
  const held = await db
    .select({ builtinKey: roles.builtinKey, dataScope: roles.dataScope, permissions: roles.permissions })
    .from(userRoles)
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .where(inArray(userRoles.userId, [...userIds]));
  const problem = actOnProblem(actor, held);
  if (problem) throw new DomainError(problem);
}

/** Which records a permission lets the actor reach: everything, or own records plus departments. */
export type RecordScope = { all: true } | { all: false; userId: number; departmentIds: readonly number[] };

/** Ids of a department and every department below it. */
export async function departmentSubtrees(db: Db, rootIds: readonly number[]): Promise<number[]> {
  if (rootIds.length === 0) return [];
  const all = await db.select({ id: departments.id, parentId: departments.parentId }).from(departments);
  const children = new Map<number, number[]>();
  for (const d of all) {
    if (d.parentId === null) continue;
    const list = children.get(d.parentId) ?? [];
    list.push(d.id);
    children.set(d.parentId, list);
  }
  const seen = new Set<number>();
  const stack = [...rootIds];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(children.get(id) ?? []));
  }
  return [...seen];
}

/** Checks the permission and resolves its data scope into the records the actor may reach. */
export async function recordScope(db: Db, actor: Actor, permission: Permission): Promise<RecordScope> {
  const scope = requirePermission(actor, permission);
  if (scope === 'all') return { all: true };
  const roots =
    scope === 'department' ? [actor.departmentId, ...actor.ledDepartmentIds] : actor.ledDepartmentIds;
  return { all: false, userId: actor.userId, departmentIds: await departmentSubtrees(db, roots) };
}

export function inScope(scope: RecordScope, ownerId: number | null, departmentId: number | null): boolean {
  if (scope.all) return true;
  if (ownerId !== null && ownerId === scope.userId) return true;
  return departmentId !== null && scope.departmentIds.includes(departmentId);
}

/** The same rule as inScope, as a SQL condition over a record's owner and department columns. */
export function scopeCondition(
  scope: RecordScope,
  ownerColumn: AnyPgColumn,
  departmentColumn: AnyPgColumn | null,
): SQL | undefined {
  if (scope.all) return undefined;
  const own = eq(ownerColumn, scope.userId);
  if (!departmentColumn || scope.departmentIds.length === 0) return own;
  return or(own, inArray(departmentColumn, [...scope.departmentIds])) ?? sql`false`;
}
