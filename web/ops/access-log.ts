/**
 * The HTTP access log: one line per request with method, path (never the query string, which can
 * carry a setup key or search terms), status, duration, client address and user. Static files
 * and the monitoring paths are logged at debug level; everything else at info. A live stream is
 * logged when its response starts.
 */
import { createMiddleware } from 'hono/factory';
import { logOf } from '../../core/ops/log.ts';
import type { AppEnv } from '../env.ts';
import { monitoringPaths } from './routes.ts';

const http = logOf('http');

export const accessLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = performance.now();
  try {
    await next();
  } finally {
    const path = c.req.path.slice(0, 200);
    const quiet = path.startsWith('/static/') || monitoringPaths.has(path);
    const ms = Math.round(performance.now() - started);
    const status = c.res.status;
    const actor = c.get('actor');
    (quiet ? http.debug : http.info)(`${c.req.method} ${path} ${status} ${ms}ms`, {
      method: c.req.method,
      path,
      status,
      ms,
      ip: c.get('ip'),
      ...(actor ? { user: actor.username } : {}),
    });
  }
});
