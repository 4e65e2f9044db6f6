/** The page shown for refused or failed requests, inside the normal layout. */
import type { C } from '../env.ts';
import type { MessageKey, Params } from '../i18n/index.ts';
import { renderPage } from './page.tsx';

export function errorPage(
  c: C,
  status: 403 | 404 | 409 | 413 | 421 | 422 | 429 | 500,
  key: MessageKey,
  params?: Params,
): Promise<Response> {
  const t = c.get('t');
  return renderPage(c, { title: t(key, params), status, bare: !c.get('actor') }, () => (
    <section class="panel error-panel">
      <h1>{status}</h1>
      <p class="error-message">{t(key, params)}</p>
      <p>
        <a href="/">{t('nav.home')}</a>
      </p>
    </section>
  ));
}
