/**
 * Voice prompts (语音模板): the library with categories, each prompt's player and versions,
 * create and replace by upload or text to speech, speak a TTS prompt again, delete (refused
 * while an IVR or agent group uses it). Uploads larger than the limit are refused before their
 * body is read.
 */
import { Hono } from 'hono';
import { can } from '../../core/access/actor.ts';
import {
  createCategory,
  createPrompt,
  deletePrompt,
  getPrompt,
  listCategories,
  type Prompt,
  type PromptRow,
  parsePromptInput,
  promptFile,
  promptHistory,
  promptListing,
  promptStoreIn,
  regeneratePrompt,
  ttsLanguages,
  updatePrompt,
} from '../../cti/media/prompts.ts';
import { ForbiddenError, NotFoundError } from '../../core/errors.ts';
import { type AppEnv, type C, ctxOf } from '../env.ts';
import { serveFile } from '../file-response.ts';
import { act, attempt } from '../forms.ts';
import { idParam, limitBody, readForm, see } from '../http.ts';
import type { MessageKey } from '../i18n/index.ts';
import { DataTable, deleteRowAction, loadTable, type TableSpec } from '../table.tsx';
import {
  emptyForm,
  type FormState,
  PostButton,
  SelectField,
  TextArea,
  TextField,
  editLink,
  RecordForm,
} from '../views/form.tsx';
import { formatDuration, formatTime } from '../views/format.ts';
import { ListPanel } from '../views/list-panel.tsx';
import { renderPage } from '../views/page.tsx';
import { errorKey } from '../i18n/index.ts';

export const promptRoutes = new Hono<AppEnv>();

const storeOf = (c: C) => {
  const { settings } = c.get('deps');
  return promptStoreIn(settings.dataDir, settings.prompts);
};
const seconds = (ms: number) => formatDuration(ms / 1000);
const kindLabel = (k: string) => `prompt.kind.${k}` as MessageKey;

/** A small player for one version of a prompt. */
export function PromptPlayer({ id, version }: { id: number; version?: number }) {
  return (
    <audio
      controls
      preload="none"
      class="prompt-player"
      src={`/callcenter/prompts/${id}/audio${version ? `?v=${version}` : ''}`}
    >
      <track kind="captions" />
    </audio>
  );
}

async function tableSpec(c: C): Promise<TableSpec<PromptRow>> {
  const t = c.get('t');
  const categories = await listCategories(c.get('deps').db);
  return {
    id: 'prompts',
    filters: [
      { key: 'q', label: 'common.search', kind: 'text' },
      {
        key: 'category',
        label: 'prompt.category',
        kind: 'select',
        options: categories.map((k) => ({ value: String(k.id), label: k.name })),
      },
      {
        key: 'kind',
        label: 'prompt.kind',
        kind: 'select',
        options: ['upload', 'tts'].map((k) => ({ value: k, label: t(kindLabel(k)) })),
      },
    ],
    columns: [
      {
        key: 'name',
        label: 'prompt.name',
        sort: 'name',
        cell: editLink('callcenter:edit', '/callcenter/prompts', (r) => r.name),
        csv: (r) => r.name,
      },
      { key: 'category', label: 'prompt.category', cell: (r) => r.categoryName ?? '' },
      { key: 'kind', label: 'prompt.kind', cell: (r, pv) => pv.t(kindLabel(r.kind)) },
      { key: 'duration', label: 'prompt.duration', sort: 'duration', cell: (r) => seconds(r.durationMs) },
      { key: 'play', label: 'prompt.listen', cell: (r) => <PromptPlayer id={r.id} /> },
      { key: 'version', label: 'prompt.version', cell: (r) => r.version, hiddenByDefault: true },
      {
        key: 'updated',
        label: 'prompt.updated',
        sort: 'updatedAt',
        cell: (r, pv) => `${formatTime(r.updatedAt, pv.locale)} · ${r.updatedByName ?? ''}`,
      },
      { key: 'usedBy', label: 'prompt.used_by', cell: (r) => r.usedBy },
    ],
    rowActions: deleteRowAction(
      'callcenter:edit',
      (r) => `/callcenter/prompts/${r.id}/delete`,
      (r) => r.name,
    ),
  };
}

