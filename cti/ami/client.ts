/**
 * A small AMI (Asterisk Manager Interface) client: one TCP connection, actions correlated by
 * ActionID (responses may arrive in any order), list actions collected until their
 * `EventList: Complete`, a timeout on every action, and reconnection with back-off.
 * Replaces the `asterisk-manager` package (see docs/architecture.md).
 */
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';

/** One AMI message. Keys keep Asterisk's spelling; a repeated key (Output, ChanVariable) joins its values with "\n". */
export type AmiMessage = Record<string, string>;

export interface AmiResponse {
  response: AmiMessage;
  /** For list actions: the events between `EventList: start` and `EventList: Complete`. */
  events: AmiMessage[];
}

export interface AmiOptions {
  host: string;
  port: number;
  username: string;
  secret: string;
  /** Default time limit for one action (ms). */
  actionTimeoutMs?: number;
  /** Reconnect after a lost connection, waiting from minDelayMs doubling up to maxDelayMs. */
  reconnect?: { minDelayMs: number; maxDelayMs: number } | false;
}

export class AmiError extends Error {
  constructor(
    message: string,
    readonly response?: AmiMessage,
  ) {
    super(message);
    this.name = 'AmiError';
  }
}

interface Pending {
  resolve(r: AmiResponse): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
  response: AmiMessage | null;
  events: AmiMessage[];
  list: boolean;
}

interface AmiEvents {
  event: [AmiMessage];
  connected: [];
  disconnected: [Error | null];
}

export class AmiClient extends EventEmitter<AmiEvents> {
  private socket: Socket | null = null;
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private closed = false;
  private delay: number;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private ready = false;

  constructor(private readonly options: AmiOptions) {
    super();
    this.delay = options.reconnect ? options.reconnect.minDelayMs : 0;
  }

  get connected(): boolean {
    return this.ready;
  }

  /** Connects and logs in; rejects when the first attempt fails (later drops reconnect by themselves). */
  async connect(): Promise<void> {
    this.closed = false;
    await this.open();
  }

  private open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.options.host, port: this.options.port });
      this.socket = socket;
      this.buffer = '';
      let greeted = false;
      socket.setEncoding('utf8');
      socket.setNoDelay(true);
      const fail = (err: Error) => {
        socket.destroy();
        reject(err);
      };
      socket.once('error', fail);
      socket.on('data', (chunk: string) => {
        this.buffer += chunk;
        if (!greeted) {
          const eol = this.buffer.indexOf('\r\n');
          if (eol < 0) return;
          greeted = true;
          this.buffer = this.buffer.slice(eol + 2);
          this.send(
            'Login',
            { Username: this.options.username, Secret: this.options.secret, Events: 'on' },
            this.options.actionTimeoutMs ?? 5000,
          )
            .then(() => {
              socket.off('error', fail);
              socket.on('error', () => {});
              this.ready = true;
              if (this.options.reconnect) this.delay = this.options.reconnect.minDelayMs;
              this.emit('connected');
              resolve();
            })
            .catch(fail);
        }
        this.drain();
      });
      socket.on('close', () => this.onClose(socket));
    });
  }

  private onClose(socket: Socket) {
    if (this.socket !== socket) return;
    const wasReady = this.ready;
    this.ready = false;
    this.socket = null;
    const err = new AmiError('AMI connection closed');
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(err);
      this.pending.delete(id);
    }
    if (wasReady) this.emit('disconnected', err);
    if (!this.closed && this.options.reconnect) this.scheduleReconnect();
  }

  private scheduleReconnect() {
    const limits = this.options.reconnect;
    if (!limits || this.reconnectTimer) return;
    const wait = this.delay;
    this.delay = Math.min(limits.maxDelayMs, Math.max(limits.minDelayMs, this.delay * 2));
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.closed) return;
      this.open().catch(() => this.scheduleReconnect());
    }, wait);
  }

  private drain() {
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 4);
      if (block.trim() !== '') this.dispatch(parseMessage(block));
    }
  }

  private dispatch(msg: AmiMessage) {
    const id = msg.ActionID;
    const p = id ? this.pending.get(id) : undefined;
    if (msg.Response !== undefined && p) {
      p.response = msg;
      if (msg.Response === 'Error')
        return this.finish(id!, new AmiError(msg.Message ?? 'AMI action failed', msg));
      p.list = (msg.EventList ?? '').toLowerCase() === 'start';
      if (!p.list) this.finish(id!);
      return;
    }
    if (msg.Event !== undefined) {
      if (p?.list) {
        if ((msg.EventList ?? '').toLowerCase() === 'complete') this.finish(id!);
        else p.events.push(msg);
        return;
      }
      this.emit('event', msg);
    }
  }

  private finish(id: string, err?: Error) {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve({ response: p.response ?? {}, events: p.events });
  }

  private send(
    name: string,
    fields: Record<string, string | number | string[]>,
    timeoutMs: number,
  ): Promise<AmiResponse> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new AmiError('AMI is not connected'));
    const id = `cc-${this.nextId++}`;
    let text = `Action: ${name}\r\nActionID: ${id}\r\n`;
    for (const [key, value] of Object.entries(fields)) {
      for (const v of Array.isArray(value) ? value : [value])
        text += `${key}: ${String(v).replace(/[\r\n]+/g, ' ')}\r\n`;
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new AmiError(`AMI action ${name} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, response: null, events: [], list: false });
      socket.write(`${text}\r\n`);
    });
  }

  /** Sends an action and waits for its response (and, for list actions, all its events). */
  action(
    name: string,
    fields: Record<string, string | number | string[]> = {},
    timeoutMs?: number,
  ): Promise<AmiResponse> {
    if (!this.ready) return Promise.reject(new AmiError('AMI is not connected'));
    return this.send(name, fields, timeoutMs ?? this.options.actionTimeoutMs ?? 5000);
  }

  /** Runs a CLI command and returns its output. */
  async command(cli: string, timeoutMs?: number): Promise<string> {
    const { response } = await this.action('Command', { Command: cli }, timeoutMs);
    return response.Output ?? '';
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const socket = this.socket;
    if (!socket) return;
    if (this.ready) await this.send('Logoff', {}, 1000).catch(() => {});
    socket.destroy();
  }
}

export function parseMessage(block: string): AmiMessage {
  const msg: AmiMessage = {};
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).replace(/^ /, '');
    msg[key] = key in msg ? `${msg[key]}\n${value}` : value;
  }
  return msg;
}
