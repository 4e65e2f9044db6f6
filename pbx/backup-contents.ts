/**
 * What of the data directory a backup takes, each path from the module that owns it: the
 * prompts, the finished recordings (not the spool an external Asterisk may write into), the
 * PBX instance's ports and secrets, and the operator's own region table. Left out, because the
 * product makes them again: the database's files (dumped instead), the Asterisk instance's
 * generated configuration, logs and runtime files (`pbx/asterisk`), the Asterisk tree
 * (`pbx/root`), exports (kept an hour), and the lock files.
 */
import { relative } from 'node:path';
import type { BackupContent, BackupSource } from '../core/ops/backup.ts';
import { recordingStoreIn } from '../cti/calls/recorder.ts';
import { ownRegionsFileIn } from '../cti/lines/regions.ts';
import { promptStoreIn } from '../cti/media/prompts.ts';
import { defaultExternalSpoolIn, pbxInstanceFileIn } from './layout.ts';

export function backupContents(dataDir: string): BackupContent[] {
  const under = (path: string) => relative(dataDir, path);
  return [
    { path: under(promptStoreIn(dataDir, { maxSeconds: 0, maxBytes: 0 }).dir) },
    { path: under(recordingStoreIn(dataDir)), exclude: [under(defaultExternalSpoolIn(dataDir))] },
    { path: under(pbxInstanceFileIn(dataDir)) },
    { path: under(ownRegionsFileIn(dataDir)) },
  ];
}

/** What a backup of this installation reads: its data directory's contents and its database. */
export function backupSourceOf(
  settings: { dataDir: string; databaseUrl: string },
  database: BackupSource['database'],
  version: string,
): BackupSource {
  return {
    dataDir: settings.dataDir,
    contents: backupContents(settings.dataDir),
    version,
    database,
    databaseUrl: settings.databaseUrl,
  };
}
