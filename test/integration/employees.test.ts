/** Employees: the form with field errors, batch enable/disable/reset, CSV import with per-row errors. */
import { eq } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createRole, parseRoleInput } from '../../core/access/roles.ts';
import { importEmployees } from '../../core/org/employee-import.ts';
import {
  createEmployee,
  getEmployee,
  parseEmployeeInput,
  setEmployeesEnabled,
  updateEmployee,
} from '../../core/org/employees.ts';
import type { Ctx } from '../../core/context.ts';
import { userRoles, users } from '../../db/schema.ts';
import { domainError, rejects } from '../support/assert.ts';
import { WebClient } from '../support/client.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { buildCompany, type Company, password, roleId } from '../support/fixtures.ts';
import { type RunningApp, startApp } from '../support/server.ts';

const test = suite('employees');
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

const byUsername = async (u: string) => (await db.db.select().from(users).where(eq(users.username, u)))[0];

test('the form reports each bad field and keeps the input; a good one shows the temporary password once', async () => {
  const web = new WebClient(app.url);
  await web.login('admin', password);
  await web.get('/system/employees/new');
  const bad = await web.post('/system/employees/new', {
    name: 'Zhang Wei',
    username: 'rep.a',
    jobNumber: '2001',
    email: 'not-an-email',
    phone: 'abc',
    departmentId: '',
  });
  assert.is(bad.status, 422);
  for (const msg of [
    'This username is already in use.',
    'This job number is already in use.',
    'Not a valid e-mail address.',
    'Not a valid phone number.',
    'Required.',
  ])
    assert.match(bad.text, msg);
  assert.match(bad.text, 'value="Zhang Wei"');
  const ok = await web.post('/system/employees/new', {
    name: 'Zhang Wei',
    username: 'zhang.wei',
    jobNumber: '8001',
    email: 'zw@example.com',
    phone: '13800138000',
    departmentId: String(company.salesA),
    canDialOut: '1',
  });
  assert.is(ok.status, 200);
  const temp = /<code class="secret">([^<]+)<\/code>/.exec(ok.text)?.[1];
  assert.ok(temp, 'temporary password shown');
  const row = await byUsername('zhang.wei');
  assert.is(row?.canDialOut, true);
  assert.is(row?.mustChangePassword, true);
  const login = await new WebClient(app.url).login('zhang.wei', temp!);
  assert.is(login.location, '/account/password');
});

test('batch disable and enable; nobody disables themselves or the last owner', async () => {
  const admin = await company.ctx(company.people.admin);
  assert.is(await setEmployeesEnabled(admin, [company.people.repA, company.people.repA1], false), 2);
  assert.is((await byUsername('rep.a'))?.enabled, false);
  assert.is(await setEmployeesEnabled(admin, [company.people.repA, company.people.repA1], true), 2);
  assert.is((await byUsername('rep.a1'))?.enabled, true);
  await rejects(() => setEmployeesEnabled(admin, [company.people.admin], false), domainError('self_disable'));
  await rejects(() => setEmployeesEnabled(admin, [company.ownerId], false), domainError('role_owner_only'));
  await rejects(
    () => setEmployeesEnabled(company.owner, [company.ownerId], false),
    domainError('self_disable'),
  );
  await rejects(() => setEmployeesEnabled(admin, [], false), domainError('no_selection'));
});

test('batch password reset over the web shows one temporary password per employee', async () => {
  const web = new WebClient(app.url);
  await web.login('admin', password);
  await web.get('/system/employees');
  const r = await web.post('/system/employees/reset-password', {
    ids: [String(company.people.repA), String(company.people.repB)],
  });
  assert.is(r.status, 200);
  const codes = [...r.text.matchAll(/<code class="secret">([^<]+)<\/code>/g)].map((m) => m[1]);
  assert.is(codes.length, 2);
  const edit = await web.get(`/system/employees/${company.people.repA1}/edit`);
  assert.match(edit.text, 'formaction="/system/employees/reset-password"', 'single reset from the edit page');
  const one = await web.post('/system/employees/reset-password', { ids: String(company.people.repA1) });
  assert.is([...one.text.matchAll(/<code class="secret">/g)].length, 1);
  assert.is((await byUsername('rep.b'))?.mustChangePassword, true);
});

const csv = (lines: string[]) => new TextEncoder().encode(`${lines.join('\r\n')}\r\n`);

