/**
 * Rollups: the call facts summed per time bucket (15 minutes, hour, day in the call centre's
 * time zone) so reports over months read a few thousand rows, not millions. This is the one
 * place where the statistics rules turn facts into counts (answered in time, short abandons,
 * quick hang-ups, repeat calls within the FCR window, effective calls).
 *
 * Kept incrementally: when a call's facts change, their old contribution is subtracted and the
 * new one added (`apply` with sign -1 / +1) in the same transaction that replaces the facts.
 * Changing a rule rebuilds every rollup from the facts (`rebuildRollups`). A call counts in
 * the bucket in which it started (a call crossing midnight belongs to the day it began).
 */
import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { defaultStatsRules, type StatsRules } from './rules.ts';

export type Grain = '15m' | 'hour' | 'day';
export const grains: readonly Grain[] = ['15m', 'hour', 'day'];

/** The bucket a time falls in, per grain (hours and days in the time zone `tz`). */
export function bucketSql(grain: Grain, column: SQL, tz: string): SQL {
  if (grain === '15m') return sql`date_bin('15 minutes', ${column}, timestamptz '2000-01-01 00:00:00+00')`;
  const unit = grain === 'hour' ? 'hour' : 'day';
  return sql`(date_trunc(${unit}, ${column} at time zone ${tz}) at time zone ${tz})`;
}

type Measures = Record<string, SQL>;

/** The counts of a call (facts aliased `f`). Also used by today's figures for calls not yet counted. */
export function callMeasures(r: StatsRules): Measures {
  const inbound = sql`f.direction = 'inbound'`;
  const outbound = sql`f.direction = 'outbound'`;
  const abandoned = sql`f.outcome in ('abandoned_queue', 'abandoned_ringing')`;
  const bool = (cond: SQL) => sql`(case when ${cond} then 1 else 0 end)`;
  const satisfiedScore = sql`case when f.survey_levels <= 2 then 1 else 2 end`;
  return {
    calls: sql`1`,
    offered: bool(sql`f.offered`),
    answered: bool(sql`${inbound} and f.answered`),
    abandoned: bool(abandoned),
    abandoned_ivr: bool(sql`f.outcome = 'abandoned_ivr'`),
    abandoned_queue: bool(sql`f.outcome = 'abandoned_queue'`),
    abandoned_ringing: bool(sql`f.outcome = 'abandoned_ringing'`),
    short_abandoned: bool(sql`${abandoned} and f.wait_seconds <= ${r.shortAbandonSeconds}`),
    unserved: bool(sql`f.outcome = 'unserved'`),
    callbacks: bool(sql`f.outcome = 'callback'`),
    answered_in_sl: bool(sql`${inbound} and f.answered and f.wait_seconds <= ${r.serviceLevelSeconds}`),
    wait_sum: sql`case when f.offered then f.wait_seconds else 0 end`,
    wait_max: sql`case when f.offered then f.wait_seconds else 0 end`,
    answer_wait_sum: sql`case when ${inbound} and f.answered then f.wait_seconds else 0 end`,
    talk_sum: sql`case when ${inbound} and f.answered then f.talk_seconds else 0 end`,
    hold_sum: sql`case when ${inbound} then f.hold_seconds else 0 end`,
    wrap_sum: sql`case when ${inbound} then f.wrap_seconds else 0 end`,
    transfers: sql`f.transfers`,
    conferences: bool(sql`f.max_parties >= 3`),
    quick_hangups: bool(
      sql`${inbound} and f.answered and f.caller_hung_up and f.talk_seconds <= ${r.quickHangupSeconds}`,
    ),
    repeat_calls: bool(sql`${inbound} and f.repeat_caller`),
    fcr_repeated: bool(
      sql`${inbound} and f.answered and f.next_call_at is not null and f.next_call_at <= f.started_at + make_interval(hours => ${r.fcrHours})`,
    ),
    rated: bool(sql`f.survey_score is not null`),
    satisfied: bool(sql`f.survey_score is not null and f.survey_score <= ${satisfiedScore}`),
    ...Object.fromEntries([1, 2, 3, 4, 5].map((k) => [`score_${k}`, bool(sql`f.survey_score = ${k}`)])),
    out_attempts: bool(sql`${outbound} and f.outcome not in ('refused', 'not_dialled')`),
    out_connects: bool(sql`${outbound} and f.answered`),
    out_effective: bool(sql`${outbound} and f.answered and f.talk_seconds >= ${r.effectiveCallSeconds}`),
    out_talk_sum: sql`case when ${outbound} and f.answered then f.talk_seconds else 0 end`,
    out_no_answer: bool(sql`${outbound} and f.outcome in ('no_answer', 'busy')`),
  };
}

