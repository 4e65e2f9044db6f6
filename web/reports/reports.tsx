/**
 * The historical reports (统计报表): a list of the reports the reader may open, and one page per
 * report with its filters (date range, granularity, group, agent or IVR), a chart next to the
 * table, a totals row, the definitions of its figures, and export as CSV or XLSX.
 */
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { requirePermission } from '../../core/access/actor.ts';
import { audit } from '../../core/audit/audit-log.ts';
import {
  granularities,
  type ReportKey,
  type ReportResult,
  parseReportParams,
  reportFilters,
  reportKeys,
  reports,
  runReport,
} from '../../cti/stats/reports.ts';
import { NotFoundError, ValidationError } from '../../core/errors.ts';
import { type AppEnv, type C, ctxOf } from '../env.ts';
import { type ExportFormat, exportTypes, writeRows } from '../exports.ts';
import { errorKey, type MessageKey } from '../i18n/index.ts';
import { Chart } from '../views/chart.tsx';
import { type PageView, pageView, renderPage } from '../views/page.tsx';
import { ChoiceFilter } from './filter.tsx';
import { columnHelp, columnLabel, entityLabel, formatValue, slotLabel } from './format.ts';

export const reportRoutes = new Hono<AppEnv>();

const isReportKey = (k: string): k is ReportKey => (reportKeys as readonly string[]).includes(k);

/** Reports whose rows are agents: the only ones a reader limited to their own records opens. */
const agentReports = reportKeys.filter((k) => reports[k].rows === 'agent');

reportRoutes.get('/', async (c) => {
  const ctx = ctxOf(c);
  requirePermission(ctx.actor, 'reports:view');
  const t = c.get('t');
  const { self, readsIvrs } = await reportFilters(ctx);
  const visible = (self ? agentReports : reportKeys).filter((k) => readsIvrs || reports[k].source !== 'ivr');
  return renderPage(c, { title: t('report.title') }, (pv) => (
    <section class="panel">
      <h1>{t('report.title')}</h1>
      <ul class="report-list">
        {visible.map((key) => (
          <li>
            <a href={`/reports/${key}`}>{t(`report.${key}` as MessageKey)}</a>
            <small>{t(`report.${key}.help` as MessageKey)}</small>
          </li>
        ))}
        {self ? null : (
          <>
            <li>
              <a href="/reports/staffing">{t('staffing.title')}</a>
              <small>{t('staffing.intro')}</small>
            </li>
            <li>
              <a href="/reports/rules">{t('rules.title')}</a>
              <small>{t('rules.intro')}</small>
            </li>
          </>
        )}
        {pv.actor?.grants.has('supervisor:view') ? (
          <li>
            <a href="/wallboard">{t('wallboard.title')}</a>
            <small>{t('wallboard.intro')}</small>
          </li>
        ) : null}
      </ul>
    </section>
  ));
});

function queryOf(c: C): Record<string, string | undefined> {
  return c.req.query();
}

function reportKeyOf(c: C): ReportKey {
  const key = c.req.param('key') ?? '';
  if (!isReportKey(key)) throw new NotFoundError();
  return key;
}

const rowKindLabel: Record<string, MessageKey> = {
  group: 'report.col.group',
  agent: 'report.col.agent',
  business: 'report.col.business',
  region: 'report.col.region',
  ivr_node: 'report.col.ivr_node',
};

/** Header and rows as shown (and exported): slot, row name, then every figure; the totals last. */
function tableOf(r: ReportResult, pv: PageView): { header: string[]; rows: string[][]; totals: string[] } {
  const { t, locale } = pv;
  const byEntity = r.def.rows !== 'time';
  const header = [
    t('report.col.slot'),
    ...(byEntity ? [t(rowKindLabel[r.def.rows] ?? 'report.col.slot')] : []),
    ...r.columns.map((col) => columnLabel(t, col)),
  ];
  const cells = (values: Record<string, number | null>) =>
    r.columns.map((col) => formatValue(col.unit, values[col.key] ?? null, locale, r.tz));
  const rows = r.rows.map((row) => [
    slotLabel(row.slot, r.params.granularity, r.tz, t),
    ...(byEntity ? [entityLabel(t, row.entity)] : []),
    ...cells(row.values),
  ]);
  const totals = [t('report.total'), ...(byEntity ? [''] : []), ...cells(r.totals)];
  return { header, rows, totals };
}

