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

export async function callerFacts(db: Db, number: string, at: Date): Promise<CallerFacts> {
  const repeatHours = await repeatCallerHours(db);
  if (!number) return { vip: false, blacklisted: false, repeatCalls: 0, repeatHours };
  return {
    vip: await isVip(db, number),
    blacklisted: await isBlacklisted(db, number),
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
