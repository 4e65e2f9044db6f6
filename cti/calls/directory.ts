/**
 * What the call engine needs to know from the database: trunks, numbers (DIDs) and their
 * routes, agents' SIP accounts, which number an agent shows when calling out, and the
 * call-setting rules of a number (seed 000 §5.9.3; what counts as a call is described at
 * checkNumberRules).
 */
import { and, countDistinct, eq, gte, isNull, type SQL, sql } from 'drizzle-orm';
import { normaliseNumber } from '../../core/validate.ts';
import type { Db } from '../../db/client.ts';
import {
  callEvents,
  callRecords,
  departments,
  numberAssignments,
  phoneNumbers,
  sipAccounts,
  trunks,
  users,
} from '../../db/schema.ts';

export type PhoneNumber = typeof phoneNumbers.$inferSelect;
export type Trunk = typeof trunks.$inferSelect;

export interface Agent {
  userId: number;
  name: string;
  endpoint: string;
  canDialOut: boolean;
  departmentId: number;
}

export async function numberByDid(db: Db, did: string): Promise<PhoneNumber | null> {
  const [row] = await db
    .select()
    .from(phoneNumbers)
    .where(eq(phoneNumbers.number, normaliseNumber(did)));
  return row ?? null;
}

export async function trunkById(db: Db, id: number): Promise<Trunk | null> {
  const [row] = await db.select().from(trunks).where(eq(trunks.id, id));
  return row ?? null;
}

export async function numberById(db: Db, id: number): Promise<PhoneNumber | null> {
  const [row] = await db.select().from(phoneNumbers).where(eq(phoneNumbers.id, id));
  return row ?? null;
}

const agentColumns = {
  userId: users.id,
  name: users.name,
  endpoint: sipAccounts.username,
  canDialOut: users.canDialOut,
  departmentId: users.departmentId,
};

/** An enabled agent with a SIP account, by user id. */
export async function agentById(db: Db, userId: number): Promise<Agent | null> {
  const [row] = await db
    .select(agentColumns)
    .from(users)
    .innerJoin(sipAccounts, eq(sipAccounts.userId, users.id))
    .where(and(eq(users.id, userId), eq(users.enabled, true)));
  return row ?? null;
}

/** An enabled agent by SIP username (what colleagues dial). */
export async function agentByEndpoint(db: Db, endpoint: string): Promise<Agent | null> {
  const [row] = await db
    .select(agentColumns)
    .from(users)
    .innerJoin(sipAccounts, eq(sipAccounts.userId, users.id))
    .where(and(eq(sipAccounts.username, endpoint), eq(users.enabled, true)));
  return row ?? null;
}

/**
 * The number an agent calls out with: one assigned to the agent, else one assigned to the
 * agent's department or the nearest department above it. Disabled numbers and trunks are skipped.
 */
export async function outboundNumberFor(db: Db, agent: Agent): Promise<PhoneNumber | null> {
  const usable = (rows: { n: PhoneNumber; t: Trunk }[]) =>
    rows.find((r) => r.n.enabled && r.t.enabled)?.n ?? null;
  const query = () =>
    db
      .select({ n: phoneNumbers, t: trunks })
      .from(numberAssignments)
      .innerJoin(phoneNumbers, eq(phoneNumbers.id, numberAssignments.numberId))
      .innerJoin(trunks, eq(trunks.id, phoneNumbers.trunkId));
  const own = usable(
    await query().where(eq(numberAssignments.userId, agent.userId)).orderBy(numberAssignments.id),
  );
  if (own) return own;
  let departmentId: number | null = agent.departmentId;
  for (let depth = 0; departmentId !== null && depth < 50; depth++) {
    const found = usable(
      await query().where(eq(numberAssignments.departmentId, departmentId)).orderBy(numberAssignments.id),
    );
    if (found) return found;
    const [dept] = await db
      .select({ parentId: departments.parentId })
      .from(departments)
      .where(eq(departments.id, departmentId));
    departmentId = dept?.parentId ?? null;
  }
  return null;
}

export type RuleRefusal = 'min_interval' | 'daily_cap' | 'same_destination_cap';