test('CSV import: good rows are imported, bad rows are reported by line, field and reason', async () => {
  const admin = await company.ctx(company.people.admin);
  const result = await importEmployees(
    admin,
    csv([
      'username,name,job number,department,roles,phone,email,can dial out',
      'li.na,Li Na,5001,Sales A,Agent,13900000001,li.na@example.com,yes',
      'wang.fang,Wang Fang,5002,Acme/Sales A/Team A1,Agent;Sales representative,,,no',
      'BAD NAME,Broken,5003,Sales A,Agent,,,',
      'chen.jie,Chen Jie,5001,Nowhere,Pilot,phone?,mail,',
      'li.na,Li Again,5009,Sales B,,,,',
      'zhao.lei,,5010,Sales B,,,,',
      'sun.li,Sun Li,5011,"Sales B,,,',
    ]),
  );
  assert.equal(
    result.imported.map((r) => r.username),
    ['li.na', 'wang.fang'],
  );
  assert.ok(result.imported.every((r) => r.temporaryPassword && r.temporaryPassword.length >= 10));
  const errs = (line: number) =>
    result.errors
      .filter((e) => e.line === line)
      .map((e) => `${e.field}:${e.code}`)
      .sort();
  assert.equal(errs(4), ['username:invalid_username']);
  assert.equal(errs(5), [
    'department:department_unknown',
    'email:invalid_email',
    'jobNumber:csv_duplicate_in_file',
    'phone:invalid_phone',
    'roles:role_unknown',
  ]);
  assert.equal(errs(6), ['username:csv_duplicate_in_file']);
  assert.equal(errs(7), ['name:required']);
  assert.equal(
    errs(8).map((e) => e.split(':')[1]),
    ['csv_unreadable'],
  );
  const wang = await byUsername('wang.fang');
  assert.is(wang?.departmentId, company.teamA1);
  assert.is((await byUsername('li.na'))?.canDialOut, true);
  assert.is(await byUsername('chen.jie'), undefined);
});

test('CSV import: a built-in role is found by its default name in either language', async () => {
  const admin = await company.ctx(company.people.admin);
  const aliases = (key: string) =>
    key === 'agent' ? ['Agent', '坐席'] : key === 'sales_rep' ? ['Sales representative', '销售代表'] : [];
  const result = await importEmployees(
    admin,
    csv(['username,name,job number,department,roles', 'gao.min,Gao Min,5020,Sales A,坐席；销售代表']),
    aliases,
  );
  assert.equal(result.errors, []);
  assert.equal(
    result.imported.map((r) => r.username),
    ['gao.min'],
  );
});

test('CSV import over the web: Chinese headers in GBK, missing columns, empty files', async () => {
  const web = new WebClient(app.url);
  await web.login('admin', password);
  await web.get('/system/employees/import');
  const gbk = Buffer.from(
    // "用户名,姓名,部门,工号\r\nliu.yang,刘洋,Sales B,6001\r\n" encoded in GBK
    'd3c3bba7c3fb2cd0d5c3fb2cb2bfc3c52cb9a4bac50d0a6c69752e79616e672cc1f5d1f32c53616c657320422c363030310d0a',
    'hex',
  );
  const form = new FormData();
  form.set('file', new Blob([gbk], { type: 'text/csv' }), 'staff.csv');
  const ok = await web.postMultipart('/system/employees/import', form);
  assert.is(ok.status, 200);
  assert.match(ok.text, '1 of 1 row(s) imported; 0 row(s) with errors.');
  assert.is((await byUsername('liu.yang'))?.name, '刘洋');

  const missing = new FormData();
  missing.set('file', new Blob(['name,phone\r\nX,1\r\n'], { type: 'text/csv' }), 'x.csv');
  const m = await web.postMultipart('/system/employees/import', missing);
  assert.is(m.status, 422);
  assert.match(m.text, 'The header row lacks required column(s): username, department.');

  const empty = new FormData();
  empty.set('file', new Blob([''], { type: 'text/csv' }), 'empty.csv');
  const e = await web.postMultipart('/system/employees/import', empty);
  assert.is(e.status, 422);
  assert.match(e.text, 'The file is empty.');
});

/** Saves an employee as they are, with these roles (and any other field changed by `extra`). */
async function saveWithRoles(ctx: Ctx, id: number, roleIds: number[], extra: Record<string, string> = {}) {
  const e = await getEmployee(company.owner, id);
  await updateEmployee(
    ctx,
    id,
    parseEmployeeInput({
      username: e.username,
      name: e.name,
      jobNumber: e.jobNumber ?? '',
      email: e.email ?? '',
      phone: e.phone ?? '',
      departmentId: String(e.departmentId),
      canDialOut: e.canDialOut ? '1' : '',
      roleIds: roleIds.map(String),
      ...extra,
    }),
  );
}

const rolesOf = async (userId: number) =>
  (await db.db.select().from(userRoles).where(eq(userRoles.userId, userId))).map((r) => r.roleId).sort();

