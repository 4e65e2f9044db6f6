/** Starts the real web application on a free loopback port for a test, and stops it. */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { loadSettings, type Settings } from '../../config/settings.ts';
import { RateLimiter } from '../../core/auth/rate-limiter.ts';
import { configureLogs } from '../../core/ops/log.ts';
import { DomainEvents } from '../../core/events.ts';
import type { PbxService } from '../../pbx/service.ts';
import type { Db } from '../../db/client.ts';
import type { AppDeps } from '../../web/env.ts';
import { createApp } from '../../web/app.ts';

export interface RunningApp {
  url: string;
  deps: AppDeps;
  close(): Promise<void>;
}

export interface AppOptions {
  settings?: (s: Settings) => void;
  pbx?: PbxService;
}

export async function startApp(db: Db, options: AppOptions = {}): Promise<RunningApp> {
  // The access log of every test request would drown the test output: warnings and errors only.
  configureLogs('text', 'warn');
  // The call centre's time zone as the test set it (TIME_ZONE), as the product reads it at start.
  const settings = loadSettings({
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: 'test-output/data',
    TIME_ZONE: process.env.TIME_ZONE ?? '',
  });
  options.settings?.(settings);
  const deps: AppDeps = {
    db,
    settings,
    setupKey: 'test-setup-key-0123456789abcdef',
    loginLimiter: new RateLimiter(
      settings.security.loginRateLimit,
      settings.security.loginRateWindowSeconds * 1000,
    ),
    events: new DomainEvents(),
    pbx: options.pbx ?? null,
    cti: null,
  };
  const app = createApp(deps);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    deps,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
