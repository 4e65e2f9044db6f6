import { reportScope } from './reports.ts';
import { statsRules } from './rules.ts';
import { type TodayFigures, todayFigures } from './today.ts';
import {
  type Level,
  levelOf,
  type WallboardThresholds,
  wallboardThresholds,
} from './wallboard-thresholds.ts';
import type { Ctx } from '../../core/context.ts';
import { NotFoundError } from '../../core/errors.ts';
import { listGroups } from '../acd/agent-groups.ts';
import type { FloorView } from '../acd/floor-view.ts';
import type { AgentState } from '../../db/schema.ts';

export const boardStates = ['ready', 'ringing', 'on_call', 'wrap_up', 'break'] as const;

export interface BoardFigures {
  waiting: number;
  longestSeconds: number;
  agents: Record<(typeof boardStates)[number], number>;
  loggedIn: number;
  today: TodayFigures;
  levels: { waiting: Level; longest: Level; serviceLevel: Level; abandonRate: Level };
}

export interface Board extends BoardFigures {
  /** null for the whole floor. */
  group: { id: number; name: string } | null;
  /** The floor's groups (empty on a group's board). */
  groups: ({ id: number; name: string } & BoardFigures)[];
  thresholds: WallboardThresholds;
  /** The service level's threshold (statistics rules). */
  slSeconds: number;
}

const noToday: TodayFigures = {
  offered: 0,
  answered: 0,
  abandoned: 0,
  serviceLevel: null,
  abandonRate: null,
  asa: null,
};

function figures(
  floor: FloorView | null,
  groupIds: number[],
  agentIds: Set<number> | null,
  today: TodayFigures,
  th: WallboardThresholds,
): BoardFigures {
  let waiting = 0;
  let longestSeconds = 0;
  const members = new Set<number>();
  const groups = new Map((floor?.groups() ?? []).map((g) => [g.id, g]));
  for (const id of groupIds) {
    const q = floor?.queueNow(id);
    waiting += q?.waiting ?? 0;
    longestSeconds = Math.max(longestSeconds, q?.longestSeconds ?? 0);
    for (const userId of groups.get(id)?.memberIds ?? []) members.add(userId);
  }
  const agents = Object.fromEntries(boardStates.map((s) => [s, 0])) as BoardFigures['agents'];
  let loggedIn = 0;
  for (const userId of members) {
    if (agentIds && !agentIds.has(userId)) continue;
    const state: AgentState = floor?.agent(userId)?.state ?? 'logged_out';
    if (state === 'logged_out') continue;
    loggedIn++;
    agents[state]++;
  }
  return {
    waiting,
    longestSeconds,
    agents,
    loggedIn,
    today,
    levels: {
      waiting: levelOf(waiting, th.waitingAmber, th.waitingRed),
      longest: levelOf(longestSeconds, th.longestWaitAmber, th.longestWaitRed),
      serviceLevel: levelOf(
        today.serviceLevel === null ? null : today.serviceLevel * 100,
        th.serviceLevelAmber,
        th.serviceLevelRed,
        false,
      ),
      abandonRate: levelOf(
        today.abandonRate === null ? null : today.abandonRate * 100,
        th.abandonAmber,
        th.abandonRed,
      ),
    },
  };
}

/** The board of the floor (groupId null) or of one group, within the reader's data scope. */
export async function boardOf(
  ctx: Ctx,
  floor: FloorView | null,
  groupId: number | null,
  now = new Date(),
  tz = ctx.timeZone,
): Promise<Board> {
  const visible = await reportScope(ctx);
  const rules = await statsRules(ctx.db);
  const [th, today, groups] = await Promise.all([
    wallboardThresholds(ctx.db),
    todayFigures(ctx.db, now, tz, rules, visible.groups),
    listGroups(ctx.db),
  ]);
  const shown = groups.filter((g) => !visible.groups || visible.groups.has(g.id));
  const slSeconds = rules.serviceLevelSeconds;
  if (groupId !== null) {
    const group = shown.find((g) => g.id === groupId);
    if (!group) throw new NotFoundError();
    return {
      ...figures(floor, [group.id], visible.agents, today.groups.get(group.id) ?? noToday, th),
      group: { id: group.id, name: group.name },
      groups: [],
      thresholds: th,
      slSeconds,
    };
  }
  return {
    ...figures(
      floor,
      shown.map((g) => g.id),
      visible.agents,
      today.floor,
      th,
    ),
    group: null,
    groups: shown.map((g) => ({
      id: g.id,
      name: g.name,
      ...figures(floor, [g.id], visible.agents, today.groups.get(g.id) ?? noToday, th),
    })),
    thresholds: th,
    slSeconds,
  };
}
