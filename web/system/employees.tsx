/** Employees (员工): list with filters and batch actions, create/edit, CSV import and export. */
import { Hono } from 'hono';
import { can, grantProblem } from '../../core/access/actor.ts';
import { allRoles } from '../../core/access/roles.ts';
import { departmentsInScope } from '../../core/org/departments.ts';
import { importEmployees } from '../../core/org/employee-import.ts';
import {
  type CreatedEmployee,
  createEmployee,
  type Employee,
  type EmployeeInput,
  type EmployeeRow,
  employeeListing,
  getEmployee,
  parseEmployeeInput,
  resetPasswords,
  setEmployeesEnabled,
  updateEmployee,
} from '../../core/org/employees.ts';
import { DomainError, NotFoundError } from '../../core/errors.ts';
import { toIds } from '../../core/validate.ts';
import { crudRoutes } from '../crud.ts';
import { type AppEnv, type C, ctxOf } from '../env.ts';
import { readForm, see } from '../http.ts';
import { errorKey, locales, type MessageKey, translator } from '../i18n/index.ts';
import { DataTable, exportRoutes, loadTable, type TableSpec } from '../table.tsx';
import {
  CheckboxField,
  emptyForm,
  Form,
  type FormState,
  SelectField,
  TextField,
  CheckboxGroup,
} from '../views/form.tsx';
import { handleImport, type ImportPage, importTemplate, renderImportPage } from '../views/import-page.tsx';
import { type PageView, renderPage } from '../views/page.tsx';
import { formatTime } from '../views/format.ts';
import { roleLabel, roleLabels } from './roles.tsx';

export const employeeRoutes = new Hono<AppEnv>();

/** Enable, disable and password reset: batch actions in the list, single actions on the edit page. */
const employeeActions: NonNullable<TableSpec<EmployeeRow>['batchActions']> = [
  { label: 'emp.enable', action: '/system/employees/enable', permission: 'employees:disable' },
  { label: 'emp.disable', action: '/system/employees/disable', permission: 'employees:disable' },
  {
    label: 'emp.reset_password',
    action: '/system/employees/reset-password',
    permission: 'employees:reset_password',
  },
];

function statusOf(r: EmployeeRow, pv: PageView): string {
  if (!r.enabled) return pv.t('emp.disabled');
  if (r.lockedUntil && r.lockedUntil > new Date()) return pv.t('emp.locked');
  if (r.mustChangePassword) return `${pv.t('emp.enabled')} · ${pv.t('emp.must_change')}`;
  return pv.t('emp.enabled');
}

async function tableSpec(c: C): Promise<TableSpec<EmployeeRow>> {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const depts = await departmentsInScope(ctx, 'employees:view');
  const roles = await allRoles(ctx.db);
  return {
    id: 'employees',
    filters: [
      { key: 'q', label: 'common.search', kind: 'text', placeholder: 'emp.filter_q' },
      {
        key: 'department',
        label: 'emp.department',
        kind: 'select',
        options: depts.map((d) => ({
          value: String(d.id),
          label: `${'\u00a0\u00a0'.repeat(d.depth)}${d.name}`,
        })),
      },
      {
        key: 'role',
        label: 'emp.roles',
        kind: 'select',
        options: roles.map((r) => ({ value: String(r.id), label: roleLabel(t, r) })),
      },
      {
        key: 'status',
        label: 'emp.status',
        kind: 'select',
        options: [
          { value: 'enabled', label: t('emp.enabled') },
          { value: 'disabled', label: t('emp.disabled') },
        ],
      },
    ],
    columns: [
      {
        key: 'name',
        label: 'emp.name',
        sort: 'name',
        cell: (r, pv) =>
          pv.actor && can(pv.actor, 'employees:edit') ? (
            <a href={`/system/employees/${r.id}/edit`}>{r.name}</a>
          ) : (
            r.name
          ),
        csv: (r) => r.name,
      },
      { key: 'username', label: 'emp.username', sort: 'username', cell: (r) => r.username },
      { key: 'jobNumber', label: 'emp.job_number', sort: 'jobNumber', cell: (r) => r.jobNumber ?? '' },
      { key: 'department', label: 'emp.department', sort: 'department', cell: (r) => r.departmentName },
      { key: 'roles', label: 'emp.roles', cell: (r, pv) => roleLabels(pv.t, r.roles) },
      { key: 'phone', label: 'emp.phone', cell: (r) => r.phone ?? '' },
      { key: 'email', label: 'emp.email', cell: (r) => r.email ?? '', hiddenByDefault: true },
      {
        key: 'canDialOut',
        label: 'emp.can_dial_out',
        cell: (r, pv) => (r.canDialOut ? pv.t('common.yes') : pv.t('common.no')),
      },
      { key: 'status', label: 'emp.status', cell: statusOf },
      {
        key: 'lastLoginAt',
        label: 'emp.last_login',
        sort: 'lastLoginAt',
        cell: (r, pv) => formatTime(r.lastLoginAt, pv.locale),
        hiddenByDefault: true,
      },
      {
        key: 'createdAt',
        label: 'emp.created_at',
        sort: 'createdAt',
        cell: (r, pv) => formatTime(r.createdAt, pv.locale),
        hiddenByDefault: true,
      },
    ],
    rowId: (r) => r.id,
    batchActions: employeeActions,
    exportPermission: 'employees:export',
  };
}

