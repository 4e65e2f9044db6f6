/**
 * The replay check: every call's stored record and IVR reception row must equal what the pure
 * projections give over the call's stored events — the event log's writer projects from the
 * events it holds in memory, batch by batch, and must agree with a full replay of the log.
 */
import { asc } from 'drizzle-orm';
import * as assert from 'uvu/assert';
import type { CallEvent } from '../../cti/call-log/events.ts';
import { projectIvrSession } from '../../cti/call-log/ivr-session.ts';
import { projectCallRecord } from '../../cti/call-log/projection.ts';
import type { Db } from '../../db/client.ts';
import { callEvents, callRecords, ivrSessions } from '../../db/schema.ts';

/** A value as comparable text: dates as ISO strings, object keys sorted (jsonb reorders them). */
function plain(v: unknown): string {
  return JSON.stringify(v ?? null, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)))
      : x,
  );
}

function differences(stored: Record<string, unknown> | undefined, replayed: Record<string, unknown> | null) {
  if (!replayed) return stored ? ['a row exists, the replay gives none'] : [];
  if (!stored) return ['no row stored'];
  return Object.keys(replayed)
    .filter((k) => plain(stored[k]) !== plain(replayed[k]))
    .map((k) => `${k}: stored ${plain(stored[k])}, replayed ${plain(replayed[k])}`);
}

/** Asserts the check on every call in the database; returns how many calls it compared. */
export async function assertReplayAgrees(db: Db): Promise<number> {
  const events = await db.select().from(callEvents).orderBy(asc(callEvents.id));
  const byCall = new Map<string, CallEvent[]>();
  for (const e of events) {
    const list = byCall.get(e.callId) ?? [];
    list.push({ type: e.type, data: e.data, at: e.at } as CallEvent);
    byCall.set(e.callId, list);
  }
  const records = new Map((await db.select().from(callRecords)).map((r) => [r.callId, r]));
  const sessions = new Map((await db.select().from(ivrSessions)).map((r) => [r.callId, r]));
  const problems: string[] = [];
  for (const [callId, list] of byCall) {
    for (const d of differences(records.get(callId), projectCallRecord(callId, list)))
      problems.push(`call ${callId} record: ${d}`);
    for (const d of differences(sessions.get(callId), projectIvrSession(callId, list)))
      problems.push(`call ${callId} IVR row: ${d}`);
  }
  assert.equal(
    problems,
    [],
    `stored rows that a replay of the event log does not give:\n${problems.join('\n')}`,
  );
  return byCall.size;
}
