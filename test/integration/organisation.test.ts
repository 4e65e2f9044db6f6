/** Departments and roles: tree rules, deletion rules, role deletion moving members. */
import { and, eq } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createRole, deleteRole, getRole, parseRoleInput, updateRole } from '../../core/access/roles.ts';
import {
  createDepartment,
  deleteDepartment,
  departmentTree,
  updateDepartment,
} from '../../core/org/departments.ts';
import { roles, userRoles } from '../../db/schema.ts';
import { WebClient } from '../support/client.ts';
import { domainError, rejects } from '../support/assert.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { buildCompany, type Company, password, roleId } from '../support/fixtures.ts';
import { type RunningApp, startApp } from '../support/server.ts';

const test = suite('organisation');
let db: TestDatabase;
let app: RunningApp;
let company: Company;

test.before(async () => {
  db = await testDatabase();
  company = await buildCompany(db.db);
  app = await startApp(db.db);
});
test.after(async () => {
  await app.close();
  await db.close();
});

test('the tree lists parents before children with paths', async () => {
  const tree = await departmentTree(db.db);
  assert.equal(
    tree.map((d) => d.path.join('/')),
    ['Acme', 'Acme/Sales A', 'Acme/Sales A/Team A1', 'Acme/Sales B'],
  );
  const teamA1 = tree.find((d) => d.name === 'Team A1')!;
  assert.is(teamA1.depth, 2);
  assert.is(teamA1.memberCount, 1);
});

test('a department with sub-departments or members cannot be deleted, with a clear message', async () => {
  await rejects(
    () => deleteDepartment(company.owner, company.salesA),
    domainError('department_has_children'),
  );
  await rejects(() => deleteDepartment(company.owner, company.teamA1), domainError('department_has_members'));
  await rejects(() => deleteDepartment(company.owner, company.rootId), domainError('department_is_root'));
  const web = new WebClient(app.url);
  await web.login('admin', password);
  await web.get('/system/departments');
  const r = await web.follow(await web.post(`/system/departments/${company.salesA}/delete`, {}));
  assert.match(r.text, 'This department has 1 sub-department(s). Move or delete them first.');
  const empty = await createDepartment(company.owner, {
    name: 'Temp',
    parentId: company.rootId,
    leaderId: null,
    collaboratorIds: [],
  });
  await deleteDepartment(company.owner, empty);
  assert.not.ok((await departmentTree(db.db)).some((d) => d.name === 'Temp'));
});

test('a department cannot move below itself; sibling names are unique; leader and collaborators are kept', async () => {
  await rejects(
    () =>
      updateDepartment(company.owner, company.salesA, {
        name: 'Sales A',
        parentId: company.teamA1,
        leaderId: null,
        collaboratorIds: [],
      }),
    domainError('department_cycle', 'parentId'),
  );
  await rejects(
    () =>
      createDepartment(company.owner, {
        name: 'Sales B',
        parentId: company.rootId,
        leaderId: null,
        collaboratorIds: [],
      }),
    domainError('name_taken', 'name'),
  );
  await updateDepartment(company.owner, company.salesB, {
    name: 'Sales B',
    parentId: company.rootId,
    leaderId: company.people.supervisorB,
    collaboratorIds: [company.people.repB],
  });
  const b = (await departmentTree(db.db)).find((d) => d.id === company.salesB)!;
  assert.is(b.leaderName, 'Sue SupervisorB');
  assert.equal(b.collaboratorIds, [company.people.repB]);
});

test('the department form shows field errors and keeps input', async () => {
  const web = new WebClient(app.url);
  await web.login('admin', password);
  await web.get('/system/departments/new');
  const r = await web.post('/system/departments/new', { name: '', parentId: '' });
  assert.is(r.status, 422);
  assert.match(r.text, /data-field="name"[^>]*>[\s\S]*?Required\./);
});

