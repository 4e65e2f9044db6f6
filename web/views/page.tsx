/**
 * Rendering a full page: the doctype, the layout around the content, and the per-request
 * values every view needs (translator, actor, CSRF token, flash message).
 */
import type { Child } from 'hono/jsx';
import type { C } from '../env.ts';
import { takeFlash } from '../http.ts';
import { Layout } from './layout.tsx';
import type { PageView } from './page-view.ts';

export type { PageView };

export function pageView(c: C): PageView {
  return {
    t: c.get('t'),
    locale: c.get('locale'),
    actor: c.get('actor'),
    csrf: c.get('csrf'),
    path: c.req.path,
    flash: takeFlash(c),
  };
}

export interface PageOptions {
  title: string;
  status?: 200 | 401 | 403 | 404 | 409 | 413 | 421 | 422 | 429 | 500;
  /** Pages without navigation (setup, login, forced password change). */
  bare?: boolean;
}

export async function renderPage(
  c: C,
  options: PageOptions,
  body: (pv: PageView) => Child,
): Promise<Response> {
  const pv = pageView(c);
  const html = await (
    <Layout pv={pv} title={options.title} bare={options.bare ?? false}>
      {body(pv)}
    </Layout>
  ).toString();
  return c.html(`<!doctype html>${html}`, options.status ?? 200);
}
