/** System settings kept in the `settings` table as JSON values under a key. */
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { settings } from '../../db/schema.ts';

export async function readSetting<T>(
  db: Db,
  key: string,
  fallback: T,
  valid: (v: unknown) => v is T,
): Promise<T> {
  const [row] = await db.select().from(settings).where(eq(settings.key, key));
  return row && valid(row.value) ? row.value : fallback;
}

export async function writeSetting(db: Db, key: string, value: unknown): Promise<void> {
  await db
    .insert(settings)
    .values({ key, value })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: new Date() } });
}
