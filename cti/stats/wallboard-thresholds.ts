/**
 * When a wallboard tile turns amber or red (editable next to the statistics rules): callers
 * waiting, the longest wait, today's service level and abandon rate. Percentages are stored as
 * whole percents.
 */
import type { Db } from '../../db/client.ts';
import { requirePermission } from '../../core/access/actor.ts';
import { audit } from '../../core/audit/audit-log.ts';
import type { Ctx } from '../../core/context.ts';
import { type ErrorCode, ValidationError } from '../../core/errors.ts';
import { readSetting, writeSetting } from '../../core/settings.ts';
import * as check from '../../core/validate.ts';

export interface WallboardThresholds {
  waitingAmber: number;
  waitingRed: number;
  longestWaitAmber: number;
  longestWaitRed: number;
  /** Below this service level (%) the tile is amber; below `serviceLevelRed`, red. */
  serviceLevelAmber: number;
  serviceLevelRed: number;
  /** Above this abandon rate (%) the tile is amber; above `abandonRed`, red. */
  abandonAmber: number;
  abandonRed: number;
}

export const defaultThresholds: WallboardThresholds = {
  waitingAmber: 3,
  waitingRed: 10,
  longestWaitAmber: 20,
  longestWaitRed: 60,
  serviceLevelAmber: 80,
  serviceLevelRed: 60,
  abandonAmber: 5,
  abandonRed: 10,
};

const keys = Object.keys(defaultThresholds) as (keyof WallboardThresholds)[];
const limits: Record<keyof WallboardThresholds, [number, number]> = {
  waitingAmber: [1, 1000],
  waitingRed: [1, 1000],
  longestWaitAmber: [1, 3600],
  longestWaitRed: [1, 3600],
  serviceLevelAmber: [0, 100],
  serviceLevelRed: [0, 100],
  abandonAmber: [0, 100],
  abandonRed: [0, 100],
};

const isThresholds = (v: unknown): v is WallboardThresholds =>
  typeof v === 'object' &&
  v !== null &&
  keys.every((k) => Number.isInteger((v as Record<string, unknown>)[k]));

export const wallboardThresholds = (db: Db): Promise<WallboardThresholds> =>
  readSetting(db, 'wallboard.thresholds', defaultThresholds, isThresholds);

export function parseThresholds(form: Record<string, unknown>): WallboardThresholds {
  return check.numbersOf(form, keys);
}

export async function saveThresholds(ctx: Ctx, v: WallboardThresholds): Promise<void> {
  requirePermission(ctx.actor, 'reports:edit');
  const errors: Record<string, ErrorCode> = {};
  for (const k of keys) {
    const problem = check.wholeWithin(v[k], limits[k]);
    if (problem) errors[k] = problem;
  }
  // Red lies beyond amber: more waiting, longer waits, a lower service level, more abandons.
  if (!errors.waitingRed && v.waitingRed < v.waitingAmber) errors.waitingRed = 'out_of_range';
  if (!errors.longestWaitRed && v.longestWaitRed < v.longestWaitAmber) errors.longestWaitRed = 'out_of_range';
  if (!errors.serviceLevelRed && v.serviceLevelRed > v.serviceLevelAmber)
    errors.serviceLevelRed = 'out_of_range';
  if (!errors.abandonRed && v.abandonRed < v.abandonAmber) errors.abandonRed = 'out_of_range';
  if (Object.keys(errors).length > 0) throw new ValidationError(errors);
  await writeSetting(ctx.db, 'wallboard.thresholds', v);
  await audit(ctx, { action: 'wallboard.thresholds', detail: { ...v } });
}

export type Level = 'ok' | 'amber' | 'red';

/** The colour of a tile: `higherIsWorse` for waiting, waits and abandons; not for the service level. */
export function levelOf(value: number | null, amber: number, red: number, higherIsWorse = true): Level {
  if (value === null) return 'ok';
  if (higherIsWorse) return value >= red ? 'red' : value >= amber ? 'amber' : 'ok';
  return value < red ? 'red' : value < amber ? 'amber' : 'ok';
}
