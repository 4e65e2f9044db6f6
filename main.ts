/**
 * Starts the product, the only composition root: opens the database (external PostgreSQL or the
 * embedded one under the data directory) and applies migrations, serves the web UI, brings the
 * PBX up and connects the CTI to it, and runs the statistics and the hourly sweep.
 */
import { serve } from '@hono/node-server';
import { loadSettings } from './config/settings.ts';
import { RateLimiter } from './core/auth/rate-limiter.ts';
import { purgeExpiredSessions, randomToken } from './core/auth/sessions.ts';
import { isSetupDone } from './core/auth/setup.ts';
import { purgeStaleLoginFailures } from './core/auth/login-attempts.ts';
import { purgeExpiredRecordings } from './cti/call-log/recording-retention.ts';
import { StatsMaintainer } from './cti/stats/maintainer.ts';
import { CallLog } from './cti/call-log/log.ts';
import { recordingStoreIn } from './cti/calls/recorder.ts';
import { openDatabase } from './db/client.ts';
import { DomainEvents } from './core/events.ts';
import { CtiService } from './cti/service.ts';
import { PbxService } from './pbx/service.ts';
import { createApp } from './web/app.ts';
import { join } from 'node:path';
import { hostname } from 'node:os';

const settings = loadSettings();
const database = await openDatabase(
  settings.databaseUrl ? { url: settings.databaseUrl } : { dataDir: join(settings.dataDir, 'db') },
);
console.log(
  database.kind === 'embedded'
    ? `[db] embedded PostgreSQL in ${join(settings.dataDir, 'db')}`
    : '[db] PostgreSQL from DATABASE_URL',
);
await purgeExpiredSessions(database.db);

const { security } = settings;
const events = new DomainEvents();
const pbx = new PbxService(database.db, settings, events);
const cti = new CtiService(database.db, settings, events);
const setupKey = randomToken();
const app = createApp({
  db: database.db,
  settings,
  setupKey,
  loginLimiter: new RateLimiter(security.loginRateLimit, security.loginRateWindowSeconds * 1000),
  events,
  pbx,
  cti,
});

const server = serve({ fetch: app.fetch, hostname: settings.host, port: settings.port }, (info) => {
  const shownHost = settings.host === '0.0.0.0' || settings.host === '::' ? hostname() : settings.host;
  const url = settings.publicUrl || `http://${shownHost}:${info.port}/`;
  console.log(`[web] listening on ${settings.host}:${info.port}`);
  console.log(`Call center is up: open ${url}`);
  // First run: setup opens on the server itself; from another computer with this link.
  void isSetupDone(database.db).then((done) => {
    if (!done)
      console.log(`First-run setup from another computer: ${new URL(`/setup?key=${setupKey}`, url)}`);
  });
});

// The web UI is up at once; the PBX follows (provisioning Asterisk the first time takes a
// minute), then the CTI connects to it and handles calls.
void pbx.start().then(async () => {
  const connection = pbx.connection();
  if (!connection) return;
  await cti.start(connection).catch((err: Error) => console.error(`[cti] failed to start: ${err.message}`));
});

// Statistics follow the event log within a second (cti/stats/maintainer.ts).
const stats = new StatsMaintainer(database.db, settings.timeZone);
stats.start(500);

const callLog = new CallLog(database.db);
function hourly() {
  void purgeExpiredSessions(database.db).catch(() => {});
  void purgeStaleLoginFailures(database.db).catch(() => {});
  void purgeExpiredRecordings(database.db, callLog, recordingStoreIn(settings.dataDir))
    .then((n) => n > 0 && console.log(`[recordings] ${n} recording(s) past retention deleted`))
    .catch((err) => console.error('[recordings] purge failed:', err));
}
setTimeout(hourly, 10_000).unref();
setInterval(hourly, 3600_000).unref();

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`[main] ${signal}: stopping`);
  server.close();
  await stats.stop();
  await cti.stop();
  await pbx.stop();
  await database.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
