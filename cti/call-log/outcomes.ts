/**
 * How a call ended up, in one place: the outcome the statistics count (answered, abandoned in
 * the IVR, in the queue or while an agent's phone rang, or the record's disposition), and what
 * a lost call (呼损) is — an inbound call from a known number no agent answered: abandoned
 * (wherever the caller hung up), unserved by the queue, not answered or busy, or turned into a
 * callback request. The lost-calls list (cti/supervision/floor.ts) lists exactly these; the
 * lost-calls report (cti/stats) counts them by outcome.
 */
import { and, eq, gt, inArray, type SQL } from 'drizzle-orm';
import { callRecords } from '../../db/schema.ts';
import type { CallRecord } from './projection.ts';

/** How the call ended up, for counting. */
export function outcomeOf(r: Pick<CallRecord, 'answeredAt' | 'disposition' | 'reason'>): string {
  if (r.answeredAt) return 'answered';
  if (r.disposition === 'abandoned') {
    if (r.reason === 'in_ivr') return 'abandoned_ivr';
    if (r.reason === 'ringing') return 'abandoned_ringing';
    return 'abandoned_queue';
  }
  return r.disposition ?? '';
}

/** The dispositions of a lost call. */
export const lostDispositions = ['abandoned', 'unserved', 'no_answer', 'busy', 'callback'] as const;
export type LostDisposition = (typeof lostDispositions)[number];

/** The call records that are lost calls (optionally of one disposition). */
export function lostCalls(disposition?: LostDisposition): SQL {
  return and(
    eq(callRecords.direction, 'inbound'),
    disposition
      ? eq(callRecords.disposition, disposition)
      : inArray(callRecords.disposition, [...lostDispositions]),
    gt(callRecords.fromNumber, ''),
  )!;
}
