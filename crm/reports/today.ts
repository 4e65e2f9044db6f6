/**
 * Today's figures per group and for the whole floor (the wallboard and the supervisor's
 * workbench), read from today's day rollup so they follow the statistics rules and agree with
 * the reports to the call. They move once the statistics maintainer has counted a call, within a
 * second of its end.
 */
import { sql } from 'drizzle-orm';
import { startOfDay } from '../../cti/calls/directory.ts';
import type { Db } from '../../db/client.ts';
import { callKpis, kpi, type Sums } from './kpis.ts';
import { rowsOf } from './reports.ts';

export interface TodayFigures {
  offered: number;
  answered: number;
  abandoned: number;
  serviceLevel: number | null;
  abandonRate: number | null;
  asa: number | null;
}

const figures = (s: Sums): TodayFigures => ({
  offered: s.offered ?? 0,
  answered: s.answered ?? 0,
  abandoned: s.abandoned ?? 0,
  serviceLevel: kpi(callKpis, 'service_level').value(s),
  abandonRate: kpi(callKpis, 'abandon_rate').value(s),
  asa: kpi(callKpis, 'asa').value(s),
});

const measures = ['offered', 'answered', 'abandoned', 'short_abandoned', 'answered_in_sl', 'answer_wait_sum'];

/**
 * Inbound figures of the local day `now` is in, per group (0: calls that reached no group) and
 * for the floor: all calls, or those of `floorGroups` when given (a reader who sees some groups).
 */
export async function todayFigures(
  db: Db,
  now: Date,
  tz: string,
  floorGroups: ReadonlySet<number> | null = null,
): Promise<{ groups: Map<number, TodayFigures>; floor: TodayFigures }> {
  const day = startOfDay(now, tz).toISOString();
  const rows = rowsOf(
    await db.execute(sql`
      select group_id, ${sql.raw(measures.join(', '))}
      from stats_calls where grain = 'day' and bucket = ${day}::timestamptz and direction = 'inbound'`),
  );
  const all: Record<string, number> = {};
  const groups = new Map<number, TodayFigures>();
  for (const r of rows) {
    const s = Object.fromEntries(measures.map((m) => [m, Number(r[m] ?? 0)]));
    if (!floorGroups || floorGroups.has(Number(r.group_id)))
      for (const m of measures) all[m] = (all[m] ?? 0) + (s[m] ?? 0);
    groups.set(Number(r.group_id), figures(s));
  }
  return { groups, floor: figures(all) };
}
