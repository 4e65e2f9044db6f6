/**
 * For monitoring, without a login: `/healthz` (the process answers), `/readyz` (it can serve:
 * the database answers, and with telephony Asterisk is up and the CTI connected over ARI and
 * AMI, with the event log's backlog within its bound) and `/metrics` (Prometheus text; from
 * loopback, or from anywhere with `Authorization: Bearer <METRICS_TOKEN>`).
 */
import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import type { AppEnv } from '../env.ts';
import { isLoopback } from '../host-policy.ts';
import { sameToken } from '../http.ts';
import type { Metrics } from './metrics.ts';

/** Paths answered to anyone under any host name (web/middleware.ts lets them through). */
export const monitoringPaths = new Set(['/healthz', '/readyz', '/metrics']);

interface Check {
  ok: boolean;
  detail?: string;
  ms?: number;
}

async function timed(work: Promise<unknown>, timeoutMs: number): Promise<Check> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      work,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

export function opsRoutes(metrics: Metrics): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get('/healthz', (c) => c.json({ ok: true }));

  routes.get('/readyz', async (c) => {
    const { db, pbx, cti, settings } = c.get('deps');
    const checks: Record<string, Check> = { database: await timed(db.execute(sql`select 1`), 2000) };
    if (pbx && settings.pbx.mode !== 'off') {
      const status = pbx.status();
      const engine = cti?.calls() ?? null;
      checks.asterisk = { ok: status.state === 'up', detail: status.error ?? status.state };
      checks.ami = { ok: status.amiConnected };
      checks.ari = {
        ok: engine?.ari.connected ?? false,
        detail: engine ? undefined : 'the CTI is not connected yet',
      };
      const journal = engine?.log.state();
      checks.eventLog = {
        ok: !journal?.full,
        detail: journal
          ? `${journal.waiting} of at most ${journal.bound} event(s) waiting to be written, the oldest for ${journal.oldestSeconds} s`
          : undefined,
      };
    }
    const ready = Object.values(checks).every((check) => check.ok);
    return c.json({ ready, checks }, ready ? 200 : 503);
  });

  routes.get('/metrics', async (c) => {
    const token = c.get('deps').settings.metricsToken;
    const bearer = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1] ?? '';
    const allowed = isLoopback(c.get('ip')) || (token !== '' && sameToken(bearer, token));
    if (!allowed)
      return c.text('metrics are served to loopback, or with the METRICS_TOKEN bearer token\n', 403);
    c.header('Content-Type', metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });

  return routes;
}
