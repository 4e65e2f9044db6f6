/**
 * PostgreSQL notifications (LISTEN/NOTIFY) on either database: the embedded PGlite and an
 * external server (postgres-js, which keeps one connection for listening and listens again
 * after it reconnects). `onListen` runs each time listening (re)starts: notifications sent
 * while it was not listening are lost, so whoever caches must drop everything then.
 */
import { PGlite } from '@electric-sql/pglite';
import type { Sql } from 'postgres';
import type { Db } from './client.ts';

export async function listen(
  db: Db,
  channel: string,
  onNotify: (payload: string) => void,
  onListen: () => void = () => {},
): Promise<() => Promise<void>> {
  const client = (db as unknown as { $client: unknown }).$client;
  if (client instanceof PGlite) {
    const stop = await client.listen(channel, onNotify);
    onListen();
    return () => stop();
  }
  const sql = client as Sql;
  const request = await sql.listen(channel, onNotify, onListen);
  return () => request.unlisten();
}
