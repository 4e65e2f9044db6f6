/**
 * What the call engine needs to know from the database: trunks, numbers (DIDs) and their
 * routes, agents' SIP accounts, which number an agent shows when calling out, and the
 * call-setting rules of a number (seed 000 §5.9.3).
 */
import { and, count, desc, eq, gte, inArray, isNull } from 'drizzle-orm';
import { normaliseNumber } from '../../crm/shared/validate.ts';
import type { Db } from '../../db/client.ts';
import {
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

/** The trunk endpoint name in Asterisk for a trunk id, and back. */
export const trunkEndpoint = (id: number) => `trunk-${id}`;
export function trunkIdOfChannel(channelName: string): number | null {
  const m = /^PJSIP\/trunk-(\d+)-/.exec(channelName);
  return m ? Number(m[1]) : null;
}
export function endpointOfChannel(channelName: string): string | null {
  return /^PJSIP\/(.+)-[0-9a-f]+$/.exec(channelName)?.[1] ?? null;
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

/** Checks the call-setting rules of a number before an outbound call to `destination`. */
export async function checkNumberRules(
  db: Db,
  number: PhoneNumber,
  destination: string,
  now: Date,
): Promise<RuleRefusal | null> {
  const dayStart = new Date(now);
  dayStart.setHours(0, 0, 0, 0);
  const outbound = and(eq(callRecords.numberId, number.id), inArray(callRecords.direction, ['outbound']));
  if (number.minIntervalSeconds > 0) {
    const [last] = await db
      .select({ at: callRecords.startedAt })
      .from(callRecords)
      .where(outbound)
      .orderBy(desc(callRecords.startedAt))
      .limit(1);
    if (last && now.getTime() - last.at.getTime() < number.minIntervalSeconds * 1000) return 'min_interval';
  }
  if (number.dailyCap > 0) {
    const [row] = await db
      .select({ n: count() })
      .from(callRecords)
      .where(and(outbound, gte(callRecords.startedAt, dayStart)));
    if ((row?.n ?? 0) >= number.dailyCap) return 'daily_cap';
  }
  if (number.sameDestinationDailyCap > 0) {
    const [row] = await db
      .select({ n: count() })
      .from(callRecords)
      .where(
        and(
          outbound,
          gte(callRecords.startedAt, dayStart),
          eq(callRecords.toNumber, normaliseNumber(destination)),
        ),
      );
    if ((row?.n ?? 0) >= number.sameDestinationDailyCap) return 'same_destination_cap';
  }
  return null;
}

/** Calls whose record is still open (for the resync after a restart). */
export async function openCallIds(db: Db): Promise<string[]> {
  const rows = await db
    .select({ id: callRecords.callId })
    .from(callRecords)
    .where(isNull(callRecords.endedAt));
  return rows.map((r) => r.id);
}
