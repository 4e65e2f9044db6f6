/**
 * Employees (员工): accounts with department, roles, job number (工号), contact data and the
 * outbound-call flag; enable/disable and password resets, single or in batches. Reads and
 * writes are limited to the actor's data scope.
 */
import { and, asc, count, eq, ilike, inArray, ne, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { departments, roles, userRoles, users } from '../../db/schema.ts';
import {
  type Actor,
  departmentSubtrees,
  grantProblem,
  requireMayActOn,
  inScope,
  recordScope,
  type RecordScope,
  scopeCondition,
} from '../access/actor.ts';
import type { Permission } from '../access/permissions.ts';
import { audit } from '../audit/audit-log.ts';
import { hashPassword, passwordProblem, temporaryPassword } from '../auth/passwords.ts';
import { normaliseUsername } from '../auth/login.ts';
import { destroyUserSessions } from '../auth/sessions.ts';
import { clearLoginFailures } from '../auth/login-attempts.ts';
import type { Ctx } from '../context.ts';
import { DomainError, type ErrorCode, NotFoundError } from '../errors.ts';
import { type ListQuery, type Listing, likePattern, orderBy } from '../list-query.ts';
import * as check from '../validate.ts';

export interface EmployeeRow {
  id: number;
  username: string;
  name: string;
  jobNumber: string | null;
  email: string | null;
  phone: string | null;
  departmentId: number;
  departmentName: string;
  enabled: boolean;
  canDialOut: boolean;
  mustChangePassword: boolean;
  lockedUntil: Date | null;
  lastLoginAt: Date | null;
  createdAt: Date;
  /** The employee's roles by name; `builtinKey` lets the web layer show built-in names translated. */
  roles: RoleName[];
}

export interface RoleName {
  name: string;
  builtinKey: string | null;
}

const rolesSql = sql`coalesce((
  select json_agg(json_build_object('name', r.name, 'builtinKey', r.builtin_key) order by r.name)
  from ${userRoles} ur join ${roles} r on r.id = ur.role_id
  where ur.user_id = ${users.id}
), '[]'::json)`.mapWith((v: unknown): RoleName[] =>
  typeof v === 'string' ? JSON.parse(v) : (v as RoleName[]),
);

const columns = {
  id: users.id,
  username: users.username,
  name: users.name,
  jobNumber: users.jobNumber,
  email: users.email,
  phone: users.phone,
  departmentId: users.departmentId,
  departmentName: departments.name,
  enabled: users.enabled,
  canDialOut: users.canDialOut,
  mustChangePassword: users.mustChangePassword,
  lockedUntil: users.lockedUntil,
  lastLoginAt: users.lastLoginAt,
  createdAt: users.createdAt,
  roles: rolesSql,
};

/** Filters: q (name, username, job number, phone, e-mail), department (id, with sub-departments), role (id), status (enabled|disabled). */
export async function employeeListing(
  ctx: Ctx,
  query: ListQuery,
  permission: Permission = 'employees:view',
): Promise<Listing<EmployeeRow>> {
  const scope = await recordScope(ctx.db, ctx.actor, permission);
  const f = query.filters;
  const conditions: (SQL | undefined)[] = [scopeCondition(scope, users.id, users.departmentId)];
  if (f.q) {
    const p = likePattern(f.q.trim());
    conditions.push(
      or(
        ilike(users.name, p),
        ilike(users.username, p),
        ilike(users.jobNumber, p),
        ilike(users.phone, p),
        ilike(users.email, p),
      ),
    );
  }
  const dept = check.toId(f.department);
  if (dept) conditions.push(inArray(users.departmentId, await departmentSubtrees(ctx.db, [dept])));
  const role = check.toId(f.role);
  if (role)
    conditions.push(
      inArray(
        users.id,
        ctx.db.select({ id: userRoles.userId }).from(userRoles).where(eq(userRoles.roleId, role)),
      ),
    );
  if (f.status === 'enabled') conditions.push(eq(users.enabled, true));
  if (f.status === 'disabled') conditions.push(eq(users.enabled, false));
  const where = and(...conditions);
  const order = orderBy(
    query,
    {
      name: users.name,
      username: users.username,
      jobNumber: users.jobNumber,
      department: departments.name,
      lastLoginAt: users.lastLoginAt,
      createdAt: users.createdAt,
    },
    asc(users.name),
    users.id,
  );
  return {
    count: async () =>
      (
        await ctx.db
          .select({ n: count() })
          .from(users)
          .innerJoin(departments, eq(departments.id, users.departmentId))
          .where(where)
      )[0]?.n ?? 0,
    fetch: (limit, offset) =>
      ctx.db
        .select(columns)
        .from(users)
        .innerJoin(departments, eq(departments.id, users.departmentId))
        .where(where)
        .orderBy(...order)
        .limit(limit)
        .offset(offset),
  };
}

export interface Employee extends EmployeeRow {
  roleIds: number[];
  locale: string;
}

async function loadEmployee(db: Db, id: number): Promise<Employee | null> {
  const [row] = await db
    .select(columns)
    .from(users)
    .innerJoin(departments, eq(departments.id, users.departmentId))
    .where(eq(users.id, id));
  if (!row) return null;
  const held = await db.select({ roleId: userRoles.roleId }).from(userRoles).where(eq(userRoles.userId, id));
  const [{ locale } = { locale: 'en' }] = await db
    .select({ locale: users.locale })
    .from(users)
    .where(eq(users.id, id));
  return { ...row, roleIds: held.map((r) => r.roleId), locale };
}

/** One employee, if the permission's data scope reaches them; NotFound otherwise (no existence leak). */
async function employeeInScope(
  ctx: Ctx,
  id: number,
  permission: Permission,
): Promise<{ employee: Employee; scope: RecordScope }> {
  const scope = await recordScope(ctx.db, ctx.actor, permission);
  const employee = await loadEmployee(ctx.db, id);
  if (!employee || !inScope(scope, employee.id, employee.departmentId)) throw new NotFoundError();
  return { employee, scope };
}

/** The actor's own record: everyone may see themselves, whatever their roles. */
export async function getOwnProfile(ctx: Ctx): Promise<Employee> {
  const me = await loadEmployee(ctx.db, ctx.actor.userId);
  if (!me) throw new NotFoundError();
  return me;
}

/** One employee for viewing, or for an edit form when `permission` is employees:edit. */
export async function getEmployee(
  ctx: Ctx,
  id: number,
  permission: Permission = 'employees:view',
): Promise<Employee> {
  return (await employeeInScope(ctx, id, permission)).employee;
}

export interface EmployeeInput {
  username: string;
  name: string;
  jobNumber: string | null;
  email: string | null;
  phone: string | null;
  departmentId: number | null;
  roleIds: number[];
  canDialOut: boolean;
  /** Initial password; empty means generate a temporary one. Ignored on edit. */
  password: string;
}

export function parseEmployeeInput(raw: Record<string, unknown>): EmployeeInput {
  return {
    username: normaliseUsername(check.text(raw.username)),
    name: check.text(raw.name),
    jobNumber: check.optionalText(raw.jobNumber),
    email: check.optionalText(raw.email),
    phone: check.optionalText(raw.phone),
    departmentId: check.toId(raw.departmentId),
    roleIds: check.toIds(raw.roleIds),
    canDialOut: check.toBool(raw.canDialOut),
    password: typeof raw.password === 'string' ? raw.password : '',
  };
}

/** Field checks shared by the form and the CSV import; returns the problems, throws nothing. */
export async function employeeProblems(
  db: Db,
  actor: Actor,
  scope: RecordScope,
  input: EmployeeInput,
  selfId: number | null,
): Promise<Record<string, ErrorCode | null>> {
  const [taken] = input.username
    ? await db
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.username, input.username), selfId ? ne(users.id, selfId) : undefined))
    : [];
  const [jobTaken] = input.jobNumber
    ? await db
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.jobNumber, input.jobNumber), selfId ? ne(users.id, selfId) : undefined))
    : [];
  const [dept] = input.departmentId
    ? await db.select({ id: departments.id }).from(departments).where(eq(departments.id, input.departmentId))
    : [];
  const knownRoles = input.roleIds.length
    ? await db.select().from(roles).where(inArray(roles.id, input.roleIds))
    : [];
  const heldRoleIds = selfId
    ? (await db.select({ roleId: userRoles.roleId }).from(userRoles).where(eq(userRoles.userId, selfId))).map(
        (r) => r.roleId,
      )
    : [];
  let departmentProblem: ErrorCode | null = null;
  if (!input.departmentId) departmentProblem = 'required';
  else if (!dept) departmentProblem = 'department_unknown';
  else if (!inScope(scope, null, input.departmentId)) departmentProblem = 'scope_outside';
  return {
    username: check.username(input.username) ?? (taken ? 'username_taken' : null),
    name: check.requiredText(input.name, 100),
    jobNumber: check.maxLength(input.jobNumber, 20) ?? (jobTaken ? 'job_number_taken' : null),
    email: check.email(input.email),
    phone: check.phone(input.phone),
    departmentId: departmentProblem,
    roleIds: rolesProblem(actor, input.roleIds, knownRoles, heldRoleIds, selfId),
    password: selfId === null && input.password ? passwordProblem(input.password, input.username) : null,
  };
}

