/**
 * Prompt files reach Asterisk by copy: the data directory keeps the library (data/prompts), and
 * the PBX instance gets what is missing or changed under sounds/prompts, where a chrooted
 * Asterisk can read it. Files are only added, never removed, so a call playing an older version
 * is never cut off.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inside, onHost, type PbxInstance } from './layout.ts';

export const promptsDirInside = (instance: PbxInstance) => inside(instance, 'sounds', 'prompts');

/** Copies new or changed prompt files from `library` into the instance; returns how many. */
export function syncPrompts(library: string, instance: PbxInstance): number {
  if (!existsSync(library)) return 0;
  const target = onHost(instance, 'sounds', 'prompts');
  mkdirSync(target, { recursive: true });
  let copied = 0;
  for (const name of readdirSync(library)) {
    if (!/\.(wav|sln16)$/.test(name)) continue;
    const from = join(library, name);
    const to = join(target, name);
    if (existsSync(to) && statSync(to).size === statSync(from).size) continue;
    // Copy beside, then rename: Asterisk never opens a half-copied file.
    copyFileSync(from, `${to}.part`);
    renameSync(`${to}.part`, to);
    copied++;
  }
  return copied;
}
