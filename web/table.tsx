/**
 * The one data table: server-side paging, sorting and filters, a column chooser remembered
 * per user, optional row selection for batch actions, and export of what is filtered
 * (CSV streamed at once, or CSV/XLSX written in the background with progress). A route describes its columns once; the page and the export use
 * the same description.
 */
import { and, eq } from 'drizzle-orm';
import type { Hono } from 'hono';
import type { Child } from 'hono/jsx';
import { stream } from 'hono/streaming';
import type { Permission } from '../core/access/permissions.ts';
import { requirePermission } from '../core/access/actor.ts';
import { audit } from '../core/audit/audit-log.ts';
import { ForbiddenError } from '../core/errors.ts';
import { everyRow, type ListQuery, type Listing, type Page, pageOf, pageSizes } from '../core/list-query.ts';
import { userTablePrefs } from '../db/schema.ts';
import { type AppEnv, type C, ctxOf } from './env.ts';
import { ExportProgress, exportJobsOf } from './export-routes.tsx';
import { type ExportFormat, exportTypes, writeRows } from './exports.ts';
import { readForm, see } from './http.ts';
import type { MessageKey } from './i18n/index.ts';
import { PostButton } from './views/form.tsx';
import { type PageView, pageView } from './views/page.tsx';

export interface Column<R> {
  key: string;
  label: MessageKey;
  /** The list's sort key, when the column sorts. */
  sort?: string;
  cell: (row: R, pv: PageView) => Child;
  /** The value written to CSV; defaults to the cell when it is plain text. */
  csv?: (row: R, pv: PageView) => unknown;
  hiddenByDefault?: boolean;
}

export interface Filter {
  key: string;
  label: MessageKey;
  /** `number`: a whole number (e.g. seconds), typed in a number field. */
  kind: 'text' | 'select' | 'date' | 'number';
  options?: { value: string; label: string }[];
  placeholder?: MessageKey;
}

export interface TableSpec<R> {
  id: string;
  columns: Column<R>[];
  filters: Filter[];
  /** Enables checkboxes and batch actions. */
  rowId?: (row: R) => number;
  batchActions?: { label: MessageKey; action: string; confirm?: MessageKey; permission: Permission }[];
  rowActions?: (row: R, pv: PageView) => Child;
  /** Who may export; no export link without it. */
  exportPermission?: Permission;
}

export function parseListQuery(c: C, spec: TableSpec<unknown>): ListQuery {
  const q = c.req.query();
  const size = Number(q.size);
  const filters: Record<string, string> = {};
  for (const f of spec.filters) {
    const v = q[`f_${f.key}`]?.trim();
    if (v) filters[f.key] = v.slice(0, 200);
  }
  return {
    page: Math.max(1, Number.parseInt(q.page ?? '1', 10) || 1),
    pageSize: (pageSizes as readonly number[]).includes(size) ? size : 20,
    sort: q.sort && spec.columns.some((col) => col.sort === q.sort) ? q.sort : null,
    dir: q.dir === 'desc' ? 'desc' : 'asc',
    filters,
  };
}

export function listHref(base: string, query: ListQuery, change: Partial<ListQuery> = {}): string {
  const merged = { ...query, ...change };
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(merged.filters)) if (v) params.set(`f_${k}`, v);
  if (merged.sort) {
    params.set('sort', merged.sort);
    params.set('dir', merged.dir);
  }
  if (merged.page > 1) params.set('page', String(merged.page));
  if (merged.pageSize !== 20) params.set('size', String(merged.pageSize));
  const s = params.toString();
  return s ? `${base}?${s}` : base;
}

async function visibleColumns<R>(c: C, spec: TableSpec<R>): Promise<Column<R>[]> {
  const actor = c.get('actor');
  let chosen: string[] | null = null;
  if (actor) {
    const [pref] = await c
      .get('deps')
      .db.select()
      .from(userTablePrefs)
      .where(and(eq(userTablePrefs.userId, actor.userId), eq(userTablePrefs.tableId, spec.id)));
    chosen = pref?.columns ?? null;
  }
  const cols = spec.columns.filter((col) => (chosen ? chosen.includes(col.key) : !col.hiddenByDefault));
  return cols.length > 0 ? cols : spec.columns.slice(0, 1);
}