promptRoutes.get('/', async (c) => {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const data = await loadTable(c, await tableSpec(c), '/callcenter/prompts', async (q) =>
    promptListing(ctx, q),
  );
  return renderPage(c, { title: t('prompt.title') }, (pv) => (
    <ListPanel
      pv={pv}
      title="prompt.title"
      intro="prompt.intro"
      buttons={[
        {
          href: '/callcenter/prompts/new',
          label: 'prompt.new',
          permission: 'callcenter:edit',
          primary: true,
        },
      ]}
    >
      {can(ctx.actor, 'callcenter:edit') ? (
        <form method="post" action="/callcenter/prompts/categories" class="inline-form" id="new-category">
          <input type="hidden" name="_csrf" value={pv.csrf} />
          <input
            type="text"
            name="name"
            aria-label={t('prompt.category_name')}
            placeholder={t('prompt.category_name')}
          />
          <button type="submit">{t('prompt.new_category')}</button>
        </form>
      ) : null}
      <DataTable pv={pv} data={data} />
    </ListPanel>
  ));
});

promptRoutes.post('/categories', async (c) => {
  const raw = await readForm(c);
  return act(c, '/callcenter/prompts', () => createCategory(ctxOf(c), String(raw.name ?? '')), {
    key: 'common.saved',
    kind: 'ok',
  });
});

