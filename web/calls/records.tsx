/**
 * Call records (通话记录): the list within the reader's data scope, one call with its timeline
 * from the event log, its recording in a seekable player with download (mixed, or one party),
 * and the recording retention setting (retention.tsx).
 */
import { Hono } from 'hono';
import { can } from '../../core/access/actor.ts';
import {
  type CallRow,
  type CallView,
  callListing,
  invalidCallFilters,
} from '../../cti/call-log/call-records.ts';
import { type AppEnv, type C, ctxOf } from '../env.ts';
import { tableSpec, viewBase, viewTitle } from './columns.tsx';
import { callDetailRoutes } from './detail.tsx';
import { retentionRoutes } from './retention.tsx';
import { DataTable, exportRoutes, loadTable, type TableSpec } from '../table.tsx';
import { type PageView, renderPage } from '../views/page.tsx';

export const callRoutes = new Hono<AppEnv>();

/** The tabs between the call lists. */
function ViewTabs({ pv, view }: { pv: PageView; view: CallView }) {
  return (
    <nav class="call-views" aria-label={pv.t('call.views')}>
      {(['all', 'inbound', 'outbound'] as const).map((v) => (
        <a
          class={v === view ? 'button primary' : 'button'}
          href={viewBase[v]}
          aria-current={v === view ? 'page' : undefined}
        >
          {pv.t(v === 'all' ? 'call.all_calls' : viewTitle[v])}
        </a>
      ))}
    </nav>
  );
}

/** Names the filters whose value was not understood (they are not applied), inside the table so live filtering updates it. */
function InvalidFilters({ pv, spec, keys }: { pv: PageView; spec: TableSpec<CallRow>; keys: string[] }) {
  if (keys.length === 0) return null;
  const labels = spec.filters.filter((f) => keys.includes(f.key)).map((f) => pv.t(f.label));
  return (
    <p class="notice" role="alert" data-invalid-filters={keys.join(' ')}>
      {pv.t('call.filter_invalid', { filters: labels.join(', ') })}
    </p>
  );
}

function listPage(view: CallView) {
  return async (c: C) => {
    const ctx = ctxOf(c);
    const t = c.get('t');
    const spec = await tableSpec(c, view);
    const data = await loadTable(c, spec, viewBase[view], (q) => callListing(ctx, q, view));
    const invalid = invalidCallFilters(data.query.filters);
    return renderPage(c, { title: t(viewTitle[view]) }, (pv) => (
      <section class="panel">
        <div class="panel-head">
          <h1>{t(viewTitle[view])}</h1>
          {can(ctx.actor, 'callcenter:edit') ? (
            <a class="button" href="/calls/retention">
              {t('call.retention')}
            </a>
          ) : null}
        </div>
        <ViewTabs pv={pv} view={view} />
        <DataTable pv={pv} data={data} toolbar={<InvalidFilters pv={pv} spec={spec} keys={invalid} />} />
      </section>
    ));
  };
}

callRoutes.get('/', listPage('all'));
exportRoutes(
  callRoutes,
  (c) => tableSpec(c, 'all'),
  (c, q) => callListing(ctxOf(c), q, 'all', 'calls:export'),
);

/** The inbound (呼入通话记录) and outbound (呼出通话记录) lists, mounted at /calls/inbound and /calls/outbound. */
function directionRoutes(view: 'inbound' | 'outbound') {
  const routes = new Hono<AppEnv>();
  routes.get('/', listPage(view));
  exportRoutes(
    routes,
    (c) => tableSpec(c, view),
    (c, q) => callListing(ctxOf(c), q, view, 'calls:export'),
  );
  return routes;
}
export const inboundCallRoutes = directionRoutes('inbound');
export const outboundCallRoutes = directionRoutes('outbound');

callRoutes.route('/retention', retentionRoutes);

// One call and its recording (after /retention, so that it is not taken for a call id).
callRoutes.route('/', callDetailRoutes);