/**
 * Role assignment without escalation: a non-owner may give (a new employee, or an existing one
 * who lacks it) only a role they could hand out themselves (grantProblem: never Owner, and no
 * permission they lack or hold with a narrower scope), and may not change their own roles.
 * Roles the employee already holds may stay or be taken away — by someone who may act on the
 * employee at all (requireMayActOn: they could grant every role the employee holds).
 */
function rolesProblem(
  actor: Actor,
  roleIds: number[],
  known: (typeof roles.$inferSelect)[],
  held: number[],
  selfId: number | null,
): ErrorCode | null {
  if (known.length !== roleIds.length) return 'role_unknown';
  if (actor.isOwner) return null;
  if (selfId === actor.userId) {
    const changed = roleIds.some((id) => !held.includes(id)) || held.some((id) => !roleIds.includes(id));
    if (changed) return 'scope_outside';
  }
  const problems = known.filter((r) => !held.includes(r.id)).map((r) => grantProblem(actor, r));
  return problems.find((p) => p === 'role_owner_only') ?? problems.find((p) => p !== null) ?? null;
}

export interface CreatedEmployee {
  id: number;
  username: string;
  name: string;
  /** Shown once to the admin when the password was generated. */
  temporaryPassword: string | null;
}

/** Inserts a validated employee (used by the form and the import). */
export async function insertEmployee(db: Db, input: EmployeeInput): Promise<CreatedEmployee> {
  const generated = input.password ? null : temporaryPassword();
  const [row] = await db
    .insert(users)
    .values({
      username: input.username,
      name: input.name,
      jobNumber: input.jobNumber,
      email: input.email,
      phone: input.phone,
      departmentId: input.departmentId!,
      canDialOut: input.canDialOut,
      passwordHash: await hashPassword(input.password || generated!),
      mustChangePassword: true,
    })
    .returning({ id: users.id });
  const id = row!.id;
  if (input.roleIds.length > 0)
    await db.insert(userRoles).values(input.roleIds.map((roleId) => ({ userId: id, roleId })));
  return { id, username: input.username, name: input.name, temporaryPassword: generated };
}