employeeRoutes.get('/', async (c) => {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const spec = await tableSpec(c);
  const data = await loadTable(c, spec, '/system/employees', (q) => employeeListing(ctx, q));
  return renderPage(c, { title: t('emp.title') }, (pv) => (
    <section class="panel">
      <div class="panel-head">
        <h1>{t('emp.title')}</h1>
        <div>
          {can(ctx.actor, 'employees:import') ? (
            <a class="button" href="/system/employees/import">
              {t('emp.import')}
            </a>
          ) : null}{' '}
          {can(ctx.actor, 'employees:create') ? (
            <a class="button primary" href="/system/employees/new">
              {t('emp.new')}
            </a>
          ) : null}
        </div>
      </div>
      <DataTable pv={pv} data={data} />
    </section>
  ));
});

exportRoutes(employeeRoutes, tableSpec, (c, q) => employeeListing(ctxOf(c), q, 'employees:export'));

async function formPage(c: C, state: FormState, editingId: number | null, status: 200 | 422 = 200) {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const permission = editingId ? 'employees:edit' : 'employees:create';
  const depts = await departmentsInScope(ctx, permission);
  // Offer the roles the actor may hand out, and keep those already chosen so that saving keeps them.
  const held = state.values.roleIds;
  const chosen = new Set((Array.isArray(held) ? held : held == null ? [] : [held]).map(String));
  const roles = (await allRoles(ctx.db)).filter(
    (r) => grantProblem(ctx.actor, r) === null || chosen.has(String(r.id)),
  );
  const title = editingId ? t('emp.edit') : t('emp.new');
  return renderPage(c, { title, status }, (pv) => (
    <section class="panel">
      <div class="panel-head">
        <h1>{title}</h1>
        {editingId ? <SingleActions pv={pv} id={editingId} /> : null}
      </div>
      <Form
        pv={pv}
        state={state}
        action={editingId ? `/system/employees/${editingId}/edit` : '/system/employees/new'}
        submit="common.save"
        cancelHref="/system/employees"
        id="employee-form"
      >
        <div class="grid-2">
          <TextField pv={pv} state={state} name="name" label="emp.name" required />
          <TextField pv={pv} state={state} name="username" label="emp.username" required autocomplete="off" />
          <TextField
            pv={pv}
            state={state}
            name="jobNumber"
            label="emp.job_number"
            hint="emp.job_number_hint"
          />
          <SelectField
            pv={pv}
            state={state}
            name="departmentId"
            label="emp.department"
            required
            emptyLabel=""
            options={depts.map((d) => ({ value: d.id, label: d.name, depth: d.depth }))}
          />
          <TextField pv={pv} state={state} name="phone" label="emp.phone" type="tel" />
          <TextField pv={pv} state={state} name="email" label="emp.email" type="email" />
        </div>
        <CheckboxGroup
          pv={pv}
          state={state}
          name="roleIds"
          label="emp.roles"
          columns
          options={roles.map((r) => ({ value: r.id, label: roleLabel(t, r) }))}
        />
        <CheckboxField pv={pv} state={state} name="canDialOut" label="emp.can_dial_out" />
        {editingId ? null : (
          <TextField
            pv={pv}
            state={state}
            name="password"
            label="emp.initial_password"
            type="password"
            hint="emp.initial_password_hint"
            autocomplete="new-password"
          />
        )}
      </Form>
    </section>
  ));
}

/** The batch actions for one employee, on their edit page. */
function SingleActions({ pv, id }: { pv: PageView; id: number }) {
  return (
    <form method="post" class="inline single-actions">
      <input type="hidden" name="_csrf" value={pv.csrf} />
      <input type="hidden" name="ids" value={String(id)} />
      {employeeActions
        .filter((a) => pv.actor && can(pv.actor, a.permission))
        .map((a) => (
          <button type="submit" formaction={a.action}>
            {pv.t(a.label)}
          </button>
        ))}
    </form>
  );
}

/** Name, username and temporary password, one row each. */
function PasswordRows({
  rows,
}: {
  rows: { username: string; name: string; temporaryPassword: string | null }[];
}) {
  return (
    <>
      {rows.map((r) => (
        <tr>
          <td>{r.name}</td>
          <td>{r.username}</td>
          <td>
            <code class="secret">{r.temporaryPassword}</code>
          </td>
        </tr>
      ))}
    </>
  );
}

