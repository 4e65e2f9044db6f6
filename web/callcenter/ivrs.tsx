/** IVRs (IVR 导航): the list, a new IVR, the tree editor (web/widgets/ivr-editor.ts) and its save. */
import { Hono } from 'hono';
import { can } from '../../core/access/actor.ts';
import { listGroups } from '../../cti/acd/agent-groups.ts';
import {
  createIvr,
  deleteIvr,
  getIvr,
  type Ivr,
  IvrInvalid,
  ivrLanguages,
  listIvrs,
  saveIvr,
} from '../../cti/ivr/ivrs.ts';
import { employeeChoices } from '../../core/org/employees.ts';
import type { HoursProblem } from '../../cti/ivr/hours.ts';
import { promptChoices } from '../../cti/media/prompts.ts';
import { DomainError, ValidationError } from '../../core/errors.ts';
import { arrayListing } from '../../core/list-query.ts';
import { type AppEnv, type C, ctxOf } from '../env.ts';
import { act } from '../forms.ts';
import { idParam, readForm, see } from '../http.ts';
import { errorKey, type MessageKey } from '../i18n/index.ts';
import { en } from '../i18n/en.ts';
import { DataTable, deleteRowAction, loadTable, type TableSpec } from '../table.tsx';
import { formatTime } from '../views/format.ts';
import { renderPage } from '../views/page.tsx';

export const ivrRoutes = new Hono<AppEnv>();

type IvrRow = Ivr & { hotlines: string };

const table: TableSpec<IvrRow> = {
  id: 'ivrs',
  filters: [{ key: 'q', label: 'common.search', kind: 'text' }],
  columns: [
    {
      key: 'name',
      label: 'ivr.name',
      sort: 'name',
      cell: (r) => <a href={`/callcenter/ivrs/${r.id}`}>{r.name}</a>,
      csv: (r) => r.name,
    },
    { key: 'menus', label: 'ivr.menus', cell: (r) => r.tree.menus.length },
    { key: 'language', label: 'ivr.language', cell: (r, pv) => pv.t(`ivr.lang.${r.language}` as MessageKey) },
    { key: 'hotlines', label: 'ivr.hotlines', cell: (r) => r.hotlines },
    { key: 'updated', label: 'prompt.updated', cell: (r, pv) => formatTime(r.updatedAt, pv.locale) },
  ],
  rowActions: deleteRowAction(
    'callcenter:edit',
    (r) => `/callcenter/ivrs/${r.id}/delete`,
    (r) => r.name,
  ),
};

ivrRoutes.get('/', async (c) => {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const data = await loadTable(c, table, '/callcenter/ivrs', async (q) => {
    const needle = (q.filters.q ?? '').toLowerCase();
    return arrayListing((await listIvrs(ctx)).filter((r) => r.name.toLowerCase().includes(needle)));
  });
  return renderPage(c, { title: t('ivr.title') }, (pv) => (
    <section class="panel">
      <h1>{t('ivr.title')}</h1>
      <p class="hint">{t('ivr.intro')}</p>
      {can(ctx.actor, 'callcenter:edit') ? (
        <form method="post" action="/callcenter/ivrs/new" class="inline-form" id="new-ivr">
          <input type="hidden" name="_csrf" value={pv.csrf} />
          <input type="text" name="name" required aria-label={t('ivr.name')} placeholder={t('ivr.name')} />
          <select name="language" aria-label={t('ivr.language')}>
            {ivrLanguages.map((l) => (
              <option value={l}>{t(`ivr.lang.${l}` as MessageKey)}</option>
            ))}
          </select>
          <button type="submit" class="primary">
            {t('ivr.new')}
          </button>
        </form>
      ) : null}
      <DataTable pv={pv} data={data} />
    </section>
  ));
});

ivrRoutes.post('/new', async (c) => {
  const raw = await readForm(c);
  try {
    const id = await createIvr(ctxOf(c), { name: raw.name, language: raw.language });
    return see(c, `/callcenter/ivrs/${id}`, { key: 'ivr.created', kind: 'ok' });
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const code = Object.values(err.fields)[0] ?? 'validation';
    return see(c, '/callcenter/ivrs', { key: errorKey(code), kind: 'error' });
  }
});

