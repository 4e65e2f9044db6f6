/**
 * The statistics rules (统计规则, 3.4.14; 000 §5.9.3): the thresholds the figures depend on.
 * Changing one recomputes the history (every rollup is rebuilt from the call facts), so old and
 * new days are counted alike.
 *
 * - serviceLevelSeconds: a call counts as answered in time (service level) when its wait was at
 *   most this long (e.g. 20 s, or the manual's 58 s);
 * - shortAbandonSeconds: a caller hanging up within this many seconds of waiting is a short
 *   abandon (often a wrong number), left out of the service level's base;
 * - quickHangupSeconds: a caller hanging up within this many seconds of being answered is a
 *   quick hang-up (客户快速挂机);
 * - fcrHours: an answered call is resolved first time when the caller does not call again
 *   within this many hours (一次性解决率);
 * - effectiveCallSeconds: an outbound call counts as effective when it talked at least this long
 *   (有效通话).
 */
import type { Db } from '../../db/client.ts';
import { requirePermission } from '../../core/access/actor.ts';
import { audit } from '../../core/audit/audit-log.ts';
import type { Ctx } from '../../core/context.ts';
import { readSetting, writeSetting } from '../../core/settings.ts';
import * as check from '../../core/validate.ts';

export interface StatsRules {
  serviceLevelSeconds: number;
  shortAbandonSeconds: number;
  quickHangupSeconds: number;
  fcrHours: number;
  effectiveCallSeconds: number;
}

export const defaultStatsRules: StatsRules = {
  serviceLevelSeconds: 20,
  shortAbandonSeconds: 5,
  quickHangupSeconds: 15,
  fcrHours: 12,
  effectiveCallSeconds: 10,
};

const limits: Record<keyof StatsRules, [number, number]> = {
  serviceLevelSeconds: [1, 600],
  shortAbandonSeconds: [0, 120],
  quickHangupSeconds: [0, 600],
  fcrHours: [1, 720],
  effectiveCallSeconds: [0, 3600],
};

const ruleKeys = Object.keys(limits) as (keyof StatsRules)[];

function isRules(v: unknown): v is StatsRules {
  if (typeof v !== 'object' || v === null) return false;
  return ruleKeys.every((k) => Number.isInteger((v as Record<string, unknown>)[k]));
}

export const statsRules = (db: Db): Promise<StatsRules> =>
  readSetting(db, 'stats.rules', defaultStatsRules, isRules);

export function parseStatsRules(form: Record<string, unknown>): StatsRules {
  return check.numbersOf(form, ruleKeys);
}

/**
 * Saves new rules; returns whether anything changed (then the caller has the history rebuilt,
 * see cti/stats/rollups.ts).
 */
export async function saveStatsRules(ctx: Ctx, rules: StatsRules): Promise<boolean> {
  requirePermission(ctx.actor, 'reports:edit');
  check.collect(Object.fromEntries(ruleKeys.map((k) => [k, check.wholeWithin(rules[k], limits[k])])));
  const before = await statsRules(ctx.db);
  if (ruleKeys.every((k) => before[k] === rules[k])) return false;
  await writeSetting(ctx.db, 'stats.rules', rules);
  await audit(ctx, { action: 'stats.rules', detail: { before, after: rules } });
  return true;
}
