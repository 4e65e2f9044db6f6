/**
 * Service hours of an IVR (作息时间): weekly time ranges in the IVR's time zone, and dated
 * exceptions — holidays (closed all day) and special working days (open in their own ranges).
 * Ranges of one day must not overlap. No weekly ranges at all means always open. The off-hours
 * prompt must exist, and the off-hours action (hang up, play and hang up, a menu, a group, an
 * agent or a transfer) is checked like any key action of the tree.
 */
import { actionProblems, type IvrAction, type KnownIds, parseAction, type TreeProblem } from './tree.ts';

export interface TimeRange {
  from: string;
  to: string;
}

/** ISO weekday: 1 = Monday … 7 = Sunday. */
export interface WeeklyRange extends TimeRange {
  day: number;
}

export interface HoursException {
  date: string;
  name: string;
  /** Empty: closed all day (holiday); otherwise open only in these ranges (special working day). */
  ranges: TimeRange[];
}

export interface ServiceHours {
  timeZone: string;
  weekly: WeeklyRange[];
  exceptions: HoursException[];
  offHoursPromptId: number | null;
  /** What happens after the off-hours prompt (hang up, or route somewhere that is staffed). */
  offHoursAction: IvrAction;
}

export interface HoursProblem {
  where: string;
  code:
    | 'bad_time'
    | 'empty_range'
    | 'overlap'
    | 'bad_day'
    | 'bad_date'
    | 'duplicate_date'
    | 'bad_time_zone'
    | 'bad_action'
    /** The off-hours prompt (where `offHoursPromptId`) or the off-hours action's references (where `offHoursAction`). */
    | OffHoursActionCode;
}

const offHoursActionCodes = [
  'unknown_prompt',
  'unknown_group',
  'unknown_agent',
  'bad_number',
  'dangling_menu',
] as const satisfies readonly TreeProblem['code'][];
type OffHoursActionCode = (typeof offHoursActionCodes)[number];
const isOffHoursActionCode = (code: TreeProblem['code']): code is OffHoursActionCode =>
  (offHoursActionCodes as readonly string[]).includes(code);

/** The off-hours action may be one of these (not replay, back, main or collect: no menu is playing yet). */
const offHoursActions: readonly IvrAction['type'][] = [
  'hangup',
  'transfer',
  'group',
  'agent',
  'play_hangup',
  'menu',
];

/** What the off-hours prompt and action may refer to: the known ids, and the IVR's menus. */
export interface HoursRefs {
  ids: KnownIds;
  menus: ReadonlySet<string>;
}

const minutes = (hhmm: string) => {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm) ?? (hhmm === '24:00' ? ['', '24', '00'] : null);
  return m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
};

function rangeProblems(ranges: TimeRange[], where: string, out: HoursProblem[]) {
  const spans: [number, number][] = [];
  for (const r of ranges) {
    const a = minutes(r.from);
    const b = minutes(r.to);
    if (Number.isNaN(a) || Number.isNaN(b)) out.push({ where, code: 'bad_time' });
    else if (a >= b) out.push({ where, code: 'empty_range' });
    else spans.push([a, b]);
  }
  spans.sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < spans.length; i++)
    if (spans[i]![0] < spans[i - 1]![1]) out.push({ where, code: 'overlap' });
}

