/**
 * Restores a backup (`backup.ts`, format in `archive.ts`) into an empty data directory: unpacks
 * it into a folder inside the directory, checks every file against the manifest (size and
 * SHA-256; nothing missing, nothing added, nothing but plain files) and the schema against the
 * migrations this release knows, then loads the embedded database and moves the files into
 * place. Whatever fails leaves the directory empty again. The product's next start applies
 * the migrations a backup from an older release lacks.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { embeddedDatabaseIn, loadEmbeddedDump } from '../../db/client.ts';
import { type BackupManifest, backupFormat, manifestName, sha256Of, unpackTar, walk } from './archive.ts';

/** Entries the data directory's lock leaves behind, which do not make it "not empty". */
const lockFiles = new Set(['.lock', '.instance']);

export class RestoreError extends Error {}

export interface RestoreTarget {
  dataDir: string;
  /** Set when the product is configured for an external PostgreSQL. */
  databaseUrl: string;
  /** The migration tags this release knows, oldest first. */
  knownSchemas: string[];
}

export interface Restored {
  manifest: BackupManifest;
  /** For an external database: where its dump was put, for the operator to load. */
  databaseDump?: string;
}

/** Refuses a data directory that holds anything (the lock's own files aside). */
export function assertEmptyDataDir(dataDir: string): void {
  if (!existsSync(dataDir)) return;
  if (!statSync(dataDir).isDirectory()) throw new RestoreError(`${dataDir} is not a directory`);
  const present = readdirSync(dataDir).filter((n) => !lockFiles.has(n));
  if (present.length > 0)
    throw new RestoreError(
      `the data directory ${dataDir} is not empty (it holds ${present.slice(0, 5).join(', ')}${present.length > 5 ? ', …' : ''}); restore only into an empty or new DATA_DIR`,
    );
}

export async function restoreBackup(file: string, target: RestoreTarget): Promise<Restored> {
  if (!existsSync(file) || !statSync(file).isFile()) throw new RestoreError(`no backup file ${file}`);
  assertEmptyDataDir(target.dataDir);
  const staging = join(target.dataDir, '.restoring');
  try {
    mkdirSync(staging, { recursive: true, mode: 0o700 });
    await unpackTar(file, staging).catch((err: Error) => {
      throw new RestoreError(`${file} is not a readable backup (${err.message})`);
    });
    const manifest = await verified(staging, target);
    let databaseDump: string | undefined;
    const dump = join(staging, manifest.database.file);
    if (manifest.database.kind === 'embedded') {
      if (target.databaseUrl)
        throw new RestoreError(
          'the backup holds the embedded database, but DATABASE_URL is set: unset it to restore the embedded database',
        );
      await loadEmbeddedDump(embeddedDatabaseIn(target.dataDir), new Blob([readFileSync(dump)]));
    } else {
      databaseDump = join(target.dataDir, manifest.database.file);
      renameSync(dump, databaseDump);
    }
    const files = join(staging, 'files');
    if (existsSync(files))
      for (const name of readdirSync(files)) renameSync(join(files, name), join(target.dataDir, name));
    rmSync(staging, { recursive: true, force: true });
    return { manifest, databaseDump };
  } catch (err) {
    cleanDataDir(target.dataDir);
    throw err;
  }
}

/** Reads the manifest and checks the unpacked files against it. */
async function verified(staging: string, target: RestoreTarget): Promise<BackupManifest> {
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(readFileSync(join(staging, manifestName), 'utf8')) as BackupManifest;
  } catch {
    throw new RestoreError(
      'the backup has no readable manifest: it is damaged or not a backup of this product',
    );
  }
  if (manifest.product !== 'callcenter' || manifest.format !== backupFormat || !Array.isArray(manifest.files))
    throw new RestoreError(`the backup's format is not one this release reads (format ${manifest.format})`);
  if (!target.knownSchemas.includes(manifest.schema))
    throw new RestoreError(
      `the backup was made by a newer release (${manifest.version}, schema ${manifest.schema}); this release knows schemas up to ${target.knownSchemas.at(-1)}: restore it with that release or a later one`,
    );
  const { files, others } = walk(staging);
  if (others.length > 0)
    throw new RestoreError(`the backup holds entries that are not plain files: ${others[0]}`);
  const listed = new Map(manifest.files.map((f) => [f.path, f]));
  const present = files.filter((f) => f !== manifestName);
  const unlisted = present.filter((f) => !listed.has(f));
  if (unlisted.length > 0)
    throw new RestoreError(`the backup holds a file its manifest does not list: ${unlisted[0]}`);
  for (const entry of manifest.files) {
    const path = join(staging, entry.path);
    if (!existsSync(path)) throw new RestoreError(`the backup is incomplete: ${entry.path} is missing`);
    if (statSync(path).size !== entry.size || (await sha256Of(path)) !== entry.sha256)
      throw new RestoreError(`the backup is damaged: ${entry.path} does not match its checksum`);
  }
  if (!listed.has(manifest.database.file)) throw new RestoreError('the backup holds no database');
  return manifest;
}

function cleanDataDir(dataDir: string): void {
  if (!existsSync(dataDir)) return;
  for (const name of readdirSync(dataDir))
    if (!lockFiles.has(name)) rmSync(join(dataDir, name), { recursive: true, force: true });
}
