/**
 * The IVR reception log (IVR 接待记录) as a pure function of a call's events: which IVR, the
 * caller and their region, the menus visited with the key that left each and when, digits
 * collected, and how the caller left (the final action).
 */
import type { ivrSessions } from '../../db/schema.ts';
import type { CallEvent } from './events.ts';

export type IvrSessionRow = typeof ivrSessions.$inferInsert;

export interface IvrStep {
  /** Milliseconds since the caller entered the IVR. */
  at: number;
  menu: string;
  name?: string;
  key?: string;
  /** invalid key, silence, off hours, caller rule. */
  note?: string;
}

export function projectIvrSession(callId: string, events: readonly CallEvent[]): IvrSessionRow | null {
  const entered = events.find((e) => e.type === 'ivr.entered');
  if (entered?.type !== 'ivr.entered') return null;
  const t0 = entered.at.getTime();
  const path: IvrStep[] = [];
  const collected: Record<string, string> = {};
  let outcome = 'in_progress';
  let leftAt: Date | null = null;
  let menu = '';
  for (const e of events) {
    const at = e.at.getTime() - t0;
    switch (e.type) {
      case 'ivr.menu':
        menu = e.data.menu;
        path.push({ at, menu, name: e.data.name });
        break;
      case 'ivr.key':
        path.push({ at, menu: e.data.menu, key: e.data.key });
        break;
      case 'ivr.invalid':
        path.push({ at, menu: e.data.menu, key: e.data.key, note: 'invalid' });
        break;
      case 'ivr.silence':
        path.push({ at, menu: e.data.menu, note: 'silence' });
        break;
      case 'ivr.off_hours':
        path.push({ at, menu, note: e.data.exception ? `off_hours:${e.data.exception}` : 'off_hours' });
        break;
      case 'ivr.rule':
        path.push({ at, menu, note: `rule:${e.data.index + 1}` });
        break;
      case 'ivr.collected':
        collected[e.data.variable] = e.data.value;
        break;
      case 'ivr.left':
        outcome = e.data.outcome;
        leftAt = e.at;
        break;
      case 'call.ended':
        if (outcome === 'in_progress') {
          outcome = 'caller_hung_up';
          leftAt = e.at;
        }
        break;
      default:
        break;
    }
  }
  return {
    callId,
    ivrId: entered.data.ivrId,
    hotlineId: entered.data.hotlineId,
    fromNumber: entered.data.from,
    region: entered.data.region,
    enteredAt: entered.at,
    leftAt,
    path,
    outcome,
    collected,
  };
}

/** The keys pressed, in order ("1 → 2 → 1"): what the log's path column shows. */
export const keysOf = (path: readonly IvrStep[]) =>
  path
    .filter((s) => s.key && !s.note)
    .map((s) => s.key)
    .join(' → ');
