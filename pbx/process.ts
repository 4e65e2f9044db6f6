/**
 * Runs and supervises one Asterisk process: start it (in the sid tree with chroot, or the
 * host's binary), wait until it has fully booted, restart it with back-off when it dies, stop
 * it cleanly. Health is reported for the PBX status page.
 *
 * Asterisk runs in its own session with its console going to log/console.log, so it outlives
 * this process if the application crashes: calls in progress go on. The next start finds it by
 * its pid file, checks it answers on AMI with this instance's secret, and adopts it instead of
 * starting another one; an adopted process is watched by polling its pid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { AmiClient } from '../cti/ami/client.ts';
import { inside, onHost, type PbxInstance } from './layout.ts';

export type PbxState = 'stopped' | 'starting' | 'up' | 'down';

export interface PbxHealth {
  state: PbxState;
  pid: number | null;
  since: Date;
  restarts: number;
  lastExit: { code: number | null; signal: string | null; at: Date } | null;
  version: string | null;
}

interface ProcessEvents {
  state: [PbxHealth];
  log: [string];
}

export interface AsteriskProcessOptions {
  /** Restart after an unexpected exit, waiting minDelayMs doubling up to maxDelayMs. */
  restart?: { minDelayMs: number; maxDelayMs: number } | false;
  bootTimeoutMs?: number;
}

export class AsteriskProcess extends EventEmitter<ProcessEvents> {
  private child: ChildProcess | null = null;
  /** An Asterisk left running by an earlier run of the application, watched by polling. */
  private adopted: { pid: number; watch: NodeJS.Timeout } | null = null;
  private wanted = false;
  private delay: number;
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly status: PbxHealth = {
    state: 'stopped',
    pid: null,
    since: new Date(),
    restarts: 0,
    lastExit: null,
    version: null,
  };

  constructor(
    readonly instance: PbxInstance,
    private readonly options: AsteriskProcessOptions = {},
  ) {
    super();
    this.delay = options.restart ? options.restart.minDelayMs : 0;
  }

  health(): PbxHealth {
    return { ...this.status };
  }

  private setState(state: PbxState) {
    this.status.state = state;
    this.status.since = new Date();
    this.emit('state', this.health());
  }

  private command(): { cmd: string; args: string[] } {
    const conf = inside(this.instance, 'etc', 'asterisk.conf');
    const args = ['-f', '-n', '-U', 'asterisk', '-G', 'asterisk', '-C', conf];
    if (this.instance.runtime.mode === 'chroot')
      return { cmd: 'chroot', args: [this.instance.runtime.root, '/usr/sbin/asterisk', ...args] };
    return { cmd: 'asterisk', args };
  }

  /**
   * Starts Asterisk (or adopts the one this instance left running) and resolves once it answers
   * on AMI and reports fully booted.
   */
  async start(): Promise<void> {
    this.wanted = true;
    if (await this.adopt()) return;
    await this.spawnAndWait();
  }

  /** The pid of a live Asterisk of this instance, from its pid file. */
  private runningPid(): number | null {
    const file = onHost(this.instance, 'run', 'asterisk.pid');
    if (!existsSync(file)) return null;
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 1 && isAsterisk(pid) ? pid : null;
  }

  private async adopt(): Promise<boolean> {
    const pid = this.runningPid();
    if (pid === null) return false;
    let version: string;
    try {
      version = await this.waitBooted(5_000);
    } catch {
      return false; // something else holds the pid file, or it does not answer: start our own
    }
    const watch = setInterval(() => {
      if (isAlive(pid)) return;
      clearInterval(watch);
      this.adopted = null;
      this.exited(null, 'exited');
    }, 1000);
    this.adopted = { pid, watch };
    this.status.pid = pid;
    this.status.version = version;
    this.emit('log', `adopted the running Asterisk (pid ${pid})`);
    this.setState('up');
    return true;
  }