async function formPage(c: C, state: FormState, editing: Prompt | null, status: 200 | 422 = 200) {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const categories = await listCategories(ctx.db);
  const history = editing ? await promptHistory(ctx, editing.id) : [];
  const title = editing ? t('prompt.edit') : t('prompt.new');
  const fileError = state.errors.file;
  return renderPage(c, { title, status }, (pv) => (
    <>
      <RecordForm
        pv={pv}
        state={state}
        base="/callcenter/prompts"
        editingId={editing?.id ?? null}
        title={title}
        id="prompt-form"
        multipart
      >
        <div class="grid-2">
          <TextField pv={pv} state={state} name="name" label="prompt.name" required />
          <SelectField
            pv={pv}
            state={state}
            name="categoryId"
            label="prompt.category"
            emptyLabel={t('common.none')}
            options={categories.map((k) => ({ value: k.id, label: k.name }))}
          />
        </div>
        <SelectField
          pv={pv}
          state={state}
          name="kind"
          label="prompt.kind"
          options={['upload', 'tts'].map((k) => ({ value: k, label: t(kindLabel(k)) }))}
        />
        <fieldset class="kind-upload">
          <legend>{t('prompt.kind.upload')}</legend>
          <div class={fileError ? 'field has-error' : 'field'} data-field="file">
            <label for="f-file">{t('prompt.file')}</label>
            <input id="f-file" type="file" name="file" accept="audio/*,.mp3,.wav,.m4a,.aac,.ogg,.opus,.amr" />
            <small class="hint">{t(editing ? 'prompt.file_replace_hint' : 'prompt.file_hint')}</small>
            {fileError ? (
              <small class="field-error">
                {t(errorKey(fileError), { max: megabytes(storeOf(c).maxBytes) })}
              </small>
            ) : null}
          </div>
        </fieldset>
        <fieldset class="kind-tts">
          <legend>{t('prompt.kind.tts')}</legend>
          <TextArea pv={pv} state={state} name="ttsText" label="prompt.tts_text" hint="prompt.tts_hint" />
          <SelectField
            pv={pv}
            state={state}
            name="ttsLanguage"
            label="prompt.tts_language"
            options={ttsLanguages.map((l) => ({ value: l, label: t(`prompt.lang.${l}` as MessageKey) }))}
          />
        </fieldset>
      </RecordForm>
      {editing ? (
        <section class="panel" id="prompt-versions">
          <div class="panel-head">
            <h2>{t('prompt.versions')}</h2>
            {editing.kind === 'tts' && can(ctx.actor, 'callcenter:edit') ? (
              <PostButton
                pv={pv}
                action={`/callcenter/prompts/${editing.id}/regenerate`}
                label="prompt.regenerate"
              />
            ) : null}
          </div>
          {editing.kind === 'tts' ? <p class="hint">{t('prompt.regenerate_hint')}</p> : null}
          <table class="plain">
            <tbody>
              {history.map((h) => (
                <tr data-version={h.v.version}>
                  <td>v{h.v.version}</td>
                  <td>{t(kindLabel(h.v.kind))}</td>
                  <td>{h.v.ttsText ?? h.v.sourceName}</td>
                  <td>{seconds(h.v.durationMs)}</td>
                  <td>
                    {formatTime(h.v.createdAt, pv.locale)} · {h.by ?? ''}
                  </td>
                  <td>
                    <PromptPlayer id={editing.id} version={h.v.version} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
    </>
  ));
}

/** Reads the multipart form: the fields, and the uploaded file when one was chosen. */
async function promptForm(c: C) {
  const raw = await readForm(c);
  const file = raw.file;
  const upload =
    file instanceof File && file.size > 0
      ? { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) }
      : null;
  const { file: _omit, ...values } = raw;
  return { values, input: parsePromptInput(raw, upload) };
}

promptRoutes.get('/new', (c) => {
  if (!can(ctxOf(c).actor, 'callcenter:edit')) throw new NotFoundError();
  return formPage(c, emptyForm({ kind: 'upload', ttsLanguage: 'en' }), null);
});

/** A prompt's form values as stored. */
const promptValues = (p: Prompt) => ({
  name: p.name,
  categoryId: p.categoryId ?? '',
  kind: p.kind,
  ttsText: p.ttsText ?? '',
  ttsLanguage: p.ttsLanguage ?? 'en',
});

/** Room for the form's other fields and the multipart framing around the file. */
const formOverhead = 64 * 1024;
const megabytes = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;

/**
 * An upload over the size limit is refused by its length, before the body is read: the form
 * again (the stored values when editing; the typed ones are in the unread body) with the same
 * file error the domain gives.
 */
const uploadLimit = (editing: (c: C) => Promise<Prompt | null>) =>
  limitBody(
    (c) => storeOf(c).maxBytes + formOverhead,
    async (c) => {
      if (!can(ctxOf(c).actor, 'callcenter:edit')) throw new ForbiddenError('callcenter:edit');
      const p = await editing(c);
      const values = p ? promptValues(p) : { kind: 'upload', ttsLanguage: 'en' };
      return formPage(c, { values, errors: { file: 'upload_too_large' } }, p, 422);
    },
  );

promptRoutes.post(
  '/new',
  uploadLimit(async () => null),
  async (c) => {
    const { values, input } = await promptForm(c);
    const result = await attempt(values, () => createPrompt(ctxOf(c), storeOf(c), input));
    if (!result.ok) return formPage(c, result.state, null, 422);
    return see(c, '/callcenter/prompts', { key: 'prompt.created', kind: 'ok' });
  },
);

promptRoutes.get('/:id/edit', async (c) => {
  const p = await getPrompt(ctxOf(c), idParam(c));
  return formPage(c, emptyForm(promptValues(p)), p);
});

promptRoutes.post(
  '/:id/edit',
  uploadLimit((c) => getPrompt(ctxOf(c), idParam(c))),
  async (c) => {
    const p = await getPrompt(ctxOf(c), idParam(c));
    const { values, input } = await promptForm(c);
    const result = await attempt(values, () => updatePrompt(ctxOf(c), storeOf(c), p.id, input));
    if (!result.ok) return formPage(c, result.state, p, 422);
    return see(c, '/callcenter/prompts', { key: 'common.saved', kind: 'ok' });
  },
);

/** Speaks a TTS prompt's stored text again: a new version. */
promptRoutes.post('/:id/regenerate', async (c) => {
  const id = idParam(c);
  return act(c, `/callcenter/prompts/${id}/edit`, () => regeneratePrompt(ctxOf(c), storeOf(c), id), {
    key: 'prompt.regenerated',
    kind: 'ok',
  });
});

promptRoutes.post('/:id/delete', async (c) => {
  const id = idParam(c);
  return act(c, '/callcenter/prompts', () => deletePrompt(ctxOf(c), storeOf(c), id), {
    key: 'common.deleted',
    kind: 'ok',
  });
});

/** The prompt's sound (current version, or ?v=N) for the browser's player. */
promptRoutes.on(['GET', 'HEAD'], '/:id/audio', async (c) => {
  const p = await getPrompt(ctxOf(c), idParam(c));
  const v = Number(c.req.query('v') ?? p.version);
  if (!Number.isInteger(v) || v < 1 || v > p.version) throw new NotFoundError();
  return serveFile(c, promptFile(storeOf(c), p.id, v, 'wav'), { type: 'audio/wav' });
});
