/** Every state-changing request needs this session's CSRF token and a same-site origin. */
import { desc, eq } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { auditLog, departments } from '../../db/schema.ts';
import { createApp } from '../../web/app.ts';
import { WebClient } from '../support/client.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { buildCompany, type Company, password } from '../support/fixtures.ts';
import { type RunningApp, startApp } from '../support/server.ts';

const test = suite('CSRF protection');
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

const countDepartments = async () => (await db.db.select().from(departments)).length;

test('a POST without a token is refused and changes nothing', async () => {
  const web = new WebClient(app.url);
  await web.login('admin', password);
  await web.get('/system/departments/new');
  const before = await countDepartments();
  const r = await web.post(
    '/system/departments/new',
    { name: 'Forged', parentId: String(company.rootId) },
    { csrf: false },
  );
  assert.is(r.status, 403);
  assert.match(r.text, 'The form expired or came from another site');
  assert.is(await countDepartments(), before);
  const [entry] = await db.db.select().from(auditLog).where(eq(auditLog.action, 'auth.csrf_rejected'));
  assert.is(entry?.actorName, 'admin');
});

test('a flood of anonymous forged requests is refused every time but audited only a few times a minute', async () => {
  const before = (await db.db.select().from(auditLog).where(eq(auditLog.action, 'auth.csrf_rejected')))
    .length;
  const statuses = await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      fetch(`${app.url}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `username=x&password=y&_csrf=forged&pad=${'a'.repeat(i)}`,
      }).then((r) => r.status),
    ),
  );
  assert.ok(
    statuses.every((s) => s === 403),
    statuses.join(),
  );
  const written =
    (await db.db.select().from(auditLog).where(eq(auditLog.action, 'auth.csrf_rejected'))).length - before;
  assert.ok(written <= 10, `${written} rows written`);
  assert.ok(written >= 1, 'refusals are still audited');
  // A refusal that is written stores a bounded path (a logged-in user's are always written).
  const web = new WebClient(app.url);
  await web.login('admin', password);
  const long = await web.post(`/${'x'.repeat(5000)}`, {}, { csrf: false });
  assert.is(long.status, 403);
  const [newest] = await db.db
    .select()
    .from(auditLog)
    .where(eq(auditLog.action, 'auth.csrf_rejected'))
    .orderBy(desc(auditLog.id))
    .limit(1);
  assert.is(newest?.actorName, 'admin');
  assert.is(String((newest?.detail as { path?: string } | undefined)?.path).length, 200);
});

test('a token from another session is refused', async () => {
  const other = new WebClient(app.url);
  await other.login('manager.a', password);
  await other.get('/');
  const web = new WebClient(app.url);
  await web.login('admin', password);
  const r = await web.post(
    '/system/departments/new',
    { name: 'Forged', parentId: String(company.rootId) },
    { csrf: other.csrf },
  );
  assert.is(r.status, 403);
});

test('a request from another origin is refused even with a token', async () => {
  const web = new WebClient(app.url);
  await web.login('admin', password);
  await web.get('/system/departments/new');
  const r = await web.post(
    '/system/departments/new',
    { name: 'Forged', parentId: String(company.rootId) },
    { headers: { origin: 'http://evil.example' } },
  );
  assert.is(r.status, 403);
  const site = await web.post(
    '/system/departments/new',
    { name: 'Forged', parentId: String(company.rootId) },
    { headers: { 'sec-fetch-site': 'cross-site' } },
  );
  assert.is(site.status, 403);
});

test('the htmx header form of the token works, and so does the form field', async () => {
  const web = new WebClient(app.url);
  await web.login('admin', password);
  await web.get('/system/departments/new');
  const viaField = await web.post('/system/departments/new', {
    name: 'Support',
    parentId: String(company.rootId),
  });
  assert.is(viaField.status, 303);
  const body = new URLSearchParams({ name: 'Quality', parentId: String(company.rootId) });
  const viaHeader = await web.request('POST', '/system/departments/new', body, {
    'content-type': 'application/x-www-form-urlencoded',
    'x-csrf-token': web.csrf,
    'hx-request': 'true',
  });
  assert.is(viaHeader.status, 303);
});

test('a body larger than the largest upload is refused by its length before anything reads it', async () => {
  const web = new WebClient(app.url);
  await web.login('admin', password);
  await web.get('/system/departments/new');
  const cap = app.deps.settings.prompts.maxBytes + 1024 * 1024;
  const huge = new Uint8Array(cap + 1);
  const r = await web.request('POST', '/system/departments/new', huge, {
    'content-type': 'application/x-www-form-urlencoded',
    'x-csrf-token': web.csrf,
  });
  assert.is(r.status, 413);
  assert.match(r.text, 'The file is too large');
});

test('every POST route is behind the check (none answers 2xx/3xx without a token)', async () => {
  const web = new WebClient(app.url);
  await web.login('owner', password);
  await web.get('/');
  const routes = createApp(app.deps).routes.filter((r) => r.method === 'POST');
  assert.ok(routes.length >= 10);
  for (const r of routes) {
    const path = r.path.replace(/:[a-zA-Z]+/g, String(company.salesA));
    const res = await web.post(path, {}, { csrf: false });
    assert.is(res.status, 403, `${r.path} answered ${res.status}`);
  }
});

test.run();
