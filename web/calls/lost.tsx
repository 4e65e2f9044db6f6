/**
 * Lost calls (呼损列表, 3.8.4): inbound calls nobody answered — abandoned in the IVR, in a queue
 * or while an agent's phone rang, unserved by a queue, or left with a callback request — with
 * whether someone has called the number back since, and a button to call back now (the
 * agent's phone rings first, then the caller).
 */
import { Hono } from 'hono';
import { can } from '../../core/access/actor.ts';
import { lostDispositions } from '../../cti/call-log/outcomes.ts';
import { lostCallGroups, lostCallListing, type LostRow } from '../../cti/supervision/floor.ts';
import { type AppEnv, type C, ctxOf } from '../env.ts';
import type { MessageKey } from '../i18n/index.ts';
import { DataTable, exportRoutes, loadTable, type TableSpec } from '../table.tsx';
import { formatDuration, formatTime } from '../views/format.ts';
import { renderPage } from '../views/page.tsx';
import { PostButton } from '../views/form.tsx';

export const lostCallRoutes = new Hono<AppEnv>();

/** Where the call was lost, in words: the disposition, and for abandoned calls where. */
const lostReason = (r: LostRow) =>
  (r.r.disposition === 'abandoned' && r.r.reason
    ? `lost.reason.${r.r.reason}`
    : `call.disposition.${r.r.disposition}`) as MessageKey;

async function spec(c: C): Promise<TableSpec<LostRow>> {
  const t = c.get('t');
  const groups = await lostCallGroups(ctxOf(c));
  return {
    id: 'lost-calls',
    filters: [
      { key: 'q', label: 'lost.caller', kind: 'text' },
      { key: 'from', label: 'call.from_date', kind: 'date' },
      { key: 'to', label: 'call.to_date', kind: 'date' },
      {
        key: 'reason',
        label: 'lost.reason',
        kind: 'select',
        options: lostDispositions.map((d) => ({ value: d, label: t(`call.disposition.${d}` as MessageKey) })),
      },
      {
        key: 'group',
        label: 'lost.group',
        kind: 'select',
        options: groups.map((g) => ({ value: String(g.id), label: g.name })),
      },
      {
        key: 'status',
        label: 'lost.status',
        kind: 'select',
        options: [
          { value: 'open', label: t('lost.open') },
          { value: 'called_back', label: t('lost.called_back') },
        ],
      },
    ],
    columns: [
      {
        key: 'startedAt',
        label: 'lost.time',
        sort: 'startedAt',
        cell: (r, pv) => (
          <a href={`/calls/${encodeURIComponent(r.r.callId)}`}>{formatTime(r.r.startedAt, pv.locale)}</a>
        ),
        csv: (r) => r.r.startedAt,
      },
      { key: 'caller', label: 'lost.caller', cell: (r) => r.r.fromNumber },
      { key: 'region', label: 'lost.region', cell: (r) => r.r.region },
      { key: 'number', label: 'lost.dialled', cell: (r) => r.numberLabel || r.r.toNumber },
      { key: 'group', label: 'lost.group', cell: (r) => r.groupName ?? '' },
      { key: 'reason', label: 'lost.reason', cell: (r, pv) => pv.t(lostReason(r)) },
      {
        key: 'waited',
        label: 'lost.waited',
        cell: (r) => formatDuration(r.r.queueSeconds + r.r.ringSeconds),
      },
      {
        key: 'status',
        label: 'lost.status',
        cell: (r, pv) =>
          r.calledBackAt
            ? pv.t('lost.called_back_at', { time: formatTime(new Date(r.calledBackAt), pv.locale) })
            : pv.t('lost.open'),
      },
    ],
    rowActions: (r, pv) =>
      pv.actor && can(pv.actor, 'desk:use') ? (
        <PostButton
          pv={pv}
          action="/desk/phone/call"
          label="lost.call_back"
          fields={{ number: r.r.fromNumber, back: '/calls/lost' }}
        />
      ) : null,
    exportPermission: 'calls:export',
  };
}

lostCallRoutes.get('/', async (c) => {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const data = await loadTable(c, await spec(c), '/calls/lost', (q) => lostCallListing(ctx, q));
  return renderPage(c, { title: t('lost.title') }, (pv) => (
    <section class="panel">
      <h1>{t('lost.title')}</h1>
      <p class="hint">{t('lost.intro')}</p>
      <DataTable pv={pv} data={data} />
    </section>
  ));
});

exportRoutes(lostCallRoutes, spec, (c, q) => lostCallListing(ctxOf(c), q, 'calls:export'));
