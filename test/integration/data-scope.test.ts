/**
 * Function permissions and data scopes hold in the domain layer, whatever route is used:
 * every GET route of the application is tried with the ids of another department's records.
 */
import { eq } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadActor, recordScope } from '../../crm/access/actor.ts';
import { auditListing } from '../../crm/audit/audit-log.ts';
import { listDepartments } from '../../crm/org/departments.ts';
import {
  employeeListing,
  getEmployee,
  setEmployeesEnabled,
  updateEmployee,
  parseEmployeeInput,
} from '../../crm/org/employees.ts';
import { DomainError, ForbiddenError, NotFoundError } from '../../crm/shared/errors.ts';
import { listQuery, pageOf } from '../../crm/shared/list-query.ts';
import { departments, userRoles } from '../../db/schema.ts';
import { createApp } from '../../web/app.ts';
import { WebClient } from '../support/client.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { rejects } from '../support/assert.ts';
import { buildCompany, type Company, password, roleId } from '../support/fixtures.ts';
import { type RunningApp, startApp } from '../support/server.ts';

const test = suite('data scopes');
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

/** Every GET route of the app, with each `:param` replaced by each of the given ids. */
function everyGetPath(ids: number[]): string[] {
  const routes = createApp(app.deps).routes.filter((r) => r.method === 'GET' && !r.path.includes('*'));
  const paths = new Set<string>();
  for (const r of routes) {
    if (!r.path.includes(':')) paths.add(r.path);
    else for (const id of ids) paths.add(r.path.replace(/:[a-zA-Z]+/g, String(id)));
  }
  return [...paths];
}

test('a sales representative cannot read another department’s records through any route', async () => {
  const web = new WebClient(app.url);
  await web.login('rep.a', password);
  const other = [company.people.repB, company.people.supervisorB, company.salesB];
  const paths = everyGetPath(other);
  assert.ok(paths.length >= 10, `routes found: ${paths.join(', ')}`);
  for (const path of paths) {
    for (const query of ['', `?f_department=${company.salesB}`, `?f_q=Bob`]) {
      const r = await web.get(path + query);
      for (const secret of ['Bob RepB', 'Sue SupervisorB', 'rep.b', 'sup.b']) {
        assert.not.ok(r.text.includes(secret), `${path}${query} (${r.status}) shows ${secret}`);
      }
    }
  }
  const list = await web.get('/system/employees');
  assert.is(list.status, 403, 'a sales rep holds no employees:view');
});

test('a sales manager sees their own department and below, never the other one — pages, filters and export', async () => {
  const web = new WebClient(app.url);
  await web.login('manager.a', password);
  const list = await web.get('/system/employees?size=100');
  assert.is(list.status, 200);
  for (const name of ['Mia Manager', 'Ray RepA', 'Rita TeamA1']) assert.match(list.text, name);
  for (const path of everyGetPath([company.people.repB, company.people.supervisorB, company.salesB])) {
    const r = await web.get(`${path}?f_department=${company.salesB}&size=100`);
    assert.not.ok(r.text.includes('Bob RepB'), `${path} shows Bob`);
    assert.not.ok(r.text.includes('Sue SupervisorB'), `${path} shows Sue`);
  }
  assert.is(
    (await web.get(`/system/employees/${company.people.repB}/edit`)).status,
    403,
    'a sales manager holds no employees:edit',
  );
});

test('domain calls refuse records outside the scope even when called directly', async () => {
  const manager = await company.ctx(company.people.managerA);
  await rejects(
    () => getEmployee(manager, company.people.repB),
    (e: unknown) => e instanceof NotFoundError,
  );
  const page = await pageOf(
    await employeeListing(manager, listQuery({ pageSize: 100 })),
    listQuery({ pageSize: 100 }),
  );
  assert.equal(page.rows.map((r) => r.username).sort(), ['manager.a', 'rep.a', 'rep.a1']);
  const rep = await company.ctx(company.people.repA);
  await rejects(
    () => employeeListing(rep, listQuery()),
    (e: unknown) => e instanceof ForbiddenError,
  );
  await rejects(
    () => setEmployeesEnabled(manager, [company.people.repA], false),
    (e: unknown) => e instanceof ForbiddenError,
  );
  const supervisor = await company.ctx(company.people.supervisorB);
  await rejects(
    () =>
      updateEmployee(
        supervisor,
        company.people.repB,
        parseEmployeeInput({ username: 'rep.b', name: 'Bob', departmentId: String(company.salesB) }),
      ),
    (e: unknown) => e instanceof ForbiddenError,
  );
  const depts = (await listDepartments(manager)).map((d) => d.name).sort();
  assert.equal(depts, ['Sales A', 'Team A1']);
  const audit = await pageOf(
    await auditListing(await company.ctx(company.people.admin), listQuery({ pageSize: 100 })),
    listQuery({ pageSize: 100 }),
  );
  assert.ok(audit.total > 0);
  await rejects(
    () => auditListing(manager, listQuery()),
    (e: unknown) => e instanceof ForbiddenError,
  );
});

test('several roles give the union of permissions with the widest scope per permission', async () => {
  await db.db
    .insert(userRoles)
    .values({ userId: company.people.repB, roleId: await roleId(db.db, 'supervisor') });
  const actor = (await loadActor(db.db, company.people.repB))!;
  assert.is(actor.grants.get('crm:create'), 'self', 'crm:create comes only from Sales representative');
  assert.is(actor.grants.get('crm:view'), 'department', 'crm:view is in both; the wider scope wins');
  assert.is(actor.grants.get('supervisor:monitor'), 'department');
  const scope = await recordScope(db.db, actor, 'employees:view');
  assert.ok(
    !scope.all &&
      scope.departmentIds.includes(company.salesB) &&
      !scope.departmentIds.includes(company.salesA),
  );
});

test('a department leader sees the departments they lead, whatever their role scope', async () => {
  await db.db
    .update(departments)
    .set({ leaderId: company.people.repA })
    .where(eq(departments.id, company.teamA1));
  await db.db.insert(userRoles).values({ userId: company.people.repA, roleId: await roleId(db.db, 'qa') });
  const rep = await company.ctx(company.people.repA);
  const rows = (
    await pageOf(await employeeListing(rep, listQuery({ pageSize: 100 })), listQuery({ pageSize: 100 }))
  ).rows.map((r) => r.username);
  assert.ok(rows.includes('rep.a1'));
  assert.not.ok(rows.includes('rep.b'));
});

test('a non-owner cannot grant the Owner role nor edit an owner', async () => {
  const admin = await company.ctx(company.people.admin);
  const ownerRole = await roleId(db.db, 'owner');
  await rejects(
    () =>
      updateEmployee(
        admin,
        company.people.repA,
        parseEmployeeInput({
          username: 'rep.a',
          name: 'Ray RepA',
          departmentId: String(company.salesA),
          roleIds: [String(ownerRole)],
        }),
      ),
    (e: unknown) => e instanceof DomainError && e.fields.roleIds === 'role_owner_only',
  );
  await rejects(
    () =>
      updateEmployee(
        admin,
        company.ownerId,
        parseEmployeeInput({
          username: 'owner',
          name: 'Hijacked',
          departmentId: String(company.rootId),
          roleIds: [],
        }),
      ),
    (e: unknown) => e instanceof DomainError && e.code === 'role_owner_only',
  );
});

test.run();
