/**
 * Small HTTP helpers used by every route: redirects with a flash message, reading forms
 * (repeated fields become arrays), a request body size limit for uploads, and cookie names.
 */
import { timingSafeEqual } from 'node:crypto';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import { NotFoundError } from '../core/errors.ts';
import { toId } from '../core/validate.ts';
import type { AppEnv, C } from './env.ts';
import type { MessageKey, Params } from './i18n/index.ts';

export const cookieNames = {
  session: 'cc_session',
  csrf: 'cc_csrf',
  flash: 'cc_flash',
  lang: 'cc_lang',
} as const;

export interface Flash {
  key: MessageKey;
  params?: Params;
  kind: 'ok' | 'error';
}

export function cookieOptions(c: C) {
  return {
    httpOnly: true,
    sameSite: 'Lax' as const,
    secure: c.get('deps').settings.secureCookies,
    path: '/',
  };
}

/** Redirects after a POST (303 See Other), optionally leaving a message for the next page. */
export function see(c: C, url: string, flash?: Flash): Response {
  if (flash)
    setCookie(c, cookieNames.flash, Buffer.from(JSON.stringify(flash)).toString('base64url'), {
      ...cookieOptions(c),
      maxAge: 60,
    });
  return c.redirect(url, 303);
}

export function takeFlash(c: C): Flash | null {
  const raw = getCookie(c, cookieNames.flash);
  if (!raw) return null;
  deleteCookie(c, cookieNames.flash, { path: '/' });
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Flash;
    return typeof parsed.key === 'string' ? parsed : null;
  } catch {
    return null;
  }
}

export type FormData = Record<string, string | string[] | File>;

/** The request's form; fields that repeat (checkbox groups, multi-selects) come back as arrays. */
export async function readForm(c: C): Promise<Record<string, unknown>> {
  return (await c.req.parseBody({ all: true })) as Record<string, unknown>;
}

/**
 * Refuses a request body larger than `maxBytes(c)` before it is read: by its Content-Length, or
 * while a chunked body streams in (hono/body-limit). `tooLarge` answers instead of the route,
 * typically the route's form with a field error. Route middleware runs after the app-wide
 * middleware: when one of those has read the body already (the CSRF check reads form bodies),
 * its size is checked from the buffered copy instead, which keeps the answer but not the memory.
 */
export function limitBody(maxBytes: (c: C) => number, tooLarge: (c: C) => Response | Promise<Response>) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const maxSize = maxBytes(c);
    if (c.req.raw.bodyUsed) {
      const size = (await c.req.arrayBuffer()).byteLength;
      return size > maxSize ? tooLarge(c) : next();
    }
    return bodyLimit({ maxSize, onError: tooLarge })(c, next);
  });
}

/**
 * The client's address behind `hops` trusted reverse proxies: each proxy appends the address it
 * was reached from to X-Forwarded-For, so the client is the entry `hops` places from the right;
 * anything further left is written by the client and ignored. Without proxies, or with fewer
 * entries than proxies (a request that did not pass them all), the socket's address.
 */
export function clientAddress(socket: string, forwardedFor: string | undefined, hops: number): string {
  if (hops <= 0 || !forwardedFor) return socket;
  const chain = forwardedFor
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  return chain.length >= hops ? chain[chain.length - hops]! : socket;
}

/**
 * A redirect target from user input (`next`, `back`): only a path on this site. Refused (the
 * fallback instead): anything not starting with one `/`, any control character, whitespace or
 * backslash (browsers drop tabs and newlines and read `\\` as `/`, so `/%09/evil.example` would
 * leave the site, and CR/LF would break the header), and anything that resolves to another origin.
 */
export function localPath(value: string | undefined, fallback = '/'): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (!value?.startsWith('/') || /[\u0000-\u0020\u007f-\u00a0\\]|\s/u.test(value)) return fallback;
  const base = 'http://site.invalid';
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return fallback;
  }
  return url.origin === base ? `${url.pathname}${url.search}${url.hash}` : fallback;
}

/** A numeric id from the path (`:id` by default); anything else is a 404. */
export function idParam(c: C, name = 'id'): number {
  const id = toId(c.req.param(name));
  if (!id) throw new NotFoundError();
  return id;
}

/** Compares a token sent by a client with the expected one in constant time. */
export function sameToken(sent: string, expected: string): boolean {
  const x = Buffer.from(sent);
  const y = Buffer.from(expected);
  return x.length === y.length && timingSafeEqual(x, y);
}
