/** The audit log (操作日志): who did what, when, from where; filterable and exportable. */
import { Hono } from 'hono';
import { type AuditRow, auditListing } from '../../core/audit/audit-log.ts';
import { type AppEnv, ctxOf } from '../env.ts';
import { en } from '../i18n/en.ts';
import { auditActionLabel, type MessageKey, type T } from '../i18n/index.ts';
import { DataTable, exportRoutes, loadTable, type TableSpec } from '../table.tsx';
import { formatTime } from '../views/format.ts';
import { renderPage } from '../views/page.tsx';

export const auditRoutes = new Hono<AppEnv>();

/** Translated kind of audit target ('user', 'department', …), or the raw kind when no translation exists. */
function targetTypeLabel(t: T, type: string): string {
  const key = `audit.target_type.${type}`;
  return key in en ? t(key as MessageKey) : type;
}

const table: TableSpec<AuditRow> = {
  id: 'audit',
  filters: [
    { key: 'actor', label: 'audit.actor', kind: 'text' },
    { key: 'action', label: 'audit.action', kind: 'text' },
    { key: 'target', label: 'audit.target', kind: 'text' },
    { key: 'ip', label: 'audit.ip', kind: 'text' },
    { key: 'from', label: 'audit.from', kind: 'date' },
    { key: 'to', label: 'audit.to', kind: 'date' },
  ],
  columns: [
    {
      key: 'at',
      label: 'audit.at',
      sort: 'at',
      cell: (r, pv) => formatTime(r.at, pv.locale),
      csv: (r) => r.at.toISOString(),
    },
    { key: 'actor', label: 'audit.actor', sort: 'actor', cell: (r) => r.actorName },
    {
      key: 'action',
      label: 'audit.action',
      sort: 'action',
      cell: (r, pv) => <span title={r.action}>{auditActionLabel(pv.t, r.action)}</span>,
      csv: (r) => r.action,
    },
    {
      key: 'target',
      label: 'audit.target',
      cell: (r, pv) =>
        r.targetLabel || r.targetId
          ? [r.targetType ? targetTypeLabel(pv.t, r.targetType) : '', r.targetLabel || r.targetId]
              .filter(Boolean)
              .join(' ')
          : '',
    },
    { key: 'ip', label: 'audit.ip', sort: 'ip', cell: (r) => r.ip },
    {
      key: 'detail',
      label: 'audit.detail',
      cell: (r) => <code class="detail">{JSON.stringify(r.detail)}</code>,
      csv: (r) => JSON.stringify(r.detail),
      hiddenByDefault: true,
    },
  ],
  exportPermission: 'audit:export',
};

auditRoutes.get('/', async (c) => {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const data = await loadTable(c, table, '/system/audit', (q) => auditListing(ctx, q));
  return renderPage(c, { title: t('audit.title') }, (pv) => (
    <section class="panel">
      <h1>{t('audit.title')}</h1>
      <DataTable pv={pv} data={data} />
    </section>
  ));
});

exportRoutes(
  auditRoutes,
  () => table,
  (c, q) => auditListing(ctxOf(c), q),
);
