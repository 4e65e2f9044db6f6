/**
 * The callers waiting in each group's queue, in the order they are served: VIP callers first
 * when the group says so (插队), then by when they first joined a queue (a caller moved by a
 * no-answer jump or overflow, or waiting for a callback, keeps that time: their place in line),
 * then by arrival. Entries stay in the book while an agent is being offered the call, so
 * positions do not jump, but the dispatcher skips them.
 */

export interface QueueEntry {
  /** The call id of a caller on the line, or `callback-<id>` for a callback waiting its turn. */
  key: string;
  kind: 'caller' | 'callback';
  /** The call the caller is in (for a callback: the call in which it was asked for). */
  callId: string;
  groupId: number;
  /** When the caller first joined a queue (ms): their place in line. */
  joinedAt: number;
  /** Arrival order, to break ties. */
  seq: number;
  vip: boolean;
  /** Served before others (VIP in a group that puts VIPs first). */
  priority: boolean;
  /** The agent who last served this caller (for the last_agent strategy). */
  lastAgentId: number | null;
  /** Agents who did not answer this caller in the current group. */
  tried: Set<number>;
  /** Being offered to agents now. */
  offering: boolean;
  /** Not to be offered before this time (ms): a callback waiting to try again. */
  notBefore: number;
}

/** Negative when `a` is served before `b`. */
export function compareEntries(a: QueueEntry, b: QueueEntry): number {
  if (a.priority !== b.priority) return a.priority ? -1 : 1;
  if (a.joinedAt !== b.joinedAt) return a.joinedAt - b.joinedAt;
  return a.seq - b.seq;
}

export class QueueBook {
  private readonly lines = new Map<number, QueueEntry[]>();
  private readonly byKey = new Map<string, QueueEntry>();
  private seq = 0;

  nextSeq(): number {
    return ++this.seq;
  }

  get(key: string): QueueEntry | undefined {
    return this.byKey.get(key);
  }

  /** Puts an entry in its group's line at its place. */
  add(entry: QueueEntry): void {
    this.remove(entry.key);
    const line = this.lines.get(entry.groupId) ?? [];
    // Binary search for the first entry served after this one.
    let lo = 0;
    let hi = line.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareEntries(line[mid]!, entry) <= 0) lo = mid + 1;
      else hi = mid;
    }
    line.splice(lo, 0, entry);
    this.lines.set(entry.groupId, line);
    this.byKey.set(entry.key, entry);
  }

  remove(key: string): QueueEntry | undefined {
    const entry = this.byKey.get(key);
    if (!entry) return undefined;
    this.byKey.delete(key);
    const line = this.lines.get(entry.groupId);
    const i = line?.indexOf(entry) ?? -1;
    if (line && i >= 0) line.splice(i, 1);
    if (line?.length === 0) this.lines.delete(entry.groupId);
    return entry;
  }

  /** The line of a group, in serving order. */
  line(groupId: number): readonly QueueEntry[] {
    return this.lines.get(groupId) ?? [];
  }

  /** 1-based position of an entry in its line. */
  position(key: string): number {
    const entry = this.byKey.get(key);
    if (!entry) return 0;
    return this.line(entry.groupId).indexOf(entry) + 1;
  }

  groupIds(): number[] {
    return [...this.lines.keys()];
  }

  entries(): IterableIterator<QueueEntry> {
    return this.byKey.values();
  }

  get size(): number {
    return this.byKey.size;
  }
}
