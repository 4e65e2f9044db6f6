/**
 * Static assets: our CSS and scripts, and the pinned htmx build from node_modules. These routes
 * run before the page context (no locale, no layout), so an unknown asset is answered with a bare,
 * language-neutral "404".
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import type { AppEnv } from './env.ts';
import { widgetBundle } from './widget-bundle.ts';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

const assets: Record<string, { path: string; type: string }> = {
  'app.css': { path: join(here, 'static', 'app.css'), type: 'text/css; charset=utf-8' },
  'app.js': { path: join(here, 'static', 'app.js'), type: 'text/javascript; charset=utf-8' },
  'vendor/htmx.min.js': {
    path: require.resolve('htmx.org/dist/htmx.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  'vendor/htmx-ext-sse.js': {
    path: require.resolve('htmx-ext-sse/dist/sse.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
};

const cache = new Map<string, Buffer>();

export const staticRoutes = new Hono<AppEnv>();
staticRoutes.get('/widgets/:file{[a-z0-9-]+\\.js}', async (c) => {
  const bundle = widgetBundle(c.req.param('file').replace(/\.js$/, ''));
  if (!bundle) return c.text('404', 404);
  c.header('Content-Type', 'text/javascript; charset=utf-8');
  c.header('Cache-Control', 'public, max-age=300');
  return c.body(await bundle);
});

staticRoutes.get('/*', (c) => {
  const name = c.req.path.replace(/^\/static\//, '');
  const asset = assets[name];
  if (!asset) return c.text('404', 404);
  let body = cache.get(name);
  if (!body) {
    body = readFileSync(asset.path);
    cache.set(name, body);
  }
  c.header('Content-Type', asset.type);
  c.header('Cache-Control', 'public, max-age=300');
  return c.body(new Uint8Array(body));
});
