/**
 * Numbers (号码): DIDs on trunks with their limits, inbound direct route and call-setting rules;
 * CSV import; and number assignment (外显号码分配) to agents and departments as caller ID.
 */
import { Hono } from 'hono';
import { can } from '../../core/access/actor.ts';
import { departmentsInScope } from '../../core/org/departments.ts';
import { employeeChoices } from '../../core/org/employees.ts';
import { NotFoundError } from '../../core/errors.ts';
import { toId } from '../../core/validate.ts';
import {
  type Assignment,
  assignmentsOf,
  assignNumber,
  createNumber,
  deleteNumber,
  getNumber,
  listTrunks,
  type NumberRow,
  numberListing,
  type PhoneNumber,
  parseNumberInput,
  unassignNumber,
  updateNumber,
} from '../../cti/lines/lines.ts';
import { type ImportedNumber, importNumbers, numberTemplate } from '../../cti/lines/number-import.ts';
import { crudRoutes } from '../crud.ts';
import { type AppEnv, type C, ctxOf } from '../env.ts';
import { act } from '../forms.ts';
import { idParam, readForm } from '../http.ts';
import { DataTable, deleteRowAction, exportRoutes, loadTable, type TableSpec } from '../table.tsx';
import {
  CheckboxField,
  emptyForm,
  type FormState,
  SelectField,
  TextField,
  PostButton,
  editLink,
  RecordForm,
} from '../views/form.tsx';
import { handleImport, type ImportPage, importTemplate, renderImportPage } from '../views/import-page.tsx';
import { ListPanel } from '../views/list-panel.tsx';
import { type PageView, renderPage } from '../views/page.tsx';

export const numberRoutes = new Hono<AppEnv>();

const limit = (n: number, pv: PageView) => (n > 0 ? String(n) : pv.t('number.no_limit'));

async function tableSpec(c: C): Promise<TableSpec<NumberRow>> {
  const t = c.get('t');
  const trunkList = await listTrunks(ctxOf(c));
  return {
    id: 'numbers',
    filters: [
      { key: 'q', label: 'common.search', kind: 'text', placeholder: 'number.filter_q' },
      {
        key: 'trunk',
        label: 'number.trunk',
        kind: 'select',
        options: trunkList.map((tr) => ({ value: String(tr.id), label: tr.name })),
      },
      {
        key: 'status',
        label: 'number.status',
        kind: 'select',
        options: [
          { value: 'enabled', label: t('emp.enabled') },
          { value: 'disabled', label: t('emp.disabled') },
        ],
      },
    ],
    columns: [
      {
        key: 'number',
        label: 'number.number',
        sort: 'number',
        cell: editLink('callcenter:edit', '/callcenter/numbers', (r) => r.number),
        csv: (r) => r.number,
      },
      { key: 'label', label: 'number.label', sort: 'label', cell: (r) => r.label },
      { key: 'trunk', label: 'number.trunk', sort: 'trunk', cell: (r) => r.trunkName },
      { key: 'route', label: 'number.route_user', cell: (r, pv) => r.routeUserName ?? pv.t('common.none') },
      { key: 'maxCalls', label: 'number.max_calls', cell: (r, pv) => limit(r.maxCalls, pv) },
      {
        key: 'dailyCap',
        label: 'number.daily_cap',
        cell: (r, pv) => limit(r.dailyCap, pv),
        hiddenByDefault: true,
      },
      { key: 'assignedTo', label: 'number.assigned_to', cell: (r) => r.assignedTo },
      {
        key: 'enabled',
        label: 'number.status',
        cell: (r, pv) => (r.enabled ? pv.t('emp.enabled') : pv.t('emp.disabled')),
      },
    ],
    rowActions: deleteRowAction(
      'callcenter:edit',
      (r) => `/callcenter/numbers/${r.id}/delete`,
      (r) => r.number,
    ),
    exportPermission: 'callcenter:view',
  };
}

