/**
 * Opens the database: PostgreSQL when a URL is given, otherwise the embedded PGlite
 * (PostgreSQL compiled to WebAssembly) stored in a directory. Both get the same drizzle
 * schema and the same committed migrations, applied on open.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import * as schema from './schema.ts';

export type Schema = typeof schema;
/** The query interface shared by both drivers and by transactions. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface Database {
  db: Db;
  kind: 'postgres' | 'embedded';
  /** The newest migration the schema is at, and those this opening applied. */
  schema: { current: string; appliedNow: string[] };
  /**
   * Embedded only: a consistent copy of the database files as a gzipped tar (PGlite's
   * `dumpDataDir`), taken while no transaction is open and after a checkpoint. Loaded back
   * with `loadEmbeddedDump`.
   */
  dumpDataDir?: () => Promise<Blob>;
  close(): Promise<void>;
}

/** Where the embedded database keeps its files under the data directory. */
export const embeddedDatabaseIn = (dataDir: string) => join(dataDir, 'db');

const migrationsFolder = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

interface JournalEntry {
  tag: string;
  when: number;
}
/** The migrations this release knows, oldest first (drizzle-kit's journal). */
export function knownMigrations(): JournalEntry[] {
  const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as {
    entries: JournalEntry[];
  };
  return journal.entries;
}

/** The database holds migrations of a newer release than this one: starting would silently downgrade. */
export class SchemaTooNew extends Error {
  constructor(known: JournalEntry) {
    super(
      `the database was migrated by a newer release (its schema is past ${known.tag}, the newest this release knows); start that release again, or restore a backup taken before the upgrade`,
    );
  }
}

type Query = (sql: string) => Promise<{ created_at: string | number }[]>;
/** When each applied migration was made (drizzle's own table); none on a fresh database. */
async function appliedStamps(query: Query): Promise<number[]> {
  try {
    const rows = await query('select created_at from drizzle.__drizzle_migrations order by created_at');
    return rows.map((r) => Number(r.created_at));
  } catch {
    return [];
  }
}

/** Migrates with a check first: refuses a newer schema, and tells what it applied. */
async function migrateChecked(query: Query, migrate: () => Promise<void>): Promise<Database['schema']> {
  const known = knownMigrations();
  const newest = known[known.length - 1]!;
  const before = await appliedStamps(query);
  if (before.some((stamp) => stamp > newest.when)) throw new SchemaTooNew(newest);
  await migrate();
  const after = new Set(await appliedStamps(query));
  const had = new Set(before);
  return {
    current: [...known].reverse().find((m) => after.has(m.when))?.tag ?? newest.tag,
    appliedNow: known.filter((m) => after.has(m.when) && !had.has(m.when)).map((m) => m.tag),
  };
}

export type DatabaseTarget = { url: string } | { dataDir: string | null };

/** The installation's database: the external PostgreSQL when a URL is set, else the embedded one. */
export const databaseTarget = (databaseUrl: string, dataDir: string): DatabaseTarget =>
  databaseUrl ? { url: databaseUrl } : { dataDir: embeddedDatabaseIn(dataDir) };

/** Opens and migrates. `dataDir: null` gives an in-memory embedded database (tests). */
export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  if ('url' in target) {
    const client = postgres(target.url, { max: 10, onnotice: () => {} });
    const db = drizzlePostgres(client, { schema });
    let applied: Database['schema'];
    try {
      applied = await migrateChecked(
        (q) => client.unsafe(q) as Promise<{ created_at: string }[]>,
        () => migratePostgres(db, { migrationsFolder }),
      );
    } catch (err) {
      await client.end();
      throw err;
    }
    return { db: db as unknown as Db, kind: 'postgres', schema: applied, close: () => client.end() };
  }
  let client: PGlite;
  if (target.dataDir) {
    mkdirSync(target.dataDir, { recursive: true });
    client = await PGlite.create(target.dataDir);
  } else {
    client = await PGlite.create();
  }
  const db = drizzlePglite(client, { schema });
  let applied: Database['schema'];
  try {
    applied = await migrateChecked(
      async (q) => (await client.query<{ created_at: string }>(q)).rows,
      () => migratePglite(db, { migrationsFolder }),
    );
  } catch (err) {
    await client.close();
    throw err;
  }
  return {
    db: db as unknown as Db,
    kind: 'embedded',
    schema: applied,
    dumpDataDir: async () => {
      await client.exec('checkpoint');
      // Holding the transaction lock: no transaction is half done in the copy (the query lock,
      // which dumpDataDir takes itself, keeps single statements out).
      return client._runExclusiveTransaction(() => client.dumpDataDir('gzip'));
    },
    close: () => client.close(),
  };
}

/** Creates the embedded database in an empty `dataDir` from a `dumpDataDir` copy (a restore). */
export async function loadEmbeddedDump(dataDir: string, dump: Blob): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  const client = await PGlite.create({ dataDir, loadDataDir: dump });
  try {
    await client.query('select 1');
  } finally {
    await client.close();
  }
}
