/** Roles and permissions (角色权限): function permissions per area and action, data scope, members. */
import { Hono } from 'hono';
import { can, grantProblem } from '../../core/access/actor.ts';
import {
  dataScopes,
  defaultRoleKey,
  isBuiltinRoleKey,
  permissionCatalog,
  type Area,
} from '../../core/access/permissions.ts';
import {
  createRole,
  deleteRole,
  getRole,
  listRoles,
  parseDeleteTarget,
  parseRoleInput,
  type Role,
  updateRole,
} from '../../core/access/roles.ts';
import { employeeChoices } from '../../core/org/employees.ts';
import { arrayListing } from '../../core/list-query.ts';
import { crudRoutes } from '../crud.ts';
import { type AppEnv, type C, ctxOf } from '../env.ts';
import { attempt } from '../forms.ts';
import { idParam, readForm, see } from '../http.ts';
import { locales, type MessageKey, type T, translator } from '../i18n/index.ts';
import { DataTable, loadTable, type TableSpec } from '../table.tsx';
import { emptyForm, Form, type FormState, SelectField, TextArea, TextField } from '../views/form.tsx';
import { renderPage } from '../views/page.tsx';

export const roleRoutes = new Hono<AppEnv>();

const scopeLabel = (s: string) => `scope.${s}` as MessageKey;

/**
 * A role's name as shown to the reader. Built-in roles are stored with their name in the
 * installer's language; as long as the stored name is still a default name (in any of our
 * languages) the role shows `role.builtin.<key>` in the reader's language. A name an admin chose
 * is shown as it is.
 */
export function roleLabel(t: T, role: { name: string; builtinKey: string | null }): string {
  if (!role.builtinKey || !isBuiltinRoleKey(role.builtinKey)) return role.name;
  const key: MessageKey = `role.builtin.${role.builtinKey}`;
  return locales.some((l) => translator(l)(key) === role.name) ? t(key) : role.name;
}

/** Several roles' names, translated as roleLabel does, in the reader's alphabetical order. */
export function roleLabels(t: T, list: readonly { name: string; builtinKey: string | null }[]): string {
  return list
    .map((r) => roleLabel(t, r))
    .sort((a, b) => a.localeCompare(b))
    .join(', ');
}

const table: TableSpec<Role> = {
  id: 'roles',
  filters: [{ key: 'q', label: 'common.search', kind: 'text' }],
  columns: [
    {
      key: 'name',
      label: 'role.name',
      sort: 'name',
      cell: (r, pv) => <a href={`/system/roles/${r.id}/edit`}>{roleLabel(pv.t, r)}</a>,
      csv: (r, pv) => roleLabel(pv.t, r),
    },
    { key: 'scope', label: 'role.scope', cell: (r, pv) => pv.t(scopeLabel(r.dataScope)) },
    { key: 'members', label: 'role.member_count', sort: 'members', cell: (r) => r.memberCount },
    {
      key: 'builtin',
      label: 'role.builtin',
      cell: (r, pv) => (r.builtinKey ? pv.t('common.yes') : pv.t('common.no')),
    },
    { key: 'description', label: 'role.description', cell: (r) => r.description, hiddenByDefault: true },
  ],
  rowActions: (r, pv) =>
    pv.actor && can(pv.actor, 'roles:delete') && r.builtinKey !== 'owner' ? (
      <a href={`/system/roles/${r.id}/delete`}>{pv.t('common.delete')}</a>
    ) : null,
};

roleRoutes.get('/', async (c) => {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const data = await loadTable(c, table, '/system/roles', async (q) => {
    const needle = (q.filters.q ?? '').toLowerCase();
    const rows = (await listRoles(ctx)).filter(
      (r) =>
        !needle || r.name.toLowerCase().includes(needle) || roleLabel(t, r).toLowerCase().includes(needle),
    );
    if (q.sort === 'name') rows.sort((a, b) => roleLabel(t, a).localeCompare(roleLabel(t, b)));
    if (q.sort === 'members') rows.sort((a, b) => a.memberCount - b.memberCount);
    if (q.dir === 'desc' && q.sort) rows.reverse();
    return arrayListing(rows);
  });
  return renderPage(c, { title: t('role.title') }, (pv) => (
    <section class="panel">
      <div class="panel-head">
        <h1>{t('role.title')}</h1>
        {can(ctx.actor, 'roles:create') ? (
          <a class="button primary" href="/system/roles/new">
            {t('role.new')}
          </a>
        ) : null}
      </div>
      <p class="hint">{t('role.union_hint')}</p>
      <DataTable pv={pv} data={data} />
    </section>
  ));
});

