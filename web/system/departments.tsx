/** Organisation (组织信息): the department tree with create, edit and delete. */
import { Hono } from 'hono';
import { can } from '../../core/access/actor.ts';
import {
  createDepartment,
  deleteDepartment,
  type Department,
  departmentsInScope,
  getDepartment,
  isBelow,
  listDepartments,
  parseDepartmentInput,
  updateDepartment,
} from '../../core/org/departments.ts';
import { employeeChoices } from '../../core/org/employees.ts';
import { type AppEnv, type C, ctxOf } from '../env.ts';
import { act, attempt } from '../forms.ts';
import { idParam, readForm, see } from '../http.ts';
import {
  CheckboxGroup,
  emptyForm,
  Form,
  type FormState,
  SelectField,
  TextField,
  PostButton,
} from '../views/form.tsx';
import { renderPage } from '../views/page.tsx';

export const departmentRoutes = new Hono<AppEnv>();

departmentRoutes.get('/', async (c) => {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const tree = await listDepartments(ctx);
  return renderPage(c, { title: t('dept.title') }, (pv) => (
    <section class="panel">
      <div class="panel-head">
        <h1>{t('dept.title')}</h1>
        {can(ctx.actor, 'departments:create') ? (
          <a class="button primary" href="/system/departments/new">
            {t('dept.new')}
          </a>
        ) : null}
      </div>
      <table class="tree">
        <thead>
          <tr>
            <th>{t('dept.name')}</th>
            <th>{t('dept.leader')}</th>
            <th>{t('dept.members')}</th>
            <th>{t('common.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {tree.map((d) => (
            <tr data-department={d.name}>
              <td style={`padding-left:${0.6 + d.depth * 1.4}rem`}>{d.name}</td>
              <td>{d.leaderName ?? t('common.none')}</td>
              <td>{d.memberCount}</td>
              <td class="dt-actions">
                {can(ctx.actor, 'departments:edit') ? (
                  <a href={`/system/departments/${d.id}/edit`}>{t('common.edit')}</a>
                ) : null}
                {can(ctx.actor, 'departments:delete') && d.parentId !== null ? (
                  <PostButton
                    pv={pv}
                    action={`/system/departments/${d.id}/delete`}
                    label="common.delete"
                    confirm={t('common.confirm_delete', { name: d.name })}
                    danger
                  />
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  ));
});

async function formPage(c: C, state: FormState, editing: Department | null, status: 200 | 422 = 200) {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const permission = editing ? 'departments:edit' : 'departments:create';
  const inScope = await departmentsInScope(ctx, permission);
  const parents = editing ? inScope.filter((d) => !isBelow(inScope, d.id, editing.id)) : inScope;
  const people = await employeeChoices(ctx, permission);
  const isRoot = editing?.parentId === null;
  const title = editing ? t('dept.edit') : t('dept.new');
  return renderPage(c, { title, status }, (pv) => (
    <section class="panel">
      <h1>{title}</h1>
      <Form
        pv={pv}
        state={state}
        action={editing ? `/system/departments/${editing.id}/edit` : '/system/departments/new'}
        submit="common.save"
        cancelHref="/system/departments"
        id="department-form"
      >
        <TextField
          pv={pv}
          state={state}
          name="name"
          label="dept.name"
          required
          hint={isRoot ? 'dept.root_hint' : undefined}
        />
        {isRoot ? null : (
          <SelectField
            pv={pv}
            state={state}
            name="parentId"
            label="dept.parent"
            required
            emptyLabel=""
            options={parents.map((d) => ({ value: d.id, label: d.name, depth: d.depth }))}
          />
        )}
        <SelectField
          pv={pv}
          state={state}
          name="leaderId"
          label="dept.leader"
          hint="dept.leader_hint"
          emptyLabel={t('common.none')}
          options={people.map((p) => ({ value: p.id, label: `${p.name} (${p.username})` }))}
        />
        <CheckboxGroup
          pv={pv}
          state={state}
          name="collaboratorIds"
          label="dept.collaborators"
          columns
          options={people.map((p) => ({ value: p.id, label: p.name }))}
        />
      </Form>
    </section>
  ));
}

departmentRoutes.get('/new', (c) => {
  ctxOf(c);
  return formPage(c, emptyForm({ parentId: c.req.query('parent') ?? '' }), null);
});

departmentRoutes.post('/new', async (c) => {
  const raw = await readForm(c);
  const result = await attempt(raw, () => createDepartment(ctxOf(c), parseDepartmentInput(raw)));
  if (!result.ok) return formPage(c, result.state, null, 422);
  return see(c, '/system/departments', { key: 'dept.created', kind: 'ok' });
});

async function loadOr404(c: C): Promise<Department> {
  return getDepartment(ctxOf(c), idParam(c));
}

departmentRoutes.get('/:id/edit', async (c) => {
  const d = await loadOr404(c);
  return formPage(
    c,
    emptyForm({
      name: d.name,
      parentId: d.parentId ?? '',
      leaderId: d.leaderId ?? '',
      collaboratorIds: d.collaboratorIds.map(String),
    }),
    d,
  );
});

departmentRoutes.post('/:id/edit', async (c) => {
  const d = await loadOr404(c);
  const raw = await readForm(c);
  const result = await attempt(raw, () => updateDepartment(ctxOf(c), d.id, parseDepartmentInput(raw)));
  if (!result.ok) return formPage(c, result.state, d, 422);
  return see(c, '/system/departments', { key: 'common.saved', kind: 'ok' });
});

departmentRoutes.post('/:id/delete', async (c) => {
  const d = await loadOr404(c);
  return act(c, '/system/departments', () => deleteDepartment(ctxOf(c), d.id), {
    key: 'common.deleted',
    kind: 'ok',
  });
});
