/**
 * Request pipeline: who and where from, the session and actor (re-read on every request so
 * a disabled user is out at once), CSRF checks on every state-changing request, the
 * first-run gate, and the login gate.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import { getCookie, setCookie } from 'hono/cookie';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { loadActor } from '../core/access/actor.ts';
import { auditAnonymous } from '../core/audit/audit-log.ts';
import { RateLimiter } from '../core/auth/rate-limiter.ts';
import { isSetupDone } from '../core/auth/setup.ts';
import { destroySession, findSession, randomToken } from '../core/auth/sessions.ts';
import type { AppDeps, AppEnv, C } from './env.ts';
import { hostAllowed, originAllowed, setupOpenTo } from './host-policy.ts';
import { monitoringPaths } from './ops/routes.ts';
import { clientAddress, cookieNames, cookieOptions, localPath, sameToken } from './http.ts';
import { isLocale, negotiateLocale, translator } from './i18n/index.ts';
import { errorPage } from './views/error-page.tsx';

export const requestContext = (deps: AppDeps) =>
  createMiddleware<AppEnv>(async (c, next) => {
    c.set('deps', deps);
    let ip = '';
    try {
      ip = getConnInfo(c).remote.address ?? '';
    } catch {
      ip = '';
    }
    ip = clientAddress(ip, c.req.header('x-forwarded-for'), deps.settings.trustedProxies);
    c.set('ip', ip);
    c.set('userAgent', c.req.header('user-agent') ?? '');
    const lang = getCookie(c, cookieNames.lang);
    const locale = isLocale(lang) ? lang : negotiateLocale(c.req.header('accept-language'));
    c.set('locale', locale);
    c.set('t', translator(locale));
    c.set('session', null);
    c.set('actor', null);
    let anon = getCookie(c, cookieNames.csrf);
    if (!anon || anon.length < 32) {
      anon = randomToken();
      setCookie(c, cookieNames.csrf, anon, { ...cookieOptions(c), sameSite: 'Strict' });
    }
    c.set('csrf', anon);
    await next();
  });

/** Whether the owner exists: asked of the database until the answer is yes, then remembered. */
const setupDoneIn = new WeakSet<AppDeps>();
async function setupDone(deps: AppDeps): Promise<boolean> {
  if (setupDoneIn.has(deps)) return true;
  if (!(await isSetupDone(deps.db))) return false;
  setupDoneIn.add(deps);
  return true;
}

/**
 * Answers only under the host names of the allow-list (web/host-policy.ts): anything else — a
 * DNS-rebinding page — gets 421 before any session, form or setup is looked at. The monitoring
 * paths answer under any name (monitoring often calls the address; /metrics checks its own access).
 */
export const hostGuard = createMiddleware<AppEnv>(async (c, next) => {
  if (monitoringPaths.has(c.req.path)) return next();
  const deps = c.get('deps');
  if (hostAllowed(c.req.header('host'), deps.settings, await setupDone(deps))) return next();
  return errorPage(c, 421, 'err.host_not_allowed');
});

export const sessionLoader = createMiddleware<AppEnv>(async (c, next) => {
  const token = getCookie(c, cookieNames.session);
  if (token) {
    const { db, settings } = c.get('deps');
    const session = await findSession(db, token, settings.security);
    const actor = session ? await loadActor(db, session.userId) : null;
    if (session && actor) {
      c.set('session', session);
      c.set('actor', actor);
      c.set('csrf', session.csrfToken);
      c.set('locale', actor.locale);
      c.set('t', translator(actor.locale));
    } else if (session) {
      await destroySession(db, session.id);
    }
  }
  await next();
  // Pages for a logged-in user may hold secrets (a SIP password, temporary passwords): never cached.
  if (c.get('actor')) c.res.headers.set('Cache-Control', 'no-store');
});

const unsafe = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Anonymous CSRF refusals audited per address: 10 a minute (one counter per running app). */
const refusalLimiters = new WeakMap<AppDeps, RateLimiter>();
function anonymousRefusals(deps: AppDeps): RateLimiter {
  let limiter = refusalLimiters.get(deps);
  if (!limiter) {
    limiter = new RateLimiter(10, 60_000);
    refusalLimiters.set(deps, limiter);
  }
  return limiter;
}

