/**
 * Recording retention (录音保留期): recordings older than the configured number of days are
 * deleted (all files of the call: mixed and per party) and the call's log says so, so its
 * record shows no recording and history still tells what happened. 0 days keeps everything.
 */
import { rmSync } from 'node:fs';
import { and, asc, isNotNull, lt } from 'drizzle-orm';
import type { CallLog } from './log.ts';
import { recordingParties, storedRecording } from '../calls/recorder.ts';
import type { Db } from '../../db/client.ts';
import { callRecords } from '../../db/schema.ts';
import { requirePermission } from '../../core/access/actor.ts';
import { audit } from '../../core/audit/audit-log.ts';
import type { Ctx } from '../../core/context.ts';
import { ValidationError } from '../../core/errors.ts';
import { readSetting, writeSetting } from '../../core/settings.ts';

const key = 'recordings.retention_days';
const maxDays = 3650;
const isDays = (v: unknown): v is number =>
  Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= maxDays;

export const retentionDays = (db: Db): Promise<number> => readSetting(db, key, 0, isDays);

export async function setRetentionDays(ctx: Ctx, text: string): Promise<number> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const days = text.trim() === '' ? 0 : Number(text);
  if (!isDays(days)) throw new ValidationError({ retentionDays: 'out_of_range' });
  const before = await retentionDays(ctx.db);
  await writeSetting(ctx.db, key, days);
  await audit(ctx, { action: 'recordings.retention_changed', detail: { from: before, to: days } });
  return days;
}

/** Deletes the recordings that are past retention, in batches; returns how many calls lost theirs. */
export async function purgeExpiredRecordings(
  db: Db,
  log: CallLog,
  store: string,
  now: Date = new Date(),
): Promise<number> {
  const days = await retentionDays(db);
  if (days === 0) return 0;
  const cutoff = new Date(now.getTime() - days * 86_400_000);
  let purged = 0;
  for (;;) {
    const batch = await db
      .select({ callId: callRecords.callId, recording: callRecords.recording })
      .from(callRecords)
      .where(and(isNotNull(callRecords.recording), lt(callRecords.startedAt, cutoff)))
      .orderBy(asc(callRecords.startedAt))
      .limit(200);
    for (const row of batch) {
      const file = row.recording!;
      for (const party of [undefined, ...recordingParties])
        rmSync(storedRecording(store, file, party), { force: true });
      await log.append(row.callId, { type: 'recording.purged', data: { file, retentionDays: days } });
      purged++;
    }
    if (batch.length < 200) return purged;
  }
}
