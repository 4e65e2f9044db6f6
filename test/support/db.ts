/**
 * A fresh database per test file: on the real PostgreSQL server (TEST_DB=postgres, a new
 * database created and dropped by the test) or the embedded PGlite (TEST_DB=embedded,
 * in memory). Both get the committed migrations.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { type Database, openDatabase } from '../../db/client.ts';

export const testDbMode = (process.env.TEST_DB ?? 'embedded') === 'postgres' ? 'postgres' : 'embedded';
export const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase extends Database {
  url: string | null;
}

/** `mode` defaults to TEST_DB; tests that share the database with a product process need 'postgres'. */
export async function testDatabase(mode: 'postgres' | 'embedded' = testDbMode): Promise<TestDatabase> {
  if (mode === 'embedded') return { ...(await openDatabase({ dataDir: null })), url: null };
  const name = `cc_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString() });
  return {
    ...database,
    url: url.toString(),
    close: async () => {
      await database.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