/** Saves the columns a user chose for a table (from the column chooser). */
export async function saveColumnChoice(c: C, tableId: string, columns: string[]): Promise<void> {
  const actor = c.get('actor');
  if (!actor || !/^[a-z0-9-]{1,40}$/.test(tableId)) return;
  const clean = columns.filter((k) => /^[A-Za-z0-9_]{1,40}$/.test(k)).slice(0, 50);
  await c
    .get('deps')
    .db.insert(userTablePrefs)
    .values({ userId: actor.userId, tableId, columns: clean })
    .onConflictDoUpdate({ target: [userTablePrefs.userId, userTablePrefs.tableId], set: { columns: clean } });
}

export interface TableData<R> {
  spec: TableSpec<R>;
  base: string;
  query: ListQuery;
  page: Page<R>;
  columns: Column<R>[];
}

/** Reads the page of rows and the user's columns for rendering. */
export async function loadTable<R>(
  c: C,
  spec: TableSpec<R>,
  base: string,
  listing: (q: ListQuery) => Promise<Listing<R>>,
): Promise<TableData<R>> {
  const query = parseListQuery(c, spec as TableSpec<unknown>);
  const page = await pageOf(await listing(query), query);
  return { spec, base, query, page, columns: await visibleColumns(c, spec) };
}

/** The export's header and rows (visible columns), after checking the export permission; audited. */
async function exportSource<R>(
  c: C,
  spec: TableSpec<R>,
  listing: (q: ListQuery) => Promise<Listing<R>>,
  pv: PageView,
) {
  const ctx = ctxOf(c);
  if (!spec.exportPermission) throw new ForbiddenError('export');
  requirePermission(ctx.actor, spec.exportPermission);
  const query = parseListQuery(c, spec as TableSpec<unknown>);
  const rows = await listing(query);
  const columns = await visibleColumns(c, spec);
  await audit(ctx, {
    action: 'data.exported',
    targetType: 'table',
    targetId: spec.id,
    detail: { filters: query.filters },
  });
  async function* cells() {
    for await (const row of everyRow(rows))
      yield columns.map((col) => (col.csv ? col.csv(row, pv) : plain(col.cell(row, pv))));
  }
  return { header: columns.map((col) => pv.t(col.label)), total: () => rows.count(), rows: cells() };
}

/** Streams every filtered row as CSV (visible columns) in the response. */
export async function exportCsv<R>(
  c: C,
  spec: TableSpec<R>,
  listing: (q: ListQuery) => Promise<Listing<R>>,
  pv: PageView,
): Promise<Response> {
  const source = await exportSource(c, spec, listing, pv);
  const name = `${spec.id}-${new Date().toISOString().slice(0, 10)}`;
  c.header('Content-Type', exportTypes.csv);
  c.header('Content-Disposition', `attachment; filename="${name}.csv"`);
  return stream(c, (out) =>
    writeRows('csv', name, source.header, source.rows, async (chunk) => void (await out.write(chunk))),
  );
}

/**
 * The export routes of a table: `GET …/export.csv` streams the CSV at once; `POST …/export`
 * (the table's Export button) starts a background export in CSV or XLSX and answers with its
 * progress (web/exports.ts).
 */
export function exportRoutes<R>(
  routes: Hono<AppEnv>,
  spec: (c: C) => TableSpec<R> | Promise<TableSpec<R>>,
  listing: (c: C, q: ListQuery) => Listing<R> | Promise<Listing<R>>,
): void {
  routes.get('/export.csv', async (c) =>
    exportCsv(c, await spec(c), async (q) => listing(c, q), pageView(c)),
  );
  routes.post('/export', async (c) => {
    const form = await readForm(c);
    const format: ExportFormat = form.format === 'xlsx' ? 'xlsx' : 'csv';
    const s = await spec(c);
    const source = await exportSource(c, s, async (q) => listing(c, q), pageView(c));
    const name = `${s.id}-${new Date().toISOString().slice(0, 10)}`;
    const job = exportJobsOf(c).start(ctxOf(c).actor.userId, name, format, source);
    if (c.req.header('hx-request')) return c.html(<ExportProgress t={c.get('t')} job={job} />);
    return see(c, `/exports/${job.id}`);
  });
}

