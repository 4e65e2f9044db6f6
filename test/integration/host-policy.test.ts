/**
 * Host and origin policy and who may open first-run setup (issue 3/8, finding 8): a
 * DNS-rebinding page (its own name in `Host` and `Origin`) cannot complete setup or reach the
 * application under a name outside the allow-list; setup opens to loopback, `SETUP_FROM` or the
 * key printed at start; behind a proxy `PUBLIC_URL`'s origin is this site.
 */
import { request } from 'node:http';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { users } from '../../db/schema.ts';
import { WebClient } from '../support/client.ts';
import { type TestDatabase, testDatabase } from '../support/db.ts';
import { buildCompany, password } from '../support/fixtures.ts';
import { type RunningApp, startApp } from '../support/server.ts';

/** A request with a `Host` of the test's choosing (fetch always sends the URL's own). */
function withHost(
  base: string,
  method: string,
  path: string,
  host: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; text: string; location: string | undefined }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: url.pathname + url.search,
        headers: { ...headers, host },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, location: res.headers.location }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const setupForm = (extra: Record<string, string> = {}) => ({
  company: 'Acme',
  name: 'Olivia',
  username: 'owner',
  password,
  confirm: password,
  ...extra,
});

const fresh = suite('host policy before setup');
let db: TestDatabase;
let app: RunningApp;
const remote = { 'x-forwarded-for': '203.0.113.7' };

fresh.before(async () => {
  db = await testDatabase();
  // One trusted proxy: the test's requests then come "from" the address it forwards.
  app = await startApp(db.db, { settings: (s) => (s.trustedProxies = 1) });
});
fresh.after(async () => {
  await app.close();
  await db.close();
});

fresh(
  'a page under a host name is refused until setup (DNS rebinding); loopback and addresses answer',
  async () => {
    const port = new URL(app.url).port;
    const rebound = await withHost(app.url, 'GET', '/setup', `attacker.example:${port}`);
    assert.is(rebound.status, 421);
    assert.match(rebound.text, 'does not answer under the name');
    const post = await withHost(
      app.url,
      'POST',
      '/setup',
      `attacker.example:${port}`,
      { 'content-type': 'application/x-www-form-urlencoded', origin: `http://attacker.example:${port}` },
      new URLSearchParams(setupForm()).toString(),
    );
    assert.is(post.status, 421);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `192.0.2.10:${port}`, `[::1]:${port}`])
      assert.is((await withHost(app.url, 'GET', '/setup', host)).status, 200, host);
    assert.is((await withHost(app.url, 'GET', '/healthz', `attacker.example:${port}`)).status, 200);
    assert.is((await db.db.select().from(users)).length, 0);
  },
);

fresh('setup from another address needs the key printed at start', async () => {
  const web = new WebClient(app.url);
  const page = await web.request('GET', '/setup', undefined, remote);
  assert.is(page.status, 403);
  assert.match(page.text, 'setup link printed');
  const refused = await web.post('/setup', setupForm(), { headers: remote });
  assert.is(refused.status, 403);
  const wrongKey = await web.post('/setup', setupForm({ key: 'guessed-key' }), { headers: remote });
  assert.is(wrongKey.status, 403);
  assert.is((await db.db.select().from(users)).length, 0);
  const withKey = await web.request('GET', `/setup?key=${app.deps.setupKey}`, undefined, remote);
  assert.is(withKey.status, 200);
  assert.match(withKey.text, `name="key" value="${app.deps.setupKey}"`);
  // A mistake in the form keeps the key for the next try.
  const bad = await web.post('/setup', setupForm({ key: app.deps.setupKey, confirm: 'other' }), {
    headers: remote,
  });
  assert.is(bad.status, 422);
  assert.match(bad.text, `name="key" value="${app.deps.setupKey}"`);
  const ok = await web.post('/setup', setupForm({ key: app.deps.setupKey }), { headers: remote });
  assert.is(ok.status, 303);
  assert.is((await db.db.select().from(users)).length, 1);
});

const listed = suite('setup from SETUP_FROM');
let listedDb: TestDatabase;
let listedApp: RunningApp;
listed.before(async () => {
  listedDb = await testDatabase();
  listedApp = await startApp(listedDb.db, {
    settings: (s) => {
      s.trustedProxies = 1;
      s.setupFrom = ['198.51.100.0/24', '2001:db8::5'];
    },
  });
});
listed.after(async () => {
  await listedApp.close();
  await listedDb.close();
});

listed('an address in a listed range opens setup without the key; others do not', async () => {
  const web = new WebClient(listedApp.url);
  for (const ip of ['198.51.100.0', '198.51.100.254', '::ffff:198.51.100.9', '2001:db8::5'])
    assert.is((await web.request('GET', '/setup', undefined, { 'x-forwarded-for': ip })).status, 200, ip);
  for (const ip of ['198.51.101.1', '2001:db8::6', '10.0.0.1'])
    assert.is((await web.request('GET', '/setup', undefined, { 'x-forwarded-for': ip })).status, 403, ip);
  const ok = await web.post('/setup', setupForm(), { headers: { 'x-forwarded-for': '198.51.100.20' } });
  assert.is(ok.status, 303);
  assert.is((await listedDb.db.select().from(users)).length, 1);
});

const proxied = suite('host policy with PUBLIC_URL');
let proxiedDb: TestDatabase;
let proxiedApp: RunningApp;
proxied.before(async () => {
  proxiedDb = await testDatabase();
  await buildCompany(proxiedDb.db);
  proxiedApp = await startApp(proxiedDb.db, {
    settings: (s) => {
      s.publicUrl = 'https://cc.example.com';
      s.allowedHosts = ['cc.example.com', 'callcenter.lan'];
    },
  });
});
proxied.after(async () => {
  await proxiedApp.close();
  await proxiedDb.close();
});

proxied('only the listed names and loopback are answered', async () => {
  const port = new URL(proxiedApp.url).port;
  assert.is((await withHost(proxiedApp.url, 'GET', '/login', 'cc.example.com')).status, 200);
  assert.is((await withHost(proxiedApp.url, 'GET', '/login', 'CallCenter.LAN:8080')).status, 200);
  assert.is((await withHost(proxiedApp.url, 'GET', '/login', `127.0.0.1:${port}`)).status, 200);
  assert.is((await withHost(proxiedApp.url, 'GET', '/login', 'attacker.example')).status, 421);
  assert.is((await withHost(proxiedApp.url, 'GET', '/login', `192.0.2.10:${port}`)).status, 421);
  assert.is((await withHost(proxiedApp.url, 'GET', '/login', 'cc.example.com.attacker.example')).status, 421);
});

proxied(
  "a form from PUBLIC_URL's origin is accepted behind a proxy that passes another Host; another origin is not",
  async () => {
    const web = new WebClient(proxiedApp.url);
    const fromPublic = await web.login('rep.b', password);
    assert.is(fromPublic.status, 303);
    const page = await web.get('/account');
    assert.is(page.status, 200);
    const viaProxy = await web.post(
      '/locale',
      { locale: 'en', next: '/account' },
      { headers: { origin: 'https://cc.example.com' } },
    );
    assert.is(viaProxy.status, 303);
    const forged = await web.post(
      '/locale',
      { locale: 'en', next: '/account' },
      { headers: { origin: 'https://attacker.example' } },
    );
    assert.is(forged.status, 403);
    const httpOrigin = await web.post(
      '/locale',
      { locale: 'en', next: '/account' },
      { headers: { origin: 'http://cc.example.com' } },
    );
    assert.is(httpOrigin.status, 403);
  },
);

fresh.run();
listed.run();
proxied.run();
