/** System settings kept in the `settings` table as JSON values under a key. */
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { settings } from '../db/schema.ts';

export async function readSetting<T>(
  db: Db,
  key: string,
  fallback: T,
  valid: (v: unknown) => v is T,
): Promise<T> {
  // Read as text and parsed once here: drizzle's jsonb mapping parses a string value a second
  // time when it looks like JSON, so a stored '{"a":1}' would come back as an object.
  const [row] = await db
    .select({ text: sql<string>`${settings.value}::text` })
    .from(settings)
    .where(eq(settings.key, key));
  if (!row) return fallback;
  const value: unknown = JSON.parse(row.text);
  return valid(value) ? value : fallback;
}

export async function writeSetting(db: Db, key: string, value: unknown): Promise<void> {
  await db
    .insert(settings)
    .values({ key, value })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: new Date() } });
}

export async function clearSetting(db: Db, key: string): Promise<void> {
  await db.delete(settings).where(eq(settings.key, key));
}