function PermissionMatrix(props: { state: FormState; t: (k: MessageKey) => string; disabled: boolean }) {
  const raw = props.state.values.permissions;
  const chosen = new Set((Array.isArray(raw) ? raw : raw ? [raw] : []).map(String));
  return (
    <fieldset class="field" data-field="permissions">
      <legend>{props.t('role.permissions')}</legend>
      <table class="matrix">
        <tbody>
          {(Object.keys(permissionCatalog) as Area[]).map((area) => (
            <tr>
              <th>{props.t(`perm.area.${area}`)}</th>
              <td>
                {permissionCatalog[area].map((action) => (
                  <label class="check">
                    <input
                      type="checkbox"
                      name="permissions"
                      value={`${area}:${action}`}
                      checked={chosen.has(`${area}:${action}`)}
                      disabled={props.disabled}
                    />
                    {props.t(`perm.action.${action}` as MessageKey)}
                  </label>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </fieldset>
  );
}

type RoleWithMembers = Awaited<ReturnType<typeof getRole>>;

async function formPage(c: C, state: FormState, editing: RoleWithMembers | null, status: 200 | 422 = 200) {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const people = await employeeChoices(ctx, editing ? 'roles:edit' : 'roles:create');
  // Current members the picker does not offer (disabled ones) stay listed and selected, so saving
  // keeps them. Members outside the editor's scope are not listed; the domain keeps them.
  for (const m of editing?.members ?? []) if (!people.some((p) => p.id === m.id)) people.push(m);
  const ownerRole = editing?.builtinKey === 'owner';
  const title = editing ? t('role.edit') : t('role.new');
  return renderPage(c, { title, status }, (pv) => (
    <section class="panel">
      <h1>{title}</h1>
      <Form
        pv={pv}
        state={state}
        action={editing ? `/system/roles/${editing.id}/edit` : '/system/roles/new'}
        submit="common.save"
        cancelHref="/system/roles"
        id="role-form"
      >
        <TextField pv={pv} state={state} name="name" label="role.name" required />
        <TextArea pv={pv} state={state} name="description" label="role.description" />
        {ownerRole ? <p class="notice">{t('role.owner_fixed')}</p> : null}
        <SelectField
          pv={pv}
          state={state}
          name="dataScope"
          label="role.scope"
          options={dataScopes.map((s) => ({ value: s, label: t(scopeLabel(s)) }))}
        />
        <PermissionMatrix state={state} t={t} disabled={ownerRole} />
        <SelectField
          pv={pv}
          state={state}
          name="memberIds"
          label="role.members"
          multiple
          options={people.map((p) => ({ value: p.id, label: `${p.name} (${p.username})` }))}
        />
      </Form>
    </section>
  ));
}

crudRoutes(roleRoutes, {
  base: '/system/roles',
  form: formPage,
  blank: () => ({ dataScope: 'self' }),
  values: (r, c) => ({
    name: roleLabel(c.get('t'), r),
    description: r.description,
    dataScope: r.dataScope,
    permissions: r.permissions,
    memberIds: r.members.map((m) => String(m.id)),
  }),
  parse: (raw, editing, c) => {
    const input = parseRoleInput(raw);
    // The form shows a built-in role's default name translated; left as shown, the stored name stays.
    if (editing && input.name === roleLabel(c.get('t'), editing)) input.name = editing.name;
    return input;
  },
  get: getRole,
  create: createRole,
  update: updateRole,
  created: 'role.created',
});

async function loadOr404(c: C) {
  return getRole(ctxOf(c), idParam(c));
}

async function deletePage(c: C, state: FormState, status: 200 | 422 = 200) {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const role = await loadOr404(c);
  // Members can move only into a role the actor could hand out (the domain refuses the others).
  const others = (await listRoles(ctx)).filter(
    (r) => r.id !== role.id && r.builtinKey !== 'owner' && grantProblem(ctx.actor, r) === null,
  );
  const title = t('role.delete_title', { name: roleLabel(t, role) });
  return renderPage(c, { title, status }, (pv) => (
    <section class="panel">
      <h1>{title}</h1>
      <Form
        pv={pv}
        state={state}
        action={`/system/roles/${role.id}/delete`}
        submit="common.delete"
        cancelHref="/system/roles"
        id="role-delete-form"
      >
        {role.memberCount > 0 ? (
          <>
            <p>{t('role.delete_members', { count: role.memberCount })}</p>
            <SelectField
              pv={pv}
              state={state}
              name="moveTo"
              label="role.name"
              options={others.map((r) => ({ value: r.id, label: roleLabel(t, r) }))}
            />
          </>
        ) : (
          <p>{t('role.delete_no_members')}</p>
        )}
      </Form>
    </section>
  ));
}

roleRoutes.get('/:id/delete', async (c) => {
  const ctx = ctxOf(c);
  const fallback = (await listRoles(ctx)).find((r) => r.builtinKey === defaultRoleKey);
  return deletePage(c, emptyForm({ moveTo: fallback?.id ?? '' }));
});

roleRoutes.post('/:id/delete', async (c) => {
  const role = await loadOr404(c);
  const raw = await readForm(c);
  const result = await attempt(raw, () => deleteRole(ctxOf(c), role.id, parseDeleteTarget(raw)));
  if (!result.ok) return deletePage(c, result.state, 422);
  return see(c, '/system/roles', { key: 'common.deleted', kind: 'ok' });
});
