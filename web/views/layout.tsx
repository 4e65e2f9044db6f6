/** The one page layout: header with user menu and language switch, navigation, content. */
import type { Child } from 'hono/jsx';
import { localeNames, locales } from '../i18n/index.ts';
import { navigationFor } from '../nav.ts';
import type { PageView } from './page-view.ts';

const htmxConfig = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  responseHandling: [
    { code: '204', swap: false },
    { code: '...', swap: true },
  ],
});

export function Layout(props: { pv: PageView; title: string; bare: boolean; children?: Child }) {
  const { pv } = props;
  const { t } = pv;
  return (
    <html lang={pv.locale}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="htmx-config" content={htmxConfig} />
        <meta name="csrf-token" content={pv.csrf} />
        <title>{`${props.title} · ${t('app.name')}`}</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/static/app.css" />
        <script src="/static/vendor/htmx.min.js" defer />
        <script src="/static/vendor/htmx-ext-sse.js" defer />
        <script src="/static/app.js" defer />
      </head>
      <body hx-boost="true">
        {/* Inside the body so that boosted navigation swaps it in with each page (see app.js). */}
        <div id="csrf-token" data-token={pv.csrf} hidden />
        <header class="topbar">
          <a class="brand" href="/">
            {t('app.name')}
          </a>
          <div class="topbar-right">
            <LanguageSwitch pv={pv} />
            {pv.actor ? (
              <>
                <a class="user" href="/account">
                  {pv.actor.name}
                </a>
                <form method="post" action="/logout" class="inline">
                  <input type="hidden" name="_csrf" value={pv.csrf} />
                  <button class="link">{t('common.logout')}</button>
                </form>
              </>
            ) : null}
          </div>
        </header>
        <div class={props.bare ? 'shell bare' : 'shell'}>
          {!props.bare && pv.actor ? <Nav pv={pv} /> : null}
          <main id="main">
            {pv.flash ? (
              <p class={`flash flash-${pv.flash.kind}`} role="status">
                {t(pv.flash.key, pv.flash.params)}
              </p>
            ) : null}
            {props.children}
          </main>
        </div>
      </body>
    </html>
  );
}

function Nav({ pv }: { pv: PageView }) {
  const { t, actor } = pv;
  if (!actor) return null;
  // The entry for this page: the longest link the path starts with (/desk/phone is not /desk).
  const current = navigationFor(actor)
    .flatMap(({ items }) => items.map((i) => i.href))
    .filter((href) => pv.path === href || pv.path.startsWith(`${href}/`))
    .sort((a, b) => b.length - a.length)[0];
  return (
    <nav class="sidenav" aria-label={t('nav.main')}>
      <a href="/" class={pv.path === '/' ? 'nav-item active' : 'nav-item'}>
        {t('nav.home')}
      </a>
      {navigationFor(actor).map(({ area, items }) => (
        <div class="nav-area">
          {items.length === 0 ? (
            <span class="nav-area-title inactive" title={t('nav.later')}>
              {t(area.label)}
            </span>
          ) : (
            <>
              <span class="nav-area-title">{t(area.label)}</span>
              {items.map((item) => (
                <a href={item.href} class={item.href === current ? 'nav-item active' : 'nav-item'}>
                  {t(item.label)}
                </a>
              ))}
            </>
          )}
        </div>
      ))}
    </nav>
  );
}

function LanguageSwitch({ pv }: { pv: PageView }) {
  return (
    <form method="post" action="/locale" class="inline lang-switch">
      <input type="hidden" name="_csrf" value={pv.csrf} />
      <input type="hidden" name="next" value={pv.path} />
      {locales.map((l) => (
        <button
          name="locale"
          value={l}
          class={l === pv.locale ? 'link current' : 'link'}
          aria-pressed={l === pv.locale}
        >
          {localeNames[l]}
        </button>
      ))}
    </form>
  );
}
