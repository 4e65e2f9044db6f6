/** The blacklist (黑名单): numbers that are never connected, added with a reason, removed by hand. */
import { Hono } from 'hono';
import { can } from '../../crm/access/actor.ts';
import {
  addToBlacklist,
  type BlacklistRow,
  blacklistListing,
  removeFromBlacklist,
} from '../../crm/ivr/blacklist.ts';
import { type AppEnv, ctxOf } from '../env.ts';
import { act, attempt } from '../forms.ts';
import { idParam, readForm, see } from '../http.ts';
import { DataTable, loadTable, type TableSpec } from '../table.tsx';
import { emptyForm, Form, type FormState, PostButton, TextField } from '../views/form.tsx';
import { formatTime } from '../views/format.ts';
import { renderPage } from '../views/page.tsx';
import type { C } from '../env.ts';

export const blacklistRoutes = new Hono<AppEnv>();

const table: TableSpec<BlacklistRow> = {
  id: 'blacklist',
  filters: [{ key: 'q', label: 'common.search', kind: 'text' }],
  columns: [
    { key: 'number', label: 'blacklist.number', cell: (r) => r.number },
    { key: 'reason', label: 'blacklist.reason', cell: (r) => r.reason },
    {
      key: 'added',
      label: 'blacklist.added',
      cell: (r, pv) => `${formatTime(r.createdAt, pv.locale)} · ${r.createdByName ?? ''}`,
    },
  ],
  rowActions: (r, pv) =>
    pv.actor && can(pv.actor, 'callcenter:edit') ? (
      <PostButton pv={pv} action={`/callcenter/blacklist/${r.id}/delete`} label="blacklist.remove" danger />
    ) : null,
};

async function page(c: C, state: FormState, status: 200 | 422 = 200) {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const data = await loadTable(c, table, '/callcenter/blacklist', async (q) => blacklistListing(ctx, q));
  return renderPage(c, { title: t('blacklist.title'), status }, (pv) => (
    <section class="panel">
      <h1>{t('blacklist.title')}</h1>
      <p class="hint">{t('blacklist.intro')}</p>
      {can(ctx.actor, 'callcenter:edit') ? (
        <Form pv={pv} state={state} action="/callcenter/blacklist" submit="blacklist.add" id="blacklist-form">
          <div class="grid-2">
            <TextField pv={pv} state={state} name="number" label="blacklist.number" type="tel" required />
            <TextField pv={pv} state={state} name="reason" label="blacklist.reason" />
          </div>
        </Form>
      ) : null}
      <DataTable pv={pv} data={data} />
    </section>
  ));
}

blacklistRoutes.get('/', (c) => page(c, emptyForm()));

blacklistRoutes.post('/', async (c) => {
  const raw = await readForm(c);
  const result = await attempt(raw, () =>
    addToBlacklist(ctxOf(c), { number: raw.number, reason: raw.reason }),
  );
  if (!result.ok) return page(c, result.state, 422);
  return see(c, '/callcenter/blacklist', { key: 'common.saved', kind: 'ok' });
});

blacklistRoutes.post('/:id/delete', async (c) => {
  const id = idParam(c);
  return act(c, '/callcenter/blacklist', () => removeFromBlacklist(ctxOf(c), id), {
    key: 'common.deleted',
    kind: 'ok',
  });
});