export async function createEmployee(ctx: Ctx, input: EmployeeInput): Promise<CreatedEmployee> {
  const scope = await recordScope(ctx.db, ctx.actor, 'employees:create');
  check.collect(await employeeProblems(ctx.db, ctx.actor, scope, input, null));
  const created = await ctx.db.transaction(async (tx) => {
    const created = await insertEmployee(tx, input);
    await audit(
      { ...ctx, db: tx },
      {
        action: 'employee.created',
        targetType: 'user',
        targetId: created.id,
        targetLabel: input.username,
        detail: {
          name: input.name,
          departmentId: input.departmentId,
          roleIds: input.roleIds,
          canDialOut: input.canDialOut,
        },
      },
    );
    return created;
  });
  ctx.events?.publish({ type: 'employees.changed', userIds: [created.id] });
  return created;
}

export async function updateEmployee(ctx: Ctx, id: number, input: EmployeeInput): Promise<void> {
  const { employee: before, scope } = await employeeInScope(ctx, id, 'employees:edit');
  // Nobody edits someone who holds a role they could not grant themselves.
  await requireMayActOn(ctx.db, ctx.actor, [id]);
  check.collect(await employeeProblems(ctx.db, ctx.actor, scope, input, id));
  const ownerRole = await ownerRoleId(ctx.db);
  if (before.roleIds.includes(ownerRole) && !input.roleIds.includes(ownerRole))
    await ensureAnotherOwner(ctx.db, id);
  await ctx.db.transaction(async (tx) => {
    await tx
      .update(users)
      .set({
        username: input.username,
        name: input.name,
        jobNumber: input.jobNumber,
        email: input.email,
        phone: input.phone,
        departmentId: input.departmentId!,
        canDialOut: input.canDialOut,
        updatedAt: new Date(),
      })
      .where(eq(users.id, id));
    await tx.delete(userRoles).where(eq(userRoles.userId, id));
    if (input.roleIds.length > 0)
      await tx.insert(userRoles).values(input.roleIds.map((roleId) => ({ userId: id, roleId })));
    await audit(
      { ...ctx, db: tx },
      {
        action: 'employee.updated',
        targetType: 'user',
        targetId: id,
        targetLabel: input.username,
        detail: {
          before: {
            username: before.username,
            name: before.name,
            departmentId: before.departmentId,
            roleIds: before.roleIds,
            canDialOut: before.canDialOut,
          },
          after: {
            username: input.username,
            name: input.name,
            departmentId: input.departmentId,
            roleIds: input.roleIds,
            canDialOut: input.canDialOut,
          },
        },
      },
    );
  });
  ctx.events?.publish({ type: 'employees.changed', userIds: [id] });
}

