/**
 * The Hono environment shared by every route: dependencies, the request's origin, the
 * session and actor, locale and translator, and the CSRF token to embed in forms.
 */
import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import type { Settings } from '../config/settings.ts';
import type { Actor } from '../core/access/actor.ts';
import type { RateLimiter } from '../core/auth/rate-limiter.ts';
import type { Session } from '../core/auth/sessions.ts';
import type { Ctx } from '../core/context.ts';
import type { DomainEvents } from '../core/events.ts';
import type { CallEngine } from '../cti/calls/engine.ts';
import type { CtiService } from '../cti/service.ts';
import type { PbxService } from '../pbx/service.ts';
import type { Db } from '../db/client.ts';
import type { Locale } from '../db/schema.ts';
import type { T } from './i18n/index.ts';

export interface AppDeps {
  db: Db;
  settings: Settings;
  loginLimiter: RateLimiter;
  /** Opens first-run setup from any address (printed at start while no owner exists). */
  setupKey: string;
  events: DomainEvents;
  /** Null when the web application runs without telephony (some tests). */
  pbx: PbxService | null;
  cti: CtiService | null;
}

export interface AppEnv {
  Bindings: Partial<HttpBindings>;
  Variables: {
    deps: AppDeps;
    ip: string;
    userAgent: string;
    locale: Locale;
    t: T;
    csrf: string;
    session: Session | null;
    actor: Actor | null;
  };
}

export type C = Context<AppEnv>;

/** The domain context for a logged-in request (routes behind requireLogin only). */
export function ctxOf(c: C): Ctx {
  const actor = c.get('actor');
  if (!actor) throw new Error('ctxOf called on a request without a logged-in actor');
  const deps = c.get('deps');
  return {
    db: deps.db,
    actor,
    ip: c.get('ip'),
    userAgent: c.get('userAgent'),
    timeZone: deps.settings.timeZone,
    events: deps.events,
  };
}

/** The call engine, when the PBX is up and the CTI connected (null otherwise). */
export function engineOf(c: C): CallEngine | null {
  return c.get('deps').cti?.calls() ?? null;
}

export function anonCtxOf(c: C) {
  const deps = c.get('deps');
  return { db: deps.db, ip: c.get('ip'), userAgent: c.get('userAgent'), events: deps.events };
}
