/**
 * What the ACD reads from the database: agents (SIP account, desk state, today's workload),
 * groups (members with levels, queue settings), region rules, and per caller the agent who last
 * served them and whether they called recently (repeat caller, 3.4.16).
 */
import { and, asc, count, desc, eq, gte, inArray, isNotNull, lt, max, ne, sql, sum } from 'drizzle-orm';
import { currentStates } from '../agents/agent-states.ts';
import { startOfDay } from '../calls/directory.ts';
import { listGroups } from './agent-groups.ts';
import type { Db } from '../../db/client.ts';
import { callRecords, regionRules, sipAccounts, users } from '../../db/schema.ts';
import type { PoolAgent, PoolGroup } from './pool.ts';

/** Every enabled user with a SIP account, as the pool keeps them (groups are filled in by the pool). */
export async function loadAgents(
  db: Db,
  now: Date,
  timeZone: string,
  userIds?: readonly number[],
): Promise<Omit<PoolAgent, 'groups'>[]> {
  const rows = await db
    .select({
      userId: users.id,
      name: users.name,
      jobNumber: users.jobNumber,
      endpoint: sipAccounts.username,
      autoAnswer: users.autoAnswer,
    })
    .from(users)
    .innerJoin(sipAccounts, eq(sipAccounts.userId, users.id))
    .where(and(eq(users.enabled, true), userIds ? inArray(users.id, [...userIds]) : undefined));
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.userId);
  const states = await currentStates(db, ids);
  const today = startOfDay(now, timeZone);
  const work = await db
    .select({
      agentId: callRecords.agentId,
      calls: count(),
      talk: sum(callRecords.talkSeconds),
      lastEnd: max(callRecords.endedAt),
    })
    .from(callRecords)
    .where(
      and(
        gte(callRecords.startedAt, today),
        isNotNull(callRecords.answeredAt),
        isNotNull(callRecords.agentId),
        ne(callRecords.direction, 'internal'),
        userIds ? inArray(callRecords.agentId, ids) : undefined,
      ),
    )
    .groupBy(callRecords.agentId);
  const byAgent = new Map(work.map((w) => [w.agentId, w]));
  return rows.map((r) => {
    const s = states.get(r.userId)!;
    const w = byAgent.get(r.userId);
    const lastEnd = w?.lastEnd ? new Date(w.lastEnd).getTime() : 0;
    return {
      userId: r.userId,
      name: r.name,
      jobNumber: r.jobNumber ?? '',
      endpoint: r.endpoint,
      autoAnswer: r.autoAnswer,
      state: s.state,
      stateSince: s.since.getTime(),
      reservedFor: null,
      callsToday: Number(w?.calls ?? 0),
      talkSecondsToday: Number(w?.talk ?? 0),
      idleSince: Math.max(lastEnd, s.state === 'ready' ? s.since.getTime() : 0),
    };
  });
}

export async function loadGroups(db: Db): Promise<PoolGroup[]> {
  return (await listGroups(db)).map((g) => ({
    id: g.id,
    name: g.name,
    ringSeconds: g.ringSeconds,
    leaderId: g.leaderId,
    members: g.members,
    settings: g.queue,
  }));
}

export interface RegionRule {
  province: string;
  city: string;
  groupId: number;
}

export async function loadRegionRules(db: Db): Promise<RegionRule[]> {
  return db
    .select({ province: regionRules.province, city: regionRules.city, groupId: regionRules.groupId })
    .from(regionRules)
    .orderBy(asc(regionRules.id));
}

/**
 * The rule for a caller's region ("广东 深圳", "北京"): a rule for the city wins over one for the
 * whole province.
 */
export function regionRuleFor(rules: readonly RegionRule[], region: string): RegionRule | null {
  if (!region) return null;
  const [province = '', ...rest] = region.split(/\s+/);
  const city = rest.join(' ');
  const inProvince = rules.filter((r) => r.province === province);
  return (
    inProvince.find((r) => r.city !== '' && city.includes(r.city)) ??
    inProvince.find((r) => r.city === '') ??
    null
  );
}

/** The agent who last answered this caller's inbound call within `hours`. */
export async function lastAgentOf(db: Db, number: string, hours: number, now: Date): Promise<number | null> {
  if (!number) return null;
  const [row] = await db
    .select({ agentId: callRecords.agentId })
    .from(callRecords)
    .where(
      and(
        eq(callRecords.fromNumber, number),
        eq(callRecords.direction, 'inbound'),
        isNotNull(callRecords.answeredAt),
        gte(callRecords.startedAt, new Date(now.getTime() - hours * 3_600_000)),
      ),
    )
    .orderBy(desc(callRecords.startedAt))
    .limit(1);
  return row?.agentId ?? null;
}

/** How many inbound calls this number made in the `hours` before `before` (repeat caller when > 0). */
export async function recentCalls(db: Db, number: string, hours: number, before: Date): Promise<number> {
  if (!number || hours <= 0) return 0;
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(callRecords)
    .where(
      and(
        eq(callRecords.fromNumber, number),
        eq(callRecords.direction, 'inbound'),
        gte(callRecords.startedAt, new Date(before.getTime() - hours * 3_600_000)),
        lt(callRecords.startedAt, before),
      ),
    );
  return Number(row?.n ?? 0);
}
