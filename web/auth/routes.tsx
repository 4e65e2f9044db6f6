/** First-run setup, login and logout, own account and password, language and table preferences. */
import { Hono } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { changeOwnPassword, login, logout } from '../../core/auth/login.ts';
import { isSetupDone, parseSetupInput, setupOwner } from '../../core/auth/setup.ts';
import { getOwnProfile } from '../../core/org/employees.ts';
import { users } from '../../db/schema.ts';
import { eq } from 'drizzle-orm';
import { type AppEnv, anonCtxOf, ctxOf } from '../env.ts';
import { attempt } from '../forms.ts';
import { cookieNames, cookieOptions, localPath, readForm, see } from '../http.ts';
import { isLocale, localeNames, locales, translator } from '../i18n/index.ts';
import { saveColumnChoice } from '../table.tsx';
import { emptyForm, Form, type FormState, SelectField, TextField } from '../views/form.tsx';
import { renderPage } from '../views/page.tsx';
import { errorPage } from '../views/error-page.tsx';
import { DomainError } from '../../core/errors.ts';
import { isBuiltinRoleKey } from '../../core/access/permissions.ts';
import type { C } from '../env.ts';
import { roleLabels } from '../system/roles.tsx';

export const authRoutes = new Hono<AppEnv>();

function setupPage(c: C, state: FormState, status: 200 | 422 = 200) {
  const t = c.get('t');
  return renderPage(c, { title: t('setup.title'), bare: true, status }, (pv) => (
    <section class="panel narrow">
      <h1>{t('setup.title')}</h1>
      <p>{t('setup.intro')}</p>
      <Form pv={pv} state={state} action="/setup" submit="setup.submit" id="setup-form">
        {/* The setup key, when the page was opened with one (web/middleware.ts, setupGate). */}
        {state.values.key ? <input type="hidden" name="key" value={String(state.values.key)} /> : null}
        <TextField pv={pv} state={state} name="company" label="setup.company" required />
        <TextField pv={pv} state={state} name="name" label="emp.name" required />
        <TextField
          pv={pv}
          state={state}
          name="username"
          label="auth.username"
          required
          autocomplete="username"
        />
        <TextField
          pv={pv}
          state={state}
          name="password"
          label="auth.password"
          type="password"
          required
          hint="auth.password_hint"
          autocomplete="new-password"
        />
        <TextField
          pv={pv}
          state={state}
          name="confirm"
          label="auth.confirm_password"
          type="password"
          required
          autocomplete="new-password"
        />
        <SelectField
          pv={pv}
          state={state}
          name="locale"
          label="common.language"
          options={locales.map((l) => ({ value: l, label: localeNames[l] }))}
        />
      </Form>
    </section>
  ));
}

authRoutes.get('/setup', async (c) => {
  if (await isSetupDone(c.get('deps').db)) return c.redirect('/login', 303);
  return setupPage(c, emptyForm({ locale: c.get('locale'), key: c.req.query('key') ?? '' }));
});

authRoutes.post('/setup', async (c) => {
  const raw = await readForm(c);
  const input = parseSetupInput(raw);
  const names = translator(input.locale);
  const roleName = (key: string, fallback: string) =>
    isBuiltinRoleKey(key) ? names(`role.builtin.${key}`) : fallback;
  const result = await attempt(raw, () => setupOwner(anonCtxOf(c), input, roleName));
  if (!result.ok) {
    if (result.state.message?.code === 'setup_done')
      return see(c, '/login', { key: 'setup.done', kind: 'error' });
    return setupPage(c, result.state, 422);
  }
  setCookie(c, cookieNames.lang, input.locale, { ...cookieOptions(c), maxAge: 365 * 86400 });
  return see(c, '/login', { key: 'setup.done', kind: 'ok' });
});

function loginPage(c: C, state: FormState, status: 200 | 422 | 429 = 200) {
  const t = c.get('t');
  return renderPage(c, { title: t('auth.login'), bare: true, status }, (pv) => (
    <section class="panel narrow">
      <h1>{t('auth.login_title', { app: t('app.name') })}</h1>
      <Form
        pv={pv}
        state={state}
        action={`/login${state.values.next ? `?next=${encodeURIComponent(String(state.values.next))}` : ''}`}
        submit="auth.login"
        id="login-form"
      >
        <TextField
          pv={pv}
          state={state}
          name="username"
          label="auth.username"
          required
          autocomplete="username"
        />
        <TextField
          pv={pv}
          state={state}
          name="password"
          label="auth.password"
          type="password"
          required
          autocomplete="current-password"
        />
      </Form>
    </section>
  ));
}

authRoutes.get('/login', (c) => {
  if (c.get('actor')) return c.redirect(localPath(c.req.query('next')), 303);
  return loginPage(c, emptyForm({ next: c.req.query('next') ?? '' }));
});

