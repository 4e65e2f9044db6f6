/**
 * Prometheus metrics (prom-client): one registry per running application, read when scraped.
 * Gauges are taken from the live objects at scrape time (calls in progress, queues, agents,
 * Asterisk, registrations, trunks); counters and histograms are fed by hooks the CTI offers
 * (`AriClient.onRequest`, `CallLog.onWrite`) and by the HTTP middleware here.
 */
import { asc } from 'drizzle-orm';
import { createMiddleware } from 'hono/factory';
import { routePath } from 'hono/route';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { CallEngine } from '../../cti/calls/engine.ts';
import { trunks } from '../../db/schema.ts';
import { trunkStatuses } from '../../pbx/status.ts';
import type { AppDeps, AppEnv } from '../env.ts';

export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
}

const seconds = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function createMetrics(deps: AppDeps): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'cc_' });
  const engine = (): CallEngine | null => deps.cti?.calls() ?? null;
  const observed = new WeakSet<CallEngine>();
  const ariDuration = new Histogram({
    name: 'cc_ari_request_duration_seconds',
    help: 'ARI requests to Asterisk, by operation and status (0: no answer)',
    labelNames: ['operation', 'status'],
    buckets: seconds,
    registers: [registry],
  });
  const logWrite = new Histogram({
    name: 'cc_event_log_write_seconds',
    help: 'Writing one call event (and its projections) to the database',
    labelNames: ['ok'],
    buckets: seconds,
    registers: [registry],
  });
  /** Hooks into the engine as soon as the CTI has one (it connects after the web is up). */
  const observe = (e: CallEngine) => {
    if (observed.has(e)) return;
    observed.add(e);
    e.ari.onRequest = (operation, s, status) => ariDuration.observe({ operation, status: String(status) }, s);
    e.log.onWrite = (s, ok) => logWrite.observe({ ok: String(ok) }, s);
  };
  deps.cti?.onEngine(observe);
  new Gauge({
    name: 'cc_calls_in_progress',
    help: 'Calls in progress in the call engine',
    registers: [registry],
    collect() {
      this.set(engine()?.activeCalls().total ?? 0);
    },
  });
  new Counter({
    name: 'cc_calls_started_total',
    help: 'Calls started since the application started, by direction',
    labelNames: ['direction'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [direction, n] of engine()?.callsStarted() ?? []) this.inc({ direction }, n);
    },
  });
  new Gauge({
    name: 'cc_event_log_backlog',
    help: 'Call events appended and not yet written to the database',
    registers: [registry],
    collect() {
      this.set(engine()?.log.backlog ?? 0);
    },
  });
  new Gauge({
    name: 'cc_queue_waiting',
    help: 'Callers waiting per agent group',
    labelNames: ['group'],
    registers: [registry],
    collect() {
      this.reset();
      const floor = engine()?.floor;
      for (const g of floor?.groups() ?? []) this.set({ group: g.name }, floor?.queueNow(g.id).waiting ?? 0);
    },
  });
  new Gauge({
    name: 'cc_queue_longest_wait_seconds',
    help: 'The longest wait of a caller now waiting, per agent group',
    labelNames: ['group'],
    registers: [registry],
    collect() {
      this.reset();
      const floor = engine()?.floor;
      for (const g of floor?.groups() ?? [])
        this.set({ group: g.name }, floor?.queueNow(g.id).longestSeconds ?? 0);
    },
  });
  new Gauge({
    name: 'cc_agents',
    help: 'Agents logged in to the ACD, by state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [state, n] of engine()?.floor.agentStates() ?? []) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'cc_asterisk_up',
    help: 'Whether Asterisk is up (1) and the CTI connected to it over ARI and AMI',
    labelNames: ['part'],
    registers: [registry],
    collect() {
      const status = deps.pbx?.status();
      this.set({ part: 'asterisk' }, status?.state === 'up' ? 1 : 0);
      this.set({ part: 'ami' }, status?.amiConnected ? 1 : 0);
      this.set({ part: 'ari' }, engine()?.ari.connected ? 1 : 0);
    },
  });
  new Counter({
    name: 'cc_asterisk_restarts_total',
    help: 'Times the supervised Asterisk was started again after it stopped',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(deps.pbx?.status().process?.restarts ?? 0);
    },
  });
  new Gauge({
    name: 'cc_sip_registrations',
    help: "Agents' phones registered now",
    registers: [registry],
    collect() {
      const all = deps.pbx?.registrations()?.all() ?? [];
      this.set(all.filter((r) => /avail|reachable|registered/i.test(r.status)).length);
    },
  });
  new Gauge({
    name: 'cc_trunk_up',
    help: 'Per trunk: 1 when registered or reachable, 0 otherwise',
    labelNames: ['trunk', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      if (!deps.pbx) return;
      const rows = await deps.db.select().from(trunks).orderBy(asc(trunks.id));
      for (const t of (await trunkStatuses(deps.pbx, engine(), rows)).values())
        if (t.enabled)
          this.set({ trunk: t.name, state: t.state }, /^(registered|reachable|avail)/i.test(t.state) ? 1 : 0);
    },
  });
  const httpDuration = new Histogram({
    name: 'cc_http_request_duration_seconds',
    help: 'Web requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: seconds,
    registers: [registry],
  });
  return { registry, httpDuration };
}

/** Times every request, labelled with its route pattern (never the raw path: ids would explode the labels). */
export const timeRequests = (metrics: Metrics) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      // Live streams stay open for as long as the page; their duration says nothing.
      if (!c.res.headers.get('content-type')?.startsWith('text/event-stream'))
        metrics.httpDuration.observe(
          { method: c.req.method, route: routePath(c, -1) || 'unmatched', status: String(c.res.status) },
          (performance.now() - started) / 1000,
        );
    }
  });
