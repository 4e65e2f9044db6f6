/**
 * Preparing an Asterisk instance on disk: its directories (owned by the tree's asterisk user),
 * and writing configuration files atomically, reporting which ones changed so that only the
 * affected modules are reloaded.
 */
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  statSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { ConfigFiles } from './config/static-files.ts';
import { instanceDirs, onHost, type PbxInstance } from './layout.ts';

/** uid and gid of the asterisk user of the tree (from its /etc/passwd). */
export function asteriskUser(root: string): { uid: number; gid: number } | null {
  const passwd = join(root, 'etc', 'passwd');
  if (!existsSync(passwd)) return null;
  const line = readFileSync(passwd, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('asterisk:'));
  if (!line) return null;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export function prepareInstanceDirs(instance: PbxInstance): void {
  const owner = asteriskUser(instance.runtime.root);
  mkdirSync(onHost(instance), { recursive: true, mode: 0o755 });
  chmodSync(dirname(onHost(instance)), 0o755);
  if (owner) chownSync(onHost(instance), owner.uid, owner.gid);
  for (const d of instanceDirs) {
    const path = onHost(instance, d);
    mkdirSync(path, { recursive: true, mode: 0o750 });
    if (owner) chownSync(path, owner.uid, owner.gid);
  }
}

/**
 * A host-mode instance lives inside the (private, 0700) data directory: its user's group may
 * pass through the folders above it (0710, group asterisk) without listing or reading them.
 */
export function letAsteriskThrough(instance: PbxInstance, folders: string[]): void {
  const owner = asteriskUser(instance.runtime.root);
  if (instance.runtime.mode !== 'host' || !owner) return;
  for (const folder of folders) {
    chownSync(folder, statSync(folder).uid, owner.gid);
    chmodSync(folder, 0o710);
  }
}

/** Writes the files into the instance's etc/; returns the names whose content changed. */
export function writeConfigFiles(instance: PbxInstance, files: ConfigFiles): string[] {
  const owner = asteriskUser(instance.runtime.root);
  const changed: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    const path = onHost(instance, 'etc', name);
    if (existsSync(path) && readFileSync(path, 'utf8') === content) continue;
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, content, { mode: 0o640 });
    if (owner) chownSync(tmp, owner.uid, owner.gid);
    renameSync(tmp, path);
    changed.push(name);
  }
  return changed;
}

/** The Asterisk module to reload when a file changes. */
export const reloadTarget: Record<string, string> = {
  'pjsip.conf': 'res_pjsip.so',
  'extensions.conf': 'pbx_config.so',
  'musiconhold.conf': 'res_musiconhold.so',
  'manager.conf': 'manager',
  'http.conf': 'http',
  'ari.conf': 'res_ari.so',
  'logger.conf': 'logger',
  'rtp.conf': 'res_rtp_asterisk.so',
  'features.conf': 'features',
};
