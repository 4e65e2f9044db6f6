/**
 * The staffing calculator: for each interval of a day (15 minutes or an hour), the calls offered
 * and their handle time from the service report, the agents Erlang C says the interval needed
 * for the target service level (cti/stats/erlang.ts), and the agents who actually were
 * available (logged in and not on a break, averaged over the interval) — next to the service
 * level that was reached.
 */
import { sql } from 'drizzle-orm';
import type { Ctx } from '../../core/context.ts';
import { ValidationError } from '../../core/errors.ts';
import { agentsNeeded, type ErlangResult } from './erlang.ts';
import { reportScope, rowsOf, runReport } from './reports.ts';

export interface StaffingParams {
  date: string;
  granularity: '15m' | 'hour';
  groupId: number | null;
  /** 0–1. */
  targetServiceLevel: number;
  thresholdSeconds: number;
  /** 0–1. */
  shrinkage: number;
}

export interface StaffingInterval {
  slot: Date;
  offered: number;
  ahtSeconds: number | null;
  serviceLevel: number | null;
  needed: ErlangResult;
  /** Agents available on average over the interval (ready, ringing, talking or in wrap-up). */
  staffed: number;
}

export function parseStaffingParams(
  q: Record<string, string | undefined>,
  defaults: { date: string; thresholdSeconds: number },
): StaffingParams {
  const errors: Record<string, 'out_of_range'> = {};
  const num = (key: string, fallback: number, min: number, max: number) => {
    const raw = q[key]?.trim();
    if (!raw) return fallback;
    const v = Number(raw);
    if (!Number.isFinite(v) || v < min || v > max) {
      errors[key] = 'out_of_range';
      return fallback;
    }
    return v;
  };
  const params: StaffingParams = {
    date: /^\d{4}-\d{2}-\d{2}$/.test(q.date ?? '') ? q.date! : defaults.date,
    granularity: q.granularity === '15m' ? '15m' : 'hour',
    groupId: /^\d+$/.test(q.group ?? '') ? Number(q.group) : null,
    targetServiceLevel: num('target', 80, 1, 99) / 100,
    thresholdSeconds: num('threshold', defaults.thresholdSeconds, 1, 600),
    shrinkage: num('shrinkage', 0, 0, 90) / 100,
  };
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
  return params;
}

export async function staffingPlan(
  ctx: Ctx,
  params: StaffingParams,
  tz = ctx.timeZone,
): Promise<{ intervals: StaffingInterval[]; dayAht: number | null }> {
  const service = await runReport(
    ctx,
    {
      report: 'service',
      from: params.date,
      to: params.date,
      granularity: params.granularity,
      groupId: params.groupId,
      agentId: null,
      ivrId: null,
    },
    tz,
  );
  const visible = await reportScope(ctx);
  const seconds = params.granularity === '15m' ? 900 : 3600;
  const staffedRows = rowsOf(
    await ctx.db.execute(sql`
      select bucket, sum(seconds) as seconds from stats_agent_time
      where grain = ${params.granularity}
        and bucket >= ${service.range.from.toISOString()}::timestamptz and bucket < ${service.range.to.toISOString()}::timestamptz
        and state in ('ready', 'ringing', 'on_call', 'wrap_up')
        ${params.groupId ? sql`and agent_id in (select user_id from agent_group_members where group_id = ${params.groupId})` : sql``}
        ${
          visible.agents
            ? sql`and agent_id in (${sql.join(
                [-1, ...visible.agents].map((a) => sql`${a}`),
                sql`, `,
              )})`
            : sql``
        }
      group by 1`),
  );
  const staffed = new Map(
    staffedRows.map((r) => [new Date(r.bucket as string).getTime(), Number(r.seconds) / seconds]),
  );
  const dayAht = service.totals.aht ?? null;
  const slots = new Map(service.rows.map((r) => [r.slot.getTime(), r]));
  const times = [...new Set([...slots.keys(), ...staffed.keys()])].sort((a, b) => a - b);
  const intervals = times.map((time) => {
    const row = slots.get(time);
    const offered = row?.values.offered ?? 0;
    const aht = row?.values.aht ?? null;
    return {
      slot: new Date(time),
      offered,
      ahtSeconds: aht,
      serviceLevel: row?.values.service_level ?? null,
      needed: agentsNeeded({
        offered,
        ahtSeconds: aht ?? dayAht ?? 0,
        intervalSeconds: seconds,
        targetServiceLevel: params.targetServiceLevel,
        thresholdSeconds: params.thresholdSeconds,
        shrinkage: params.shrinkage,
      }),
      staffed: staffed.get(time) ?? 0,
    };
  });
  return { intervals, dayAht };
}
