/**
 * Finds or builds the Asterisk runtime by running pbx/provision.sh (the same script the
 * README's run command, the tests and the Dockerfile use). Runs at the same time (several test
 * files, the product) are safe: the script builds under a lock next to the tree and the others
 * wait for it.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pbxRootSetting } from '../config/settings.ts';
import type { PbxRuntime } from './layout.ts';

const script = join(dirname(fileURLToPath(import.meta.url)), 'provision.sh');

/** Where the sid tree is cached when nothing else is configured: shared by the product and the tests on this machine. */
export function defaultPbxRoot(dataDir: string): string {
  const configured = pbxRootSetting();
  if (configured) return configured;
  return process.getuid?.() === 0 ? '/var/cache/callcenter/asterisk-root' : join(dataDir, 'pbx', 'root');
}

export function provisionPbx(root: string): Promise<PbxRuntime> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [script],
      { env: { ...process.env, PBX_ROOT: root }, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`Asterisk provisioning failed:\n${stderr.trim()}`));
        const mode = /PBX_MODE=(\w+)/.exec(stdout)?.[1];
        const at = /PBX_ROOT=(.+)/.exec(stdout)?.[1]?.trim();
        if ((mode !== 'host' && mode !== 'chroot') || !at)
          return reject(new Error(`unexpected provisioning output: ${stdout}`));
        resolve({ mode, root: at });
      },
    );
  });
}
