/**
 * A TCP proxy in front of the test PostgreSQL server that a test can cut (every connection
 * dropped, new ones refused) and restore on the same port: a database restart or a network
 * cut as the application meets it.
 */
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';

export interface PgProxy {
  /** The database URL through the proxy. */
  url: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function pgProxy(databaseUrl: string): Promise<PgProxy> {
  const target = new URL(databaseUrl);
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', () => resolve()));
  const cut = async () => {
    if (!proxy.listening) return;
    const closed = new Promise<void>((resolve) => proxy.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  await listen(0);
  const port = (proxy.address() as AddressInfo).port;
  const via = new URL(databaseUrl);
  via.host = `127.0.0.1:${port}`;
  return {
    url: via.toString(),
    cut,
    restore: () => listen(port),
    close: cut,
  };
}
