/**
 * The routes every editable list has, in one place: new (form, create), edit (form, update) and
 * delete, with the form pattern's re-render on errors and a flash after success. A page gives
 * its domain functions and its form; the rest is the same everywhere. Pages whose records need
 * more say so with the optional hooks (a page after creating, a delete with its own form).
 */
import type { Hono } from 'hono';
import type { Ctx } from '../core/context.ts';
import { type AppEnv, type C, ctxOf } from './env.ts';
import { act, attempt } from './forms.ts';
import { type Flash, idParam, readForm, see } from './http.ts';
import type { MessageKey } from './i18n/index.ts';
import { emptyForm, type FormState } from './views/form.tsx';

export interface Crud<T, I, Created = unknown> {
  /** The list page the routes return to. */
  base: string;
  /** The form page, for a new record (editing null) or an existing one. */
  form: (c: C, state: FormState, editing: T | null, status?: 200 | 422) => Promise<Response>;
  /** Initial values of a new record's form, and the form values of an existing one. */
  blank: (c: C) => Record<string, unknown>;
  values: (record: T, c: C) => Record<string, unknown>;
  /** Reads the submitted form (unticked boxes are absent: default them here); `editing` on an edit. */
  parse: (raw: Record<string, unknown>, editing: T | null, c: C) => I;
  get: (ctx: Ctx, id: number) => Promise<T>;
  create: (ctx: Ctx, input: I) => Promise<Created>;
  update: (ctx: Ctx, id: number, input: I) => Promise<void>;
  /** Without it no delete route is added (the page has its own, or records are not deleted). */
  remove?: (ctx: Ctx, id: number) => Promise<void>;
  /** The flash after creating (default: "saved"). */
  created?: MessageKey | ((created: Created) => Omit<Flash, 'kind'>);
  /** Where to go after creating (default: the list), e.g. the new record's page. */
  afterCreate?: (created: Created) => string;
  /** A page to show after creating instead of going back (e.g. a temporary password), or null. */
  createdPage?: (c: C, created: Created) => Promise<Response> | null;
}

export function crudRoutes<T extends { id: number }, I, Created = unknown>(
  routes: Hono<AppEnv>,
  crud: Crud<T, I, Created>,
): void {
  routes.get('/new', (c) => {
    ctxOf(c);
    return crud.form(c, emptyForm(crud.blank(c)), null);
  });
  routes.post('/new', async (c) => {
    const raw = await readForm(c);
    const result = await attempt(raw, () => crud.create(ctxOf(c), crud.parse(raw, null, c)));
    if (!result.ok) return crud.form(c, result.state, null, 422);
    const page = crud.createdPage?.(c, result.value);
    if (page) return page;
    const flash =
      typeof crud.created === 'function'
        ? crud.created(result.value)
        : { key: crud.created ?? 'common.saved' };
    return see(c, crud.afterCreate?.(result.value) ?? crud.base, { ...flash, kind: 'ok' });
  });
  routes.get('/:id/edit', async (c) => {
    const record = await crud.get(ctxOf(c), idParam(c));
    return crud.form(c, emptyForm(crud.values(record, c)), record);
  });
  routes.post('/:id/edit', async (c) => {
    const record = await crud.get(ctxOf(c), idParam(c));
    const raw = await readForm(c);
    const result = await attempt(raw, () => crud.update(ctxOf(c), record.id, crud.parse(raw, record, c)));
    if (!result.ok) return crud.form(c, result.state, record, 422);
    return see(c, crud.base, { key: 'common.saved', kind: 'ok' });
  });
  const { remove } = crud;
  if (remove)
    routes.post('/:id/delete', async (c) => {
      const id = idParam(c);
      return act(c, crud.base, () => remove(ctxOf(c), id), { key: 'common.deleted', kind: 'ok' });
    });
}
