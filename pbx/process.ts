/**
 * Runs and supervises one Asterisk process: start it (in the sid tree with chroot, or the
 * host's binary), wait until it has fully booted, restart it with back-off when it dies, stop
 * it cleanly. Health is reported for the PBX status page.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { AmiClient } from '../cti/ami/client.ts';
import { inside, type PbxInstance } from './layout.ts';

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
  /** The last lines Asterisk printed, for error messages. */
  private readonly tail: string[] = [];

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

  /** Starts Asterisk and resolves once it answers on AMI and reports fully booted. */
  async start(): Promise<void> {
    this.wanted = true;
    await this.spawnAndWait();
  }

  private async spawnAndWait(): Promise<void> {
    this.setState('starting');
    const { cmd, args } = this.command();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.status.pid = child.pid ?? null;
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        this.tail.push(line);
        if (this.tail.length > 50) this.tail.shift();
        this.emit('log', line);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    const ready = this.waitBooted();
    const outcome = await Promise.race([
      ready.then(() => 'up' as const),
      exited.then(() => 'exited' as const),
    ]);
    if (outcome === 'exited')
      throw new Error(`Asterisk exited while starting:\n${this.tail.slice(-15).join('\n')}`);
    this.status.version = await ready;
    this.delay = this.options.restart ? this.options.restart.minDelayMs : 0;
    this.setState('up');
  }

  /** Polls AMI until Asterisk is fully booted; resolves with its version line. */
  private async waitBooted(): Promise<string> {
    const { ports, secrets } = this.instance;
    const deadline = Date.now() + (this.options.bootTimeoutMs ?? 30_000);
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
          throw new Error(`Asterisk did not boot in time:\n${this.tail.slice(-15).join('\n')}`);
        await new Promise((r) => setTimeout(r, 150));
      }
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null) {
    if (this.child !== child) return;
    this.child = null;
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
    if (!child || child.exitCode !== null) {
      this.setState('stopped');
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** For fault tests: kill Asterisk as a crash would. */
  crash(): void {
    this.child?.kill('SIGKILL');
  }

  lastLines(): string[] {
    return [...this.tail];
  }
}
