/**
 * One instance per data directory, and private files (issue 4/8, item 1): a second `main.ts`
 * on the same data directory is refused with the first one's PID while the first keeps working;
 * a SIGKILLed instance leaves no stale lock; files an older release left open to others are
 * made private at start, and new ones are created private.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { knownMigrations } from '../../db/client.ts';
import { WebClient } from '../support/client.ts';
import { killProducts, spawnMain, startProduct, stopProduct } from '../support/product.ts';

const test = suite('data directory');
const dataDir = mkdtempSync(join(tmpdir(), 'cc-data-'));

test.after(() => {
  killProducts();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Runs main.ts to its end (a refused start), with its output. */
function runToEnd(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const { proc, log } = spawnMain(env);
  const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out: log() });
    }),
  );
}

/** Entries under `dir` that others than the owner may read, write or enter. */
function openToOthers(dir: string): string[] {
  const out: string[] = [];
  const visit = (path: string) => {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return;
    if ((st.mode & 0o077) !== 0) out.push(`${path} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(dir);
  return out;
}

test('files an older release left open are made private at start; nothing in the directory is reachable by another user', async () => {
  // As an older release left it: a world-writable database file and folder.
  mkdirSync(join(dataDir, 'recordings', '2026'), { recursive: true, mode: 0o777 });
  writeFileSync(join(dataDir, 'recordings', '2026', 'old.wav'), 'RIFF', { mode: 0o666 });
  chmodSync(join(dataDir, 'recordings', '2026'), 0o777);
  chmodSync(join(dataDir, 'recordings', '2026', 'old.wav'), 0o666);
  chmodSync(dataDir, 0o755);
  const app = await startProduct({ DATA_DIR: dataDir });
  assert.match(app.log(), /\[data\] \d+ file\(s\) and folder\(s\) made private/);
  const setup = new WebClient(app.url);
  await setup.get('/setup');
  await setup.post('/setup', {
    company: 'Acme',
    name: 'Olivia',
    username: 'owner',
    password: 'Correct-horse-42',
    confirm: 'Correct-horse-42',
  });
  await stopProduct(app.proc);
  assert.ok(readdirSync(join(dataDir, 'db')).length > 10, 'the embedded database was written');
  // The directory itself is the owner's alone, so nothing in it is reachable by anyone else,
  // whatever mode the embedded database gives the files it adds while running …
  assert.is(lstatSync(dataDir).mode & 0o777, 0o700);
  const otherUser = spawnSync(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', 'cat', join(dataDir, 'db', 'PG_VERSION')],
    {
      encoding: 'utf8',
    },
  );
  assert.is.not(otherUser.status, 0);
  assert.match(otherUser.stderr, 'Permission denied');
  // … and at the next start every file is made private too.
  const again = await startProduct({ DATA_DIR: dataDir });
  await stopProduct(again.proc);
  assert.equal(
    openToOthers(dataDir).filter((e) => !e.includes('/db/')),
    [],
  );
  assert.is(lstatSync(join(dataDir, 'recordings', '2026', 'old.wav')).mode & 0o777, 0o600);
});

test('a second instance on the same data directory is refused, naming the first; the first keeps working', async () => {
  const first = await startProduct({ DATA_DIR: dataDir });
  const second = await runToEnd({ DATA_DIR: dataDir });
  assert.is(second.code, 1, second.out);
  assert.match(second.out, `the data directory ${dataDir} is in use by process ${first.proc.pid}`);
  assert.not.match(second.out, 'Call center is up');
  const web = new WebClient(first.url);
  assert.is((await web.login('owner', 'Correct-horse-42')).status, 303);
  assert.match((await web.get('/')).text, 'Welcome, Olivia');
  await stopProduct(first.proc);
});

test('an instance killed with SIGKILL leaves no stale lock: the next one starts at once', async () => {
  const first = await startProduct({ DATA_DIR: dataDir });
  const exited = new Promise((r) => first.proc.once('exit', r));
  first.proc.kill('SIGKILL');
  await exited;
  const started = Date.now();
  const next = await startProduct({ DATA_DIR: dataDir });
  assert.ok(Date.now() - started < 20_000);
  assert.is((await new WebClient(next.url).login('owner', 'Correct-horse-42')).status, 303);
  await stopProduct(next.proc);
});

test('a database migrated by a newer release is refused with a clear line, and left as it is', async () => {
  const client = await PGlite.create(join(dataDir, 'db'));
  const newest = knownMigrations().at(-1)!;
  await client.query('insert into drizzle.__drizzle_migrations (hash, created_at) values ($1, $2)', [
    'from-a-newer-release',
    newest.when + 1000,
  ]);
  await client.close();
  const refused = await runToEnd({ DATA_DIR: dataDir });
  assert.is(refused.code, 1, refused.out);
  assert.match(
    refused.out,
    `[main] cannot start: the embedded database in ${join(dataDir, 'db')} cannot be opened: the database was migrated by a newer release (its schema is past ${newest.tag}`,
  );
  assert.not.match(refused.out, '    at ');
  const after = await PGlite.create(join(dataDir, 'db'));
  const rows = await after.query<{ n: number }>(
    'select count(*)::int as n from drizzle.__drizzle_migrations',
  );
  await after.close();
  assert.is(rows.rows[0]?.n, knownMigrations().length + 1, 'nothing was migrated or removed');
});

test('logs are JSON lines when not on a terminal: time, level, component; an access log without query strings', async () => {
  const fresh = mkdtempSync(join(tmpdir(), 'cc-data-'));
  const { proc, stdout } = spawnMain({ DATA_DIR: fresh, LOG_FORMAT: '' });
  try {
    const deadline = Date.now() + 60_000;
    let url = '';
    while (!url && Date.now() < deadline) {
      url = /Call center is up: open (http:\/\/[^\s"]+?)\/?"/.exec(stdout())?.[1] ?? '';
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(url, stdout());
    await fetch(`${url}/setup?key=secret-looking-value`);
    await new Promise((r) => setTimeout(r, 300));
    const out = stdout();
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const line of lines) {
      assert.type(line.time, 'string');
      assert.type(line.level, 'number');
      assert.type(line.component, 'string');
      assert.type(line.msg, 'string');
    }
    assert.ok(lines.some((l) => l.component === 'db' && String(l.msg).startsWith('schema at')));
    const access = lines.find((l) => l.component === 'http' && l.path === '/setup');
    assert.ok(access, out);
    assert.is(access!.status, 200);
    assert.is(access!.method, 'GET');
    assert.not.match(out, 'secret-looking-value');
  } finally {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
    rmSync(fresh, { recursive: true, force: true });
  }
});

test('the version and the schema are printed at start', async () => {
  const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  const fresh = mkdtempSync(join(tmpdir(), 'cc-data-'));
  try {
    const app = await startProduct({ DATA_DIR: fresh });
    await stopProduct(app.proc);
    assert.match(app.log(), `[main] callcenter ${version} (Node.js ${process.version}`);
    assert.match(
      app.log(),
      `[db] schema at ${knownMigrations().at(-1)!.tag}; migrations applied now: 0000_foundation,`,
    );
    const again = await startProduct({ DATA_DIR: fresh });
    await stopProduct(again.proc);
    assert.match(again.log(), '(no migration needed)');
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
});

test.run();
