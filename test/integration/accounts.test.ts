/** First-run setup, login, lockout, rate limit, sessions, forced password change — over HTTP. */
import { eq } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { resetPasswords } from '../../core/org/employees.ts';
import { auditLog, roles, sessions, users } from '../../db/schema.ts';
import { WebClient } from '../support/client.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { buildCompany, type Company, password } from '../support/fixtures.ts';
import { type RunningApp, startApp } from '../support/server.ts';

const fresh = suite('first-run setup');
let db: TestDatabase;
let app: RunningApp;

fresh.before(async () => {
  db = await testDatabase();
  app = await startApp(db.db);
});
fresh.after(async () => {
  await app.close();
  await db.close();
});

fresh('every page leads to setup until the owner exists; no default account can log in', async () => {
  const web = new WebClient(app.url);
  const home = await web.get('/');
  assert.is(home.status, 303);
  assert.is(home.location, '/setup');
  const login = await web.post('/login', { username: 'admin', password: 'admin' });
  assert.is(login.location, '/setup');
  const page = await web.get('/setup');
  assert.is(page.status, 200);
  assert.match(page.text, 'name="company"');
});

fresh('setup checks its fields and keeps what was typed', async () => {
  const web = new WebClient(app.url);
  await web.get('/setup');
  const bad = await web.post('/setup', {
    company: 'Acme',
    name: 'Olivia',
    username: 'Owner Name',
    password: 'short',
    confirm: 'short',
  });
  assert.is(bad.status, 422);
  assert.match(bad.text, 'Use 2–40 lower-case letters');
  assert.match(bad.text, 'At least 10 characters.');
  assert.match(bad.text, 'value="Acme"');
  assert.is((await db.db.select().from(users)).length, 0);
});

fresh('setup creates the owner once; a second setup is refused', async () => {
  const web = new WebClient(app.url);
  await web.get('/setup');
  const ok = await web.post('/setup', {
    company: 'Acme',
    name: 'Olivia',
    username: 'owner',
    password,
    confirm: password,
    locale: 'zh-CN',
  });
  assert.is(ok.status, 303);
  assert.is(ok.location, '/login');
  const [owner] = await db.db.select().from(users);
  assert.is(owner?.username, 'owner');
  assert.is(owner?.locale, 'zh-CN');
  assert.not.match(owner?.passwordHash ?? '', password);
  assert.match(owner?.passwordHash ?? '', /^scrypt\$32768\$8\$1\$/);
  const again = await new WebClient(app.url).post('/setup', {
    company: 'Evil',
    name: 'X',
    username: 'evil',
    password,
    confirm: password,
  });
  assert.is(again.status, 303);
  assert.is(again.location, '/login');
  assert.is((await db.db.select().from(users)).length, 1);
  const entries = await db.db.select().from(auditLog).where(eq(auditLog.action, 'setup.owner_created'));
  assert.is(entries.length, 1);
});

fresh(
  'built-in roles named in the setup language show in the reader’s language, unless renamed',
  async () => {
    const stored = async (key: string) =>
      (await db.db.select().from(roles).where(eq(roles.builtinKey, key)))[0]!;
    assert.is((await stored('admin')).name, '企业管理员', 'stored in the installer’s language');
    const web = new WebClient(app.url);
    await web.login('owner', password);
    const zh = await web.get('/system/roles');
    assert.match(zh.text, '企业管理员');
    assert.match(zh.text, '销售代表');
    const zhAudit = await web.get('/system/audit');
    assert.match(zhAudit.text, '员工 owner', 'the target kind is translated');

    await web.post('/locale', { locale: 'en', next: '/system/roles' });
    const en = await web.get('/system/roles');
    for (const name of ['Owner', 'Administrator', 'Supervisor', 'Sales representative'])
      assert.match(en.text, `>${name}</a>`);
    assert.not.match(en.text, '企业管理员');
    assert.match((await web.get('/account')).text, '<dd>Owner</dd>');
    assert.match((await web.get('/system/employees')).text, '>Owner</td>');
    assert.match((await web.get('/system/audit')).text, 'Employee owner');
    const filter = await web.get('/system/employees');
    assert.match(filter.text, />Administrator<\/option>/);

    // Saving a built-in role's form unchanged keeps its stored name; a new name is shown as it is.
    const admin = await stored('admin');
    const edit = await web.get(`/system/roles/${admin.id}/edit`);
    assert.match(edit.text, 'value="Administrator"');
    const form = { name: 'Administrator', description: '', dataScope: 'all', permissions: admin.permissions };
    assert.is((await web.post(`/system/roles/${admin.id}/edit`, form)).status, 303);
    assert.is((await stored('admin')).name, '企业管理员');
    const renamed = await web.post(`/system/roles/${admin.id}/edit`, { ...form, name: 'Back office' });
    assert.is(renamed.status, 303);
    assert.is((await stored('admin')).name, 'Back office');
    const after = await web.get('/system/roles');
    assert.match(after.text, '>Back office</a>');
    assert.not.match(after.text, '>Administrator</a>');
    await web.post('/locale', { locale: 'zh-CN', next: '/system/roles' });
    const zhAfter = await web.get('/system/roles');
    assert.match(zhAfter.text, '>Back office</a>');
    assert.match(zhAfter.text, '>企业所有者</a>');
  },
);

