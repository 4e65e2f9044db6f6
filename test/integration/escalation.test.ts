/**
 * Nobody acts on someone more powerful than themselves (issue 3/8, findings 1 and 2), as a matrix:
 * actors (owner, administrator, an HR role holding the employee and role permissions with scope
 * "all") × targets (an owner, an administrator, an HR colleague, an employee with a plain role) ×
 * actions (edit, disable, reset the password, give them a role). An action is allowed exactly when
 * the actor could grant every role the target holds (grantProblem). Roles likewise: editing or
 * deleting a role needs that the actor could grant it as it is, not only as it would become.
 */
import { eq } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createRole, deleteRole, getRole, parseRoleInput, updateRole } from '../../core/access/roles.ts';
import type { Ctx } from '../../core/context.ts';
import { DomainError } from '../../core/errors.ts';
import {
  createEmployee,
  getEmployee,
  parseEmployeeInput,
  resetPasswords,
  setEmployeesEnabled,
  updateEmployee,
} from '../../core/org/employees.ts';
import { users } from '../../db/schema.ts';
import { type TestDatabase, testDatabase } from '../support/db.ts';
import { buildCompany, type Company, roleId } from '../support/fixtures.ts';

const test = suite('escalation');
let db: TestDatabase;
let company: Company;

const hrPermissions = [
  'employees:view',
  'employees:edit',
  'employees:disable',
  'employees:reset_password',
  'roles:view',
  'roles:edit',
  'roles:delete',
];
type Kind = 'owner' | 'admin' | 'hr' | 'plain';
const kinds: Kind[] = ['owner', 'admin', 'hr', 'plain'];
const roleOf: Partial<Record<Kind, number>> = {};
/** Actors and targets, one person each. */
const actors: Partial<Record<Exclude<Kind, 'plain'>, Ctx>> = {};
const targets: Partial<Record<Kind, number>> = {};
let club = 0;

async function role(name: string, permissions: string[], dataScope = 'all'): Promise<number> {
  return createRole(company.owner, parseRoleInput({ name, dataScope, permissions }));
}

async function person(username: string, kind: Kind): Promise<number> {
  const created = await createEmployee(
    company.owner,
    parseEmployeeInput({
      username,
      name: username,
      departmentId: String(company.rootId),
      roleIds: [String(roleOf[kind])],
      password: 'Correct-horse-42',
    }),
  );
  return created.id;
}

test.before(async () => {
  db = await testDatabase();
  company = await buildCompany(db.db);
  roleOf.owner = await roleId(db.db, 'owner');
  roleOf.admin = await roleId(db.db, 'admin');
  roleOf.hr = await role('HR', hrPermissions);
  roleOf.plain = await role('Plain', ['employees:view'], 'self');
  club = await role('Club', ['employees:view'], 'self');
  actors.owner = company.owner;
  actors.admin = await company.ctx(await person('actor.admin', 'admin'));
  actors.hr = await company.ctx(await person('actor.hr', 'hr'));
  for (const kind of kinds) targets[kind] = await person(`target.${kind}`, kind);
});
test.after(async () => {
  await db?.close();
});

/** Whether the actor could grant every role of a target of this kind (the rule under test). */
function allowed(actor: keyof typeof actors, target: Kind): boolean {
  if (actor === 'owner') return true;
  if (target === 'owner') return false;
  if (actor === 'admin') return true;
  return target === 'hr' || target === 'plain';
}

/** How an action went: allowed, refused for one of the codes of this rule, or another error (a failure). */
async function outcome(
  run: () => Promise<unknown>,
  codes = ['role_owner_only', 'target_outranks'],
): Promise<'allowed' | 'refused' | string> {
  try {
    await run();
    return 'allowed';
  } catch (err) {
    return err instanceof DomainError && codes.includes(err.code) ? 'refused' : `error ${String(err)}`;
  }
}

const actions: Record<string, (actor: Ctx, target: number) => Promise<unknown>> = {
  edit: async (actor, target) => {
    const e = await getEmployee(company.owner, target, 'employees:edit');
    await updateEmployee(
      actor,
      target,
      parseEmployeeInput({
        username: e.username,
        name: `${e.name}.`,
        departmentId: String(e.departmentId),
        roleIds: e.roleIds.map(String),
      }),
    );
  },
  disable: async (actor, target) => {
    await setEmployeesEnabled(actor, [target], false);
    await setEmployeesEnabled(company.owner, [target], true);
  },
  reset_password: (actor, target) => resetPasswords(actor, [target]),
  give_role: async (actor, target) => {
    const r = await getRole(company.owner, club);
    await updateRole(
      actor,
      club,
      parseRoleInput({
        name: r.name,
        dataScope: r.dataScope,
        permissions: r.permissions,
        memberIds: [target],
      }),
    );
    await updateRole(
      company.owner,
      club,
      parseRoleInput({ name: r.name, dataScope: r.dataScope, permissions: r.permissions, memberIds: [] }),
    );
  },
};

test('actors × targets × actions: allowed exactly when the actor could grant every role the target holds', async () => {
  const got: string[] = [];
  const want: string[] = [];
  for (const actor of Object.keys(actors) as (keyof typeof actors)[])
    for (const target of kinds)
      for (const [name, act] of Object.entries(actions)) {
        const cell = `${actor} → ${target}: ${name}`;
        got.push(`${cell} ${await outcome(() => act(actors[actor]!, targets[target]!))}`);
        want.push(`${cell} ${allowed(actor, target) ? 'allowed' : 'refused'}`);
      }
  assert.equal(got, want);
});

test('a refused batch changes nobody: a plain employee selected with an administrator keeps their password', async () => {
  const hash = async (id: number) =>
    (await db.db.select({ h: users.passwordHash }).from(users).where(eq(users.id, id)))[0]?.h;
  const before = await hash(targets.plain!);
  assert.is(await outcome(() => resetPasswords(actors.hr!, [targets.plain!, targets.admin!])), 'refused');
  assert.is(await hash(targets.plain!), before);
});

test('roles: editing or deleting needs the role to be grantable as it is, not only as it becomes', async () => {
  const got: string[] = [];
  const want: string[] = [];
  const shapes: Record<string, [string[], string]> = {
    admin_like: [['employees:view', 'employees:edit', 'roles:view', 'calls:view'], 'all'],
    hr_like: [hrPermissions, 'all'],
    plain: [['employees:view'], 'self'],
  };
  for (const actor of ['admin', 'hr'] as const)
    for (const [shape, [permissions, dataScope]] of Object.entries(shapes)) {
      const may = actor === 'admin' || shape !== 'admin_like';
      // Cut down to one permission at scope "self": grantable after the change by everyone.
      const edited = await role(`${actor}-${shape}-edit`, permissions, dataScope);
      got.push(
        `${actor} edits ${shape} ${await outcome(
          () =>
            updateRole(
              actors[actor]!,
              edited,
              parseRoleInput({
                name: `${actor}-${shape}-edit`,
                dataScope: 'self',
                permissions: ['employees:view'],
              }),
            ),
          ['scope_outside'],
        )}`,
      );
      want.push(`${actor} edits ${shape} ${may ? 'allowed' : 'refused'}`);
      const deleted = await role(`${actor}-${shape}-delete`, permissions, dataScope);
      got.push(
        `${actor} deletes ${shape} ${await outcome(() => deleteRole(actors[actor]!, deleted, null), ['scope_outside'])}`,
      );
      want.push(`${actor} deletes ${shape} ${may ? 'allowed' : 'refused'}`);
    }
  assert.equal(got, want);
});

test.run();