test('deleting a role with members moves them to the chosen role (or the default one)', async () => {
  const id = await createRole(
    company.owner,
    parseRoleInput({
      name: 'Night shift',
      dataScope: 'self',
      permissions: ['desk:use'],
      memberIds: [String(company.people.repA), String(company.people.repB)],
    }),
  );
  const supervisor = await roleId(db.db, 'supervisor');
  await deleteRole(company.owner, id, supervisor);
  const moved = await db.db.select().from(userRoles).where(eq(userRoles.roleId, supervisor));
  assert.ok(moved.some((m) => m.userId === company.people.repA));
  assert.ok(moved.some((m) => m.userId === company.people.repB));
  const second = await createRole(
    company.owner,
    parseRoleInput({
      name: 'Temp role',
      dataScope: 'self',
      permissions: [],
      memberIds: [String(company.people.repA1)],
    }),
  );
  await deleteRole(company.owner, second, null);
  const agent = await roleId(db.db, 'agent');
  assert.ok(
    (await db.db.select().from(userRoles).where(eq(userRoles.roleId, agent))).some(
      (m) => m.userId === company.people.repA1,
    ),
  );
  const ownerRole = await roleId(db.db, 'owner');
  await rejects(() => deleteRole(company.owner, ownerRole, null), domainError('role_builtin'));
});

test('the delete page asks where members go', async () => {
  const web = new WebClient(app.url);
  await web.login('admin', password);
  const page = await web.get(`/system/roles/${await roleId(db.db, 'sales_rep')}/delete`);
  assert.match(page.text, /This role has \d+ member\(s\)\. Move them to:/);
  assert.match(page.text, 'name="moveTo"');
});

test('a non-owner cannot create a role wider than their own permissions; the owner role stays complete', async () => {
  await createRole(
    company.owner,
    parseRoleInput({
      name: 'Role editors',
      dataScope: 'department',
      permissions: ['roles:view', 'roles:create', 'crm:view'],
      memberIds: [String(company.people.managerA)],
    }),
  );
  const manager = await company.ctx(company.people.managerA);
  await rejects(
    () => createRole(manager, parseRoleInput({ name: 'Wide', dataScope: 'all', permissions: ['crm:view'] })),
    domainError('scope_outside'),
  );
  await rejects(
    () =>
      createRole(manager, parseRoleInput({ name: 'Wide', dataScope: 'self', permissions: ['audit:view'] })),
    domainError('scope_outside'),
  );
  await createRole(manager, parseRoleInput({ name: 'Narrow', dataScope: 'self', permissions: ['crm:view'] }));
  const owner = await roleId(db.db, 'owner');
  const admin = await company.ctx(company.people.admin);
  await rejects(
    () =>
      updateRole(
        admin,
        owner,
        parseRoleInput({
          name: 'Owner',
          dataScope: 'self',
          permissions: [],
          memberIds: [String(company.ownerId)],
        }),
      ),
    domainError('role_owner_only'),
  );
  await updateRole(
    company.owner,
    owner,
    parseRoleInput({
      name: 'Owner',
      dataScope: 'self',
      permissions: [],
      memberIds: [String(company.ownerId)],
    }),
  );
  const [r] = await db.db.select().from(roles).where(eq(roles.id, owner));
  assert.is(r?.dataScope, 'all');
  assert.ok((r?.permissions.length ?? 0) > 40);
  await rejects(
    () =>
      updateRole(
        company.owner,
        owner,
        parseRoleInput({ name: 'Owner', dataScope: 'all', permissions: [], memberIds: [] }),
      ),
    domainError('last_owner'),
  );
});

const membersOf = async (role: number) =>
  (await db.db.select().from(userRoles).where(eq(userRoles.roleId, role))).map((m) => m.userId).sort();

