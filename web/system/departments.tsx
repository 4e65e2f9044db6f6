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
import { crudRoutes } from '../crud.ts';
import { CheckboxGroup, Form, type FormState, SelectField, TextField, PostButton } from '../views/form.tsx';
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

crudRoutes(departmentRoutes, {
  base: '/system/departments',
  form: formPage,
  blank: (c) => ({ parentId: c.req.query('parent') ?? '' }),
  values: (d) => ({
    name: d.name,
    parentId: d.parentId ?? '',
    leaderId: d.leaderId ?? '',
    collaboratorIds: d.collaboratorIds.map(String),
  }),
  parse: parseDepartmentInput,
  get: getDepartment,
  create: createDepartment,
  update: updateDepartment,
  remove: deleteDepartment,
  created: 'dept.created',
});
