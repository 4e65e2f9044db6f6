/**
 * Health, readiness and metrics (issue 4/8, item 4): `/healthz` answers while the process runs,
 * `/readyz` says whether the database answers (503 when it does not), `/metrics` is Prometheus
 * text served to loopback or with the token, and its HTTP histogram moves with requests.
 */
import { pgProxy } from '../support/pg-proxy.ts';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openDatabase } from '../../db/client.ts';
import { type TestDatabase, testDatabase } from '../support/db.ts';
import { buildCompany } from '../support/fixtures.ts';
import { type RunningApp, startApp } from '../support/server.ts';

const test = suite('monitoring');
let db: TestDatabase;
let app: RunningApp;

test.before(async () => {
  db = await testDatabase();
  await buildCompany(db.db);
  app = await startApp(db.db, {
    settings: (s) => {
      s.trustedProxies = 1;
      s.metricsToken = 'scrape-token-0123456789';
      s.allowedHosts = ['cc.example.com'];
    },
  });
});
test.after(async () => {
  await app?.close();
  await db?.close();
});

/** Every line of a Prometheus text exposition is a comment or `name{labels} value`. */
function assertPrometheusText(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    // Go's ParseFloat, which Prometheus uses, takes NaN and Inf in any case (prom-client writes "Nan").
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/i.exec(line);
    assert.ok(m, `not Prometheus text: ${line}`);
    values.set(m![1]!, Number(m![2]));
  }
  return values;
}

test('/healthz and /readyz answer without a login, under any host name', async () => {
  const health = await fetch(`${app.url}/healthz`);
  assert.is(health.status, 200);
  assert.equal(await health.json(), { ok: true });
  const ready = await fetch(`${app.url}/readyz`);
  assert.is(ready.status, 200);
  const body = (await ready.json()) as {
    ready: boolean;
    checks: Record<string, { ok: boolean; ms?: number }>;
  };
  assert.is(body.ready, true);
  assert.is(body.checks.database?.ok, true);
  assert.type(body.checks.database?.ms, 'number');
});

test('/metrics is Prometheus text for loopback and the token, refused to others', async () => {
  for (let i = 0; i < 3; i++) await fetch(`${app.url}/login`);
  const local = await fetch(`${app.url}/metrics`);
  assert.is(local.status, 200);
  assert.match(local.headers.get('content-type') ?? '', 'text/plain');
  const values = assertPrometheusText(await local.text());
  assert.ok(
    (values.get('cc_http_request_duration_seconds_count{method="GET",route="/login",status="200"}') ?? 0) >=
      3,
    'the login page requests were timed',
  );
  assert.is(values.get('cc_calls_in_progress'), 0);
  assert.ok(values.has('cc_process_resident_memory_bytes'));
  // From another address (behind the trusted proxy): only with the token.
  const remote = { 'x-forwarded-for': '198.51.100.7' };
  assert.is((await fetch(`${app.url}/metrics`, { headers: remote })).status, 403);
  const wrong = await fetch(`${app.url}/metrics`, { headers: { ...remote, authorization: 'Bearer nope' } });
  assert.is(wrong.status, 403);
  const right = await fetch(`${app.url}/metrics`, {
    headers: { ...remote, authorization: 'Bearer scrape-token-0123456789' },
  });
  assert.is(right.status, 200);
  assertPrometheusText(await right.text());
});

test('/readyz turns not ready (503) when the database stops answering', async () => {
  const own = await testDatabase();
  const running = await startApp(own.db);
  try {
    assert.is((await fetch(`${running.url}/readyz`)).status, 200);
    await own.close();
    const down = await fetch(`${running.url}/readyz`);
    assert.is(down.status, 503);
    const body = (await down.json()) as {
      ready: boolean;
      checks: Record<string, { ok: boolean; detail?: string }>;
    };
    assert.is(body.ready, false);
    assert.is(body.checks.database?.ok, false);
    assert.ok(body.checks.database?.detail);
    // The process itself still answers.
    assert.is((await fetch(`${running.url}/healthz`)).status, 200);
  } finally {
    await running.close();
  }
});

test('/readyz follows a PostgreSQL server that goes away and comes back', async () => {
  const server = await testDatabase('postgres');
  // The application reaches PostgreSQL through a proxy the test can cut and restore.
  const proxy = await pgProxy(server.url!);
  const database = await openDatabase({ url: proxy.url });
  const running = await startApp(database.db);
  const readiness = async () => (await fetch(`${running.url}/readyz`)).status;
  try {
    assert.is(await readiness(), 200);
    await proxy.cut();
    assert.is(await readiness(), 503, 'not ready while PostgreSQL cannot be reached');
    await proxy.restore();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = await readiness();
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    assert.is(status, 200, 'ready again once PostgreSQL answers');
  } finally {
    await running.close();
    await database.close().catch(() => {});
    await proxy.close();
    await server.close();
  }
});

test.run();
