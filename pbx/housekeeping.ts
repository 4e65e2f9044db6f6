/**
 * Keeping the PBX's own files in bounds.
 * - Each instance folder records the data directory it belongs to (`data-dir`); at start, the
 *   folders of data directories that no longer exist — and whose Asterisk is not running — are
 *   removed (chroot mode keeps instances under the shared tree's /srv/callcenter).
 * - Asterisk's logs (`log/messages.log`, `console.log`, `queue_log`) are rotated when one grows
 *   past `maxBytes`: copied to `<name>.1` (the one before is dropped) and truncated in place.
 *   Asterisk appends (O_APPEND), so it goes on writing at the new end without a reload.
 */
import {
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { onHost, type PbxInstance } from './layout.ts';

const markerName = 'data-dir';
export const rotatedLogs = ['messages.log', 'console.log', 'queue_log'] as const;

/** Writes which data directory this instance serves. */
export function markInstance(instance: PbxInstance, dataDir: string): void {
  writeFileSync(onHost(instance, markerName), `${dataDir}\n`, { mode: 0o600 });
}

function pidAlive(folder: string): boolean {
  try {
    const pid = Number(readFileSync(join(folder, 'run', 'asterisk.pid'), 'utf8').trim());
    if (!(pid > 0)) return false;
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes the instance folders next to `instance` whose data directory is gone and whose
 * Asterisk is not running. Folders without a marker (made by an older release) are left alone.
 * Returns the folders removed.
 */
export function removeOrphanInstances(instance: PbxInstance): string[] {
  if (instance.runtime.mode !== 'chroot') return [];
  const parent = join(onHost(instance), '..');
  const removed: string[] = [];
  for (const name of readdirSync(parent)) {
    const folder = join(parent, name);
    if (folder === onHost(instance) || !name.startsWith('main-')) continue;
    const marker = join(folder, markerName);
    if (!existsSync(marker)) continue;
    const dataDir = readFileSync(marker, 'utf8').trim();
    if (!dataDir || existsSync(dataDir) || pidAlive(folder)) continue;
    rmSync(folder, { recursive: true, force: true });
    removed.push(folder);
  }
  return removed;
}

/** Rotates the instance's logs that grew past `maxBytes`; returns the names rotated. */
export function rotateLogs(instance: PbxInstance, maxBytes: number): string[] {
  const rotated: string[] = [];
  for (const name of rotatedLogs) {
    const file = onHost(instance, 'log', name);
    const size = statSync(file, { throwIfNoEntry: false })?.size ?? 0;
    if (size <= maxBytes) continue;
    copyFileSync(file, `${file}.1`);
    truncateSync(file, 0);
    rotated.push(name);
  }
  return rotated;
}
