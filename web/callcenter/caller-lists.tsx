/** The blacklist (黑名单) and VIP callers: numbers added with a reason, removed by hand. */
import { Hono } from 'hono';
import { can } from '../../core/access/actor.ts';
import {
  addToList,
  type CallerList,
  type CallerRow,
  callerListing,
  removeFromList,
} from '../../cti/lines/caller-lists.ts';
import { type AppEnv, type C, ctxOf } from '../env.ts';
import { act, attempt } from '../forms.ts';
import { idParam, readForm, see } from '../http.ts';
import type { MessageKey } from '../i18n/index.ts';
import { DataTable, loadTable, type TableSpec } from '../table.tsx';
import { emptyForm, Form, type FormState, PostButton, TextField } from '../views/form.tsx';
import { formatTime } from '../views/format.ts';
import { ListPanel } from '../views/list-panel.tsx';
import { renderPage } from '../views/page.tsx';

/** The routes of one list, mounted at /callcenter/blacklist and /callcenter/vip. */
export function callerListRoutes(list: CallerList): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const base = `/callcenter/${list}`;
  const key = (k: string) => `${list}.${k}` as MessageKey;
  const table: TableSpec<CallerRow> = {
    id: list,
    filters: [{ key: 'q', label: 'common.search', kind: 'text' }],
    columns: [
      { key: 'number', label: key('number'), cell: (r) => r.number },
      { key: 'reason', label: key('reason'), cell: (r) => r.reason },
      {
        key: 'added',
        label: key('added'),
        cell: (r, pv) => `${formatTime(r.createdAt, pv.locale)} · ${r.createdByName ?? ''}`,
      },
    ],
    rowActions: (r, pv) =>
      pv.actor && can(pv.actor, 'callcenter:edit') ? (
        <PostButton pv={pv} action={`${base}/${r.id}/delete`} label={key('remove')} danger />
      ) : null,
  };

  async function page(c: C, state: FormState, status: 200 | 422 = 200) {
    const ctx = ctxOf(c);
    const t = c.get('t');
    const data = await loadTable(c, table, base, async (q) => callerListing(ctx, list, q));
    return renderPage(c, { title: t(key('title')), status }, (pv) => (
      <ListPanel pv={pv} title={key('title')} intro={key('intro')}>
        {can(ctx.actor, 'callcenter:edit') ? (
          <Form pv={pv} state={state} action={base} submit={key('add')} id={`${list}-form`}>
            <div class="grid-2">
              <TextField pv={pv} state={state} name="number" label={key('number')} type="tel" required />
              <TextField pv={pv} state={state} name="reason" label={key('reason')} />
            </div>
          </Form>
        ) : null}
        <DataTable pv={pv} data={data} />
      </ListPanel>
    ));
  }

  routes.get('/', (c) => page(c, emptyForm()));
  routes.post('/', async (c) => {
    const raw = await readForm(c);
    const result = await attempt(raw, () =>
      addToList(ctxOf(c), list, { number: raw.number, reason: raw.reason }),
    );
    if (!result.ok) return page(c, result.state, 422);
    return see(c, base, { key: 'common.saved', kind: 'ok' });
  });
  routes.post('/:id/delete', async (c) => {
    const id = idParam(c);
    return act(c, base, () => removeFromList(ctxOf(c), list, id), { key: 'common.deleted', kind: 'ok' });
  });
  return routes;
}
