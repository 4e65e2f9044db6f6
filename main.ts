/**
 * Starts the product, the only composition root: opens the database (external PostgreSQL or the
 * embedded one under the data directory) and applies migrations, serves the web UI, brings the
 * PBX up and connects the CTI to it, and runs the statistics and the hourly sweep.
 */
import { serve } from '@hono/node-server';
import { loadSettings, productVersion, type Settings } from './config/settings.ts';
import { RateLimiter } from './core/auth/rate-limiter.ts';
import { purgeExpiredSessions, randomToken } from './core/auth/sessions.ts';
import { isSetupDone } from './core/auth/setup.ts';
import { purgeStaleLoginFailures } from './core/auth/login-attempts.ts';
import { purgeExpiredRecordings } from './cti/call-log/recording-retention.ts';
import { StatsMaintainer } from './cti/stats/maintainer.ts';
import { CallLog } from './cti/call-log/log.ts';
import { recordingStoreIn } from './cti/calls/recorder.ts';
import { databaseTarget, embeddedDatabaseIn, openDatabase } from './db/client.ts';
import { DomainEvents } from './core/events.ts';
import { CtiService } from './cti/service.ts';
import { PbxService } from './pbx/service.ts';
import { createApp } from './web/app.ts';
import { lockDataDir, makePrivate, pbxOwnedIn } from './core/ops/data-dir.ts';
import { configureLogs, logOf } from './core/ops/log.ts';
import { hostname } from 'node:os';
import { backupSummary, writeBackup } from './core/ops/backup.ts';
import { serveControl } from './core/ops/control.ts';
import { backupSourceOf } from './pbx/backup-contents.ts';

/** A start-up failure is one line saying what to fix, not a stack trace. */
const log = logOf('main');
function cannotStart(what: string, err: unknown): never {
  const reason = err instanceof Error ? err.message : '';
  log.error(`cannot start: ${[what, reason].filter(Boolean).join(': ')}`);
  process.exit(1);
}

const version = productVersion();
let settings: Settings;
try {
  settings = loadSettings();
} catch (err) {
  cannotStart('a setting is wrong', err);
}
configureLogs(settings.log.format, settings.log.level);
log.info(`callcenter ${version} (Node.js ${process.version}, pid ${process.pid})`, { version });
// One instance per data directory; a second one stops here, naming the first.
const dataLock = await lockDataDir(settings.dataDir).catch((err: Error) => cannotStart('', err));
// The data directory holds the database, recordings and secrets: its owner's alone.
const madePrivate = makePrivate(settings.dataDir, pbxOwnedIn(settings.dataDir));
if (madePrivate > 0) logOf('data').info(`${madePrivate} file(s) and folder(s) made private to this user`);
const database = await openDatabase(databaseTarget(settings.databaseUrl, settings.dataDir)).catch(
  (err: Error) =>
    cannotStart(
      settings.databaseUrl
        ? `the database at DATABASE_URL (${redactedUrl(settings.databaseUrl)}) cannot be used`
        : `the embedded database in ${embeddedDatabaseIn(settings.dataDir)} cannot be opened`,
      err,
    ),
);
const dbLog = logOf('db');
dbLog.info(
  database.kind === 'embedded'
    ? `embedded PostgreSQL in ${embeddedDatabaseIn(settings.dataDir)}`
    : `PostgreSQL from DATABASE_URL (${redactedUrl(settings.databaseUrl)})`,
);
dbLog.info(
  `schema at ${database.schema.current}${database.schema.appliedNow.length > 0 ? `; migrations applied now: ${database.schema.appliedNow.join(', ')}` : ' (no migration needed)'}`,
);
await purgeExpiredSessions(database.db);
// `./run.sh backup` asks this instance, which holds the data directory, for a backup.
const control = serveControl(
  settings.dataDir,
  {
    backup: async (file) =>
      backupSummary(await writeBackup(backupSourceOf(settings, database, version), file)),
  },
  logOf('backup').line,
);

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

/** A database address without its password, for logs. */
function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'unreadable URL';
  }
}

const server = serve({ fetch: app.fetch, hostname: settings.host, port: settings.port }, (info) => {
  const shownHost = settings.host === '0.0.0.0' || settings.host === '::' ? hostname() : settings.host;
  const url = settings.publicUrl || `http://${shownHost}:${info.port}/`;
  const web = logOf('web');
  web.info(`listening on ${settings.host}:${info.port}`);
  web.info(`Call center is up: open ${url}`);
  // First run: setup opens on the server itself; from another computer with this link.
  void isSetupDone(database.db).then((done) => {
    if (!done) web.info(`First-run setup from another computer: ${new URL(`/setup?key=${setupKey}`, url)}`);
  });
});
server.once('error', (err: NodeJS.ErrnoException) =>
  cannotStart(
    err.code === 'EADDRINUSE'
      ? `port ${settings.port} on ${settings.host} is taken by another program (set PORT)`
      : err.code === 'EACCES'
        ? `not allowed to listen on port ${settings.port} (ports below 1024 need root; set PORT)`
        : 'the web server cannot listen',
    err,
  ),
);

// The web UI is up at once; the PBX follows (provisioning Asterisk the first time takes a
// minute), then the CTI connects to it and handles calls.
void pbx.start().then(async () => {
  const connection = pbx.connection();
  if (!connection) return;
  await cti.start(connection).catch((err: Error) => logOf('cti').error(`failed to start: ${err.message}`));
});

// Statistics follow the event log within a second (cti/stats/maintainer.ts).
const stats = new StatsMaintainer(database.db, settings.timeZone);
stats.start(500);

const callLog = new CallLog(database.db);
function hourly() {
  void purgeExpiredSessions(database.db).catch(() => {});
  void purgeStaleLoginFailures(database.db).catch(() => {});
  void purgeExpiredRecordings(database.db, callLog, recordingStoreIn(settings.dataDir))
    .then((n) => n > 0 && logOf('recordings').info(`${n} recording(s) past retention deleted`))
    .catch((err: Error) => logOf('recordings').error(`purge failed: ${err.message}`, { err }));
}
setTimeout(hourly, 10_000).unref();
setInterval(hourly, 3600_000).unref();

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info(`${signal}: stopping`);
  server.close();
  control.close();
  await stats.stop();
  await cti.stop();
  await pbx.stop();
  await database.close();
  dataLock.release();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