async function ownerRoleId(db: Db): Promise<number> {
  const [row] = await db.select({ id: roles.id }).from(roles).where(eq(roles.builtinKey, 'owner'));
  return row?.id ?? -1;
}

/** Refuses a change that would leave no enabled owner. */
async function ensureAnotherOwner(db: Db, leavingUserIds: number | number[]): Promise<void> {
  const leaving = Array.isArray(leavingUserIds) ? leavingUserIds : [leavingUserIds];
  const id = await ownerRoleId(db);
  const owners = await db
    .select({ id: users.id })
    .from(userRoles)
    .innerJoin(users, eq(users.id, userRoles.userId))
    .where(and(eq(userRoles.roleId, id), eq(users.enabled, true)));
  if (owners.every((o) => leaving.includes(o.id))) throw new DomainError('last_owner');
}

/** The selected employees the actor may act on with a permission; any other id is refused. */
async function selectionInScope(ctx: Ctx, ids: number[], permission: Permission): Promise<Employee[]> {
  if (ids.length === 0) throw new DomainError('no_selection');
  const scope = await recordScope(ctx.db, ctx.actor, permission);
  const found: Employee[] = [];
  for (const id of ids) {
    const e = await loadEmployee(ctx.db, id);
    if (!e || !inScope(scope, e.id, e.departmentId)) throw new NotFoundError();
    found.push(e);
  }
  // Nobody disables or resets someone who holds a role they could not grant themselves.
  await requireMayActOn(ctx.db, ctx.actor, ids);
  return found;
}

/** Enables or disables employees; disabled ones are logged out at once. */
export async function setEmployeesEnabled(ctx: Ctx, ids: number[], enabled: boolean): Promise<number> {
  const selected = await selectionInScope(ctx, ids, 'employees:disable');
  if (!enabled) {
    if (ids.includes(ctx.actor.userId)) throw new DomainError('self_disable');
    await ensureAnotherOwner(ctx.db, ids);
  }
  await ctx.db.transaction(async (tx) => {
    await tx
      .update(users)
      .set({ enabled, updatedAt: new Date(), failedLogins: 0, lockedUntil: null })
      .where(inArray(users.id, ids));
    await clearLoginFailures(tx, ids);
    for (const e of selected) {
      if (!enabled) await destroyUserSessions(tx, e.id);
      await audit(
        { ...ctx, db: tx },
        {
          action: enabled ? 'employee.enabled' : 'employee.disabled',
          targetType: 'user',
          targetId: e.id,
          targetLabel: e.username,
        },
      );
    }
  });
  ctx.events?.publish({ type: 'employees.changed', userIds: ids });
  return selected.length;
}

/** Resets passwords to generated temporary ones that must be changed at next login. */
export async function resetPasswords(
  ctx: Ctx,
  ids: number[],
): Promise<{ id: number; username: string; name: string; temporaryPassword: string }[]> {
  const selected = await selectionInScope(ctx, ids, 'employees:reset_password');
  const out: { id: number; username: string; name: string; temporaryPassword: string }[] = [];
  await ctx.db.transaction(async (tx) => {
    for (const e of selected) {
      const password = temporaryPassword();
      await tx
        .update(users)
        .set({
          passwordHash: await hashPassword(password),
          mustChangePassword: true,
          failedLogins: 0,
          lockedUntil: null,
          updatedAt: new Date(),
        })
        .where(eq(users.id, e.id));
      await clearLoginFailures(tx, [e.id]);
      await destroyUserSessions(tx, e.id);
      await audit(
        { ...ctx, db: tx },
        { action: 'employee.password_reset', targetType: 'user', targetId: e.id, targetLabel: e.username },
      );
      out.push({ id: e.id, username: e.username, name: e.name, temporaryPassword: password });
    }
  });
  return out;
}

/** Enabled employees offered in pickers (leader, collaborators, role members), within the permission's scope. */
export async function employeeChoices(
  ctx: Ctx,
  permission: Permission,
): Promise<{ id: number; name: string; username: string }[]> {
  const scope = await recordScope(ctx.db, ctx.actor, permission);
  return ctx.db
    .select({ id: users.id, name: users.name, username: users.username })
    .from(users)
    .where(and(eq(users.enabled, true), scopeCondition(scope, users.id, users.departmentId)))
    .orderBy(asc(users.name));
}