function ReportChart(props: { pv: PageView; r: ReportResult }) {
  const { pv, r } = props;
  const { t } = pv;
  const series = r.def.chart.series;
  const unit = r.columns.find((col) => col.key === series[0])?.unit ?? 'count';
  const format = (v: number) => formatValue(unit, v, pv.locale, r.tz);
  const name = (key: string) => {
    const col = r.columns.find((c) => c.key === key);
    return col ? columnLabel(t, col) : key;
  };
  if (r.def.rows === 'time') {
    return (
      <Chart
        kind={r.def.chart.kind}
        title={t(`report.${r.params.report}` as MessageKey)}
        labels={r.rows.map((row) => slotLabel(row.slot, r.params.granularity, r.tz, t))}
        series={series.map((key) => ({
          name: name(key),
          values: r.rows.map((row) => row.values[key] ?? null),
        }))}
        format={format}
      />
    );
  }
  return (
    <Chart
      kind="bar"
      title={t(`report.${r.params.report}` as MessageKey)}
      labels={r.entityTotals.map((e) => entityLabel(t, e.entity))}
      series={series.map((key) => ({
        name: name(key),
        values: r.entityTotals.map((e) => e.values[key] ?? null),
      }))}
      format={format}
    />
  );
}

reportRoutes.get('/:key', async (c) => {
  const key = reportKeyOf(c);
  const ctx = ctxOf(c);
  requirePermission(ctx.actor, 'reports:view');
  const t = c.get('t');
  const tz = ctxOf(c).timeZone;
  const params = parseReportParams(key, queryOf(c), new Date(), tz);
  const filters = await reportFilters(ctx);
  let result: ReportResult | null = null;
  let error: MessageKey | null = null;
  try {
    result = await runReport(ctx, params, tz);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const code = Object.values(err.fields)[0];
    error = code ? errorKey(code) : 'err.validation';
  }
  const def = reports[key];
  const base = `/reports/${key}`;
  const query = new URLSearchParams(
    Object.entries({
      from: params.from,
      to: params.to,
      granularity: params.granularity,
      group: params.groupId ? String(params.groupId) : '',
      agent: params.agentId ? String(params.agentId) : '',
      ivr: params.ivrId ? String(params.ivrId) : '',
    }).filter(([, v]) => v !== ''),
  ).toString();
  const swap = {
    'hx-target': '#report',
    'hx-select': '#report',
    'hx-swap': 'outerHTML',
    'hx-push-url': 'true',
  };
  const allowed = granularities.filter((g) => !(def.finest === 'day' && (g === '15m' || g === 'hour')));
  return renderPage(c, { title: t(`report.${key}` as MessageKey), status: error ? 422 : 200 }, (pv) => {
    const table = result ? tableOf(result, pv) : null;
    return (
      <section class="panel report" id="report">
        <div class="panel-head">
          <h1>{t(`report.${key}` as MessageKey)}</h1>
          {result && pv.actor?.grants.has('reports:export') ? (
            <div class="report-export">
              <a class="button" href={`${base}/export?${query}&format=csv`} download>
                {t('report.export_csv')}
              </a>{' '}
              <a class="button" href={`${base}/export?${query}&format=xlsx`} download>
                {t('report.export_xlsx')}
              </a>
            </div>
          ) : null}
        </div>
        <p class="hint">{t(`report.${key}.help` as MessageKey)}</p>
        <form class="dt-filters report-filters" method="get" action={base} hx-get={base} {...swap}>
          <label class="dt-filter">
            <span>{t('report.from')}</span>
            <input type="date" name="from" value={params.from} required />
          </label>
          <label class="dt-filter">
            <span>{t('report.to')}</span>
            <input type="date" name="to" value={params.to} required />
          </label>
          <ChoiceFilter
            label={t('report.granularity')}
            name="granularity"
            options={allowed.map((g) => ({ value: g, label: t(`report.granularity.${g}` as MessageKey) }))}
            selected={params.granularity}
          />
          {filters.self || def.source === 'ivr' ? null : (
            <ChoiceFilter
              label={t('report.col.group')}
              name="group"
              options={filters.groups.map((g) => ({ value: g.id, label: g.name }))}
              selected={params.groupId}
              all={t('common.all')}
            />
          )}
          {(def.rows === 'agent' || def.source === 'mix') && !filters.self ? (
            <ChoiceFilter
              label={t('report.col.agent')}
              name="agent"
              options={filters.agents.map((a) => ({ value: a.id, label: a.name }))}
              selected={params.agentId}
              all={t('common.all')}
            />
          ) : null}
          {def.source === 'ivr' ? (
            <ChoiceFilter
              label={t('report.col.ivr')}
              name="ivr"
              options={filters.ivrs.map((i) => ({ value: i.id, label: i.name }))}
              selected={params.ivrId}
              all={t('common.all')}
            />
          ) : null}
          <button type="submit" class="primary">
            {t('report.run')}
          </button>
        </form>
        {error ? (
          <p class="form-error" role="alert">
            {t(error)}
          </p>
        ) : null}
        {result && table ? (
          <>
            {result.rows.length > 0 ? <ReportChart pv={pv} r={result} /> : null}
            <div class="dt-scroll">
              <table class="data report-table">
                <thead>
                  <tr>
                    {table.header.map((h, i) => {
                      const col = result.columns[i - (table.header.length - result.columns.length)];
                      return <th title={col ? columnHelp(t, col) : undefined}>{h}</th>;
                    })}
                  </tr>
                </thead>
                <tbody>
                  {table.rows.length === 0 ? (
                    <tr>
                      <td class="dt-empty" colspan={table.header.length}>
                        {t('report.empty')}
                      </td>
                    </tr>
                  ) : (
                    table.rows.map((row) => (
                      <tr>
                        {row.map((cell) => (
                          <td>{cell}</td>
                        ))}
                      </tr>
                    ))
                  )}
                </tbody>
                <tfoot>
                  <tr class="totals">
                    {table.totals.map((cell) => (
                      <td>{cell}</td>
                    ))}
                  </tr>
                </tfoot>
              </table>
            </div>
            <details class="kpi-help">
              <summary>{t('report.definitions')}</summary>
              <dl>
                {result.columns.map((col) => (
                  <>
                    <dt>{columnLabel(t, col)}</dt>
                    <dd>{columnHelp(t, col)}</dd>
                  </>
                ))}
              </dl>
            </details>
          </>
        ) : null}
      </section>
    );
  });
});

reportRoutes.get('/:key/export', async (c) => {
  const key = reportKeyOf(c);
  const ctx = ctxOf(c);
  requirePermission(ctx.actor, 'reports:export');
  const tz = ctxOf(c).timeZone;
  const params = parseReportParams(key, queryOf(c), new Date(), tz);
  const result = await runReport(ctx, params, tz);
  const format: ExportFormat = c.req.query('format') === 'xlsx' ? 'xlsx' : 'csv';
  await audit(ctx, {
    action: 'data.exported',
    targetType: 'report',
    targetId: key,
    detail: { ...params },
  });
  const t = c.get('t');
  const table = tableOf(result, pageView(c));
  const name = `${t(`report.${key}` as MessageKey)} ${params.from}–${params.to}`;
  c.header('Content-Type', exportTypes[format]);
  c.header(
    'Content-Disposition',
    `attachment; filename="report-${key}-${params.from}-${params.to}.${format}"; filename*=UTF-8''${encodeURIComponent(`${name}.${format}`)}`,
  );
  return stream(c, (out) =>
    writeRows(
      format,
      name,
      table.header,
      [...table.rows, table.totals],
      async (chunk) => void (await out.write(chunk)),
    ),
  );
});
