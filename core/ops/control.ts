/**
 * The running instance's control socket: a Unix socket in the data directory (`.control.sock`,
 * mode 0600, inside the 0700 data directory), through which `./run.sh backup` asks the instance
 * that holds the data directory to write a backup. Nothing listens on the network, and only the
 * user the product runs as (and root) may connect — the same people who can read the data
 * directory anyway. One request per connection: a JSON line in, a JSON line back.
 */
import { createConnection, createServer, type Server } from 'node:net';
import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const controlSocketIn = (dataDir: string) => join(dataDir, '.control.sock');

export interface ControlRequest {
  op: 'backup';
  /** Absolute path of the backup file to write. */
  file: string;
}

export type ControlAnswer = { ok: true; result: unknown } | { ok: false; error: string };

export interface ControlHandlers {
  backup(file: string): Promise<unknown>;
}

/** Serves the socket (the caller holds the data directory's lock, so a leftover file is stale). */
export function serveControl(
  dataDir: string,
  handlers: ControlHandlers,
  log: (line: string) => void,
): { close(): void } {
  const path = controlSocketIn(dataDir);
  rmSync(path, { force: true });
  let busy = false;
  const server: Server = createServer((socket) => {
    let input = '';
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    socket.on('data', (chunk: string) => {
      input += chunk;
      if (input.length > 64 * 1024) return socket.destroy();
      const end = input.indexOf('\n');
      if (end < 0) return;
      socket.removeAllListeners('data');
      const reply = (answer: ControlAnswer) => socket.end(`${JSON.stringify(answer)}\n`);
      let request: ControlRequest;
      try {
        request = JSON.parse(input.slice(0, end)) as ControlRequest;
      } catch {
        return reply({ ok: false, error: 'unreadable request' });
      }
      if (request.op !== 'backup' || typeof request.file !== 'string' || !request.file.startsWith('/'))
        return reply({ ok: false, error: 'unknown request' });
      if (busy)
        return reply({ ok: false, error: 'a backup is being written already; try again when it is done' });
      busy = true;
      log(`writing a backup to ${request.file}`);
      handlers
        .backup(request.file)
        .then(
          (result) => {
            log(`backup written to ${request.file}`);
            reply({ ok: true, result });
          },
          (err: Error) => {
            log(`backup failed: ${err.message}`);
            reply({ ok: false, error: err.message });
          },
        )
        .finally(() => {
          busy = false;
        });
    });
  });
  server.on('error', (err) => log(`control socket ${path}: ${err.message}`));
  server.listen(path, () => chmodSync(path, 0o600));
  server.unref();
  return {
    close() {
      server.close();
      rmSync(path, { force: true });
    },
  };
}

/** Sends one request to the instance running on `dataDir` and returns its answer. */
export function askInstance(dataDir: string, request: ControlRequest): Promise<ControlAnswer> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(controlSocketIn(dataDir));
    let output = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => (output += chunk));
    socket.on('error', (err) =>
      reject(
        new Error(`the running instance does not answer on ${controlSocketIn(dataDir)}: ${err.message}`),
      ),
    );
    socket.on('end', () => {
      try {
        resolve(JSON.parse(output) as ControlAnswer);
      } catch {
        reject(new Error('the running instance gave no answer'));
      }
    });
  });
}
