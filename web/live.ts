/**
 * Live pages over Server-Sent Events: the page's parts are rendered again when the call engine,
 * the ACD (or, if asked, the domain) reports a change — gathered for a quarter of a second — and
 * at least every `refreshMs` for figures that move with time (waits, today's counts). Only parts
 * whose HTML changed are sent, each as an event named after the part (htmx `sse-swap`).
 *
 * A stream outlives no right to it: before rendering (at most every second) the session is looked
 * up again (without keeping it from going idle) and the actor reloaded; when the session ended
 * (logout, expiry, password change), the user was disabled, or `guard` refuses the actor as they
 * are now (a permission taken away), the stream closes. Parts render with the actor as they are now.
 */
import { getCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { loadActor } from '../core/access/actor.ts';
import { findSession } from '../core/auth/sessions.ts';
import type { Ctx } from '../core/context.ts';
import type { CallEngine } from '../cti/calls/engine.ts';
import { type C, ctxOf } from './env.ts';
import { cookieNames } from './http.ts';

export interface LiveOptions {
  refreshMs?: number;
  domainEvents?: boolean;
  /** Throws when the actor (as they are now) may no longer watch: the same check as the page's. */
  guard: (ctx: Ctx) => unknown;
}

/** The request's context with the actor as they are now, or null when the right to watch is gone. */
async function ctxNow(c: C, guard: LiveOptions['guard']): Promise<Ctx | null> {
  const token = getCookie(c, cookieNames.session);
  if (!token) return null;
  const { db, settings } = c.get('deps');
  const session = await findSession(db, token, settings.security, new Date(), false);
  const actor = session ? await loadActor(db, session.userId) : null;
  if (!actor || actor.mustChangePassword) return null;
  const ctx = { ...ctxOf(c), actor };
  try {
    guard(ctx);
    return ctx;
  } catch {
    return null;
  }
}

export function liveParts(
  c: C,
  engine: CallEngine | null,
  parts: (ctx: Ctx) => Promise<Record<string, string>>,
  options: LiveOptions,
): Response {
  const events = c.get('deps').events;
  return streamSSE(c, async (stream) => {
    const sent: Record<string, string> = {};
    let dirty = true;
    const mark = () => {
      dirty = true;
    };
    engine?.on('changed', mark);
    const unwatch = engine?.floor.watch(mark);
    if (options.domainEvents) events.on('event', mark);
    let closed = false;
    stream.onAbort(() => {
      closed = true;
    });
    const tick = 250;
    const refreshTicks = options.refreshMs ? Math.max(1, Math.round(options.refreshMs / tick)) : 0;
    let ctx: Ctx | null = ctxOf(c);
    let checkedAt = 0;
    try {
      let sinceRender = 0;
      let quiet = 0;
      while (!closed) {
        if (Date.now() - checkedAt >= 1000) {
          checkedAt = Date.now();
          ctx = await ctxNow(c, options.guard);
          if (!ctx) break;
        }
        if (dirty || (refreshTicks && sinceRender >= refreshTicks)) {
          dirty = false;
          sinceRender = 0;
          for (const [event, html] of Object.entries(await parts(ctx))) {
            if (sent[event] === html) continue;
            sent[event] = html;
            quiet = 0;
            await stream.writeSSE({ event, data: html });
          }
        }
        await stream.sleep(tick);
        sinceRender++;
        if (++quiet >= 60) {
          quiet = 0;
          await stream.write(': keep-alive\n\n');
        }
      }
    } finally {
      engine?.off('changed', mark);
      unwatch?.();
      events.off('event', mark);
    }
  });
}