export function validateHours(hours: ServiceHours, refs: HoursRefs): HoursProblem[] {
  const out: HoursProblem[] = [];
  try {
    new Intl.DateTimeFormat('en', { timeZone: hours.timeZone });
  } catch {
    out.push({ where: 'timeZone', code: 'bad_time_zone' });
  }
  for (const r of hours.weekly)
    if (!Number.isInteger(r.day) || r.day < 1 || r.day > 7)
      out.push({ where: `day ${r.day}`, code: 'bad_day' });
  for (let day = 1; day <= 7; day++)
    rangeProblems(
      hours.weekly.filter((r) => r.day === day),
      `day ${day}`,
      out,
    );
  const dates = new Set<string>();
  for (const e of hours.exceptions) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(e.date) || Number.isNaN(Date.parse(`${e.date}T00:00:00Z`)))
      out.push({ where: e.date, code: 'bad_date' });
    if (dates.has(e.date)) out.push({ where: e.date, code: 'duplicate_date' });
    dates.add(e.date);
    rangeProblems(e.ranges, e.date, out);
  }
  if (hours.offHoursPromptId !== null && !refs.ids.prompts.has(hours.offHoursPromptId))
    out.push({ where: 'offHoursPromptId', code: 'unknown_prompt' });
  if (!offHoursActions.includes(hours.offHoursAction.type))
    out.push({ where: 'offHoursAction', code: 'bad_action' });
  else
    for (const code of actionProblems(hours.offHoursAction, refs.ids, refs.menus))
      out.push({ where: 'offHoursAction', code: isOffHoursActionCode(code) ? code : 'bad_action' });
  return out;
}

/** The date, ISO weekday and minute of the day at `now` in the time zone. */
/** One formatter per time zone: building an Intl.DateTimeFormat costs far more than using one. */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function localTime(now: Date, timeZone: string): { date: string; day: number; minute: number } {
  const parts = Object.fromEntries(
    formatterFor(timeZone)
      .formatToParts(now)
      .map((p) => [p.type, p.value]),
  );
  const day = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(parts.weekday ?? '') + 1;
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    day,
    minute: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

const within = (ranges: TimeRange[], minute: number) =>
  ranges.some((r) => minute >= minutes(r.from) && minute < minutes(r.to));

/** Whether the IVR is in service at `now`; also says why (for the reception log). */
export function serviceState(
  hours: ServiceHours,
  now: Date,
): { open: boolean; reason: 'always' | 'weekly' | 'exception'; exception?: string } {
  const local = localTime(now, hours.timeZone);
  const exception = hours.exceptions.find((e) => e.date === local.date);
  if (exception)
    return { open: within(exception.ranges, local.minute), reason: 'exception', exception: exception.name };
  if (hours.weekly.length === 0) return { open: true, reason: 'always' };
  return {
    open: within(
      hours.weekly.filter((r) => r.day === local.day),
      local.minute,
    ),
    reason: 'weekly',
  };
}

export function alwaysOpen(timeZone = 'Asia/Shanghai'): ServiceHours {
  return { timeZone, weekly: [], exceptions: [], offHoursPromptId: null, offHoursAction: { type: 'hangup' } };
}

/** Reads service hours sent by the editor (untrusted JSON), or null when they are not that shape. */
export function parseHours(json: unknown): ServiceHours | null {
  if (typeof json !== 'object' || json === null) return null;
  const h = json as Record<string, unknown>;
  const ranges = (v: unknown): TimeRange[] | null =>
    Array.isArray(v) && v.every((r) => typeof r === 'object' && r !== null)
      ? v.map((r) => ({ from: String((r as TimeRange).from ?? ''), to: String((r as TimeRange).to ?? '') }))
      : null;
  const weekly = Array.isArray(h.weekly)
    ? h.weekly.map((r) => ({
        day: Number((r as WeeklyRange).day),
        from: String((r as WeeklyRange).from ?? ''),
        to: String((r as WeeklyRange).to ?? ''),
      }))
    : [];
  const exceptions: HoursException[] = [];
  for (const e of Array.isArray(h.exceptions) ? h.exceptions : []) {
    const r = ranges((e as HoursException).ranges ?? []);
    if (!r) return null;
    exceptions.push({
      date: String((e as HoursException).date ?? ''),
      name: String((e as HoursException).name ?? '').slice(0, 60),
      ranges: r,
    });
  }
  const action = parseAction(h.offHoursAction ?? { type: 'hangup' });
  if (!action) return null;
  const prompt = Number(h.offHoursPromptId);
  return {
    timeZone: String(h.timeZone ?? 'Asia/Shanghai'),
    weekly,
    exceptions,
    offHoursPromptId: Number.isSafeInteger(prompt) && prompt > 0 ? prompt : null,
    offHoursAction: action,
  };
}
