/**
 * Recording retention (录音保留期): recordings older than the configured number of days are
 * deleted (all files of the call: mixed and per party) and the call's log says so, so its
 * record shows no recording and history still tells what happened. 0 days keeps everything.
 *
 * Changing it deletes recordings, so besides `callcenter:edit` it needs `calls:delete_recordings`
 * over every call. A value that keeps recordings for less time than the one set first answers
 * how many recordings it would delete, and is saved only when confirmed for that very value;
 * it takes effect `graceHours` later, until then the purge keeps to the value in force before
 * (`recordings.retention_grace`). Every change is audited with both values and the count.
 */
import { rmSync } from 'node:fs';
import { and, asc, count, gte, isNotNull, lt, min, type SQL, sql } from 'drizzle-orm';
import type { CallLog } from './log.ts';
import { recordingParties, storedRecording } from '../calls/recorder.ts';
import type { Db } from '../../db/client.ts';
import { callRecords } from '../../db/schema.ts';
import { requirePermission } from '../../core/access/actor.ts';
import { audit } from '../../core/audit/audit-log.ts';
import type { Ctx } from '../../core/context.ts';
import { DomainError, ValidationError } from '../../core/errors.ts';
import { clearSetting, readSetting, writeSetting } from '../../core/settings.ts';

const daysKey = 'recordings.retention_days';
const graceKey = 'recordings.retention_grace';
/** How long a shortened retention waits before it deletes anything. */
export const graceHours = 24;
const dayMs = 86_400_000;
const maxDays = 3650;
/** Serialises changes of the retention (pg_advisory_xact_lock). */
const changeLock = 7002;

const isDays = (v: unknown): v is number =>
  Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= maxDays;

/** The value in force before a shortening, kept until `until` (ISO time). */
interface Grace {
  days: number;
  until: string;
}
const isGrace = (v: unknown): v is Grace | null =>
  v === null ||
  (typeof v === 'object' &&
    isDays((v as Grace).days) &&
    typeof (v as Grace).until === 'string' &&
    !Number.isNaN(Date.parse((v as Grace).until)));

/** How long a value keeps recordings: 0 (forever) keeps them longest. */
const span = (days: number) => (days === 0 ? Number.POSITIVE_INFINITY : days);

export interface Retention {
  /** The value set. */
  days: number;
  /** The value the purge applies now: the one before a shortening during its grace period. */
  inForce: number;
  /** When `days` takes over from `inForce`; null when it already applies. */
  effectiveAt: Date | null;
}

export async function recordingRetention(db: Db, now: Date = new Date()): Promise<Retention> {
  const days = await readSetting(db, daysKey, 0, isDays);
  const grace = await readSetting<Grace | null>(db, graceKey, null, isGrace);
  const until = grace ? new Date(grace.until) : null;
  if (!grace || !until || until <= now || span(grace.days) <= span(days))
    return { days, inForce: days, effectiveAt: null };
  return { days, inForce: grace.days, effectiveAt: until };
}

/** The recordings that `days` would delete and `keptBy` keeps, at `now`: how many, and the oldest call's start. */
export async function recordingsToDelete(
  db: Db,
  days: number,
  keptBy: number,
  now: Date,
): Promise<{ count: number; oldest: Date | null }> {
  if (span(days) >= span(keptBy)) return { count: 0, oldest: null };
  const conditions: SQL[] = [
    isNotNull(callRecords.recording),
    lt(callRecords.startedAt, new Date(now.getTime() - days * dayMs)),
  ];
  if (keptBy !== 0) conditions.push(gte(callRecords.startedAt, new Date(now.getTime() - keptBy * dayMs)));
  const [row] = await db
    .select({ count: count(), oldest: min(callRecords.startedAt) })
    .from(callRecords)
    .where(and(...conditions));
  return { count: row?.count ?? 0, oldest: row?.oldest ? new Date(row.oldest) : null };
}

export interface RetentionInput {
  days: string;
  /** The number of days the user confirmed deleting for (the confirm box of the form). */
  confirm?: string;
}

export type RetentionChange =
  /** Nothing saved: a shorter retention, to be confirmed for these days. */
  | { status: 'confirm'; days: number; count: number; oldest: Date | null; effectiveAt: Date }
  | { status: 'saved'; days: number; count: number; effectiveAt: Date | null };

/** Whether the actor may change the retention: the settings, and deleting every call's recordings. */
export function mayChangeRetention(ctx: Ctx): boolean {
  return ctx.actor.grants.has('callcenter:edit') && ctx.actor.grants.get('calls:delete_recordings') === 'all';
}

/**
 * Sets the retention. Longer than (or as long as) the value in force: saved at once. Shorter than
 * the value set: answered with what it would delete unless `confirm` names these days, then saved
 * with a grace period keeping the value in force for `graceHours`. Between the two (lengthening
 * a shortened value during its grace period): saved, the grace period unchanged.
 */
export async function setRetentionDays(ctx: Ctx, input: RetentionInput): Promise<RetentionChange> {
  requirePermission(ctx.actor, 'callcenter:edit');
  if (!mayChangeRetention(ctx)) throw new DomainError('retention_needs_delete');
  const text = input.days.trim();
  const days = text === '' ? 0 : Number(text);
  if (!isDays(days)) throw new ValidationError({ retentionDays: 'out_of_range' });
  const now = ctx.now?.() ?? new Date();
  const confirmed = (input.confirm ?? '').trim() !== '' && Number(input.confirm) === days;
  return ctx.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${changeLock})`);
    const before = await recordingRetention(tx, now);
    const { count: affected, oldest } = await recordingsToDelete(tx, days, before.inForce, now);
    // The value in force is never shorter than the one set, so this also shortens what applies now.
    const shortens = span(days) < span(before.days);
    // Lengthening a shortened value during its grace period keeps the grace period as it is.
    let effectiveAt = span(days) < span(before.inForce) ? before.effectiveAt : null;
    if (shortens) {
      effectiveAt = new Date(now.getTime() + graceHours * 3_600_000);
      if (!confirmed) return { status: 'confirm', days, count: affected, oldest, effectiveAt };
      await writeSetting(tx, graceKey, { days: before.inForce, until: effectiveAt.toISOString() });
    } else if (!effectiveAt) await clearSetting(tx, graceKey);
    await writeSetting(tx, daysKey, days);
    await audit(
      { ...ctx, db: tx },
      {
        action: 'recordings.retention_changed',
        detail: {
          from: before.days,
          to: days,
          inForce: before.inForce,
          affected,
          oldest: oldest?.toISOString() ?? null,
          effectiveAt: effectiveAt?.toISOString() ?? null,
        },
      },
    );
    return { status: 'saved', days, count: affected, effectiveAt };
  });
}

/**
 * Deletes the recordings past the retention in force at `now` (during a grace period the longer
 * value before the shortening), in batches; returns how many calls lost theirs.
 */
export async function purgeExpiredRecordings(
  db: Db,
  log: CallLog,
  store: string,
  now: Date = new Date(),
): Promise<number> {
  const days = (await recordingRetention(db, now)).inForce;
  if (days === 0) return 0;
  const cutoff = new Date(now.getTime() - days * dayMs);
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
