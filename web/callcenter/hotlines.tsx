/** Hotlines (热线号码): which IVR, agent group or agent a number's calls go to; with a test-call hint. */
import { Hono } from 'hono';
import { can } from '../../core/access/actor.ts';
import { listGroups } from '../../cti/acd/agent-groups.ts';
import {
  createHotline,
  deleteHotline,
  getHotline,
  type Hotline,
  hotlineTargets,
  listHotlines,
  parseHotlineInput,
  updateHotline,
} from '../../cti/lines/hotlines.ts';
import { listIvrs } from '../../cti/ivr/ivrs.ts';
import { employeeChoices } from '../../core/org/employees.ts';
import { arrayListing, listQuery } from '../../core/list-query.ts';
import { numberListing } from '../../cti/lines/lines.ts';
import { crudRoutes } from '../crud.ts';
import { type AppEnv, type C, ctxOf } from '../env.ts';
import type { MessageKey } from '../i18n/index.ts';
import { DataTable, deleteRowAction, loadTable, type TableSpec } from '../table.tsx';
import { type FormState, SelectField, TextField, RecordForm } from '../views/form.tsx';
import { ListPanel } from '../views/list-panel.tsx';
import { renderPage } from '../views/page.tsx';

export const hotlineRoutes = new Hono<AppEnv>();

type Row = Awaited<ReturnType<typeof listHotlines>>[number];
const targetLabel = (t: string) => `hotline.target.${t}` as MessageKey;

const table: TableSpec<Row> = {
  id: 'hotlines',
  filters: [{ key: 'q', label: 'common.search', kind: 'text' }],
  columns: [
    {
      key: 'name',
      label: 'hotline.name',
      cell: (r, pv) =>
        pv.actor && can(pv.actor, 'callcenter:edit') ? (
          <a href={`/callcenter/hotlines/${r.h.id}/edit`}>{r.h.name}</a>
        ) : (
          r.h.name
        ),
      csv: (r) => r.h.name,
    },
    { key: 'number', label: 'hotline.number', cell: (r) => r.number },
    {
      key: 'target',
      label: 'hotline.target',
      cell: (r, pv) => `${pv.t(targetLabel(r.h.target))}: ${r.ivrName ?? r.groupName ?? r.userName ?? ''}`,
    },
    {
      key: 'test',
      label: 'hotline.test_call',
      cell: (r, pv) => pv.t('hotline.test_hint', { number: r.number }),
    },
  ],
  rowActions: deleteRowAction(
    'callcenter:edit',
    (r) => `/callcenter/hotlines/${r.h.id}/delete`,
    (r) => r.h.name,
  ),
};

hotlineRoutes.get('/', async (c) => {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const data = await loadTable(c, table, '/callcenter/hotlines', async (q) => {
    const needle = (q.filters.q ?? '').toLowerCase();
    return arrayListing(
      (await listHotlines(ctx)).filter((r) => `${r.h.name} ${r.number}`.toLowerCase().includes(needle)),
    );
  });
  return renderPage(c, { title: t('hotline.title') }, (pv) => (
    <ListPanel
      pv={pv}
      title="hotline.title"
      intro="hotline.intro"
      buttons={[
        {
          href: '/callcenter/hotlines/new',
          label: 'hotline.new',
          permission: 'callcenter:edit',
          primary: true,
        },
      ]}
    >
      <DataTable pv={pv} data={data} />
    </ListPanel>
  ));
});

async function formPage(c: C, state: FormState, editing: Hotline | null, status: 200 | 422 = 200) {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const numbers = await (await numberListing(ctx, listQuery({ pageSize: 1000 }))).fetch(1000, 0);
  const ivrList = await listIvrs(ctx);
  const groups = await listGroups(ctx.db);
  const agents = await employeeChoices(ctx, 'callcenter:view');
  const title = editing ? t('hotline.edit') : t('hotline.new');
  return renderPage(c, { title, status }, (pv) => (
    <RecordForm
      pv={pv}
      state={state}
      base="/callcenter/hotlines"
      editingId={editing?.id ?? null}
      title={title}
      id="hotline-form"
    >
      <div class="grid-2">
        <TextField pv={pv} state={state} name="name" label="hotline.name" required />
        <SelectField
          pv={pv}
          state={state}
          name="numberId"
          label="hotline.number"
          required
          emptyLabel=""
          options={numbers.map((n) => ({ value: n.id, label: `${n.number} ${n.label}` }))}
        />
        <SelectField
          pv={pv}
          state={state}
          name="target"
          label="hotline.target"
          options={hotlineTargets.map((x) => ({ value: x, label: t(targetLabel(x)) }))}
        />
        <SelectField
          pv={pv}
          state={state}
          name="ivrId"
          label="hotline.target.ivr"
          emptyLabel={t('common.none')}
          options={ivrList.map((i) => ({ value: i.id, label: i.name }))}
        />
        <SelectField
          pv={pv}
          state={state}
          name="groupId"
          label="hotline.target.group"
          emptyLabel={t('common.none')}
          options={groups.map((g) => ({ value: g.id, label: g.name }))}
        />
        <SelectField
          pv={pv}
          state={state}
          name="userId"
          label="hotline.target.agent"
          emptyLabel={t('common.none')}
          options={agents.map((a) => ({ value: a.id, label: `${a.name} (${a.username})` }))}
        />
      </div>
      <p class="hint">{t('hotline.form_hint')}</p>
    </RecordForm>
  ));
}

crudRoutes(hotlineRoutes, {
  base: '/callcenter/hotlines',
  form: formPage,
  blank: () => ({ target: 'ivr' }),
  values: (h) => ({
    name: h.name,
    numberId: h.numberId,
    target: h.target,
    ivrId: h.ivrId ?? '',
    groupId: h.groupId ?? '',
    userId: h.userId ?? '',
  }),
  parse: parseHotlineInput,
  get: getHotline,
  create: createHotline,
  update: updateHotline,
  remove: deleteHotline,
});
