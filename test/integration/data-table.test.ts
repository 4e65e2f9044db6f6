/** The shared data table: paging, sorting, filters, the per-user column chooser, CSV export; and the audit log view. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createEmployee, parseEmployeeInput } from '../../core/org/employees.ts';
import { WebClient } from '../support/client.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { buildCompany, type Company, password } from '../support/fixtures.ts';
import { type RunningApp, startApp } from '../support/server.ts';

const test = suite('data table');
let db: TestDatabase;
let app: RunningApp;
let company: Company;

test.before(async () => {
  db = await testDatabase();
  company = await buildCompany(db.db);
  for (let i = 1; i <= 25; i++) {
    const n = String(i).padStart(2, '0');
    await createEmployee(
      company.owner,
      parseEmployeeInput({
        username: `agent${n}`,
        name: `Agent ${n}`,
        jobNumber: `9${n}`,
        departmentId: String(company.salesB),
        password: 'Temporary-pass-1',
      }),
    );
  }
  app = await startApp(db.db);
});
test.after(async () => {
  await app.close();
  await db.close();
});

const namesIn = (html: string) =>
  [...html.matchAll(/<td data-col="name">(?:<a [^>]*>)?([^<]+)/g)].map((m) => m[1]);

test('pages, sorts and filters on the server', async () => {
  const web = new WebClient(app.url);
  await web.login('admin', password);
  const first = await web.get(`/system/employees?f_department=${company.salesB}&sort=name&dir=asc&size=10`);
  assert.equal(namesIn(first.text).slice(0, 3), ['Agent 01', 'Agent 02', 'Agent 03']);
  assert.match(first.text, '27 in total');
  assert.match(first.text, 'Page 1 of 3');
  const third = await web.get(
    `/system/employees?f_department=${company.salesB}&sort=name&dir=asc&size=10&page=3`,
  );
  assert.equal(namesIn(third.text), [
    'Agent 21',
    'Agent 22',
    'Agent 23',
    'Agent 24',
    'Agent 25',
    'Bob RepB',
    'Sue SupervisorB',
  ]);
  const desc = await web.get('/system/employees?sort=jobNumber&dir=desc&size=10');
  assert.is(namesIn(desc.text)[0], 'Agent 25');
  const search = await web.get(`/system/employees?f_q=${encodeURIComponent('agent1')}`);
  assert.equal(namesIn(search.text).sort(), [
    'Agent 10',
    'Agent 11',
    'Agent 12',
    'Agent 13',
    'Agent 14',
    'Agent 15',
    'Agent 16',
    'Agent 17',
    'Agent 18',
    'Agent 19',
  ]);
  const bogus = await web.get('/system/employees?sort=password_hash&page=999&size=7');
  assert.is(bogus.status, 200, 'unknown sort keys and sizes fall back to defaults');
});

test('the column chooser is remembered per user', async () => {
  const web = new WebClient(app.url);
  await web.login('admin', password);
  await web.get('/system/employees');
  const saved = await web.post('/prefs/tables/employees', {
    columns: ['name', 'email'],
    next: '/system/employees',
  });
  assert.is(saved.status, 303);
  const page = await web.get('/system/employees');
  assert.match(page.text, 'data-col="email"');
  assert.not.match(page.text, 'data-col="username"');
  const other = new WebClient(app.url);
  await other.login('owner', password);
  assert.match((await other.get('/system/employees')).text, 'data-col="username"');
});

test('CSV export streams what is filtered, with the chosen columns, and is audited', async () => {
  const web = new WebClient(app.url);
  await web.login('owner', password);
  await web.get('/system/employees');
  await web.post('/prefs/tables/employees', {
    columns: ['name', 'username', 'jobNumber'],
    next: '/system/employees',
  });
  const r = await web.get(
    `/system/employees/export.csv?f_department=${company.salesB}&sort=jobNumber&dir=asc`,
  );
  assert.is(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', 'text/csv');
  const lines = r.text
    .replace(/^\uFEFF/, '')
    .trim()
    .split('\r\n');
  assert.is(lines[0], 'Name,Username,Job number');
  assert.is(lines.length, 1 + 27);
  assert.is(lines[1], 'Bob RepB,rep.b,3001');
  assert.is(lines[3], 'Agent 01,agent01,901');
  const audit = await web.get('/system/audit?f_action=data.exported');
  assert.match(audit.text, 'Data exported');
});

test('the Export button writes XLSX in the background, shows progress, and only its owner downloads it', async () => {
  const web = new WebClient(app.url);
  await web.login('owner', password);
  await web.get('/system/employees');
  const started = await web.post(
    `/system/employees/export?f_department=${company.salesB}&sort=jobNumber&dir=asc`,
    { format: 'xlsx' },
    { headers: { 'hx-request': 'true' } },
  );
  assert.is(started.status, 200);
  let progress = started.text;
  const href = /\/exports\/([\w-]+)/.exec(progress)?.[0];
  assert.ok(href, progress);
  for (let i = 0; i < 50 && !progress.includes('/file'); i++) {
    await new Promise((r) => setTimeout(r, 100));
    progress = (await web.request('GET', href, undefined, { 'hx-request': 'true' })).text;
  }
  assert.match(progress, 'Export ready: 27 rows.');
  const res = await fetch(`${app.url}${href}/file`, { headers: { cookie: web.cookieHeader() } });
  assert.is(res.status, 200);
  assert.match(res.headers.get('content-disposition') ?? '', /employees-\d{4}-\d{2}-\d{2}\.xlsx/);
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.is(bytes.subarray(0, 4).toString('hex'), '504b0304', 'a zip file');
  assert.ok(bytes.includes(Buffer.from('PK\x05\x06', 'latin1')), 'with its central directory');

  const other = new WebClient(app.url);
  await other.login('sup.b', password);
  assert.is((await other.get(href)).status, 404);
  assert.is(
    (await fetch(`${app.url}${href}/file`, { headers: { cookie: other.cookieHeader() } })).status,
    404,
  );
  // Without JavaScript the button posts and lands on the progress page.
  const plain = await web.post('/system/employees/export', { format: 'csv' });
  assert.is(plain.status, 303);
  assert.match(plain.location ?? '', /^\/exports\//);
  assert.match((await web.follow(plain)).text, '<h1>Export</h1>');
});

test('exporting needs the export permission', async () => {
  const web = new WebClient(app.url);
  await web.login('sup.b', password);
  assert.is((await web.get('/system/employees/export.csv')).status, 200, 'supervisors hold employees:export');
  const mgr = new WebClient(app.url);
  await mgr.login('manager.a', password);
  assert.is((await mgr.get('/system/employees/export.csv')).status, 403);
});

test('the audit log shows who did what from where, filterable by action and date, in both languages', async () => {
  const web = new WebClient(app.url);
  await web.login('owner', password);
  const all = await web.get('/system/audit?f_action=employee.created&size=100');
  assert.match(all.text, 'Employee created');
  assert.match(all.text, '127.0.0.1');
  assert.match(all.text, 'agent25');
  const today = new Date();
  const day = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, '0')}-${String(today.getDate()).padStart(2, '0')}`;
  assert.match(
    (await web.get(`/system/audit?f_from=${day}&f_to=${day}&f_action=auth.login`)).text,
    'Logged in',
  );
  assert.match((await web.get('/system/audit?f_from=2001-01-01&f_to=2001-01-02')).text, 'Nothing matches.');
  await web.post('/locale', { locale: 'zh-CN', next: '/system/audit' });
  const zh = await web.get('/system/audit?f_action=employee.created');
  assert.match(zh.text, '新建员工');
  assert.match(zh.text, '操作日志');
});

test.run();