fresh.run();

const auth = suite('login and sessions');
let company: Company;

auth.before(async () => {
  db = await testDatabase();
  company = await buildCompany(db.db);
  app = await startApp(db.db, {
    settings: (s) => {
      s.security.lockoutThreshold = 3;
      s.security.loginRateLimit = 8;
    },
  });
});
auth.after(async () => {
  await app.close();
  await db.close();
});

auth('a good login sets an HttpOnly SameSite session cookie and opens the home page', async () => {
  const web = new WebClient(app.url);
  await web.get('/login');
  const res = await web.post('/login', { username: 'Rep.A', password });
  assert.is(res.status, 303);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('cc_session='));
  assert.ok(cookie);
  assert.match(cookie!, /HttpOnly/);
  assert.match(cookie!, /SameSite=Lax/);
  const home = await web.get('/');
  assert.is(home.status, 200);
  assert.match(home.text, 'Welcome, Ray RepA');
  for (const path of ['/', '/desk/phone', '/account/password'])
    assert.is((await web.get(path)).headers.get('cache-control'), 'no-store', `${path} is not cached`);
  const [row] = await db.db.select().from(sessions).where(eq(sessions.userId, company.people.repA));
  assert.ok(row);
  assert.is.not(row!.id, web.cookie('cc_session'), 'only a hash of the token is stored');
});

auth(
  'wrong passwords lock the account for that address after the threshold, and the audit log says so',
  async () => {
    const web = new WebClient(app.url);
    await web.get('/login');
    for (let i = 0; i < 3; i++) {
      const r = await web.post('/login', { username: 'rep.b', password: 'wrong-password-1' });
      assert.is(r.status, 422);
      assert.match(r.text, 'Login failed: the username or password is wrong');
    }
    const evenRight = await web.post('/login', { username: 'rep.b', password });
    assert.is(evenRight.status, 422);
    assert.match(evenRight.text, 'After 3 failed attempts, logins from this computer pause for 15 minutes');
    const actions = (
      await db.db.select().from(auditLog).where(eq(auditLog.actorId, company.people.repB))
    ).map((a) => a.action);
    assert.ok(actions.includes('auth.locked'));
    assert.ok(actions.filter((a) => a === 'auth.login_failed').length >= 3);
    const [entry] = await db.db.select().from(auditLog).where(eq(auditLog.action, 'auth.locked'));
    assert.is(entry?.ip, '127.0.0.1');
  },
);

auth('too many attempts from one address are refused with 429', async () => {
  const web = new WebClient(app.url);
  await web.get('/login');
  let last = 0;
  for (let i = 0; i < 6; i++)
    last = (await web.post('/login', { username: 'nobody', password: 'whatever-123' })).status;
  assert.is(last, 429);
});

auth.run();