  private async spawnAndWait(): Promise<void> {
    this.setState('starting');
    const { cmd, args } = this.command();
    // Its own session and no pipes to us: Asterisk lives on if the application dies.
    const console = openSync(onHost(this.instance, 'log', 'console.log'), 'a');
    const child = spawn(cmd, args, { stdio: ['ignore', console, console], detached: true });
    closeSync(console);
    this.child = child;
    this.status.pid = child.pid ?? null;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.once('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = null;
      this.exited(code, signal);
    });
    const ready = this.waitBooted();
    const outcome = await Promise.race([
      ready.then(() => 'up' as const),
      exited.then(() => 'exited' as const),
    ]);
    if (outcome === 'exited')
      throw new Error(`Asterisk exited while starting:\n${this.lastLines().join('\n')}`);
    this.status.version = await ready;
    this.delay = this.options.restart ? this.options.restart.minDelayMs : 0;
    this.setState('up');
  }

  /** Polls AMI until Asterisk is fully booted; resolves with its version line. */
  private async waitBooted(timeoutMs = this.options.bootTimeoutMs ?? 30_000): Promise<string> {
    const { ports, secrets } = this.instance;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child?.exitCode !== null && this.child?.exitCode !== undefined) throw new Error('exited');
      const ami = new AmiClient({
        host: '127.0.0.1',
        port: ports.ami,
        username: secrets.amiUser,
        secret: secrets.amiSecret,
        reconnect: false,
        actionTimeoutMs: 3000,
      });
      try {
        await ami.connect();
        await ami.command('core waitfullybooted', 20_000);
        const version = (await ami.command('core show version')).trim();
        await ami.close();
        return version;
      } catch {
        await ami.close();
        if (Date.now() > deadline)
          throw new Error(`Asterisk did not boot in time:\n${this.lastLines().join('\n')}`);
        await new Promise((r) => setTimeout(r, 150));
      }
    }
  }

  /** Asterisk is gone (our child exited, or the adopted pid disappeared): restart if wanted. */
  private exited(code: number | null, signal: string | null) {
    this.status.pid = null;
    this.status.lastExit = { code, signal, at: new Date() };
    if (!this.wanted) {
      this.setState('stopped');
      return;
    }
    this.setState('down');
    const limits = this.options.restart;
    if (!limits) return;
    const wait = this.delay;
    this.delay = Math.min(limits.maxDelayMs, Math.max(limits.minDelayMs, this.delay * 2));
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.wanted) return;
      this.status.restarts++;
      this.spawnAndWait().catch((err: Error) => this.emit('log', `restart failed: ${err.message}`));
    }, wait);
  }

  /** Stops Asterisk (SIGTERM, then SIGKILL after a grace period) and does not restart it. */
  async stop(graceMs = 5000): Promise<void> {
    this.wanted = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      return;
    }
    const adopted = this.adopted;
    if (adopted) {
      clearInterval(adopted.watch);
      this.adopted = null;
      signal(adopted.pid, 'SIGTERM');
      const deadline = Date.now() + graceMs;
      while (isAlive(adopted.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (isAlive(adopted.pid)) signal(adopted.pid, 'SIGKILL');
      this.exited(null, 'SIGTERM');
      return;
    }
    this.setState('stopped');
  }

  /** For fault tests: kill Asterisk as a crash would. */
  crash(): void {
    if (this.child) this.child.kill('SIGKILL');
    else if (this.adopted) signal(this.adopted.pid, 'SIGKILL');
  }

  /** The last lines Asterisk printed on its console, for error messages. */
  lastLines(count = 15): string[] {
    const file = onHost(this.instance, 'log', 'console.log');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-count);
  }
}

function signal(pid: number, name: NodeJS.Signals) {
  try {
    process.kill(pid, name);
  } catch {
    /* already gone */
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Guards against a stale pid file whose pid now belongs to another program. */
function isAsterisk(pid: number): boolean {
  try {
    return isAlive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('asterisk');
  } catch {
    return false;
  }
}