/**
 * The call-setting rules of a number (seed 000 §5.9.3), checked before an outbound call to
 * `destination` goes out:
 * - `min_interval`: the number's last call went out less than `minIntervalSeconds` ago;
 * - `daily_cap`: the number already made `dailyCap` calls today;
 * - `same_destination_cap`: it already called this destination `sameDestinationDailyCap` times today.
 *
 * What counts as a call: an outbound call on the number whose leg to the customer was actually
 * dialled on the trunk (a `leg.dialing` event with an external target), at the time of that
 * dial. Attempts the system refused (rules, limits, permissions: disposition `refused`) and
 * click-to-calls whose agent never answered their own phone never reached the trunk, so they
 * neither count towards the caps nor restart the interval; a dialled call counts whatever its
 * outcome (answered, busy, no answer, failed).
 *
 * "Today" starts at midnight in `timeZone`: the `TIME_ZONE` setting (config/settings.ts), which
 * defaults to the process's time zone.
 */
export async function checkNumberRules(
  db: Db,
  number: PhoneNumber,
  destination: string,
  now: Date,
  timeZone: string,
): Promise<RuleRefusal | null> {
  if (number.minIntervalSeconds <= 0 && number.dailyCap <= 0 && number.sameDestinationDailyCap <= 0)
    return null;
  const dayStart = startOfDay(now, timeZone);
  // The dial of each outbound call of this number that went out to the trunk. A call starts
  // shortly before its dial (at most a ring time), so records that started an hour before the
  // window cannot hold a dial inside it.
  const dials = (since: Date, extra?: SQL) =>
    and(
      eq(callRecords.numberId, number.id),
      eq(callRecords.direction, 'outbound'),
      gte(callRecords.startedAt, new Date(since.getTime() - 3_600_000)),
      eq(callEvents.type, 'leg.dialing'),
      sql`${callEvents.data} -> 'target' ->> 'kind' = 'external'`,
      gte(callEvents.at, since),
      extra,
    );
  const countDials = async (since: Date, extra?: SQL) => {
    const [row] = await db
      .select({ n: countDistinct(callRecords.callId) })
      .from(callRecords)
      .innerJoin(callEvents, eq(callEvents.callId, callRecords.callId))
      .where(dials(since, extra));
    return row?.n ?? 0;
  };
  if (number.minIntervalSeconds > 0) {
    const windowStart = new Date(now.getTime() - number.minIntervalSeconds * 1000);
    if ((await countDials(windowStart)) > 0) return 'min_interval';
  }
  if (number.dailyCap > 0 && (await countDials(dayStart)) >= number.dailyCap) return 'daily_cap';
  if (
    number.sameDestinationDailyCap > 0 &&
    (await countDials(dayStart, eq(callRecords.toNumber, normaliseNumber(destination)))) >=
      number.sameDestinationDailyCap
  )
    return 'same_destination_cap';
  return null;
}

/** The instant the calendar day of `now` began in `timeZone` (local midnight; DST-safe). */
export function startOfDay(now: Date, timeZone: string): Date {
  const local = localParts(now, timeZone);
  const midnight = Date.UTC(local.year, local.month - 1, local.day);
  // Local midnight as if it were UTC, minus the zone's offset; again with the offset at that
  // instant, in case a DST change lies between midnight and now.
  let at = midnight - offsetOf(now, timeZone);
  at = midnight - offsetOf(new Date(at), timeZone);
  return new Date(at);
}

function localParts(at: Date, timeZone: string) {
  return Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(at)
      .map((p) => [p.type, Number(p.value)]),
  ) as Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', number>;
}

/** The zone's offset from UTC at `at`, in milliseconds (east positive). */
function offsetOf(at: Date, timeZone: string): number {
  const p = localParts(at, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/** Calls whose record is still open (for the resync after a restart). */
export async function openCallIds(db: Db): Promise<string[]> {
  const rows = await db
    .select({ id: callRecords.callId })
    .from(callRecords)
    .where(isNull(callRecords.endedAt));
  return rows.map((r) => r.id);
}