/** The editor's texts: every `ivr.*` key in the user's language. */
function editorLabels(c: C): Record<string, string> {
  const t = c.get('t');
  const labels: Record<string, string> = {};
  for (const key of Object.keys(en)) if (key.startsWith('ivr.')) labels[key] = t(key as MessageKey);
  return labels;
}

ivrRoutes.get('/:id', async (c) => {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const ivr = await getIvr(ctx, idParam(c));
  const data = {
    id: ivr.id,
    name: ivr.name,
    language: ivr.language,
    tree: ivr.tree,
    hours: ivr.hours,
    prompts: (await promptChoices(ctx.db)).map((p) => ({ id: p.id, name: p.name })),
    groups: (await listGroups(ctx.db)).map((g) => ({ id: g.id, name: g.name })),
    agents: (await employeeChoices(ctx, 'callcenter:view')).map((a) => ({
      id: a.id,
      name: `${a.name} (${a.username})`,
    })),
    labels: editorLabels(c),
    saveUrl: `/callcenter/ivrs/${ivr.id}`,
  };
  // JSON inside a script element: "<" is escaped so the text can never close the element.
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return renderPage(c, { title: `${t('ivr.edit')} · ${ivr.name}` }, () => (
    <section class="panel">
      <div class="panel-head">
        <h1>{t('ivr.edit')}</h1>
        <a class="button" href="/callcenter/ivrs">
          {t('common.back')}
        </a>
      </div>
      <ivr-editor id="ivr-editor">
        <script type="application/json" dangerouslySetInnerHTML={{ __html: json }} />
      </ivr-editor>
      <script type="module" src="/static/widgets/ivr-editor.js" />
    </section>
  ));
});

/** The message of a service-hours problem: the off-hours prompt and action have their own. */
function hoursProblemKey(p: HoursProblem): MessageKey {
  if (p.where === 'offHoursPromptId') return 'ivr.problem.off_hours_prompt';
  if (p.where === 'offHoursAction' && p.code !== 'bad_action')
    return `ivr.problem.off_hours.${p.code}` as MessageKey;
  return `ivr.problem.${p.code}` as MessageKey;
}

/** Saves what the editor sends; answers JSON with the problems at their menus and keys. */
ivrRoutes.post('/:id', async (c) => {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const id = idParam(c);
  const body = (await c.req.json().catch(() => null)) as Record<string, unknown> | null;
  if (!body) return c.json({ ok: false, message: t('err.validation') }, 400);
  try {
    await saveIvr(ctx, id, { name: body.name, language: body.language, tree: body.tree, hours: body.hours });
    return c.json({ ok: true });
  } catch (err) {
    if (err instanceof IvrInvalid) {
      const ivr = await getIvr(ctx, id);
      const sent = body.tree as { menus?: { id: string; name: string }[] } | undefined;
      const nameOf = (menu: string) =>
        sent?.menus?.find((m) => m.id === menu)?.name ??
        ivr.tree.menus.find((m) => m.id === menu)?.name ??
        menu;
      const problems = [
        ...err.treeProblems.map((p) => ({
          menu: p.menu,
          ...(p.key ? { key: p.key } : {}),
          message: t(`ivr.problem.${p.code}` as MessageKey, { menu: nameOf(p.menu), key: p.key ?? '' }),
        })),
        ...err.hoursProblems.map((p) => ({
          menu: 'hours',
          message: t(hoursProblemKey(p), { menu: p.where, key: '' }),
        })),
      ];
      return c.json({ ok: false, problems, message: t('ivr.not_saved') }, 422);
    }
    if (err instanceof ValidationError)
      return c.json(
        {
          ok: false,
          problems: Object.entries(err.fields).map(([field, code]) => ({
            menu: '',
            message: `${t(`ivr.${field}` as MessageKey)}: ${t(errorKey(code))}`,
          })),
          message: t('ivr.not_saved'),
        },
        422,
      );
    if (err instanceof DomainError && err.code !== 'forbidden' && err.code !== 'not_found')
      return c.json({ ok: false, message: t(errorKey(err.code), err.params) }, 409);
    throw err;
  }
});

ivrRoutes.post('/:id/delete', async (c) => {
  const id = idParam(c);
  return act(c, '/callcenter/ivrs', () => deleteIvr(ctxOf(c), id), { key: 'common.deleted', kind: 'ok' });
});
