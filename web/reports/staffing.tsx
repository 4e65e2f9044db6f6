/**
 * The staffing calculator page: per interval of a day, the agents Erlang C says were needed for
 * the target service level next to the agents who were available and the service level reached.
 */
import { Hono } from 'hono';
import { requirePermission } from '../../core/access/actor.ts';
import { reportFilters } from '../../cti/stats/reports.ts';
import { statsRules } from '../../cti/stats/rules.ts';
import { parseStaffingParams, type StaffingParams, staffingPlan } from '../../cti/stats/staffing.ts';
import { ValidationError } from '../../core/errors.ts';
import type { AppEnv } from '../env.ts';
import { ctxOf } from '../env.ts';
import { errorKey, type MessageKey } from '../i18n/index.ts';
import { Chart } from '../views/chart.tsx';
import { formatDuration } from '../views/format.ts';
import { renderPage } from '../views/page.tsx';
import { ChoiceFilter } from './filter.tsx';
import { formatValue, slotLabel } from './format.ts';

export const staffingRoutes = new Hono<AppEnv>();

staffingRoutes.get('/', async (c) => {
  const ctx = ctxOf(c);
  requirePermission(ctx.actor, 'reports:view');
  const t = c.get('t');
  const tz = ctxOf(c).timeZone;
  const rules = await statsRules(ctx.db);
  const today = new Intl.DateTimeFormat('sv-SE', { timeZone: tz }).format(new Date());
  const q = c.req.query();
  let params: StaffingParams | null = null;
  let error: MessageKey | null = null;
  let plan: Awaited<ReturnType<typeof staffingPlan>> | null = null;
  try {
    params = parseStaffingParams(q, { date: today, thresholdSeconds: rules.serviceLevelSeconds });
    plan = await staffingPlan(ctx, params, tz);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const code = Object.values(err.fields)[0];
    error = code ? errorKey(code) : 'err.validation';
  }
  const filters = await reportFilters(ctx);
  const shown = {
    date: params?.date ?? q.date ?? today,
    granularity: params?.granularity ?? 'hour',
    group: params?.groupId ?? null,
    target: q.target ?? '80',
    threshold: q.threshold ?? String(rules.serviceLevelSeconds),
    shrinkage: q.shrinkage ?? '0',
  };
  const swap = {
    'hx-target': '#staffing',
    'hx-select': '#staffing',
    'hx-swap': 'outerHTML',
    'hx-push-url': 'true',
  };
  const pct = (v: number | null) => formatValue('percent', v, c.get('locale'), tz);
  return renderPage(c, { title: t('staffing.title'), status: error ? 422 : 200 }, () => (
    <section class="panel report" id="staffing">
      <h1>{t('staffing.title')}</h1>
      <p class="hint">{t('staffing.intro')}</p>
      <form
        class="dt-filters report-filters"
        method="get"
        action="/reports/staffing"
        hx-get="/reports/staffing"
        {...swap}
      >
        <label class="dt-filter">
          <span>{t('staffing.date')}</span>
          <input type="date" name="date" value={shown.date} required />
        </label>
        <ChoiceFilter
          label={t('report.granularity')}
          name="granularity"
          options={(['15m', 'hour'] as const).map((g) => ({ value: g, label: t(`report.granularity.${g}`) }))}
          selected={shown.granularity}
        />
        <ChoiceFilter
          label={t('report.col.group')}
          name="group"
          options={filters.groups.map((g) => ({ value: g.id, label: g.name }))}
          selected={shown.group}
          all={t('common.all')}
        />
        <label class="dt-filter">
          <span>{t('staffing.target')}</span>
          <input type="number" name="target" min="1" max="99" value={shown.target} />
        </label>
        <label class="dt-filter">
          <span>{t('staffing.threshold')}</span>
          <input type="number" name="threshold" min="1" max="600" value={shown.threshold} />
        </label>
        <label class="dt-filter">
          <span>{t('staffing.shrinkage')}</span>
          <input type="number" name="shrinkage" min="0" max="90" value={shown.shrinkage} />
        </label>
        <button type="submit" class="primary">
          {t('report.run')}
        </button>
      </form>
      {error ? (
        <p class="form-error" role="alert">
          {t(error)}
        </p>
      ) : null}
      {plan && params ? (
        <>
          {plan.intervals.length > 0 ? (
            <Chart
              kind="line"
              title={t('staffing.title')}
              labels={plan.intervals.map((i) => slotLabel(i.slot, params.granularity, tz, t).slice(11))}
              series={[
                { name: t('staffing.needed'), values: plan.intervals.map((i) => i.needed.agents) },
                { name: t('staffing.staffed'), values: plan.intervals.map((i) => i.staffed) },
              ]}
              format={(v) => (Number.isInteger(v) ? String(v) : v.toFixed(1))}
            />
          ) : null}
          <div class="dt-scroll">
            <table class="data report-table staffing-table">
              <thead>
                <tr>
                  <th>{t('report.col.slot')}</th>
                  <th title={t('kpi.offered.help')}>{t('kpi.offered')}</th>
                  <th title={t('kpi.aht.help')}>{t('kpi.aht')}</th>
                  <th title={t('staffing.traffic.help')}>{t('staffing.traffic')}</th>
                  <th title={t('staffing.needed.help')}>{t('staffing.needed')}</th>
                  <th title={t('staffing.scheduled.help')}>{t('staffing.scheduled')}</th>
                  <th>{t('staffing.expected_sl')}</th>
                  <th>{t('staffing.expected_asa')}</th>
                  <th>{t('staffing.expected_occupancy')}</th>
                  <th title={t('staffing.staffed.help')}>{t('staffing.staffed')}</th>
                  <th>{t('staffing.gap')}</th>
                  <th title={t('kpi.service_level.help')}>{t('staffing.actual_sl')}</th>
                </tr>
              </thead>
              <tbody>
                {plan.intervals.length === 0 ? (
                  <tr>
                    <td class="dt-empty" colspan={12}>
                      {t('report.empty')}
                    </td>
                  </tr>
                ) : (
                  plan.intervals.map((i) => {
                    const gap = i.staffed - i.needed.agents;
                    return (
                      <tr data-slot={i.slot.toISOString()}>
                        <td>{slotLabel(i.slot, params.granularity, tz, t)}</td>
                        <td>{i.offered}</td>
                        <td>
                          {i.ahtSeconds === null
                            ? plan.dayAht === null
                              ? '—'
                              : `(${formatDuration(plan.dayAht)})`
                            : formatDuration(i.ahtSeconds)}
                        </td>
                        <td>{i.needed.trafficErlangs.toFixed(2)}</td>
                        <td data-col="needed">{i.needed.agents}</td>
                        <td>{i.needed.scheduled}</td>
                        <td>{i.offered > 0 ? pct(i.needed.serviceLevel) : '—'}</td>
                        <td>{i.offered > 0 ? formatDuration(i.needed.asaSeconds) : '—'}</td>
                        <td>{i.offered > 0 ? pct(i.needed.occupancy) : '—'}</td>
                        <td data-col="staffed">{i.staffed.toFixed(1)}</td>
                        <td class={gap < -0.05 ? 'bad' : 'good'}>{(gap > 0 ? '+' : '') + gap.toFixed(1)}</td>
                        <td>{pct(i.serviceLevel)}</td>
                      </tr>
                    );
                  })
                )}
              </tbody>
            </table>
          </div>
          <p class="hint">{t('staffing.assumptions')}</p>
        </>
      ) : null}
    </section>
  ));
});
