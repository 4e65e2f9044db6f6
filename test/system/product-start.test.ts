/**
 * The product as an operator starts it: `node main.ts` with no DATABASE_URL uses the
 * embedded database under the data directory, prints its URL and serves the login flow;
 * data survives a restart. With DATABASE_URL it uses the PostgreSQL server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { WebClient } from '../support/client.ts';
import { adminUrl } from '../support/db.ts';
import { killProducts, startProduct, stopProduct } from '../support/product.ts';

const test = suite('product start');
const dataDir = mkdtempSync(join(tmpdir(), 'cc-data-'));
const start = (env: Record<string, string>) => startProduct({ DATA_DIR: dataDir, ...env });
const stop = stopProduct;

test.after(() => {
  killProducts();
  rmSync(dataDir, { recursive: true, force: true });
});

test('with no DATABASE_URL it runs on the embedded database, and data survives a restart', async () => {
  const first = await start({});
  assert.match(first.log(), `[db] embedded PostgreSQL in ${join(dataDir, 'db')}`);
  // While no owner exists the log offers setup from another computer with a one-time key.
  for (let i = 0; i < 50 && !first.log().includes('/setup?key='); i++)
    await new Promise((r) => setTimeout(r, 100));
  const link = /First-run setup from another computer: (\S+)/.exec(first.log())?.[1] ?? '';
  assert.match(link, /\/setup\?key=[\w-]{40,}$/);
  const web = new WebClient(first.url);
  const setup = await web.get('/setup');
  assert.is(setup.status, 200);
  const done = await web.post('/setup', {
    company: 'Acme',
    name: 'Olivia',
    username: 'owner',
    password: 'Correct-horse-42',
    confirm: 'Correct-horse-42',
  });
  assert.is(done.status, 303);
  await stop(first.proc);

  const second = await start({});
  const again = new WebClient(second.url);
  assert.match((await again.get('/')).location ?? '', /^\/login/, 'setup is not offered again');
  assert.not.match(second.log(), '/setup?key=');
  const login = await again.login('owner', 'Correct-horse-42');
  assert.is(login.status, 303);
  assert.match((await again.get('/')).text, 'Welcome, Olivia');
  await stop(second.proc);
});

test('with DATABASE_URL it uses the PostgreSQL server and applies the migrations', async () => {
  const name = `cc_start_${process.pid}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  try {
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const app = await start({ DATABASE_URL: url.toString() });
    assert.match(app.log(), '[db] PostgreSQL from DATABASE_URL');
    assert.is((await new WebClient(app.url).get('/setup')).status, 200);
    await stop(app.proc);
    const db = postgres(url.toString(), { max: 1 });
    const tables = await db`select table_name from information_schema.tables where table_schema = 'public'`;
    await db.end();
    assert.ok(tables.some((t) => t.table_name === 'users'));
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
});

test.run();
