/**
 * Writes a backup of a data directory (format in `archive.ts`) while the product may be running:
 * 1. the database first — embedded: PGlite's own copy of its files, taken with no transaction
 *    open; external: `pg_dump`, one consistent snapshot;
 * 2. then the files (prompts, recordings, the PBX's ports and secrets, the operator's region
 *    table), hard-linked into a staging folder in the data directory (copied where links
 *    cannot be made), so a file finished later is not half in the archive. Files written after
 *    the database copy may be in the backup without a record; every record in it has its file
 *    (unless retention deleted it in between, as it would have a moment later);
 * 3. checksums into the manifest, and one tar file, written under a temporary name and renamed.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { Database } from '../../db/client.ts';
import { type BackupManifest, backupFormat, manifestName, packTar, sha256Of, walk } from './archive.ts';

/** A path under the data directory a backup takes (a folder or a file), and paths under it it leaves out. */
export interface BackupContent {
  path: string;
  exclude?: string[];
}

export interface BackupSource {
  dataDir: string;
  contents: BackupContent[];
  /** The release writing it. */
  version: string;
  database: Pick<Database, 'kind' | 'schema' | 'dumpDataDir'>;
  /** External PostgreSQL, for pg_dump. */
  databaseUrl: string;
}

export class BackupError extends Error {}

const stagingPrefix = '.backup-';

/** Writes the backup to `file` (which must not exist) and returns its manifest. */
export async function writeBackup(source: BackupSource, file: string): Promise<BackupManifest> {
  if (existsSync(file)) throw new BackupError(`${file} exists already; choose another name`);
  if (!existsSync(dirname(file))) throw new BackupError(`the folder ${dirname(file)} does not exist`);
  // One backup at a time writes in a data directory (its holder's lock), so a staging folder
  // found here is what an interrupted one left.
  for (const name of readdirSync(source.dataDir))
    if (name.startsWith(stagingPrefix)) rmSync(join(source.dataDir, name), { recursive: true, force: true });
  const staging = join(source.dataDir, `${stagingPrefix}${randomBytes(6).toString('hex')}`);
  const partial = `${file}.partial-${process.pid}`;
  mkdirSync(staging, { mode: 0o700 });
  try {
    const databaseFile = await dumpDatabase(source, staging);
    const included = linkContents(source, join(staging, 'files'));
    const members = walk(staging).files;
    const files: BackupManifest['files'] = [];
    for (const path of members)
      files.push({
        path,
        size: statSync(join(staging, path)).size,
        sha256: await sha256Of(join(staging, path)),
      });
    const manifest: BackupManifest = {
      format: backupFormat,
      product: 'callcenter',
      version: source.version,
      createdAt: new Date().toISOString(),
      host: hostname(),
      schema: source.database.schema.current,
      database: { kind: source.database.kind, file: databaseFile },
      included,
      files,
    };
    writeFileSync(join(staging, manifestName), `${JSON.stringify(manifest, null, 1)}\n`, { mode: 0o600 });
    const names = [manifestName, databaseFile, ...(existsSync(join(staging, 'files')) ? ['files'] : [])];
    await packTar(partial, staging, names);
    renameSync(partial, file);
    return manifest;
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(partial, { force: true });
  }
}

async function dumpDatabase(source: BackupSource, staging: string): Promise<string> {
  const { database } = source;
  if (database.kind === 'embedded') {
    if (!database.dumpDataDir) throw new BackupError('the embedded database cannot be copied');
    const dump = await database.dumpDataDir();
    writeFileSync(join(staging, 'database.tar.gz'), new Uint8Array(await dump.arrayBuffer()), {
      mode: 0o600,
    });
    return 'database.tar.gz';
  }
  const out = join(staging, 'database.pgdump');
  await pgDump(source.databaseUrl, out);
  return 'database.pgdump';
}

/** pg_dump in its custom format; the password goes through the environment, never the command line. */
function pgDump(url: string, out: string): Promise<void> {
  const target = new URL(url);
  const password = decodeURIComponent(target.password);
  target.password = '';
  return new Promise((resolve, reject) =>
    execFile(
      'pg_dump',
      ['--format=custom', '--no-owner', '--no-privileges', '--file', out, '--dbname', target.toString()],
      { env: { ...process.env, PGPASSWORD: password }, maxBuffer: 1 << 20 },
      (err, _stdout, stderr) => {
        if (!err) return resolve();
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
        reject(
          new BackupError(
            missing
              ? 'pg_dump is not installed: install the PostgreSQL client of your server’s version (apt-get install postgresql-client), or back the database up yourself'
              : `pg_dump failed: ${stderr.trim() || err.message}`,
          ),
        );
      },
    ),
  );
}

/** Links the contents into `files/` at their paths; returns the contents that exist. */
function linkContents(source: BackupSource, into: string): string[] {
  const included: string[] = [];
  for (const content of source.contents) {
    const from = join(source.dataDir, content.path);
    const st = statSync(from, { throwIfNoEntry: false });
    if (!st) continue;
    included.push(content.path);
    const paths = st.isDirectory()
      ? walk(from)
          .files.map((f) => join(content.path, f))
          .filter((p) => !(content.exclude ?? []).some((x) => p === x || p.startsWith(`${x}/`)))
      : st.isFile()
        ? [content.path]
        : [];
    for (const path of paths) keep(join(source.dataDir, path), join(into, path));
  }
  return included;
}

function keep(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true, mode: 0o700 });
  try {
    linkSync(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return; // deleted since the listing (retention, a replaced prompt)
    try {
      copyFileSync(from, to); // another file system, or links not allowed
    } catch (copyErr) {
      if ((copyErr as NodeJS.ErrnoException).code !== 'ENOENT') throw copyErr;
    }
  }
}

/** A few words on a written backup (what the command prints). */
export function backupSummary(manifest: BackupManifest): string {
  const bytes = manifest.files.reduce((sum, f) => sum + f.size, 0);
  const count = (dir: string) => manifest.files.filter((f) => f.path.startsWith(`files/${dir}/`)).length;
  return `${manifest.database.kind} database at ${manifest.schema}, ${count('prompts')} prompt file(s), ${count('recordings')} recording file(s), ${manifest.included.join(', ') || 'no files'}; ${(bytes / 1048576).toFixed(1)} MiB before packing`;
}
