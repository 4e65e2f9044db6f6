/**
 * A small typed ARI client. Operations and events are typed from cti/ari/generated.ts, which is
 * generated from Asterisk's own /ari/api-docs. Credentials travel in an Authorization header,
 * never in URLs. Every request has a time limit; at most `maxInFlight` requests are open at once
 * (the rest wait their turn), so a busy moment cannot run into Asterisk's HTTP session limit;
 * the event WebSocket reconnects with back-off.
 * Replaces the `ari-client` package (see docs/architecture.md).
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { type AriEvent, type AriOperation, type AriOperations, ariOperations } from './generated.ts';

export interface AriOptions {
  /** e.g. http://127.0.0.1:8088/ari */
  baseUrl: string;
  username: string;
  password: string;
  /** The Stasis application to register for events. */
  app: string;
  requestTimeoutMs?: number;
  /** Requests open at once (default 48; Asterisk's http.conf allows the product 1000 sessions). */
  maxInFlight?: number;
  reconnect?: { minDelayMs: number; maxDelayMs: number };
}

export class AriError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly operation: string,
  ) {
    super(`${operation}: ${status} ${message}`);
    this.name = 'AriError';
  }
}

interface AriClientEvents {
  event: [AriEvent];
  connected: [];
  disconnected: [];
}

type Params<K extends AriOperation> = AriOperations[K]['params'];
type Result<K extends AriOperation> = AriOperations[K]['result'];

export class AriClient extends EventEmitter<AriClientEvents> {
  private readonly auth: string;
  private socket: WebSocket | null = null;
  private closed = true;
  private delay: number;
  private timer: NodeJS.Timeout | null = null;
  private inFlight = 0;
  private readonly turns: (() => void)[] = [];

  /** Told each request's operation, duration (s) and status (0: no answer) — for metrics. */
  onRequest: ((operation: string, seconds: number, status: number) => void) | null = null;

  constructor(private readonly options: AriOptions) {
    super();
    this.auth = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
    this.delay = options.reconnect?.minDelayMs ?? 500;
  }

  /** Calls an ARI operation, e.g. `call('channels.answer', { channelId })`. 404 and the like reject with AriError. */
  async call<K extends AriOperation>(
    operation: K,
    params: Params<K>,
    timeoutMs?: number,
  ): Promise<Result<K>> {
    const spec = ariOperations[operation];
    let path = spec.path;
    const query = new URLSearchParams();
    const body: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(params as Record<string, unknown>)) {
      if (value === undefined) continue;
      const kind = spec.params[name];
      if (kind === 'path') path = path.replace(`{${name}}`, encodeURIComponent(String(value)));
      else if (kind === 'body') body[name] = value;
      else query.set(name, Array.isArray(value) ? value.join(',') : String(value));
    }
    const url = `${this.options.baseUrl}${path}${query.size > 0 ? `?${query}` : ''}`;
    const hasBody = Object.keys(body).length > 0;
    if (this.inFlight >= (this.options.maxInFlight ?? 48))
      await new Promise<void>((resolve) => this.turns.push(resolve));
    this.inFlight++;
    const started = performance.now();
    let status = 200;
    try {
      return await this.send(operation, spec.method, url, hasBody ? body : null, timeoutMs);
    } catch (err) {
      status = err instanceof AriError ? err.status : 0;
      throw err;
    } finally {
      this.onRequest?.(operation, (performance.now() - started) / 1000, status);
      this.inFlight--;
      this.turns.shift()?.();
    }
  }

  private async send<K extends AriOperation>(
    operation: K,
    method: string,
    url: string,
    body: Record<string, unknown> | null,
    timeoutMs: number | undefined,
  ): Promise<Result<K>> {
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { authorization: this.auth, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(timeoutMs ?? this.options.requestTimeoutMs ?? 5000),
      });
    } catch (err) {
      throw new AriError(0, err instanceof Error ? err.message : String(err), operation);
    }
    if (!res.ok) {
      let message = res.statusText;
      try {
        message = ((await res.json()) as { message?: string }).message ?? message;
      } catch {
        /* not JSON */
      }
      throw new AriError(res.status, message, operation);
    }
    if (res.status === 204) return undefined as Result<K>;
    const type = res.headers.get('content-type') ?? '';
    if (type.includes('json')) return (await res.json()) as Result<K>;
    return (await res.arrayBuffer()) as Result<K>;
  }

  /** Opens the event WebSocket for the application; resolves once connected. */
  connect(): Promise<void> {
    this.closed = false;
    return this.open();
  }

  get connected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  private open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const wsUrl = `${this.options.baseUrl.replace(/^http/, 'ws')}/events?app=${encodeURIComponent(this.options.app)}&subscribeAll=false`;
      const socket = new WebSocket(wsUrl, {
        headers: { authorization: this.auth },
        handshakeTimeout: this.options.requestTimeoutMs ?? 5000,
      });
      this.socket = socket;
      let opened = false;
      socket.on('open', () => {
        opened = true;
        this.delay = this.options.reconnect?.minDelayMs ?? 500;
        this.emit('connected');
        resolve();
      });
      socket.on('message', (data) => {
        try {
          this.emit('event', JSON.parse(data.toString()) as AriEvent);
        } catch {
          /* ignore a malformed frame */
        }
      });
      socket.on('error', (err) => {
        if (!opened) reject(err);
      });
      socket.on('close', () => {
        if (this.socket !== socket) return;
        this.socket = null;
        if (opened) this.emit('disconnected');
        if (!this.closed) this.scheduleReconnect();
      });
    });
  }

  private scheduleReconnect() {
    if (this.timer) return;
    const max = this.options.reconnect?.maxDelayMs ?? 10_000;
    const wait = this.delay;
    this.delay = Math.min(max, this.delay * 2);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.closed) this.open().catch(() => this.scheduleReconnect());
    }, wait);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = null;
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      const done = new Promise<void>((r) => socket.once('close', () => r()));
      socket.close();
      await Promise.race([done, new Promise((r) => setTimeout(r, 1000))]);
      socket.terminate();
    }
  }
}