/** An agent's counts in a call (agent facts aliased `f`). */
function agentMeasures(r: StatsRules): Measures {
  const bool = (cond: SQL) => sql`(case when ${cond} then 1 else 0 end)`;
  const placed = sql`f.placed and f.direction = 'outbound'`;
  const satisfiedScore = sql`case when f.survey_levels <= 2 then 1 else 2 end`;
  return {
    rang: sql`f.rang`,
    answered: bool(sql`f.answered and not f.placed`),
    no_answer: bool(sql`f.rang > 0 and not f.answered`),
    talk_sum: sql`case when f.answered and not f.placed then f.talk_seconds else 0 end`,
    hold_sum: sql`f.hold_seconds`,
    wrap_sum: sql`f.wrap_seconds`,
    transfers: sql`f.transfers`,
    conferences: bool(sql`f.conference`),
    quick_hangups: bool(
      sql`f.answered and not f.placed and f.caller_hung_up and f.talk_seconds <= ${r.quickHangupSeconds}`,
    ),
    rated: bool(sql`f.survey_score is not null`),
    satisfied: bool(sql`f.survey_score is not null and f.survey_score <= ${satisfiedScore}`),
    ...Object.fromEntries([1, 2, 3, 4, 5].map((k) => [`score_${k}`, bool(sql`f.survey_score = ${k}`)])),
    out_attempts: bool(placed),
    out_connects: bool(sql`${placed} and f.answered`),
    out_effective: bool(sql`${placed} and f.answered and f.talk_seconds >= ${r.effectiveCallSeconds}`),
    out_talk_sum: sql`case when ${placed} and f.answered then f.talk_seconds else 0 end`,
    out_no_answer: bool(sql`${placed} and not f.answered`),
  };
}

/** Measures that keep the largest value instead of adding up. */
const maxima = new Set(['wait_max']);

/** The measures of the call and of the agent rollups that add up across buckets (not maxima). */
export const summedMeasures = {
  calls: Object.keys(callMeasures(defaultStatsRules)).filter((m) => !maxima.has(m)),
  agents: Object.keys(agentMeasures(defaultStatsRules)).filter((m) => !maxima.has(m)),
} as const;

interface Target {
  table: string;
  facts: string;
  /** Dimension columns and the expressions filling them (besides grain and bucket). */
  dims: Record<string, SQL>;
  measures: Measures;
  grains: readonly Grain[];
  /** Only facts matching this. */
  where?: SQL;
}

function targets(r: StatsRules): Target[] {
  return [
    {
      table: 'stats_calls',
      facts: 'stats_call_facts',
      dims: { direction: sql`f.direction`, group_id: sql`f.group_id` },
      measures: callMeasures(r),
      grains,
    },
    {
      table: 'stats_agent_calls',
      facts: 'stats_agent_facts',
      dims: { agent_id: sql`f.agent_id`, direction: sql`f.direction`, group_id: sql`f.group_id` },
      measures: agentMeasures(r),
      grains,
    },
    {
      table: 'stats_ivr',
      facts: 'stats_ivr_facts',
      dims: { ivr_id: sql`f.ivr_id`, node: sql`f.node` },
      measures: { visits: sql`f.visits` },
      grains,
    },
  ];
}

