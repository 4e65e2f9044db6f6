/** Calls whose statistics must be recounted (see cti/stats/maintainer.ts). */
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { statsDirty } from '../../db/schema.ts';

export async function markDirty(db: Db, callIds: readonly string[]): Promise<void> {
  if (callIds.length === 0) return;
  await db
    .insert(statsDirty)
    .values([...new Set(callIds)].map((callId) => ({ callId })))
    .onConflictDoUpdate({ target: statsDirty.callId, set: { at: sql`now()` } });
}
