/**
 * Live pages (desk, workbench, wallboard) stream only while the right to them lasts (issue 3/8,
 * finding 5): a stream closes within a couple of seconds of its user logging out, being disabled
 * or losing the permission — it does not keep sending the floor to them.
 */
import { eq } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { setEmployeesEnabled } from '../../core/org/employees.ts';
import { roles, userRoles } from '../../db/schema.ts';
import { WebClient } from '../support/client.ts';
import { type TestDatabase, testDatabase } from '../support/db.ts';
import { buildCompany, type Company, password } from '../support/fixtures.ts';
import { type RunningApp, startApp } from '../support/server.ts';

const test = suite('live streams');
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

/** Opens a live stream and resolves with how long it stayed open after `act` ran (ms), or null if still open after 6 s. */
async function closesAfter(web: WebClient, path: string, act: () => Promise<void>): Promise<number | null> {
  const res = await fetch(`${app.url}${path}`, { headers: { cookie: web.cookieHeader() } });
  assert.is(res.status, 200, path);
  assert.match(res.headers.get('content-type') ?? '', 'text/event-stream');
  const reader = res.body!.getReader();
  await reader.read(); // the first parts: the stream is live
  await act();
  const from = Date.now();
  const ended = (async () => {
    for (;;) if ((await reader.read()).done) return Date.now() - from;
  })();
  const timeout = new Promise<null>((r) => setTimeout(() => r(null), 6000));
  const result = await Promise.race([ended, timeout]);
  await reader.cancel().catch(() => {});
  return result;
}

test('logging out closes the desk stream', async () => {
  const web = new WebClient(app.url);
  await web.login('rep.a', password);
  await web.get('/desk'); // the page: the session's CSRF token for the logout form
  const after = await closesAfter(web, '/desk/live', async () => {
    assert.is((await web.post('/logout', {})).status, 303);
  });
  assert.ok(after !== null, 'the stream closed');
});

test('disabling the user closes the workbench stream', async () => {
  const web = new WebClient(app.url);
  await web.login('sup.b', password);
  const after = await closesAfter(web, '/supervisor/live', () =>
    setEmployeesEnabled(company.owner, [company.people.supervisorB], false).then(() => {}),
  );
  assert.ok(after !== null, 'the stream closed');
  await setEmployeesEnabled(company.owner, [company.people.supervisorB], true);
});

test('taking the permission away closes the wallboard stream; a stream with its rights stays open', async () => {
  const web = new WebClient(app.url);
  await web.login('admin', password);
  const open = await closesAfter(web, '/wallboard/live', async () => {});
  assert.is(open, null, 'nothing changed: still streaming');
  // Move the administrator to a role without supervisor:view.
  const [agent] = await db.db.select().from(roles).where(eq(roles.builtinKey, 'agent'));
  const after = await closesAfter(web, '/wallboard/live', async () => {
    await db.db.delete(userRoles).where(eq(userRoles.userId, company.people.admin));
    await db.db.insert(userRoles).values({ userId: company.people.admin, roleId: agent!.id });
  });
  assert.ok(after !== null, 'the stream closed');
});

test.run();