/**
 * No request body may be larger than the largest upload the product takes (a voice prompt) plus
 * room for the other fields: refused by its length before anything reads it (the CSRF check
 * reads form bodies). Uploads a little over their own limit still reach their route, which
 * answers with the form and the field error.
 */
export const bodyCap = createMiddleware<AppEnv>(async (c, next) => {
  const maxSize = c.get('deps').settings.prompts.maxBytes + 1024 * 1024;
  return bodyLimit({
    maxSize,
    onError: (cc) =>
      errorPage(cc as C, 413, 'err.upload_too_large', { max: `${Math.round(maxSize / 1024 / 1024)} MB` }),
  })(c, next);
});

/** Refuses a state-changing request unless it carries this session's token and, when the browser says where it came from, comes from this site. */
export const csrfGuard = createMiddleware<AppEnv>(async (c, next) => {
  if (!unsafe.has(c.req.method)) return next();
  const origin = c.req.header('origin');
  const fetchSite = c.req.header('sec-fetch-site');
  const crossSite =
    fetchSite === 'cross-site' ||
    (origin !== undefined && !originAllowed(origin, c.req.header('host'), c.get('deps').settings));
  // The form field comes from the page the user submitted; the header from htmx requests.
  let sent = '';
  const type = c.req.header('content-type') ?? '';
  if (type.includes('form')) {
    const field = (await c.req.parseBody({ all: true }))._csrf;
    sent = typeof field === 'string' ? field : '';
  }
  if (!sent) sent = c.req.header('x-csrf-token') ?? '';
  if (crossSite || !sent || !sameToken(sent, c.get('csrf'))) {
    const actor = c.get('actor');
    // Every refusal is refused; anonymous ones are written to the audit log at most a few times a
    // minute per address, so a flood of forged requests cannot fill it.
    if (actor || anonymousRefusals(c.get('deps')).attempt(c.get('ip'), Date.now()))
      await auditAnonymous(
        { db: c.get('deps').db, ip: c.get('ip'), userAgent: c.get('userAgent') },
        actor ? { id: actor.userId, username: actor.username, departmentId: actor.departmentId } : null,
        {
          action: 'auth.csrf_rejected',
          detail: { path: c.req.path.slice(0, 200), method: c.req.method.slice(0, 10), crossSite },
        },
      );
    return errorPage(c, 403, 'err.csrf');
  }
  return next();
});

/**
 * Until the owner exists, every page leads to the setup page, which opens only to loopback, to
 * the addresses of `SETUP_FROM`, or with the setup key printed at start (`?key=` on the page, a
 * hidden field of its form): whoever reaches a fresh install first must not become its owner.
 */
export const setupGate = createMiddleware<AppEnv>(async (c, next) => {
  const deps = c.get('deps');
  if (monitoringPaths.has(c.req.path) || (await setupDone(deps))) return next();
  if (c.req.path !== '/setup') return c.redirect('/setup', 303);
  if (setupOpenTo(c.get('ip'), deps.settings)) return next();
  let key = c.req.query('key') ?? '';
  if (c.req.method === 'POST' && (c.req.header('content-type') ?? '').includes('form')) {
    const field = (await c.req.parseBody({ all: true })).key;
    key = typeof field === 'string' ? field : '';
  }
  if (key && sameToken(key, deps.setupKey)) return next();
  return errorPage(c, 403, 'err.setup_remote');
});

const openPaths = new Set(['/login', '/setup', ...monitoringPaths]);
/** Everything but login, setup and static files needs a session; a forced password change comes first. */
export const requireLogin = createMiddleware<AppEnv>(async (c, next) => {
  if (openPaths.has(c.req.path) || c.req.path.startsWith('/static/')) return next();
  const actor = c.get('actor');
  if (!actor) {
    if (c.req.header('hx-request')) {
      c.header('HX-Redirect', '/login');
      return c.body(null, 401);
    }
    const next =
      c.req.method === 'GET'
        ? `?next=${encodeURIComponent(localPath(c.req.path + (new URL(c.req.url).search || '')))}`
        : '';
    return c.redirect(`/login${next}`, 303);
  }
  if (actor.mustChangePassword && c.req.path !== '/account/password' && c.req.path !== '/logout') {
    return c.redirect('/account/password', 303);
  }
  return next();
});