numberRoutes.get('/', async (c) => {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const spec = await tableSpec(c);
  const data = await loadTable(c, spec, '/callcenter/numbers', async (q) => numberListing(ctx, q));
  return renderPage(c, { title: t('number.title') }, (pv) => (
    <ListPanel
      pv={pv}
      title="number.title"
      buttons={[
        { href: '/callcenter/numbers/import', label: 'number.import', permission: 'callcenter:edit' },
        {
          href: '/callcenter/numbers/new',
          label: 'number.new',
          permission: 'callcenter:edit',
          primary: true,
        },
      ]}
    >
      <DataTable pv={pv} data={data} />
    </ListPanel>
  ));
});

exportRoutes(numberRoutes, tableSpec, (c, q) => numberListing(ctxOf(c), q));

async function formPage(c: C, state: FormState, editing: PhoneNumber | null, status: 200 | 422 = 200) {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const trunkList = await listTrunks(ctx);
  const agents = await employeeChoices(ctx, 'callcenter:view');
  const agentOptions = agents.map((p) => ({ value: p.id, label: `${p.name} (${p.username})` }));
  const title = editing ? t('number.edit') : t('number.new');
  const assignments = editing ? await assignmentsOf(ctx, editing.id) : [];
  const depts = editing ? await departmentsInScope(ctx, 'callcenter:view') : [];
  return renderPage(c, { title, status }, (pv) => (
    <>
      <RecordForm
        pv={pv}
        state={state}
        base="/callcenter/numbers"
        editingId={editing?.id ?? null}
        title={title}
        id="number-form"
      >
        <div class="grid-2">
          <TextField pv={pv} state={state} name="number" label="number.number" required type="tel" />
          <SelectField
            pv={pv}
            state={state}
            name="trunkId"
            label="number.trunk"
            required
            emptyLabel=""
            options={trunkList.map((tr) => ({ value: tr.id, label: tr.name }))}
          />
          <TextField pv={pv} state={state} name="label" label="number.label" />
          <TextField
            pv={pv}
            state={state}
            name="maxCalls"
            label="number.max_calls"
            hint="number.zero_no_limit"
          />
        </div>
        <h2>{t('number.inbound')}</h2>
        <div class="grid-2">
          <SelectField
            pv={pv}
            state={state}
            name="routeUserId"
            label="number.route_user"
            hint="number.route_user_hint"
            emptyLabel={t('common.none')}
            options={agentOptions}
          />
          <TextField pv={pv} state={state} name="ringSeconds" label="number.ring_seconds" />
          <SelectField
            pv={pv}
            state={state}
            name="fallbackUserId"
            label="number.fallback_user"
            emptyLabel={t('common.none')}
            options={agentOptions}
          />
        </div>
        <h2>{t('number.rules')}</h2>
        <p class="hint">{t('number.rules_hint')}</p>
        <div class="grid-2">
          <TextField pv={pv} state={state} name="minIntervalSeconds" label="number.min_interval" />
          <TextField pv={pv} state={state} name="dailyCap" label="number.daily_cap" />
          <TextField
            pv={pv}
            state={state}
            name="sameDestinationDailyCap"
            label="number.same_destination_cap"
          />
        </div>
        <CheckboxField pv={pv} state={state} name="enabled" label="number.enabled" />
      </RecordForm>
      {editing ? (
        <AssignmentPanel
          pv={pv}
          number={editing}
          assignments={assignments}
          agents={agentOptions}
          depts={depts}
        />
      ) : null}
    </>
  ));
}