test('a non-owner gives only roles within their own permissions and scope, and never changes their own roles', async () => {
  const staffEditors = await createRole(
    company.owner,
    parseRoleInput({
      name: 'Staff editors',
      dataScope: 'department',
      permissions: ['employees:view', 'employees:create', 'employees:edit', 'employees:import'],
      memberIds: [String(company.people.managerA)],
    }),
  );
  const callers = await createRole(
    company.owner,
    parseRoleInput({ name: 'Callers', dataScope: 'self', permissions: ['desk:use', 'calls:view'] }),
  );
  const wideCallers = await createRole(
    company.owner,
    parseRoleInput({ name: 'Wide callers', dataScope: 'all', permissions: ['desk:use'] }),
  );
  const salesRep = await roleId(db.db, 'sales_rep');
  const salesManager = await roleId(db.db, 'sales_manager');
  const admin = await roleId(db.db, 'admin');
  const supervisor = await roleId(db.db, 'supervisor');
  const owner = await roleId(db.db, 'owner');
  // Mia (Sales A) holds Sales manager and Staff editors: employees:edit over her department.
  const manager = await company.ctx(company.people.managerA);
  const { repA, repA1, managerA } = company.people;

  // Roles with permissions she lacks, a wider scope than hers, or Owner: refused.
  await rejects(
    () => saveWithRoles(manager, repA, [salesRep, admin]),
    domainError('scope_outside', 'roleIds'),
  );
  await rejects(
    () => saveWithRoles(manager, repA, [salesRep, supervisor]),
    domainError('scope_outside', 'roleIds'),
  );
  await rejects(
    () => saveWithRoles(manager, repA, [salesRep, wideCallers]),
    domainError('scope_outside', 'roleIds'),
  );
  await rejects(
    () => saveWithRoles(manager, repA, [salesRep, owner]),
    domainError('role_owner_only', 'roleIds'),
  );
  await rejects(
    () =>
      createEmployee(
        manager,
        parseEmployeeInput({
          username: 'new.admin',
          name: 'New Admin',
          departmentId: String(company.salesA),
          roleIds: [String(admin)],
        }),
      ),
    domainError('scope_outside', 'roleIds'),
  );
  const imported = await importEmployees(
    manager,
    csv(['username,name,department,roles', 'csv.admin,Csv Admin,Sales A,Administrator']),
  );
  assert.equal(imported.imported, []);
  assert.equal(
    imported.errors.map((e) => `${e.line}:${e.field}:${e.code}`),
    ['2:roles:scope_outside'],
  );
  assert.equal(await rolesOf(repA), [salesRep]);

  // Her own roles: no change at all, not even one she could give to others.
  await rejects(
    () => saveWithRoles(manager, managerA, [salesManager, staffEditors, admin]),
    domainError('scope_outside', 'roleIds'),
  );
  await rejects(
    () => saveWithRoles(manager, managerA, [salesManager, staffEditors, callers]),
    domainError('scope_outside', 'roleIds'),
  );
  await rejects(
    () => saveWithRoles(manager, managerA, [salesManager]),
    domainError('scope_outside', 'roleIds'),
  );
  await saveWithRoles(manager, managerA, [salesManager, staffEditors], { phone: '13800000001' });
  assert.is((await getEmployee(company.owner, managerA)).phone, '13800000001');

  // Allowed: roles within her permissions and scope; roles someone already holds may stay or go.
  await saveWithRoles(manager, repA, [salesRep, callers]);
  assert.equal(await rolesOf(repA), [salesRep, callers].sort());
  // Someone who holds a role she could not give (Supervisor) is out of her hands altogether: no
  // edit, and no taking that role away either (nobody acts on someone more powerful).
  await saveWithRoles(company.owner, repA1, [salesRep, supervisor]);
  await rejects(
    () => saveWithRoles(manager, repA1, [salesRep, supervisor], { phone: '13800000002' }),
    domainError('target_outranks'),
  );
  await rejects(() => saveWithRoles(manager, repA1, [salesRep]), domainError('target_outranks'));
  assert.equal(await rolesOf(repA1), [salesRep, supervisor].sort());
  await saveWithRoles(company.owner, repA1, [salesRep]);
  await saveWithRoles(manager, repA1, [salesRep], { phone: '13800000002' });
  assert.equal(await rolesOf(repA1), [salesRep]);

  // The form offers only the roles she may give (and those already held).
  const web = new WebClient(app.url);
  await web.login('manager.a', password);
  const form = await web.get(`/system/employees/${repA}/edit`);
  assert.is(form.status, 200);
  assert.match(form.text, 'Callers');
  assert.not.match(form.text, 'Administrator');
  assert.not.match(form.text, 'Wide callers');
});

test('an administrator gives any role but Owner; only an owner changes their own roles', async () => {
  const admin = await company.ctx(company.people.admin);
  const adminRole = await roleId(db.db, 'admin');
  const agent = await roleId(db.db, 'agent');
  const owner = await roleId(db.db, 'owner');
  const salesRep = await roleId(db.db, 'sales_rep');
  await saveWithRoles(admin, company.people.repB, [salesRep, adminRole]);
  assert.equal(await rolesOf(company.people.repB), [salesRep, adminRole].sort());
  await rejects(
    () => saveWithRoles(admin, company.people.repB, [salesRep, owner]),
    domainError('role_owner_only', 'roleIds'),
  );
  await rejects(
    () => saveWithRoles(admin, company.people.admin, [adminRole, agent]),
    domainError('scope_outside', 'roleIds'),
  );
  await saveWithRoles(company.owner, company.ownerId, [owner, agent]);
  assert.equal(await rolesOf(company.ownerId), [owner, agent].sort());
  await saveWithRoles(company.owner, company.people.repB, [salesRep]);
});

test.run();
