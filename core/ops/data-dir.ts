/**
 * The data directory belongs to one running instance, and to nobody else on the machine.
 * - **Exclusive**: an instance holds an exclusive `flock(2)` on `<data>/.lock` for its whole
 *   life. The lock is held by a small `flock(1)` child reading this process's pipe: when this
 *   process ends in any way (even SIGKILL) the pipe closes, the child exits and the kernel drops
 *   the lock — no stale lock files, and it works across containers sharing the directory (one
 *   kernel). A second instance is refused with the first one's PID, host and start time, which
 *   the holder writes to `<data>/.instance`. Node has no flock of its own; util-linux's `flock`
 *   is on every Debian system (essential package), so no native add-on is needed.
 * - **Private**: the directory is 0700 — nobody else reaches anything in it, whatever mode a file
 *   gets (the embedded database creates its files 0666) — and at start everything in it is made
 *   owner-only (directories 0700, files 0600), correcting what an older release left open. Not
 *   by a process-wide umask: the supervised Asterisk runs as its own user and must read the
 *   prompts and music this process copies into its instance. The subtrees Asterisk itself owns
 *   (a host-mode instance under `pbx/asterisk`) are left as the PBX sets them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export class DataDirInUse extends Error {
  constructor(
    readonly dir: string,
    readonly holder: { pid?: number; host?: string; startedAt?: string },
  ) {
    const who = holder.pid
      ? `process ${holder.pid}${holder.host ? ` on ${holder.host}` : ''}${holder.startedAt ? `, started ${holder.startedAt}` : ''}`
      : 'another process';
    super(`the data directory ${dir} is in use by ${who}; stop it first, or use another DATA_DIR`);
  }
}

export interface DataDirLock {
  /** Gives the directory up (the process ending does the same). */
  release(): void;
}

const conflict = 75;

/** Takes the data directory for this process, or throws `DataDirInUse`. */
export async function lockDataDir(dir: string): Promise<DataDirLock> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lockFile = join(dir, '.lock');
  const infoFile = join(dir, '.instance');
  const child = spawn(
    'flock',
    [
      '--exclusive',
      '--nonblock',
      '--conflict-exit-code',
      String(conflict),
      lockFile,
      'sh',
      '-c',
      'echo locked; exec cat >/dev/null',
    ],
    { stdio: ['pipe', 'pipe', 'ignore'] },
  );
  const acquired = await new Promise<boolean>((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`cannot lock the data directory (flock): ${err.message}`)));
    child.once('exit', (code) =>
      code === conflict
        ? resolve(false)
        : reject(new Error(`cannot lock the data directory: flock exited ${code}`)),
    );
    child.stdout?.once('data', () => resolve(true));
  });
  if (!acquired) throw new DataDirInUse(dir, holderOf(infoFile));
  child.removeAllListeners('exit');
  writeFileSync(
    infoFile,
    JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() }),
    {
      mode: 0o600,
    },
  );
  // The lock must not keep this process alive by itself.
  unrefChild(child);
  return {
    release() {
      child.stdin?.end();
      child.kill();
    },
  };
}

function unrefChild(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdin, child.stdout]) {
    const handle = (stream as unknown as { _handle?: { unref?: () => void } } | null)?._handle;
    handle?.unref?.();
  }
}

function holderOf(infoFile: string): { pid?: number; host?: string; startedAt?: string } {
  try {
    const info = JSON.parse(readFileSync(infoFile, 'utf8')) as {
      pid?: unknown;
      host?: unknown;
      startedAt?: unknown;
    };
    return {
      pid: typeof info.pid === 'number' ? info.pid : undefined,
      host: typeof info.host === 'string' ? info.host : undefined,
      startedAt: typeof info.startedAt === 'string' ? info.startedAt : undefined,
    };
  } catch {
    return {};
  }
}

/** Subtrees of the data directory that the PBX owns and sets modes for itself. */
export const pbxOwnedIn = (dataDir: string): string[] => [
  join(dataDir, 'pbx', 'asterisk'),
  join(dataDir, 'recordings', 'spool'),
];

/**
 * Makes everything under `dir` private to its owner (directories 0700, files 0600, executable
 * bits kept for the owner); symbolic links are not followed. Returns how many entries changed.
 */
export function makePrivate(dir: string, skip: readonly string[] = []): number {
  let changed = 0;
  const visit = (path: string) => {
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st || st.isSymbolicLink() || skip.includes(path)) return;
    if ((st.mode & 0o077) !== 0) {
      chmodSync(path, st.isDirectory() ? 0o700 : (st.mode & 0o700) | 0o600);
      changed++;
    }
    if (st.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(dir);
  return changed;
}