test('a non-owner role editor adds members only within their scope and moves members only into roles they could give', async () => {
  const { repA, repA1, repB, supervisorB, managerA } = company.people;
  await createRole(
    company.owner,
    parseRoleInput({
      name: 'Role keepers',
      dataScope: 'department',
      permissions: ['roles:view', 'roles:create', 'roles:edit', 'roles:delete', 'desk:use'],
      memberIds: [String(managerA)],
    }),
  );
  // Ray was moved into Supervisor when a role was deleted above, a role Mia could not give; here
  // he is a sales representative again, someone she may act on.
  await db.db
    .delete(userRoles)
    .where(and(eq(userRoles.userId, repA), eq(userRoles.roleId, await roleId(db.db, 'supervisor'))));
  // Mia leads nothing and works in Sales A: her scope is Sales A and Team A1.
  const manager = await company.ctx(managerA);
  const desk = (name: string, members: number[]) =>
    parseRoleInput({ name, dataScope: 'self', permissions: ['desk:use'], memberIds: members.map(String) });

  await rejects(() => createRole(manager, desk('Desk B', [repB])), domainError('scope_outside', 'memberIds'));
  const deskA = await createRole(manager, desk('Desk A', [repA]));
  assert.equal(await membersOf(deskA), [repA]);

  // A role with members on both sides: she sees and changes only her side; the other side stays.
  const shared = await createRole(company.owner, desk('Shared desk', [repA, repB]));
  assert.equal(
    (await getRole(manager, shared)).members.map((m) => m.id),
    [repA],
  );
  // She changes the roles only of people she could give every role they hold: Rita also holds
  // Agent (her role was deleted above and its members moved there), which Mia could not give.
  await rejects(
    () => updateRole(manager, shared, desk('Shared desk', [repA, repA1])),
    domainError('target_outranks'),
  );
  await db.db
    .delete(userRoles)
    .where(and(eq(userRoles.userId, repA1), eq(userRoles.roleId, await roleId(db.db, 'agent'))));
  await updateRole(manager, shared, desk('Shared desk', [repA, repA1]));
  assert.equal(await membersOf(shared), [repA, repA1, repB].sort());
  await updateRole(manager, shared, desk('Shared desk', [repA]));
  assert.equal(await membersOf(shared), [repA, repB].sort());
  await rejects(
    () => updateRole(manager, shared, desk('Shared desk', [repA, supervisorB])),
    domainError('scope_outside', 'memberIds'),
  );
  const web = new WebClient(app.url);
  await web.login('manager.a', password);
  const page = await web.get(`/system/roles/${shared}/edit`);
  assert.is(page.status, 200);
  assert.match(page.text, 'Ray RepA');
  assert.not.match(page.text, 'Bob RepB', 'members outside her scope are not shown');

  // A role with permissions she lacks cannot gain members through her.
  const supervisor = await roleId(db.db, 'supervisor');
  const [sup] = await db.db.select().from(roles).where(eq(roles.id, supervisor));
  await rejects(
    () =>
      updateRole(
        manager,
        supervisor,
        parseRoleInput({
          name: sup!.name,
          dataScope: sup!.dataScope,
          permissions: sup!.permissions,
          memberIds: [String(repA)],
        }),
      ),
    domainError('scope_outside'),
  );

  // Deleting a role moves its members: only into a role she could give, only people in her scope.
  const [adminRole, ownerRole] = [await roleId(db.db, 'admin'), await roleId(db.db, 'owner')];
  await rejects(
    () => deleteRole(manager, deskA, adminRole),
    domainError('scope_outside'),
    'Administrator holds permissions she lacks',
  );
  await rejects(
    () => deleteRole(manager, deskA, null),
    domainError('scope_outside'),
    'the default role (Agent) holds ticket permissions she lacks',
  );
  await rejects(() => deleteRole(manager, deskA, ownerRole), domainError('role_target_invalid'));
  const deskA2 = await createRole(manager, desk('Desk A2', []));
  await deleteRole(manager, deskA, deskA2);
  assert.equal(await membersOf(deskA2), [repA]);
  await rejects(() => deleteRole(manager, shared, deskA2), domainError('scope_outside'));
  await deleteRole(company.owner, shared, deskA2);
  assert.equal(await membersOf(deskA2), [repA, repB].sort());
});

test.run();
