/**
 * What is known about a caller's number when a call starts, worked out in one place: VIP and
 * blacklisted (the caller lists), and how many inbound calls came from it within the repeat
 * window (3.4.16). Inbound routing records these once per call in `call.flags`; the IVR, the
 * queues and the screen pop read them from there.
 */
import type { Db } from '../../db/client.ts';
import { repeatCallerHours } from '../acd/acd-settings.ts';
import { recentCalls } from '../acd/loader.ts';
import type { CallEvent } from '../call-log/events.ts';
import { isBlacklisted, isVip } from '../lines/caller-lists.ts';

export interface CallerFacts {
  vip: boolean;
  blacklisted: boolean;
  /** Inbound calls from the number within the repeat window before `at`. */
  repeatCalls: number;
  repeatHours: number;
}

/** Where the caller lists and the repeat window are read (the engine's ConfigCache, or the database). */
export interface CallerLists {
  isVip(number: string): Promise<boolean>;
  isBlacklisted(number: string): Promise<boolean>;
  repeatCallerHours(): Promise<number>;
}

export const callerListsIn = (db: Db): CallerLists => ({
  isVip: (n) => isVip(db, n),
  isBlacklisted: (n) => isBlacklisted(db, n),
  repeatCallerHours: () => repeatCallerHours(db),
});

export async function callerFacts(
  db: Db,
  number: string,
  at: Date,
  lists: CallerLists = callerListsIn(db),
): Promise<CallerFacts> {
  const repeatHours = await lists.repeatCallerHours();
  if (!number) return { vip: false, blacklisted: false, repeatCalls: 0, repeatHours };
  return {
    vip: await lists.isVip(number),
    blacklisted: await lists.isBlacklisted(number),
    repeatCalls: await recentCalls(db, number, repeatHours, at),
    repeatHours,
  };
}

/** The caller facts a call recorded (`call.flags`), or null when it recorded none (calls out, older calls). */
export function recordedFacts(events: readonly CallEvent[]): CallerFacts | null {
  for (const e of events) {
    if (e.type !== 'call.flags' || e.data.repeatCalls === undefined) continue;
    return {
      vip: e.data.vip,
      blacklisted: e.data.blacklisted ?? false,
      repeatCalls: e.data.repeatCalls,
      repeatHours: e.data.repeatHours ?? 0,
    };
  }
  return null;
}
