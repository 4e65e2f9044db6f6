/**
 * `./run.sh backup [FILE]` and `./run.sh restore FILE` (run as `node --import tsx scripts/backup.ts
 * backup|restore …`), for the data directory of the settings (DATA_DIR, DATABASE_URL).
 * - backup: when an instance runs on the data directory it writes the backup itself (asked over
 *   its control socket, `core/ops/control.ts`), so the database is copied consistently while it
 *   serves; otherwise this command takes the data directory's lock and writes it.
 * - restore: into an empty or new data directory, under its lock.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadSettings, productVersion } from '../config/settings.ts';
import { backupSummary, writeBackup } from '../core/ops/backup.ts';
import { askInstance } from '../core/ops/control.ts';
import { DataDirInUse, type DataDirLock, lockDataDir } from '../core/ops/data-dir.ts';
import { assertEmptyDataDir, restoreBackup } from '../core/ops/restore.ts';
import { databaseTarget, embeddedDatabaseIn, knownMigrations, openDatabase } from '../db/client.ts';
import { backupSourceOf } from '../pbx/backup-contents.ts';

const version = productVersion();

function fail(message: string): never {
  console.error(`error: ${message}`);
  process.exit(1);
}

async function backup(fileArg: string | undefined): Promise<void> {
  const settings = loadSettings();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const file = resolve(fileArg ?? `callcenter-backup-${stamp}.tar`);
  if (!existsSync(settings.dataDir)) fail(`there is no data directory ${settings.dataDir} (DATA_DIR)`);
  let lock: DataDirLock;
  try {
    lock = await lockDataDir(settings.dataDir);
  } catch (err) {
    if (!(err instanceof DataDirInUse)) throw err;
    console.log(`The call center is running on ${settings.dataDir}: asking it for the backup`);
    const answer = await askInstance(settings.dataDir, { op: 'backup', file });
    if (!answer.ok) fail(answer.error);
    console.log(`Backup written to ${file}: ${String(answer.result)}`);
    return;
  }
  try {
    if (!settings.databaseUrl && !existsSync(embeddedDatabaseIn(settings.dataDir)))
      fail(`there is no database in ${settings.dataDir}: nothing to back up`);
    const database = await openDatabase(databaseTarget(settings.databaseUrl, settings.dataDir));
    try {
      const manifest = await writeBackup(backupSourceOf(settings, database, version), file);
      console.log(`Backup written to ${file}: ${backupSummary(manifest)}`);
    } finally {
      await database.close();
    }
  } finally {
    lock.release();
  }
}

async function restore(fileArg: string | undefined): Promise<void> {
  if (!fileArg) fail('usage: ./run.sh restore FILE');
  const settings = loadSettings();
  const file = resolve(fileArg);
  assertEmptyDataDir(settings.dataDir);
  const lock = await lockDataDir(settings.dataDir);
  try {
    const restored = await restoreBackup(file, {
      dataDir: settings.dataDir,
      databaseUrl: settings.databaseUrl,
      knownSchemas: knownMigrations().map((m) => m.tag),
    });
    const { manifest } = restored;
    console.log(
      `Restored the backup of ${manifest.createdAt} (release ${manifest.version}, ${backupSummary(manifest)}) into ${settings.dataDir}`,
    );
    if (restored.databaseDump)
      console.log(
        `The database is an external PostgreSQL: load ${restored.databaseDump} into an empty database yourself, e.g.\n  pg_restore --no-owner --dbname "$DATABASE_URL" ${restored.databaseDump}\nthen start the call center with that DATABASE_URL.`,
      );
    else console.log('Start the call center as usual (./run.sh); it brings the database up to this release.');
  } finally {
    lock.release();
  }
}

process.umask(0o077); // the backup holds the PBX's secrets and every recording
const [command, arg] = process.argv.slice(2);
try {
  if (command === 'backup') await backup(arg);
  else if (command === 'restore') await restore(arg);
  else fail('usage: ./run.sh backup [FILE] | ./run.sh restore FILE');
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