const proxied = suite('behind a trusted proxy');
proxied.before(async () => {
  db = await testDatabase();
  company = await buildCompany(db.db);
  app = await startApp(db.db, {
    settings: (s) => {
      s.trustedProxies = 1;
      s.security.loginRateLimit = 4;
    },
  });
});
proxied.after(async () => {
  await app.close();
  await db.close();
});

proxied(
  'a client inventing X-Forwarded-For entries neither escapes the rate limit nor fakes the audit address',
  async () => {
    const web = new WebClient(app.url);
    await web.get('/login');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      // The client writes the left part; our proxy appends the address it saw (203.0.113.7).
      const forged = `10.0.0.${i}, 198.51.100.${i}`;
      const r = await web.post(
        '/login',
        { username: 'rep.b', password: 'wrong-password-1' },
        { headers: { 'x-forwarded-for': `${forged}, 203.0.113.7` } },
      );
      statuses.push(r.status);
    }
    assert.is(statuses.at(-1), 429, statuses.join());
    const addresses = new Set(
      (await db.db.select().from(auditLog).where(eq(auditLog.actorId, company.people.repB))).map((a) => a.ip),
    );
    assert.equal([...addresses], ['203.0.113.7']);
  },
);

proxied.run();

const reset = suite('admin password reset and disabled users');
reset.before(async () => {
  db = await testDatabase();
  company = await buildCompany(db.db);
  app = await startApp(db.db);
});
reset.after(async () => {
  await app.close();
  await db.close();
});

reset('a reset password must be changed at next login, and the old sessions end', async () => {
  const rep = new WebClient(app.url);
  await rep.login('rep.a', password);
  assert.is((await rep.get('/')).status, 200);
  const [result] = await resetPasswords(company.owner, [company.people.repA]);
  assert.is((await rep.get('/')).status, 303, 'the old session ended');
  const again = new WebClient(app.url);
  const login = await again.login('rep.a', result!.temporaryPassword);
  assert.is(login.location, '/account/password');
  const blocked = await again.get('/system/employees');
  assert.is(blocked.location, '/account/password');
  assert.match((await again.get('/account/password')).text, 'Choose your own before you continue');
  const weak = await again.post('/account/password', {
    current: result!.temporaryPassword,
    password: 'abc',
    confirm: 'abc',
  });
  assert.is(weak.status, 422);
  const same = await again.post('/account/password', {
    current: result!.temporaryPassword,
    password: result!.temporaryPassword,
    confirm: result!.temporaryPassword,
  });
  assert.is(same.status, 422, 'the temporary password is not kept as the new one');
  assert.match(same.text, 'Choose a password other than the current one.');
  const changed = await again.post('/account/password', {
    current: result!.temporaryPassword,
    password: 'My-own-secret-77',
    confirm: 'My-own-secret-77',
  });
  assert.is(changed.status, 303);
  assert.is((await again.get('/')).status, 200);
  const [u] = await db.db.select().from(users).where(eq(users.id, company.people.repA));
  assert.is(u?.mustChangePassword, false);
});

reset('a disabled user is out at once: the next request has no session, and login is refused', async () => {
  const rep = new WebClient(app.url);
  await rep.login('rep.b', password);
  assert.is((await rep.get('/')).status, 200);
  const admin = new WebClient(app.url);
  await admin.login('admin', password);
  await admin.get('/system/employees');
  const res = await admin.post('/system/employees/disable', { ids: String(company.people.repB) });
  assert.is(res.status, 303);
  const after = await rep.get('/');
  assert.is(after.status, 303);
  assert.match(after.location ?? '', /^\/login/);
  assert.is((await db.db.select().from(sessions).where(eq(sessions.userId, company.people.repB))).length, 0);
  const again = await new WebClient(app.url).login('rep.b', password);
  assert.is(again.status, 422);
  assert.match(again.text, 'Login failed: the username or password is wrong');
});

reset('logout ends the session on the server', async () => {
  const web = new WebClient(app.url);
  await web.login('manager.a', password);
  const token = web.cookie('cc_session');
  await web.get('/');
  await web.post('/logout', {});
  const stolen = new WebClient(app.url);
  const r = await stolen.request('GET', '/', undefined, { cookie: `cc_session=${token}` });
  assert.is(r.status, 303);
});

reset.run();