/** The day mixes (business types of all calls, regions of inbound callers). */
function mixTargets(): { kind: 'business' | 'region'; value: SQL; where: SQL }[] {
  return [
    { kind: 'business', value: sql`f.business_type_id::text`, where: sql`true` },
    { kind: 'region', value: sql`f.region`, where: sql`f.direction = 'inbound'` },
  ];
}

async function applyTarget(db: Db, t: Target, filter: SQL, sign: 1 | -1, tz: string) {
  const dimNames = Object.keys(t.dims);
  const measureNames = Object.keys(t.measures);
  const columns = ['grain', 'bucket', ...dimNames, ...measureNames].map((c) => `"${c}"`).join(', ');
  const key = ['grain', 'bucket', ...dimNames].map((c) => `"${c}"`).join(', ');
  const updates = measureNames
    .map((m) =>
      maxima.has(m)
        ? `"${m}" = greatest(${t.table}."${m}", excluded."${m}")`
        : `"${m}" = ${t.table}."${m}" + excluded."${m}"`,
    )
    .join(', ');
  for (const grain of t.grains) {
    const bucket = bucketSql(grain, sql.raw('f.started_at'), tz);
    const dimExprs = sql.join(
      dimNames.map((d) => t.dims[d]!),
      sql`, `,
    );
    const measureExprs = sql.join(
      measureNames.map((m) =>
        maxima.has(m)
          ? sign > 0
            ? sql`max(${t.measures[m]!})`
            : sql`0`
          : sql`${sign} * sum(${t.measures[m]!})`,
      ),
      sql`, `,
    );
    await db.execute(sql`
      insert into ${sql.raw(t.table)} (${sql.raw(columns)})
      select ${grain}, ${bucket}, ${dimExprs}, ${measureExprs}
      from ${sql.raw(t.facts)} f
      where ${filter} ${t.where ? sql`and ${t.where}` : sql``}
      group by 2, ${sql.join(
        dimNames.map((_, i) => sql.raw(String(i + 3))),
        sql`, `,
      )}
      on conflict (${sql.raw(key)}) do update set ${sql.raw(updates)}`);
  }
}

async function applyMix(db: Db, filter: SQL, sign: 1 | -1, tz: string) {
  for (const m of mixTargets())
    await db.execute(sql`
      insert into stats_call_mix (bucket, group_id, agent_id, kind, value, calls)
      select ${bucketSql('day', sql.raw('f.started_at'), tz)}, f.group_id, f.agent_id, ${m.kind}, ${m.value}, ${sign} * count(*)
      from stats_call_facts f
      where ${filter} and ${m.where}
      group by 1, 2, 3, 5
      on conflict (bucket, group_id, agent_id, kind, value) do update set calls = stats_call_mix.calls + excluded.calls`);
}

/** Adds (+1) or subtracts (-1) the stored facts of these calls to or from every rollup. */
export async function applyFacts(
  db: Db,
  callIds: readonly string[],
  sign: 1 | -1,
  rules: StatsRules,
  tz: string,
) {
  if (callIds.length === 0) return;
  const filter = sql`f.call_id in (${sql.join(
    callIds.map((id) => sql`${id}`),
    sql`, `,
  )})`;
  for (const t of targets(rules)) await applyTarget(db, t, filter, sign, tz);
  await applyMix(db, filter, sign, tz);
}

/** Empties the rollups and counts every call's facts again (after the rules changed). */
export async function rebuildRollups(db: Db, rules: StatsRules, tz: string): Promise<void> {
  await db.transaction(async (tx) => {
    for (const table of ['stats_calls', 'stats_agent_calls', 'stats_ivr', 'stats_call_mix'])
      await tx.execute(sql.raw(`delete from ${table}`));
    for (const t of targets(rules)) await applyTarget(tx, t, sql`true`, 1, tz);
    await applyMix(tx, sql`true`, 1, tz);
  });
}