/** Shows generated passwords once, right after they were made. */
function passwordsPage(
  c: C,
  rows: { username: string; name: string; temporaryPassword: string }[],
  intro?: { key: MessageKey; params?: Record<string, string | number> },
) {
  const t = c.get('t');
  return renderPage(c, { title: t('emp.temp_passwords_title') }, () => (
    <section class="panel">
      <h1>{t('emp.temp_passwords_title')}</h1>
      {intro ? <p class="flash flash-ok">{t(intro.key, intro.params)}</p> : null}
      <p>{t('emp.temp_passwords_intro')}</p>
      <table class="plain" id="temp-passwords">
        <thead>
          <tr>
            <th>{t('emp.name')}</th>
            <th>{t('emp.username')}</th>
            <th>{t('auth.password')}</th>
          </tr>
        </thead>
        <tbody>
          <PasswordRows rows={rows} />
        </tbody>
      </table>
      <p>
        <a class="button" href="/system/employees">
          {t('common.back')}
        </a>
      </p>
    </section>
  ));
}

crudRoutes<Employee, EmployeeInput, CreatedEmployee>(employeeRoutes, {
  base: '/system/employees',
  form: (c, state, editing, status) => formPage(c, state, editing?.id ?? null, status),
  blank: (c) => ({ departmentId: c.get('actor')?.departmentId ?? '' }),
  values: (e) => ({
    name: e.name,
    username: e.username,
    jobNumber: e.jobNumber ?? '',
    email: e.email ?? '',
    phone: e.phone ?? '',
    departmentId: e.departmentId,
    roleIds: e.roleIds.map(String),
    canDialOut: e.canDialOut ? '1' : '',
  }),
  parse: parseEmployeeInput,
  get: (ctx, id) => getEmployee(ctx, id, 'employees:edit'),
  create: createEmployee,
  update: updateEmployee,
  created: (e) => ({ key: 'emp.created', params: { name: e.name } }),
  // A generated password is shown once, on its own page.
  createdPage: (c, e) =>
    e.temporaryPassword
      ? passwordsPage(c, [{ username: e.username, name: e.name, temporaryPassword: e.temporaryPassword }], {
          key: 'emp.created',
          params: { name: e.name },
        })
      : null,
});

async function batch(c: C, run: (ids: number[]) => Promise<Response>): Promise<Response> {
  const raw = await readForm(c);
  try {
    return await run(toIds(raw.ids));
  } catch (err) {
    if (err instanceof DomainError && !(err instanceof NotFoundError) && err.code !== 'forbidden')
      return see(c, '/system/employees', { key: errorKey(err.code), params: err.params, kind: 'error' });
    throw err;
  }
}

employeeRoutes.post('/enable', (c) =>
  batch(c, async (ids) =>
    see(c, '/system/employees', {
      key: 'emp.enabled_n',
      params: { count: await setEmployeesEnabled(ctxOf(c), ids, true) },
      kind: 'ok',
    }),
  ),
);
employeeRoutes.post('/disable', (c) =>
  batch(c, async (ids) =>
    see(c, '/system/employees', {
      key: 'emp.disabled_n',
      params: { count: await setEmployeesEnabled(ctxOf(c), ids, false) },
      kind: 'ok',
    }),
  ),
);
employeeRoutes.post('/reset-password', (c) =>
  batch(c, async (ids) => passwordsPage(c, await resetPasswords(ctxOf(c), ids))),
);

const importPage: ImportPage<CreatedEmployee> = {
  title: 'emp.import_title',
  intro: 'emp.import_intro',
  action: '/system/employees/import',
  cancelHref: '/system/employees',
  imported: (rows, pv) => (
    <>
      <h2>{pv.t('emp.temp_passwords_title')}</h2>
      <p>{pv.t('emp.temp_passwords_intro')}</p>
      <table class="plain" id="temp-passwords">
        <tbody>
          <PasswordRows rows={rows} />
        </tbody>
      </table>
    </>
  ),
};

employeeRoutes.get('/import', (c) => {
  const ctx = ctxOf(c);
  if (!can(ctx.actor, 'employees:import')) throw new NotFoundError();
  return renderImportPage(c, importPage, emptyForm(), null);
});

employeeRoutes.get('/import/template.csv', (c) =>
  importTemplate(
    c,
    'employees',
    ['username', 'name', 'job number', 'department', 'roles', 'phone', 'email', 'can dial out'],
    ['zhang.wei', '张伟', '8001', 'Sales', 'Agent', '13800138000', 'zhang.wei@example.com', 'yes'],
  ),
);

employeeRoutes.post('/import', (c) =>
  handleImport(c, importPage, (bytes) =>
    importEmployees(ctxOf(c), bytes, (key) =>
      locales.map((l) => translator(l)(`role.builtin.${key}` as MessageKey)),
    ),
  ),
);
