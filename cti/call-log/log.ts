/**
 * The call event log writer: appends an event and rebuilds the call's record from all of its
 * events, in one transaction. Appends for one call are serialised in the order they were made.
 */
import { asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { markDirty } from './changed-calls.ts';
import { callEvents, callRecords, ivrSessions } from '../../db/schema.ts';
import { projectIvrSession } from './ivr-session.ts';
import type { CallEvent, CallEventBody } from './events.ts';
import { projectCallRecord } from './projection.ts';

export class CallLog {
  private readonly queues = new Map<string, Promise<void>>();
  private waiting = 0;
  /** Told how long each write took (s) and whether it failed — for metrics. */
  onWrite: ((seconds: number, ok: boolean) => void) | null = null;

  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  append(callId: string, event: CallEventBody, at: Date = this.now()): Promise<void> {
    const previous = this.queues.get(callId) ?? Promise.resolve();
    this.waiting++;
    const next = previous.then(async () => {
      const started = performance.now();
      let ok = false;
      try {
        await this.write(callId, event, at);
        ok = true;
      } finally {
        this.waiting--;
        this.onWrite?.((performance.now() - started) / 1000, ok);
      }
    });
    const tail = next.catch(() => {});
    this.queues.set(callId, tail);
    void tail.then(() => {
      if (this.queues.get(callId) === tail) this.queues.delete(callId);
    });
    return next;
  }

  private async write(callId: string, event: CallEventBody, at: Date) {
    await this.db.transaction(async (tx) => {
      await tx.insert(callEvents).values({ callId, at, type: event.type, data: event.data });
      const events = await eventsOf(tx, callId);
      const record = projectCallRecord(callId, events);
      if (record)
        await tx
          .insert(callRecords)
          .values(record)
          .onConflictDoUpdate({ target: callRecords.callId, set: record });
      // An ended call (or one changed after it ended: survey, note, recording) is recounted.
      if (record?.endedAt) await markDirty(tx, [callId]);
      const session =
        event.type.startsWith('ivr.') || event.type === 'call.ended'
          ? projectIvrSession(callId, events)
          : null;
      if (session)
        await tx
          .insert(ivrSessions)
          .values(session)
          .onConflictDoUpdate({ target: ivrSessions.callId, set: session });
    });
  }

  /** Events appended and not yet written (the event log's backlog). */
  get backlog(): number {
    return this.waiting;
  }

  /** Waits until everything appended so far is written. */
  async flush(): Promise<void> {
    await Promise.all([...this.queues.values()]);
  }
}

export async function eventsOf(db: Db, callId: string): Promise<CallEvent[]> {
  const rows = await db
    .select()
    .from(callEvents)
    .where(eq(callEvents.callId, callId))
    .orderBy(asc(callEvents.id));
  return rows.map((r) => ({ type: r.type, data: r.data, at: r.at }) as CallEvent);
}
