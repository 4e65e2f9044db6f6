/**
 * A Debian 12 machine with systemd as PID 1, for testing the product's systemd unit where the
 * test host itself does not run systemd: a bookworm tree (debootstrap from the machine's
 * Debian mirror, built once under /var/cache/callcenter/systemd-root) booted by
 * `systemd-nspawn`. It shares the host's network, so loopback ports, the test PostgreSQL, SIPp
 * and baresip on the host reach what runs inside. Commands run inside with `nsenter`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = '/var/cache/callcenter/systemd-root';
const packages = 'systemd,systemd-sysv,dbus,ca-certificates,procps,iproute2';
const stamp = join(root, '.callcenter-systemd-ready');

/** The bookworm tree with systemd, built on first use (about 1.5 minutes) and kept. */
export async function systemdRoot(): Promise<string> {
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === packages) return root;
  mkdirSync(dirname(root), { recursive: true });
  const { stdout } = await run('bash', ['scripts/debian-mirror.sh']);
  rmSync(root, { recursive: true, force: true });
  await run(
    'flock',
    [
      `${root}.lock`,
      'debootstrap',
      '--variant=minbase',
      `--include=${packages}`,
      'bookworm',
      root,
      stdout.trim(),
    ],
    { maxBuffer: 64 << 20 },
  );
  // apt inside (install-service runs the installer): the snapshot may be past Valid-Until.
  writeFileSync(join(root, 'etc/apt/apt.conf.d/99callcenter'), 'Acquire::Check-Valid-Until "false";\n');
  writeFileSync(stamp, packages);
  return root;
}

export interface Bind {
  /** A path on the host, seen at the same path inside. */
  path: string;
  readOnly?: boolean;
}

export class SystemdMachine {
  private constructor(
    private readonly nspawn: ChildProcess,
    private readonly leader: number,
    private readonly output: () => string,
  ) {}

  /**
   * Boots the tree. `binds` appear at the same paths inside; `overlays` too, but what the
   * machine writes there goes to a scratch folder instead of the host's copy. The host's
   * Node.js and npm are made visible at their own paths.
   */
  static async boot(options: { binds: Bind[]; overlays?: { path: string; scratch: string }[] }) {
    const tree = await systemdRoot();
    const node = process.execPath;
    const npm = (await run('bash', ['-c', 'command -v npm'])).stdout.trim();
    const binds: Bind[] = [...options.binds, { path: node, readOnly: true }];
    if (npm) {
      // npm is a link into node's lib folder: the folder is bound, the link made again.
      const target = readlinkSync(npm);
      binds.push({ path: resolve(dirname(npm), dirname(dirname(dirname(target)))), readOnly: true });
      mkdirSync(join(tree, dirname(npm)), { recursive: true });
      rmSync(join(tree, npm), { force: true });
      symlinkSync(target, join(tree, npm));
    }
    const args = [
      '-D',
      tree,
      '--register=no',
      '--keep-unit',
      '--boot',
      '--console=passive',
      `--machine=cc-${process.pid}`,
      ...binds.map((b) => `--bind${b.readOnly ? '-ro' : ''}=${b.path}`),
      ...(options.overlays ?? []).map((o) => {
        mkdirSync(o.scratch, { recursive: true });
        return `--overlay=${o.path}:${o.scratch}:${o.path}`;
      }),
    ];
    const nspawn = spawn('systemd-nspawn', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    nspawn.stdout?.on('data', (d) => (out += d));
    nspawn.stderr?.on('data', (d) => (out += d));
    const fail = (why: string) => {
      nspawn.kill('SIGKILL');
      return new Error(`${why}:\n${out}`);
    };
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (nspawn.exitCode !== null) throw fail(`systemd-nspawn exited ${nspawn.exitCode}`);
      if (Date.now() > deadline) throw fail('the machine did not boot');
      const leader = await systemdUnder(nspawn.pid!);
      if (leader) {
        // Until systemd has opened its own socket, systemctl cannot reach it ("Failed to
        // connect to bus"): ask again until it answers, then wait for the boot to finish.
        const machine = new SystemdMachine(nspawn, leader, () => out);
        const state = await machine.exec('systemctl is-system-running --wait', 60_000);
        if (/running|degraded/.test(state.out)) return machine;
        if (!/Failed to connect/.test(state.out)) throw fail(`systemd inside is ${state.out}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Runs a shell command inside (as root, in every namespace of the machine). */
  exec(command: string, timeoutMs = 120_000): Promise<{ code: number; out: string }> {
    return new Promise((resolve) => {
      execFile(
        'nsenter',
        ['-t', String(this.leader), '-a', 'bash', '-c', command],
        { timeout: timeoutMs, maxBuffer: 64 << 20 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({ code, out: `${stdout}${stderr}` });
        },
      );
    });
  }

  /** What a unit wrote to the journal since this boot, message text only. */
  async journal(unit: string): Promise<string> {
    return (await this.exec(`journalctl -b -u ${unit} -o cat --no-pager`)).out;
  }

  /** Powers the machine off and waits for it (killed after 60 s). */
  async stop(): Promise<void> {
    if (this.nspawn.exitCode !== null) return;
    const exited = new Promise((r) => this.nspawn.once('exit', r));
    await this.exec('systemctl poweroff --no-block', 10_000);
    const timer = setTimeout(() => this.nspawn.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
  }

  /** systemd-nspawn's own output (the machine's console is not attached). */
  log(): string {
    return this.output();
  }
}

/** The machine's PID 1 as the host sees it: nspawn's child once it has become systemd. */
async function systemdUnder(pid: number): Promise<number | null> {
  try {
    const { stdout } = await run('pgrep', ['-P', String(pid), '-x', 'systemd']);
    const first = Number(stdout.trim().split('\n')[0]);
    return first > 0 ? first : null;
  } catch {
    return null;
  }
}
