/**
 * The backup file: one tar archive (made and read by Debian's `tar`, an essential package) with
 *
 *     manifest.json      what the backup holds: product version, schema, time, every file's SHA-256
 *     database.tar.gz    the embedded database (PGlite's dumpDataDir), or
 *     database.pgdump    an external PostgreSQL database (pg_dump's custom format)
 *     files/…            the data directory's stores, at their paths under the data directory
 *
 * The manifest lists every other member with its size and checksum; a restore refuses an
 * archive where anything differs, is missing or was added.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

export const backupFormat = 1;

export interface BackupManifest {
  format: number;
  product: 'callcenter';
  /** The release that wrote it (package.json). */
  version: string;
  createdAt: string;
  host: string;
  /** The newest migration the database was at (drizzle-kit's tag). */
  schema: string;
  database: { kind: 'embedded' | 'postgres'; file: string };
  /** What of the data directory it holds (paths under the data directory that existed). */
  included: string[];
  /** Every member besides the manifest, by its path in the archive. */
  files: { path: string; size: number; sha256: string }[];
}

export const manifestName = 'manifest.json';

export function sha256Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/**
 * Every entry under `dir`, relative to it: regular files and directories; anything else
 * (symbolic links, devices, sockets) is reported in `others`.
 */
export function walk(dir: string): { files: string[]; others: string[] } {
  const files: string[] = [];
  const others: string[] = [];
  const visit = (path: string) => {
    for (const name of readdirSync(path)) {
      const full = join(path, name);
      const st = lstatSync(full);
      if (st.isDirectory()) visit(full);
      else if (st.isFile()) files.push(relative(dir, full));
      else others.push(relative(dir, full));
    }
  };
  visit(dir);
  return { files: files.sort(), others };
}

export function runTar(args: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('tar', args, { maxBuffer: 1 << 20 }, (err, _out, stderr) =>
      err ? reject(new Error(`tar failed: ${stderr.trim() || err.message}`)) : resolve(),
    ),
  );
}

/** Packs `names` (members of `dir`) into `file`; hard links are stored as the files they are. */
export const packTar = (file: string, dir: string, names: string[]) =>
  runTar(['--create', '--file', file, '--hard-dereference', '--directory', dir, '--', ...names]);

/**
 * Unpacks `file` into `dir` as plain files owned by this user (GNU tar keeps members inside
 * `dir`: it refuses names with `..` and strips a leading `/`).
 */
export const unpackTar = (file: string, dir: string) =>
  runTar(['--extract', '--file', file, '--directory', dir, '--no-same-owner', '--no-same-permissions']);