function plain(value: Child): string {
  if (value === null || value === undefined || typeof value === 'boolean') return '';
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  return '';
}

export function DataTable<R>(props: { pv: PageView; data: TableData<R>; toolbar?: Child }) {
  const { pv, data } = props;
  const { t, actor } = pv;
  const { spec, query, page, base, columns } = data;
  const domId = `dt-${spec.id}`;
  const swap = {
    'hx-target': `#${domId}`,
    'hx-select': `#${domId}`,
    'hx-swap': 'outerHTML',
    'hx-push-url': 'true',
  };
  const pages = Math.max(1, Math.ceil(page.total / page.pageSize));
  const canExport = spec.exportPermission && actor?.grants.has(spec.exportPermission);
  const batch = (spec.batchActions ?? []).filter((b) => actor?.grants.has(b.permission));
  const selectable = spec.rowId && batch.length > 0;
  const batchFormId = `batch-${spec.id}`;
  return (
    <section id={domId} class="data-table">
      <div class="dt-toolbar">
        <form
          class="dt-filters"
          method="get"
          action={base}
          hx-get={base}
          hx-trigger="input delay:400ms, submit"
          {...swap}
        >
          {spec.filters.map((f) => (
            <label class="dt-filter">
              <span>{t(f.label)}</span>
              {f.kind === 'select' ? (
                <select name={`f_${f.key}`} id={`${domId}-f-${f.key}`}>
                  <option value="">{t('common.all')}</option>
                  {(f.options ?? []).map((o) => (
                    <option value={o.value} selected={query.filters[f.key] === o.value}>
                      {o.label}
                    </option>
                  ))}
                </select>
              ) : (
                <input
                  type={f.kind === 'date' ? 'date' : f.kind === 'number' ? 'number' : 'search'}
                  min={f.kind === 'number' ? '0' : undefined}
                  name={`f_${f.key}`}
                  id={`${domId}-f-${f.key}`}
                  value={query.filters[f.key] ?? ''}
                  placeholder={f.placeholder ? t(f.placeholder) : undefined}
                />
              )}
            </label>
          ))}
          {query.sort ? <input type="hidden" name="sort" value={query.sort} /> : null}
          {query.sort ? <input type="hidden" name="dir" value={query.dir} /> : null}
          <input type="hidden" name="size" value={String(query.pageSize)} />
          <button type="submit">{t('common.filter')}</button>
          <a class="button" href={base} {...swap}>
            {t('common.reset')}
          </a>
        </form>
        <div class="dt-tools">
          {props.toolbar}
          <details class="dt-columns">
            <summary>{t('table.columns')}</summary>
            <form
              method="post"
              action={`/prefs/tables/${spec.id}`}
              hx-post={`/prefs/tables/${spec.id}`}
              {...swap}
            >
              <input type="hidden" name="_csrf" value={pv.csrf} />
              <input type="hidden" name="next" value={listHref(base, query)} />
              {spec.columns.map((col) => (
                <label class="check">
                  <input type="checkbox" name="columns" value={col.key} checked={columns.includes(col)} />
                  {t(col.label)}
                </label>
              ))}
              <button type="submit">{t('table.apply')}</button>
            </form>
          </details>
          {canExport ? (
            <form
              method="post"
              action={listHref(`${base}/export`, query)}
              hx-post={listHref(`${base}/export`, query)}
              hx-target={`#${domId}-export`}
              hx-swap="innerHTML"
              class="inline dt-export"
            >
              <input type="hidden" name="_csrf" value={pv.csrf} />
              <select name="format" aria-label={t('table.export_format')}>
                <option value="csv">CSV</option>
                <option value="xlsx">Excel (XLSX)</option>
              </select>
              <button type="submit">{t('table.export')}</button>
            </form>
          ) : null}
        </div>
        <div id={`${domId}-export`} class="dt-export-progress" aria-live="polite"></div>
      </div>
      {selectable ? (
        <form id={batchFormId} method="post" class="dt-batch">
          <input type="hidden" name="_csrf" value={pv.csrf} />
          <span>{t('common.selected')}</span>
          {batch.map((b) => (
            <button type="submit" formaction={b.action} data-confirm={b.confirm ? t(b.confirm) : undefined}>
              {t(b.label)}
            </button>
          ))}
        </form>
      ) : null}
      <div class="dt-scroll">
        <table>
          <thead>
            <tr>
              {selectable ? (
                <th class="dt-select">
                  <input
                    type="checkbox"
                    class="dt-select-all"
                    aria-label={t('table.select_all')}
                    data-form={batchFormId}
                  />
                </th>
              ) : null}
              {columns.map((col) => (
                <th
                  aria-sort={
                    query.sort === col.sort ? (query.dir === 'asc' ? 'ascending' : 'descending') : undefined
                  }
                >
                  {col.sort ? (
                    <a
                      href={listHref(base, query, {
                        sort: col.sort,
                        dir: query.sort === col.sort && query.dir === 'asc' ? 'desc' : 'asc',
                        page: 1,
                      })}
                      {...swap}
                      class={query.sort === col.sort ? `sorted ${query.dir}` : undefined}
                    >
                      {t(col.label)}
                    </a>
                  ) : (
                    t(col.label)
                  )}
                </th>
              ))}
              {spec.rowActions ? <th>{t('common.actions')}</th> : null}
            </tr>
          </thead>
          <tbody>
            {page.rows.length === 0 ? (
              <tr>
                <td class="dt-empty" colspan={columns.length + 2}>
                  {t('table.empty')}
                </td>
              </tr>
            ) : (
              page.rows.map((row) => (
                <tr>
                  {selectable && spec.rowId ? (
                    <td class="dt-select">
                      <input type="checkbox" name="ids" value={String(spec.rowId(row))} form={batchFormId} />
                    </td>
                  ) : null}
                  {columns.map((col) => (
                    <td data-col={col.key}>{col.cell(row, pv)}</td>
                  ))}
                  {spec.rowActions ? <td class="dt-actions">{spec.rowActions(row, pv)}</td> : null}
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
      <div class="dt-pager">
        <span>{t('table.total', { total: page.total })}</span>
        {page.page > 1 ? (
          <a href={listHref(base, query, { page: page.page - 1 })} {...swap} rel="prev">
            {t('table.prev')}
          </a>
        ) : null}
        <span>{t('table.page_of', { page: page.page, pages })}</span>
        {page.page < pages ? (
          <a href={listHref(base, query, { page: page.page + 1 })} {...swap} rel="next">
            {t('table.next')}
          </a>
        ) : null}
        <span class="dt-size">
          {t('table.per_page')}{' '}
          {pageSizes.map((s) =>
            s === page.pageSize ? (
              <strong>{s}</strong>
            ) : (
              <a href={listHref(base, query, { pageSize: s, page: 1 })} {...swap}>
                {s}
              </a>
            ),
          )}
        </span>
      </div>
    </section>
  );
}

/** The row action of lists whose rows can be deleted: a button that asks first, for those who may. */
export function deleteRowAction<R>(
  permission: Permission,
  action: (row: R) => string,
  name: (row: R) => string,
): NonNullable<TableSpec<R>['rowActions']> {
  return (row, pv) =>
    pv.actor?.grants.has(permission) ? (
      <PostButton
        pv={pv}
        action={action(row)}
        label="common.delete"
        confirm={pv.t('common.confirm_delete', { name: name(row) })}
        danger
      />
    ) : null;
}
