/**
 * The call event log writer, off the call-control path: `append` puts an event into an
 * in-memory journal and returns at once (its promise says when the event is written); a
 * single writer commits the journal in batches (group commit: at most one batch per
 * `intervalMs`, or at once when `batchMax` events wait), in the order the events were
 * appended, across all calls. Each batch is one transaction: one multi-row insert of the
 * events, and the call records and IVR reception rows of the calls it touched, projected by the
 * same pure functions (`projectCallRecord`, `projectIvrSession`) over the call's events held in
 * memory — a call's events are read from the database once, when the writer first meets a call
 * it does not hold (after a restart, or an ended call's late note or survey).
 *
 * When the database fails (restart, failover, a cut) the batch stays at the head of the
 * journal and is retried with back-off; events keep being accepted behind it. Past
 * `maxBacklog` events waiting, `full` is true and the engine refuses new calls (events of calls
 * in progress are still taken): nothing is dropped silently. An error that is not the
 * database's availability (a value it rejects) is isolated to the calls of the batch that
 * cause it; their events are reported and dropped so the rest of the log goes on.
 */
import { asc, getTableColumns, inArray, sql } from 'drizzle-orm';
import type { PgColumn, PgTable, PgUpdateSetSource } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/client.ts';
import { callEvents, callRecords, ivrSessions } from '../../db/schema.ts';
import { markDirty } from './changed-calls.ts';
import type { CallEvent, CallEventBody } from './events.ts';
import { projectIvrSession } from './ivr-session.ts';
import { projectCallRecord } from './projection.ts';

export interface CallLogOptions {
  /** Longest a written batch waits for more events (ms). */
  intervalMs?: number;
  /** Events in one batch at most. */
  batchMax?: number;
  /** Events waiting at which new calls are refused (`full`). */
  maxBacklog?: number;
  /** Told what an operator must know (database unavailable, back again, events dropped). */
  say?: (line: string) => void;
}

export interface JournalState {
  /** Events appended and not yet written. */
  waiting: number;
  bound: number;
  /** At the bound: new calls are refused. */
  full: boolean;
  /** How long the oldest waiting event has waited. */
  oldestSeconds: number;
  /** Since when the database has refused the writes (null while they go through). */
  failingSince: Date | null;
}

interface Entry {
  callId: string;
  event: CallEvent;
  done: { resolve(): void; reject(err: Error): void };
}

/** Calls whose events are held in memory at most (older ones are read again when needed). */
const heldCallsMax = 20_000;
const retryMaxMs = 5_000;

