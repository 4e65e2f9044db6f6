/** The IVR reception log (IVR 接待记录): who came through which IVR, the keys they pressed, where they went. */
import { Hono } from 'hono';
import { listIvrs } from '../../cti/ivr/ivrs.ts';
import { ivrOutcomes, type ReceptionRow, receptionListing } from '../../cti/ivr/reception-log.ts';
import { type IvrStep, keysOf } from '../../cti/call-log/ivr-session.ts';
import { type AppEnv, type C, ctxOf } from '../env.ts';
import type { MessageKey } from '../i18n/index.ts';
import { DataTable, exportRoutes, loadTable, type TableSpec } from '../table.tsx';
import { formatDuration, formatTime } from '../views/format.ts';
import { renderPage } from '../views/page.tsx';

export const ivrLogRoutes = new Hono<AppEnv>();

const outcomeLabel = (o: string) => `ivr.outcome.${o}` as MessageKey;

async function tableSpec(c: C): Promise<TableSpec<ReceptionRow>> {
  const t = c.get('t');
  const ivrList = await listIvrs(ctxOf(c));
  return {
    id: 'ivr-log',
    filters: [
      { key: 'q', label: 'ivrlog.caller', kind: 'text' },
      { key: 'from', label: 'call.from_date', kind: 'date' },
      { key: 'to', label: 'call.to_date', kind: 'date' },
      {
        key: 'ivr',
        label: 'ivrlog.ivr',
        kind: 'select',
        options: ivrList.map((i) => ({ value: String(i.id), label: i.name })),
      },
      {
        key: 'outcome',
        label: 'ivrlog.outcome',
        kind: 'select',
        options: ivrOutcomes.map((o) => ({ value: o, label: t(outcomeLabel(o)) })),
      },
      { key: 'region', label: 'ivrlog.region', kind: 'text' },
    ],
    columns: [
      {
        key: 'enteredAt',
        label: 'ivrlog.entered',
        sort: 'enteredAt',
        cell: (r, pv) => (
          <a href={`/calls/${encodeURIComponent(r.s.callId)}`}>{formatTime(r.s.enteredAt, pv.locale)}</a>
        ),
        csv: (r) => r.s.enteredAt,
      },
      { key: 'hotline', label: 'ivrlog.hotline', cell: (r) => r.hotlineName ?? '' },
      { key: 'ivr', label: 'ivrlog.ivr', cell: (r) => r.ivrName ?? '' },
      { key: 'caller', label: 'ivrlog.caller', cell: (r) => r.s.fromNumber },
      { key: 'region', label: 'ivrlog.region', cell: (r) => r.s.region },
      { key: 'keys', label: 'ivrlog.keys', cell: (r) => keysOf(r.s.path as IvrStep[]) },
      {
        key: 'path',
        label: 'ivrlog.path',
        cell: (r) =>
          (r.s.path as IvrStep[])
            .filter((s) => s.name || s.note)
            .map((s) => s.name ?? s.note)
            .join(' › '),
        hiddenByDefault: true,
      },
      {
        key: 'collected',
        label: 'ivrlog.collected',
        cell: (r) =>
          Object.entries(r.s.collected)
            .map(([k, v]) => `${k}=${v}`)
            .join(', '),
      },
      { key: 'outcome', label: 'ivrlog.outcome', cell: (r, pv) => pv.t(outcomeLabel(r.s.outcome)) },
      {
        key: 'duration',
        label: 'ivrlog.duration',
        cell: (r) =>
          r.s.leftAt ? formatDuration((r.s.leftAt.getTime() - r.s.enteredAt.getTime()) / 1000) : '',
      },
    ],
    exportPermission: 'calls:export',
  };
}

ivrLogRoutes.get('/', async (c) => {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const data = await loadTable(c, await tableSpec(c), '/calls/ivr', (q) => receptionListing(ctx, q));
  return renderPage(c, { title: t('ivrlog.title') }, (pv) => (
    <section class="panel">
      <h1>{t('ivrlog.title')}</h1>
      <DataTable pv={pv} data={data} />
    </section>
  ));
});

exportRoutes(ivrLogRoutes, tableSpec, (c, q) => receptionListing(ctxOf(c), q));
