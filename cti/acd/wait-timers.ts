/**
 * What a caller hears while waiting in a queue (3.4.5–3.4.6): their position and estimated wait
 * every N seconds, and at the maximum wait a menu — keep waiting (1), ask for a callback (2),
 * hang up (0) — played again after the same time; and the overflow by waiting time. The timers
 * run per waiting caller and stop when they leave the queue.
 */
import type { CallEventBody } from '../call-log/events.ts';
import type { ActiveCall } from '../calls/model.ts';
import { CallerGone, type Prompter } from '../media/prompter.ts';
import { numberPieces } from '../media/system-prompts.ts';
import type { PoolGroup } from './pool.ts';
import type { QueueEntry } from './queue-book.ts';

/** A caller waiting in a queue. */
export interface Waiting {
  entry: QueueEntry;
  /** When the caller joined this group's queue (the timers count from here). */
  since: number;
  timers: NodeJS.Timeout[];
  /** The maximum-wait menu is being played. */
  inMenu: boolean;
}

/** What the timers need from the ACD. */
export interface WaitTimersHost {
  now(): Date;
  say(line: string): void;
  append(call: ActiveCall, event: CallEventBody): Promise<void>;
  prompter(call: ActiveCall): Prompter | null;
  systemMedia(language: string, pieces: readonly string[]): string[];
  promptMedia(promptId: number): Promise<string | null>;
  /** The caller's place in line, and the estimated seconds until they are served. */
  position(key: string): number;
  estimatedWait(entry: QueueEntry): number;
  /** Whether this wait is still the caller's current one. */
  waiting(w: Waiting): boolean;
  /** The overflow by waiting time: out of the queue, on to the overflow target. */
  overflowAfterWait(call: ActiveCall, w: Waiting, group: PoolGroup): Promise<void>;
  requestCallback(call: ActiveCall, w: Waiting, group: PoolGroup): Promise<void>;
  leaveQueue(call: ActiveCall, reason: 'max_wait'): Promise<void>;
  endCall(call: ActiveCall): Promise<void>;
}

export class WaitTimers {
  constructor(private readonly host: WaitTimersHost) {}

  private isWaiting(w: Waiting): boolean {
    return this.host.waiting(w);
  }

  start(call: ActiveCall, w: Waiting, group: PoolGroup) {
    const s = group.settings;
    const now = this.host.now().getTime();
    const at = (ms: number, fn: () => void) => {
      const t = setTimeout(fn, Math.max(0, ms - now));
      w.timers.push(t);
    };
    if (s.announce.everySeconds > 0) {
      const every = s.announce.everySeconds * 1000;
      const tick = () => {
        void this.announce(call, w, group).catch(() => {});
        w.timers.push(setTimeout(tick, every));
      };
      at(w.since + Math.min(every, 5000), tick);
    }
    if (s.maxWait.seconds > 0)
      at(w.since + s.maxWait.seconds * 1000, () => void this.maxWaitMenu(call, w, group));
    if (s.overflow.waitSeconds > 0)
      at(w.since + s.overflow.waitSeconds * 1000, () => {
        if (this.isWaiting(w) && !w.entry.offering) void this.host.overflowAfterWait(call, w, group);
      });
  }

  clear(w: Waiting) {
    for (const t of w.timers) clearTimeout(t);
    w.timers.length = 0;
  }

  private async announce(call: ActiveCall, w: Waiting, group: PoolGroup) {
    if (!this.isWaiting(w) || w.inMenu || w.entry.offering) return;
    const prompter = this.host.prompter(call);
    if (!prompter || prompter.isPlaying) return;
    const s = group.settings;
    const lang = s.language;
    const position = this.host.position(w.entry.key);
    const wait = s.announce.waitTime ? this.host.estimatedWait(w.entry) : null;
    const pieces: string[] = [];
    if (s.announce.position)
      pieces.push('queue_position', ...numberPieces(lang, position), 'queue_position_end');
    if (wait !== null) {
      pieces.push('queue_wait');
      if (wait < 60) pieces.push('queue_less_minute');
      else pieces.push(...numberPieces(lang, Math.ceil(wait / 60)), 'queue_minutes');
    }
    await this.host.append(call, { type: 'queue.announced', data: { position, waitSeconds: wait } });
    await prompter.play(this.host.systemMedia(lang, pieces), false).catch(() => {});
  }

  /** The maximum wait: keys to keep waiting (1), ask for a callback (2) or hang up (0). */
  private async maxWaitMenu(call: ActiveCall, w: Waiting, group: PoolGroup) {
    if (!this.isWaiting(w) || w.entry.offering) return;
    const s = group.settings.maxWait;
    const prompter = this.host.prompter(call);
    if (!prompter) return;
    w.inMenu = true;
    let choice: 'keep' | 'callback' | 'hangup' | 'none' = 'none';
    try {
      prompter.interrupt();
      prompter.clearDigits();
      const custom = s.promptId !== null ? await this.host.promptMedia(s.promptId) : null;
      const media =
        custom !== null
          ? [custom]
          : this.host.systemMedia(group.settings.language, [
              s.callback ? 'max_wait' : 'max_wait_no_callback',
            ]);
      await prompter.play(media, true);
      const key = this.isWaiting(w) ? await prompter.nextDigit(s.keySeconds * 1000) : null;
      if (key === '1') choice = 'keep';
      else if (key === '2' && s.callback) choice = 'callback';
      else if (key === '0') choice = 'hangup';
      else if (key !== null) choice = 'keep';
    } catch (err) {
      if (err instanceof CallerGone) return;
      this.host.say(`max wait menu ${call.id}: ${err instanceof Error ? err.message : err}`);
    } finally {
      w.inMenu = false;
    }
    // An agent took the call meanwhile.
    if (!this.isWaiting(w) || w.entry.offering || call.ended) return;
    await this.host.append(call, { type: 'queue.max_wait', data: { groupId: group.id, choice } });
    if (choice === 'callback') return this.host.requestCallback(call, w, group);
    if (choice === 'hangup' || (choice === 'none' && s.noKey === 'hangup')) {
      await this.host.leaveQueue(call, 'max_wait');
      await prompter.play(this.host.systemMedia(group.settings.language, ['goodbye']), false).catch(() => {});
      return this.host.endCall(call);
    }
    // Keep waiting: the menu comes again after the same time.
    const t = setTimeout(() => void this.maxWaitMenu(call, w, group), s.seconds * 1000);
    w.timers.push(t);
  }
}