export class CallLog {
  private journal: Entry[] = [];
  /** Events written so far of calls not yet ended, in order (the writer's projection input). */
  private readonly held = new Map<string, CallEvent[]>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private writing = false;
  private failingSince: number | null = null;
  private idle: Array<() => void> = [];
  private closed = false;
  private readonly intervalMs: number;
  private readonly batchMax: number;
  private readonly maxBacklog: number;
  private readonly say: (line: string) => void;
  /** Told how long each batch took to write (s) and whether it was written — for metrics. */
  onWrite: ((seconds: number, ok: boolean) => void) | null = null;

  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
    options: CallLogOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 10;
    this.batchMax = options.batchMax ?? 500;
    this.maxBacklog = options.maxBacklog ?? 100_000;
    this.say = options.say ?? (() => {});
  }

  /** Queues an event; the promise resolves once it is written (call control need not wait). */
  append(callId: string, event: CallEventBody, at: Date = this.now()): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.journal.push({ callId, event: { ...event, at } as CallEvent, done: { resolve, reject } });
      this.schedule();
    });
  }

  /** Events appended and not yet written (the event log's backlog). */
  get backlog(): number {
    return this.journal.length;
  }

  /** The backlog has reached its bound: new calls are refused until it drains. */
  get full(): boolean {
    return this.journal.length >= this.maxBacklog;
  }

  /** What the PBX page and `/readyz` show of the journal. */
  state(now = Date.now()): JournalState {
    const oldest = this.journal[0]?.event.at ?? null;
    return {
      waiting: this.journal.length,
      bound: this.maxBacklog,
      full: this.full,
      oldestSeconds: oldest ? Math.max(0, Math.round((now - oldest.getTime()) / 1000)) : 0,
      failingSince: this.failingSince === null ? null : new Date(this.failingSince),
    };
  }

  /**
   * Waits until everything appended so far is written, or `timeoutMs` passed (then resolves
   * false: the database is not taking writes).
   */
  flush(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    if (this.journal.length === 0 && !this.writing) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = Number.isFinite(timeoutMs) ? setTimeout(() => resolve(false), timeoutMs) : null;
      this.idle.push(() => {
        if (timer) clearTimeout(timer);
        resolve(true);
      });
      this.schedule();
    });
  }

  /** Stops retrying writes the database refuses (shut-down); what waits then is lost. */
  close(): void {
    this.closed = true;
  }

  private schedule() {
    if (this.writing || this.timer || this.closed) return;
    const delay = this.journal.length >= this.batchMax ? 0 : this.intervalMs;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.drain();
    }, delay);
  }

  private async drain() {
    if (this.writing) return;
    this.writing = true;
    let retryMs = 50;
    try {
      while (this.journal.length > 0) {
        const batch = this.journal.slice(0, this.batchMax);
        const started = performance.now();
        try {
          await this.write(batch);
        } catch (err) {
          this.onWrite?.((performance.now() - started) / 1000, false);
          if (isUnavailable(err)) {
            if (this.failingSince === null) {
              this.failingSince = Date.now();
              this.say(
                `event log: the database does not take writes (${messageOf(err)}); calls go on, events wait in memory (bound ${this.maxBacklog})`,
              );
            }
            if (this.closed) return;
            await new Promise((r) => setTimeout(r, retryMs).unref?.());
            retryMs = Math.min(retryMs * 2, retryMaxMs);
            continue;
          }
          await this.isolate(batch);
          continue;
        }
        this.onWrite?.((performance.now() - started) / 1000, true);
        this.journal.splice(0, batch.length);
        for (const e of batch) e.done.resolve();
        if (this.failingSince !== null) {
          this.say(
            `event log: writing again after ${Math.round((Date.now() - this.failingSince) / 1000)} s; ${this.journal.length} event(s) still waiting`,
          );
          this.failingSince = null;
        }
        retryMs = 50;
      }
    } finally {
      this.writing = false;
      for (const wake of this.idle.splice(0)) wake();
    }
  }

  /**
   * A batch the database refused for its content: each call's events are tried on their own;
   * those of a call that still fails are reported and dropped.
   */
  private async isolate(batch: Entry[]) {
    const calls = [...new Set(batch.map((e) => e.callId))];
    for (const callId of calls) {
      const own = batch.filter((e) => e.callId === callId);
      try {
        await this.write(own);
        for (const e of own) e.done.resolve();
      } catch (err) {
        if (isUnavailable(err)) return; // the database went away meanwhile: retry the rest as a batch
        this.say(`event log: dropped ${own.length} event(s) of call ${callId}: ${messageOf(err)}`);
        for (const e of own) e.done.reject(err instanceof Error ? err : new Error(String(err)));
      }
      this.journal = this.journal.filter((e) => !own.includes(e));
    }
  }

  private async write(batch: Entry[]) {
    const calls = [...new Set(batch.map((e) => e.callId))];
    const histories = new Map<string, CallEvent[]>();
    await this.db.transaction(async (tx) => {
      const unknown = calls.filter((id) => !this.held.has(id));
      const stored = unknown.length > 0 ? await eventsOfCalls(tx, unknown) : new Map<string, CallEvent[]>();
      await tx
        .insert(callEvents)
        .values(
          batch.map((e) => ({ callId: e.callId, at: e.event.at, type: e.event.type, data: e.event.data })),
        );
      for (const id of calls) histories.set(id, [...(this.held.get(id) ?? stored.get(id) ?? [])]);
      for (const e of batch) histories.get(e.callId)!.push(e.event);
      const records = calls.flatMap((id) => projectCallRecord(id, histories.get(id)!) ?? []);
      await upsertAll(tx, callRecords, callRecords.callId, records);
      // An ended call (or one changed after it ended: survey, note, recording) is recounted.
      await markDirty(
        tx,
        records.filter((r) => r.endedAt).map((r) => r.callId),
      );
      const touchedIvr = new Set(
        batch
          .filter((e) => e.event.type.startsWith('ivr.') || e.event.type === 'call.ended')
          .map((e) => e.callId),
      );
      const sessions = [...touchedIvr].flatMap((id) => projectIvrSession(id, histories.get(id)!) ?? []);
      await upsertAll(tx, ivrSessions, ivrSessions.callId, sessions);
    });
    // Written: ended calls leave memory (a late event reads them again), the others stay.
    for (const [id, events] of histories) {
      if (events.some((e) => e.type === 'call.ended')) this.held.delete(id);
      else {
        this.held.delete(id);
        this.held.set(id, events);
      }
    }
    while (this.held.size > heldCallsMax) this.held.delete(this.held.keys().next().value!);
  }
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** Inserts rows, replacing every column of a row whose key exists (one statement). */
async function upsertAll<T extends PgTable>(tx: Tx, table: T, key: PgColumn, rows: T['$inferInsert'][]) {
  if (rows.length === 0) return;
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  const names = Object.keys(rows[0]!).filter((k) => columns[k] && columns[k] !== key);
  const set = Object.fromEntries(
    names.map((k) => [k, sql.raw(`excluded."${columns[k]!.name}"`)]),
  ) as PgUpdateSetSource<T>;
  // Every column is given (undefined would mean the column's default in a multi-row insert).
  const full = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v ?? null])));
  await tx
    .insert(table)
    .values(full as T['$inferInsert'][])
    .onConflictDoUpdate({ target: key, set });
}

async function eventsOfCalls(db: Db | Tx, callIds: string[]): Promise<Map<string, CallEvent[]>> {
  const rows = await db
    .select()
    .from(callEvents)
    .where(inArray(callEvents.callId, callIds))
    .orderBy(asc(callEvents.id));
  const out = new Map<string, CallEvent[]>();
  for (const r of rows) {
    const list = out.get(r.callId) ?? [];
    list.push({ type: r.type, data: r.data, at: r.at } as CallEvent);
    out.set(r.callId, list);
  }
  return out;
}

export async function eventsOf(db: Db, callId: string): Promise<CallEvent[]> {
  return (await eventsOfCalls(db, [callId])).get(callId) ?? [];
}

/**
 * The database could not be reached or is not taking writes now — retried — as opposed to a
 * value it rejects or a fault of ours (a projection that throws), which retrying would not
 * mend and which must not stop the log: those are isolated.
 */
function isUnavailable(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (/^[0-9A-Z]{5}$/.test(code)) return /^(08|53|57|58|40)/.test(code);
    return true; // a client-side code: ECONNREFUSED, CONNECTION_CLOSED, CONNECT_TIMEOUT …
  }
  // No code anywhere: only a closed or lost connection counts as unavailable.
  return /closed|terminat|connect|timeout|timed out/i.test(messageOf(err));
}

function messageOf(err: unknown): string {
  const inner = (err as { cause?: unknown }).cause;
  const base = err instanceof Error ? err.message : String(err);
  return inner instanceof Error && !base.includes(inner.message) ? `${base}: ${inner.message}` : base;
}
