/**
 * baresip (Debian package) as an agent's phone: registers with digest auth, auto-answers (or
 * not), sends a tone, and is driven and observed through its ctrl_tcp module (netstring-framed
 * JSON commands and events).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeSipPort, freeTcpPort } from './pbx.ts';

export interface PhoneOptions {
  username: string;
  password: string;
  /** The PBX's SIP port on 127.0.0.1. */
  registrar: number;
  /** The loopback address the phone sends from (default 127.0.0.1; any of 127/8 works on Linux). */
  localIp?: string;
  autoAnswer?: boolean;
  /** Register at start (default true). */
  register?: boolean;
  /** The frequency of the tone the phone sends (Hz, default 440), to tell voices apart. */
  tone?: number;
  /** A directory where the phone writes what it hears and sends (baresip's sndfile: dump-*.wav per call and direction). */
  record?: string;
}

export interface PhoneEvent {
  type: string;
  class?: string;
  accountaor?: string;
  direction?: string;
  peeruri?: string;
  param?: string;
  [key: string]: unknown;
}

export class Phone extends EventEmitter<{ event: [PhoneEvent] }> {
  readonly events: PhoneEvent[] = [];
  private proc: ChildProcess | null = null;
  private socket: Socket | null = null;
  private buffer = Buffer.alloc(0);
  private readonly dir: string;
  private log = '';

  private constructor(readonly options: PhoneOptions) {
    super();
    this.dir = mkdtempSync(join(tmpdir(), 'baresip-'));
  }

  static async start(options: PhoneOptions): Promise<Phone> {
    const phone = new Phone(options);
    // Ports are picked free but released before baresip binds them; another process (or our own
    // next pick) can take one in between, so a bind clash is retried with new ports.
    for (let attempt = 1; ; attempt++) {
      try {
        await phone.launch();
        return phone;
      } catch (err) {
        phone.proc?.kill('SIGKILL');
        if (attempt >= 3 || !phone.log.includes('Address already in use')) throw err;
        phone.log = '';
      }
    }
  }

  private async launch() {
    const sipPort = await freeSipPort();
    let ctrlPort = await freeTcpPort();
    while (ctrlPort === sipPort) ctrlPort = await freeTcpPort();
    const o = this.options;
    writeFileSync(
      join(this.dir, 'config'),
      [
        'poll_method epoll',
        `sip_listen ${o.localIp ?? '127.0.0.1'}:${sipPort}`,
        'sip_transports udp',
        `audio_source ausine,${o.tone ?? 440}`,
        // ausine only produces 48 kHz; baresip resamples to the call's codec.
        'ausrc_srate 48000',
        'ausrc_channels 2',
        // Recording what the phone hears needs a player pulling the audio: ALSA's null device.
        o.record ? 'audio_player alsa,null' : 'audio_player aufile,/dev/null',
        'audio_alert aufile,/dev/null',
        'module_path /usr/lib/baresip/modules',
        'module g711.so',
        'module ausine.so',
        'module aufile.so',
        'module account.so',
        'module menu.so',
        'module ctrl_tcp.so',
        ...(o.record ? ['module alsa.so', 'module sndfile.so', `snd_path ${o.record}`] : []),
        `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
        '',
      ].join('\n'),
    );
    const params = [
      `auth_pass=${o.password}`,
      `regint=${o.register === false ? 0 : 60}`,
      `answermode=${o.autoAnswer === false ? 'manual' : 'auto'}`,
    ];
    // The account is created over ctrl_tcp once connected, so that no registration event is missed.
    writeFileSync(join(this.dir, 'accounts'), '');
    const proc = spawn('baresip', ['-f', this.dir], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stdout?.on('data', (d) => (this.log += d));
    proc.stderr?.on('data', (d) => (this.log += d));
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        this.socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect(ctrlPort, '127.0.0.1', () => resolve(s));
          s.once('error', reject);
        });
        break;
      } catch {
        if (Date.now() > deadline || proc.exitCode !== null)
          throw new Error(`baresip did not start:\n${this.log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.command('uanew', `<sip:${o.username}@127.0.0.1:${o.registrar}>;${params.join(';')}`);
  }

  private onData(chunk: Buffer) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const colon = this.buffer.indexOf(':');
      if (colon < 0) return;
      const len = Number(this.buffer.subarray(0, colon).toString());
      if (this.buffer.length < colon + 1 + len + 1) return;
      const payload = this.buffer.subarray(colon + 1, colon + 1 + len).toString();
      this.buffer = this.buffer.subarray(colon + 1 + len + 1);
      try {
        const msg = JSON.parse(payload) as PhoneEvent & { event?: boolean };
        if (msg.event) {
          this.events.push(msg);
          this.emit('event', msg);
        }
      } catch {
        /* ignore */
      }
    }
  }

  /** Sends a command (dial, accept, hangup, …) to baresip. */
  command(command: string, params = ''): void {
    const json = JSON.stringify({ command, params, token: String(Date.now()) });
    this.socket?.write(`${Buffer.byteLength(json)}:${json},`);
  }

  /** Resolves with the first event of a type, including ones already seen. */
  waitFor(type: string, timeoutMs = 10_000): Promise<PhoneEvent> {
    const seen = this.events.find((e) => e.type === type);
    if (seen) return Promise.resolve(seen);
    return this.next(type, timeoutMs);
  }

  /** Resolves with the next event of a type from now on. */
  next(type: string, timeoutMs = 10_000): Promise<PhoneEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('event', listener);
        reject(
          new Error(
            `phone ${this.options.username}: no ${type} within ${timeoutMs} ms; saw ${this.events.map((e) => e.type).join(', ')}\n${this.log.slice(-2000)}`,
          ),
        );
      }, timeoutMs);
      const listener = (e: PhoneEvent) => {
        if (e.type !== type) return;
        clearTimeout(timer);
        this.off('event', listener);
        resolve(e);
      };
      this.on('event', listener);
    });
  }

  output(): string {
    return this.log;
  }

  async stop(): Promise<void> {
    this.socket?.destroy();
    const proc = this.proc;
    if (proc && proc.exitCode === null) {
      const done = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 2000);
      await done;
      clearTimeout(t);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
