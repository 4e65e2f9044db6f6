/**
 * Today's figures per group and for the whole floor (the wallboard and the supervisor's
 * workbench), read from today's day rollup so they follow the statistics rules and agree with
 * the reports to the call. The rollup counts a call once it ended; answered calls still in
 * progress (and ended ones the statistics maintainer has not counted yet) are added from their
 * call records, counted by the same rules, so "answered" and the service level move when a call
 * is answered, not when it ends.
 */
import { type SQL, sql } from 'drizzle-orm';
import { startOfDay } from '../calls/directory.ts';
import type { Db } from '../../db/client.ts';
import { callKpis, kpi, type Sums } from './kpis.ts';
import { rowsOf } from './reports.ts';
import { bucketSql, callMeasures } from './rollups.ts';
import type { StatsRules } from './rules.ts';

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

/** A call record (aliased r) as the facts of an answered inbound call. */
const uncountedColumns = sql`coalesce(r.group_id, 0) as group_id, r.direction, true as offered,
  true as answered, 'answered' as outcome, coalesce(r.wait_seconds, 0) as wait_seconds`;

/** Answered inbound calls of the day starting at `day` that have no facts yet. */
const uncountedToday = (day: string, tz: string) => sql`r.started_at >= ${day}::timestamptz
  and ${bucketSql('day', sql`r.started_at`, tz)} = ${day}::timestamptz
  and r.direction = 'inbound' and r.answered_at is not null
  and not exists (select 1 from stats_call_facts c where c.call_id = r.call_id)`;

/**
 * Inbound figures of the local day `now` is in, per group (0: calls that reached no group) and
 * for the floor: all calls, or those of `floorGroups` when given (a reader who sees some groups).
 */
export async function todayFigures(
  db: Db,
  now: Date,
  tz: string,
  rules: StatsRules,
  floorGroups: ReadonlySet<number> | null = null,
): Promise<{ groups: Map<number, TodayFigures>; floor: TodayFigures }> {
  const day = startOfDay(now, tz).toISOString();
  const counting = callMeasures(rules);
  const sums = sql.join(
    measures.map((m) => sql`sum(${counting[m] as SQL})::float8 as ${sql.raw(m)}`),
    sql`, `,
  );
  const [counted, uncounted] = await Promise.all([
    db.execute(sql`
      select group_id, ${sql.raw(measures.join(', '))}
      from stats_calls where grain = 'day' and bucket = ${day}::timestamptz and direction = 'inbound'`),
    // Answered inbound calls of today without facts yet, shaped as facts (aliased f): calls in
    // progress (a small partial index) and ended calls the maintainer has still to count.
    db.execute(sql`
      select f.group_id, ${sums}
      from (
        select ${uncountedColumns} from call_records r
        where r.ended_at is null and ${uncountedToday(day, tz)}
        union all
        select ${uncountedColumns} from stats_dirty d join call_records r on r.call_id = d.call_id
        where r.ended_at is not null and ${uncountedToday(day, tz)}
      ) f
      group by f.group_id`),
  ]);
  const byGroup = new Map<number, Record<string, number>>();
  for (const r of [...rowsOf(counted), ...rowsOf(uncounted)]) {
    const id = Number(r.group_id);
    const s = byGroup.get(id) ?? {};
    for (const m of measures) s[m] = (s[m] ?? 0) + Number(r[m] ?? 0);
    byGroup.set(id, s);
  }
  const all: Record<string, number> = {};
  const groups = new Map<number, TodayFigures>();
  for (const [id, s] of byGroup) {
    if (!floorGroups || floorGroups.has(id)) for (const m of measures) all[m] = (all[m] ?? 0) + (s[m] ?? 0);
    groups.set(id, figures(s));
  }
  return { groups, floor: figures(all) };
}