authRoutes.post('/login', async (c) => {
  const raw = await readForm(c);
  const next = localPath(c.req.query('next'));
  const { settings, loginLimiter } = c.get('deps');
  try {
    const result = await login(anonCtxOf(c), settings.security, loginLimiter, {
      username: typeof raw.username === 'string' ? raw.username : '',
      password: typeof raw.password === 'string' ? raw.password : '',
    });
    setCookie(c, cookieNames.session, result.token, cookieOptions(c));
    return see(c, result.mustChangePassword ? '/account/password' : next);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    const state: FormState = {
      values: { username: raw.username, next: c.req.query('next') ?? '' },
      errors: {},
      message: { code: err.code, params: err.params },
    };
    return loginPage(c, state, err.code === 'rate_limited' ? 429 : 422);
  }
});

authRoutes.post('/logout', async (c) => {
  const session = c.get('session');
  if (session && c.get('actor')) await logout(ctxOf(c), session.id);
  deleteCookie(c, cookieNames.session, { path: '/' });
  return see(c, '/login', { key: 'auth.logged_out', kind: 'ok' });
});

authRoutes.post('/locale', async (c) => {
  const raw = await readForm(c);
  const locale = typeof raw.locale === 'string' && isLocale(raw.locale) ? raw.locale : 'en';
  setCookie(c, cookieNames.lang, locale, { ...cookieOptions(c), maxAge: 365 * 86400 });
  const actor = c.get('actor');
  if (actor) await c.get('deps').db.update(users).set({ locale }).where(eq(users.id, actor.userId));
  return see(c, localPath(typeof raw.next === 'string' ? raw.next : '/'));
});

function passwordPage(c: C, state: FormState, status: 200 | 422 = 200) {
  const t = c.get('t');
  const forced = c.get('actor')?.mustChangePassword ?? false;
  return renderPage(c, { title: t('auth.change_title'), bare: forced, status }, (pv) => (
    <section class="panel narrow">
      <h1>{t('auth.change_title')}</h1>
      {forced ? <p class="notice">{t('auth.must_change')}</p> : null}
      <Form
        pv={pv}
        state={state}
        action="/account/password"
        submit="common.save"
        id="password-form"
        cancelHref={forced ? undefined : '/account'}
      >
        <TextField
          pv={pv}
          state={state}
          name="current"
          label="auth.current_password"
          type="password"
          required
          autocomplete="current-password"
        />
        <TextField
          pv={pv}
          state={state}
          name="password"
          label="auth.new_password"
          type="password"
          required
          hint="auth.password_hint"
          autocomplete="new-password"
        />
        <TextField
          pv={pv}
          state={state}
          name="confirm"
          label="auth.confirm_password"
          type="password"
          required
          autocomplete="new-password"
        />
      </Form>
    </section>
  ));
}

authRoutes.get('/account/password', (c) => passwordPage(c, emptyForm()));

authRoutes.post('/account/password', async (c) => {
  const raw = await readForm(c);
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const result = await attempt({}, () =>
    changeOwnPassword(ctxOf(c), c.get('session')!.id, {
      current: str(raw.current),
      password: str(raw.password),
      confirm: str(raw.confirm),
    }),
  );
  if (!result.ok) return passwordPage(c, result.state, 422);
  return see(c, '/', { key: 'auth.changed', kind: 'ok' });
});

authRoutes.get('/account', async (c) => {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const me = await getOwnProfile(ctx);
  return renderPage(c, { title: t('account.title') }, () => (
    <section class="panel">
      <h1>{t('account.title')}</h1>
      <dl class="facts">
        <dt>{t('emp.name')}</dt>
        <dd>{me.name}</dd>
        <dt>{t('emp.username')}</dt>
        <dd>{me.username}</dd>
        <dt>{t('emp.job_number')}</dt>
        <dd>{me.jobNumber ?? t('common.none')}</dd>
        <dt>{t('emp.department')}</dt>
        <dd>{me.departmentName}</dd>
        <dt>{t('emp.roles')}</dt>
        <dd>{roleLabels(t, me.roles) || t('common.none')}</dd>
        <dt>{t('emp.email')}</dt>
        <dd>{me.email ?? t('common.none')}</dd>
        <dt>{t('emp.phone')}</dt>
        <dd>{me.phone ?? t('common.none')}</dd>
      </dl>
      <p>
        <a class="button" href="/account/password">
          {t('auth.change_title')}
        </a>
      </p>
    </section>
  ));
});

authRoutes.post('/prefs/tables/:id', async (c) => {
  const raw = await readForm(c);
  const cols = Array.isArray(raw.columns)
    ? raw.columns.map(String)
    : typeof raw.columns === 'string'
      ? [raw.columns]
      : [];
  await saveColumnChoice(c, c.req.param('id'), cols);
  return see(c, localPath(typeof raw.next === 'string' ? raw.next : '/'));
});

authRoutes.get('/', async (c) => {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const me = await getOwnProfile(ctx);
  return renderPage(c, { title: t('nav.home') }, () => (
    <section class="panel">
      <h1>{t('home.title', { name: ctx.actor.name })}</h1>
      <p>{t('home.intro')}</p>
      <dl class="facts">
        <dt>{t('home.department')}</dt>
        <dd>{me.departmentName}</dd>
        <dt>{t('home.roles')}</dt>
        <dd>{roleLabels(t, me.roles) || t('common.none')}</dd>
      </dl>
    </section>
  ));
});

export { errorPage };
