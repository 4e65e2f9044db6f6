/** Agent groups (客服组): name, ring time and members; used by hotlines and IVR keys. */
import { Hono } from 'hono';
import {
  type AgentGroup,
  createGroup,
  deleteGroup,
  getGroup,
  listGroups,
  parseGroupInput,
  updateGroup,
} from '../../crm/ivr/agent-groups.ts';
import { employeeChoices } from '../../crm/org/employees.ts';
import { arrayListing } from '../../crm/shared/list-query.ts';
import { crudRoutes } from '../crud.ts';
import { type AppEnv, type C, ctxOf } from '../env.ts';
import { DataTable, deleteRowAction, loadTable, type TableSpec } from '../table.tsx';
import { CheckboxGroup, type FormState, TextField, editLink, RecordForm } from '../views/form.tsx';
import { ListPanel } from '../views/list-panel.tsx';
import { renderPage } from '../views/page.tsx';

export const groupRoutes = new Hono<AppEnv>();

const table: TableSpec<AgentGroup> = {
  id: 'groups',
  filters: [{ key: 'q', label: 'common.search', kind: 'text' }],
  columns: [
    {
      key: 'name',
      label: 'group.name',
      cell: editLink('callcenter:edit', '/callcenter/groups', (r) => r.name),
      csv: (r) => r.name,
    },
    { key: 'members', label: 'group.members', cell: (r) => r.memberNames },
    { key: 'ring', label: 'group.ring_seconds', cell: (r) => r.ringSeconds },
  ],
  rowActions: deleteRowAction(
    'callcenter:edit',
    (r) => `/callcenter/groups/${r.id}/delete`,
    (r) => r.name,
  ),
};

groupRoutes.get('/', async (c) => {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const data = await loadTable(c, table, '/callcenter/groups', async (q) => {
    const needle = (q.filters.q ?? '').toLowerCase();
    return arrayListing((await listGroups(ctx.db)).filter((g) => g.name.toLowerCase().includes(needle)));
  });
  return renderPage(c, { title: t('group.title') }, (pv) => (
    <ListPanel
      pv={pv}
      title="group.title"
      intro="group.intro"
      buttons={[
        { href: '/callcenter/groups/new', label: 'group.new', permission: 'callcenter:edit', primary: true },
      ]}
    >
      <DataTable pv={pv} data={data} />
    </ListPanel>
  ));
});

async function formPage(c: C, state: FormState, editing: AgentGroup | null, status: 200 | 422 = 200) {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const people = await employeeChoices(ctx, 'callcenter:view');
  const title = editing ? t('group.edit') : t('group.new');
  return renderPage(c, { title, status }, (pv) => (
    <RecordForm
      pv={pv}
      state={state}
      base="/callcenter/groups"
      editingId={editing?.id ?? null}
      title={title}
      id="group-form"
    >
      <div class="grid-2">
        <TextField pv={pv} state={state} name="name" label="group.name" required />
        <TextField pv={pv} state={state} name="ringSeconds" label="group.ring_seconds" />
      </div>
      <CheckboxGroup
        pv={pv}
        state={state}
        name="memberIds"
        label="group.members"
        columns
        options={people.map((p) => ({ value: p.id, label: p.name }))}
      />
    </RecordForm>
  ));
}

crudRoutes(groupRoutes, {
  base: '/callcenter/groups',
  form: formPage,
  blank: () => ({ ringSeconds: '30' }),
  values: (g) => ({ name: g.name, ringSeconds: g.ringSeconds, memberIds: g.memberIds.map(String) }),
  parse: parseGroupInput,
  get: getGroup,
  create: createGroup,
  update: updateGroup,
  remove: deleteGroup,
});
