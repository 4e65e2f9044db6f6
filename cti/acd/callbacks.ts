/**
 * Queue callbacks (3.4.6, 回呼): a caller who pressed the callback key at the maximum wait keeps
 * their place in line as a callback entry and hangs up; when their turn comes an agent is
 * reserved and the engine places the call (the agent first, then the caller). The requests are
 * stored (queue_callbacks), so they survive restarts; a caller who cannot be reached is tried
 * again after two minutes, three times in all. The ACD (acd.ts) offers the entries like callers.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { queueCallbacks } from '../../db/schema.ts';
import type { CallEventBody } from '../call-log/events.ts';
import type { ActiveCall } from '../calls/model.ts';
import type { AgentPool } from './pool.ts';
import type { QueueBook, QueueEntry } from './queue-book.ts';

export interface CallbackRequest {
  id: number;
  callId: string;
  groupId: number;
  number: string;
  numberId: number | null;
  attempts: number;
}

export type CallbackOutcome = 'agent_no_answer' | 'answered' | 'unreachable';

/** What the callbacks need from the ACD's host. */
export interface CallbacksHost {
  readonly db: Db;
  now(): Date;
  append(call: ActiveCall, event: CallEventBody): Promise<void>;
}

const retrySeconds = 120;
const attemptsAllowed = 3;
const keyPrefix = 'callback-';

/** The queue entry key of a callback request (also the reservation key of its agent). */
export const callbackKey = (id: number): string => `${keyPrefix}${id}`;
const idOfKey = (key: string): number => Number(key.slice(keyPrefix.length));

export class Callbacks {
  /** The calls placed for requests, by call id (to match their outcome). */
  private readonly placedCalls = new Map<string, string>();
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly host: CallbacksHost,
    private readonly book: QueueBook,
    private readonly pool: AgentPool,
  ) {}

  /** Puts the stored requests still open back in line (after a start); one being dialled waits again. */
  async load(): Promise<void> {
    const rows = await this.host.db
      .select()
      .from(queueCallbacks)
      .where(inArray(queueCallbacks.status, ['waiting', 'dialing']));
    for (const r of rows) {
      const group = this.pool.groups.get(r.groupId);
      if (!group) continue;
      if (r.status === 'dialing')
        await this.host.db
          .update(queueCallbacks)
          .set({ status: 'waiting' })
          .where(eq(queueCallbacks.id, r.id));
      this.book.add({
        key: callbackKey(r.id),
        kind: 'callback',
        callId: r.callId,
        groupId: r.groupId,
        joinedAt: r.joinedAt.getTime(),
        seq: this.book.nextSeq(),
        vip: r.vip,
        priority: r.vip && group.settings.vipFirst,
        lastAgentId: null,
        tried: new Set(),
        offering: false,
        notBefore: r.nextAttemptAt?.getTime() ?? 0,
      });
    }
  }

  /** Stores a caller's request and logs it; the id. The caller's queue entry is then replaced by `enqueue`. */
  async request(call: ActiveCall, entry: QueueEntry, groupId: number): Promise<number> {
    const [row] = await this.host.db
      .insert(queueCallbacks)
      .values({
        callId: call.id,
        groupId,
        number: call.callerId,
        numberId: call.numberId,
        joinedAt: new Date(entry.joinedAt),
        vip: entry.vip,
      })
      .returning({ id: queueCallbacks.id });
    const id = row!.id;
    await this.host.append(call, { type: 'queue.callback_requested', data: { callbackId: id, groupId } });
    return id;
  }

  /** The request takes the caller's place in line. */
  enqueue(entry: QueueEntry, id: number): void {
    this.book.add({
      ...entry,
      key: callbackKey(id),
      kind: 'callback',
      tried: new Set(),
      offering: false,
      notBefore: 0,
    });
  }

  /** The open request behind a callback entry, now being dialled (one more attempt); null when gone. */
  async dialing(entry: QueueEntry): Promise<CallbackRequest | null> {
    const id = idOfKey(entry.key);
    const [row] = await this.host.db
      .select()
      .from(queueCallbacks)
      .where(and(eq(queueCallbacks.id, id), inArray(queueCallbacks.status, ['waiting', 'dialing'])));
    if (!row) {
      this.book.remove(entry.key);
      return null;
    }
    const attempts = row.attempts + 1;
    await this.host.db
      .update(queueCallbacks)
      .set({ status: 'dialing', attempts, updatedAt: new Date() })
      .where(eq(queueCallbacks.id, id));
    return {
      id,
      callId: row.callId,
      groupId: row.groupId,
      number: row.number,
      numberId: row.numberId,
      attempts,
    };
  }

  /** The engine placed the callback call for a request (to match its outcome). */
  placed(callId: string, callbackId: number): void {
    this.placedCalls.set(callId, callbackKey(callbackId));
  }

  /** Whether the call was placed for a request (its outcome is then taken once). */
  take(callId: string): string | null {
    const key = this.placedCalls.get(callId) ?? null;
    this.placedCalls.delete(callId);
    return key;
  }

  /**
   * How a callback call went: the agent did not answer (the next agent gets it), the caller
   * answered (done), or the caller could not be reached (tried again later, three times in
   * all). The group of the request, or null when it is no longer in line.
   */
  async outcome(key: string, callId: string, outcome: CallbackOutcome, agentId: number | null) {
    const entry = this.book.get(key);
    if (!entry) return null;
    const id = idOfKey(key);
    const { db } = this.host;
    if (outcome === 'agent_no_answer') {
      await db.update(queueCallbacks).set({ status: 'waiting' }).where(eq(queueCallbacks.id, id));
      if (agentId !== null) entry.tried.add(agentId);
      entry.offering = false;
      const group = this.pool.groups.get(entry.groupId);
      if (group?.members.every((m) => entry.tried.has(m.userId))) entry.tried.clear();
    } else if (outcome === 'answered') {
      this.book.remove(key);
      await db
        .update(queueCallbacks)
        .set({ status: 'done', lastCallId: callId, updatedAt: new Date() })
        .where(eq(queueCallbacks.id, id));
    } else {
      const [row] = await db.select().from(queueCallbacks).where(eq(queueCallbacks.id, id));
      const failed = (row?.attempts ?? attemptsAllowed) >= attemptsAllowed;
      const next = new Date(this.host.now().getTime() + retrySeconds * 1000);
      await db
        .update(queueCallbacks)
        .set({
          status: failed ? 'failed' : 'waiting',
          lastCallId: callId,
          nextAttemptAt: failed ? null : next,
          updatedAt: new Date(),
        })
        .where(eq(queueCallbacks.id, id));
      if (failed) this.book.remove(key);
      else {
        entry.offering = false;
        entry.notBefore = next.getTime();
      }
    }
    return entry.groupId;
  }

  /** Wakes the dispatcher when the earliest callback waiting for its retry time is due. */
  scheduleRetry(dispatch: () => void): void {
    this.stop();
    const now = this.host.now().getTime();
    let due = Number.POSITIVE_INFINITY;
    for (const e of this.book.entries())
      if (!e.offering && e.notBefore > now) due = Math.min(due, e.notBefore);
    if (due === Number.POSITIVE_INFINITY) return;
    this.retryTimer = setTimeout(dispatch, due - now + 50);
    this.retryTimer.unref();
  }

  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}