/** Who may show this number as caller ID: the list with remove buttons, and forms to add. */
function AssignmentPanel(props: {
  pv: PageView;
  number: PhoneNumber;
  assignments: Assignment[];
  agents: { value: number; label: string }[];
  depts: { id: number; name: string; depth: number }[];
}) {
  const { pv, number } = props;
  const { t } = pv;
  const base = `/callcenter/numbers/${number.id}`;
  return (
    <section class="panel" id="assignments">
      <h2>{t('number.assignments')}</h2>
      <p class="hint">{t('number.assignments_hint')}</p>
      {props.assignments.length === 0 ? (
        <p>{t('number.no_assignments')}</p>
      ) : (
        <table class="plain">
          <tbody>
            {props.assignments.map((a) => (
              <tr data-assignment={a.id}>
                <td>{a.userName ? t('number.assigned_agent') : t('number.assigned_department')}</td>
                <td>{a.userName ?? a.departmentName}</td>
                <td>
                  <PostButton pv={pv} action={`${base}/unassign/${a.id}`} label="number.unassign" danger />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form method="post" action={`${base}/assign`} class="inline-form" id="assign-agent">
        <input type="hidden" name="_csrf" value={pv.csrf} />
        <select name="userId" aria-label={t('number.assigned_agent')}>
          {props.agents.map((o) => (
            <option value={String(o.value)}>{o.label}</option>
          ))}
        </select>
        <button type="submit">{t('number.assign_agent')}</button>
      </form>
      <form method="post" action={`${base}/assign`} class="inline-form" id="assign-department">
        <input type="hidden" name="_csrf" value={pv.csrf} />
        <select name="departmentId" aria-label={t('number.assigned_department')}>
          {props.depts.map((d) => (
            <option value={String(d.id)}>{`${'\u00a0\u00a0'.repeat(d.depth)}${d.name}`}</option>
          ))}
        </select>
        <button type="submit">{t('number.assign_department')}</button>
      </form>
    </section>
  );
}

crudRoutes(numberRoutes, {
  base: '/callcenter/numbers',
  form: formPage,
  blank: (c) => ({ ringSeconds: '30', enabled: '1', trunkId: c.req.query('trunk') ?? '' }),
  values: (n) => ({
    number: n.number,
    trunkId: n.trunkId,
    label: n.label,
    maxCalls: n.maxCalls,
    minIntervalSeconds: n.minIntervalSeconds,
    dailyCap: n.dailyCap,
    sameDestinationDailyCap: n.sameDestinationDailyCap,
    routeUserId: n.routeUserId ?? '',
    ringSeconds: n.ringSeconds,
    fallbackUserId: n.fallbackUserId ?? '',
    enabled: n.enabled ? '1' : '',
  }),
  // An unticked box is absent from the form: read it as "no", not as the domain's default.
  parse: (raw) => parseNumberInput({ enabled: '', ...raw }),
  get: getNumber,
  create: createNumber,
  update: updateNumber,
  remove: deleteNumber,
  created: 'number.created',
  afterCreate: (id) => `/callcenter/numbers/${id}/edit`,
});

const importPage: ImportPage<ImportedNumber> = {
  title: 'number.import_title',
  intro: 'number.import_intro',
  action: '/callcenter/numbers/import',
  cancelHref: '/callcenter/numbers',
};

numberRoutes.get('/import', (c) => {
  if (!can(ctxOf(c).actor, 'callcenter:edit')) throw new NotFoundError();
  return renderImportPage(c, importPage, emptyForm(), null);
});

numberRoutes.get('/import/template.csv', (c) =>
  importTemplate(c, 'numbers', numberTemplate.header, numberTemplate.example),
);

numberRoutes.post('/import', (c) => handleImport(c, importPage, (bytes) => importNumbers(ctxOf(c), bytes)));

async function loadOr404(c: C): Promise<PhoneNumber> {
  return getNumber(ctxOf(c), idParam(c));
}

numberRoutes.post('/:id/assign', async (c) => {
  const n = await loadOr404(c);
  const raw = await readForm(c);
  const userId = toId(raw.userId) ?? undefined;
  const departmentId = toId(raw.departmentId) ?? undefined;
  return act(
    c,
    `/callcenter/numbers/${n.id}/edit`,
    () => assignNumber(ctxOf(c), n.id, { userId, departmentId }),
    {
      key: 'common.saved',
      kind: 'ok',
    },
  );
});

numberRoutes.post('/:id/unassign/:assignment', async (c) => {
  const n = await loadOr404(c);
  const id = idParam(c, 'assignment');
  return act(c, `/callcenter/numbers/${n.id}/edit`, () => unassignNumber(ctxOf(c), n.id, id), {
    key: 'common.saved',
    kind: 'ok',
  });
});
