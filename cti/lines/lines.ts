/**
 * Lines (线路): trunks to carriers or gateways, the numbers (DIDs) on them with their limits,
 * inbound direct route and call-setting rules, and which agents or departments may show a
 * number as caller ID. Editing needs callcenter:edit; every change is audited and announced
 * so the PBX configuration follows within seconds.
 */
import { and, asc, count, eq, ilike, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import {
  departments,
  numberAssignments,
  phoneNumbers,
  trunks,
  users,
  type TrunkAuthMode,
  type TrunkTransport,
} from '../../db/schema.ts';
import { requirePermission } from '../../core/access/actor.ts';
import { audit } from '../../core/audit/audit-log.ts';
import type { Ctx } from '../../core/context.ts';
import { DomainError, type ErrorCode, NotFoundError } from '../../core/errors.ts';
import { likePattern, type ListQuery, type Listing, orderBy } from '../../core/list-query.ts';
import * as check from '../../core/validate.ts';
import { configValueProblem } from '../asterisk.ts';

export type Trunk = typeof trunks.$inferSelect;
export type PhoneNumber = typeof phoneNumbers.$inferSelect;

export const transports: readonly TrunkTransport[] = ['udp', 'tcp'];
export const authModes: readonly TrunkAuthMode[] = ['ip', 'register'];
export const knownCodecs = ['alaw', 'ulaw', 'g722', 'g729', 'opus', 'gsm'] as const;

export interface TrunkInput {
  name: string;
  host: string;
  port: number | null;
  transport: string;
  authMode: string;
  username: string;
  password: string;
  codecs: string[];
  maxCalls: number | null;
  qualify: boolean;
  enabled: boolean;
}

function int(value: unknown): number | null {
  const t = check.text(value);
  if (t === '') return null;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : Number.NaN;
}

export function parseTrunkInput(form: Record<string, unknown>): TrunkInput {
  const codecs = Array.isArray(form.codecs) ? form.codecs : form.codecs === undefined ? [] : [form.codecs];
  return {
    name: check.text(form.name),
    host: check.text(form.host),
    port: int(form.port),
    transport: check.text(form.transport) || 'udp',
    authMode: check.text(form.authMode) || 'ip',
    username: check.text(form.username),
    password: typeof form.password === 'string' ? form.password : '',
    codecs: codecs.map(check.text).filter((c) => c !== ''),
    maxCalls: int(form.maxCalls),
    qualify: form.qualify === undefined ? true : check.toBool(form.qualify),
    enabled: form.enabled === undefined ? true : check.toBool(form.enabled),
  };
}

const range = (n: number | null, min: number, max: number): ErrorCode | null =>
  n === null ? null : Number.isNaN(n) || n < min || n > max ? 'out_of_range' : null;

export function hostProblem(host: string): ErrorCode | null {
  if (host === '') return 'required';
  return /^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,252})$/.test(host) ? null : 'invalid_host';
}

async function trunkProblems(db: Db, input: TrunkInput, id: number | null) {
  const [same] = await db.select({ id: trunks.id }).from(trunks).where(eq(trunks.name, input.name));
  const needsCredentials = input.authMode === 'register' && (input.username === '' || input.password === '');
  return {
    name: check.requiredText(input.name, 60) ?? (same && same.id !== id ? 'name_taken' : null),
    host: hostProblem(input.host),
    port: range(input.port, 1, 65535),
    transport: transports.includes(input.transport as TrunkTransport) ? null : 'invalid_choice',
    authMode: authModes.includes(input.authMode as TrunkAuthMode) ? null : 'invalid_choice',
    username:
      needsCredentials && input.username === ''
        ? 'required'
        : (check.maxLength(input.username, 80) ?? configValueProblem(input.username)),
    password:
      needsCredentials && input.password === ''
        ? 'required'
        : (check.maxLength(input.password, 120) ?? configValueProblem(input.password)),
    codecs: input.codecs.every((c) => (knownCodecs as readonly string[]).includes(c))
      ? null
      : 'invalid_choice',
    maxCalls: range(input.maxCalls, 0, 10000),
  } satisfies Record<string, ErrorCode | null>;
}

function trunkValues(input: TrunkInput) {
  return {
    name: input.name,
    host: input.host,
    port: input.port ?? 5060,
    transport: input.transport as TrunkTransport,
    authMode: input.authMode as TrunkAuthMode,
    username: input.username,
    password: input.password,
    codecs: input.codecs.length > 0 ? input.codecs : ['alaw', 'ulaw'],
    maxCalls: input.maxCalls ?? 0,
    qualify: input.qualify,
    enabled: input.enabled,
  };
}

export async function listTrunks(ctx: Ctx): Promise<Trunk[]> {
  requirePermission(ctx.actor, 'callcenter:view');
  return ctx.db.select().from(trunks).orderBy(asc(trunks.name));
}

export async function getTrunk(ctx: Ctx, id: number): Promise<Trunk> {
  requirePermission(ctx.actor, 'callcenter:view');
  const [row] = await ctx.db.select().from(trunks).where(eq(trunks.id, id));
  if (!row) throw new NotFoundError();
  return row;
}

export async function createTrunk(ctx: Ctx, input: TrunkInput): Promise<number> {
  requirePermission(ctx.actor, 'callcenter:edit');
  check.collect(await trunkProblems(ctx.db, input, null));
  const [row] = await ctx.db.insert(trunks).values(trunkValues(input)).returning({ id: trunks.id });
  const id = row!.id;
  await audit(ctx, {
    action: 'trunk.create',
    targetType: 'trunk',
    targetId: id,
    targetLabel: input.name,
    detail: { host: input.host, port: input.port, authMode: input.authMode },
  });
  ctx.events?.publish({ type: 'telephony.changed' });
  return id;
}

export async function updateTrunk(ctx: Ctx, id: number, input: TrunkInput): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const before = await getTrunk(ctx, id);
  // An empty password field keeps the stored one (it is never shown again).
  const effective = { ...input, password: input.password === '' ? before.password : input.password };
  check.collect(await trunkProblems(ctx.db, effective, id));
  await ctx.db
    .update(trunks)
    .set({ ...trunkValues(effective), updatedAt: new Date() })
    .where(eq(trunks.id, id));
  await audit(ctx, {
    action: 'trunk.update',
    targetType: 'trunk',
    targetId: id,
    targetLabel: input.name,
    detail: { host: input.host, port: input.port, enabled: input.enabled },
  });
  ctx.events?.publish({ type: 'telephony.changed' });
}

export async function deleteTrunk(ctx: Ctx, id: number): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const trunk = await getTrunk(ctx, id);
  const [used] = await ctx.db
    .select({ id: phoneNumbers.id })
    .from(phoneNumbers)
    .where(eq(phoneNumbers.trunkId, id))
    .limit(1);
  if (used) throw new DomainError('trunk_in_use');
  await ctx.db.delete(trunks).where(eq(trunks.id, id));
  await audit(ctx, { action: 'trunk.delete', targetType: 'trunk', targetId: id, targetLabel: trunk.name });
  ctx.events?.publish({ type: 'telephony.changed' });
}

// ── numbers ────────────────────────────────────────────────────────────────
export interface NumberInput {
  number: string;
  trunkId: number | null;
  label: string;
  maxCalls: number | null;
  minIntervalSeconds: number | null;
  dailyCap: number | null;
  sameDestinationDailyCap: number | null;
  routeUserId: number | null;
  ringSeconds: number | null;
  fallbackUserId: number | null;
  enabled: boolean;
}

export function parseNumberInput(form: Record<string, unknown>): NumberInput {
  return {
    number: check.normaliseNumber(check.text(form.number)),
    trunkId: check.toId(form.trunkId),
    label: check.text(form.label),
    maxCalls: int(form.maxCalls),
    minIntervalSeconds: int(form.minIntervalSeconds),
    dailyCap: int(form.dailyCap),
    sameDestinationDailyCap: int(form.sameDestinationDailyCap),
    routeUserId: check.toId(form.routeUserId),
    ringSeconds: int(form.ringSeconds),
    fallbackUserId: check.toId(form.fallbackUserId),
    enabled: form.enabled === undefined ? true : check.toBool(form.enabled),
  };
}

async function userExists(db: Db, id: number | null): Promise<ErrorCode | null> {
  if (id === null) return null;
  const [u] = await db.select({ id: users.id }).from(users).where(eq(users.id, id));
  return u ? null : 'invalid_choice';
}

export async function numberProblems(
  db: Db,
  input: NumberInput,
  id: number | null,
): Promise<Record<string, ErrorCode | null>> {
  const [same] = input.number
    ? await db.select({ id: phoneNumbers.id }).from(phoneNumbers).where(eq(phoneNumbers.number, input.number))
    : [];
  const [trunk] = input.trunkId
    ? await db.select({ id: trunks.id }).from(trunks).where(eq(trunks.id, input.trunkId))
    : [];
  return {
    number:
      input.number === ''
        ? 'required'
        : !/^\d{3,20}$/.test(input.number)
          ? 'invalid_phone'
          : same && same.id !== id
            ? 'number_taken'
            : null,
    trunkId: input.trunkId === null ? 'required' : trunk ? null : 'invalid_choice',
    label: check.maxLength(input.label, 60),
    maxCalls: range(input.maxCalls, 0, 10000),
    minIntervalSeconds: range(input.minIntervalSeconds, 0, 86400),
    dailyCap: range(input.dailyCap, 0, 1_000_000),
    sameDestinationDailyCap: range(input.sameDestinationDailyCap, 0, 1000),
    ringSeconds: range(input.ringSeconds, 5, 300),
    routeUserId: await userExists(db, input.routeUserId),
    fallbackUserId: await userExists(db, input.fallbackUserId),
  };
}

export function numberValues(input: NumberInput) {
  return {
    number: input.number,
    trunkId: input.trunkId!,
    label: input.label,
    maxCalls: input.maxCalls ?? 0,
    minIntervalSeconds: input.minIntervalSeconds ?? 0,
    dailyCap: input.dailyCap ?? 0,
    sameDestinationDailyCap: input.sameDestinationDailyCap ?? 0,
    routeUserId: input.routeUserId,
    ringSeconds: input.ringSeconds ?? 30,
    fallbackUserId: input.fallbackUserId,
    enabled: input.enabled,
  };
}

export interface NumberRow extends PhoneNumber {
  trunkName: string;
  routeUserName: string | null;
  /** Agents and departments that may show this number, comma-separated. */
  assignedTo: string;
}

const routeUser = sql`(select name from users where users.id = ${phoneNumbers.routeUserId})`;
const assignedTo = sql<string>`coalesce((
  select string_agg(coalesce(u.name, d.name), ', ' order by na.id)
  from number_assignments na
  left join users u on u.id = na.user_id
  left join departments d on d.id = na.department_id
  where na.number_id = ${phoneNumbers.id}), '')`;

/** Filters: q (number or label), trunk (id), status (enabled|disabled). */
export function numberListing(ctx: Ctx, query: ListQuery): Listing<NumberRow> {
  requirePermission(ctx.actor, 'callcenter:view');
  const f = query.filters;
  const conditions: (SQL | undefined)[] = [];
  if (f.q) {
    const p = likePattern(f.q.trim());
    conditions.push(or(ilike(phoneNumbers.number, p), ilike(phoneNumbers.label, p)));
  }
  const trunk = check.toId(f.trunk);
  if (trunk) conditions.push(eq(phoneNumbers.trunkId, trunk));
  if (f.status === 'enabled') conditions.push(eq(phoneNumbers.enabled, true));
  if (f.status === 'disabled') conditions.push(eq(phoneNumbers.enabled, false));
  const where = and(...conditions);
  const order = orderBy(
    query,
    { number: phoneNumbers.number, label: phoneNumbers.label, trunk: trunks.name },
    asc(phoneNumbers.number),
    phoneNumbers.id,
  );
  return {
    count: async () => (await ctx.db.select({ n: count() }).from(phoneNumbers).where(where))[0]?.n ?? 0,
    fetch: async (limit, offset) => {
      const rows = await ctx.db
        .select({ n: phoneNumbers, trunkName: trunks.name, routeUserName: routeUser, assignedTo })
        .from(phoneNumbers)
        .innerJoin(trunks, eq(trunks.id, phoneNumbers.trunkId))
        .where(where)
        .orderBy(...order)
        .limit(limit)
        .offset(offset);
      return rows.map((r) => ({
        ...r.n,
        trunkName: r.trunkName,
        routeUserName: (r.routeUserName as string | null) ?? null,
        assignedTo: r.assignedTo,
      }));
    },
  };
}

export async function getNumber(ctx: Ctx, id: number): Promise<PhoneNumber> {
  requirePermission(ctx.actor, 'callcenter:view');
  const [row] = await ctx.db.select().from(phoneNumbers).where(eq(phoneNumbers.id, id));
  if (!row) throw new NotFoundError();
  return row;
}

export async function createNumber(ctx: Ctx, input: NumberInput): Promise<number> {
  requirePermission(ctx.actor, 'callcenter:edit');
  check.collect(await numberProblems(ctx.db, input, null));
  const [row] = await ctx.db
    .insert(phoneNumbers)
    .values(numberValues(input))
    .returning({ id: phoneNumbers.id });
  await audit(ctx, {
    action: 'number.create',
    targetType: 'number',
    targetId: row!.id,
    targetLabel: input.number,
  });
  return row!.id;
}

export async function updateNumber(ctx: Ctx, id: number, input: NumberInput): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  await getNumber(ctx, id);
  check.collect(await numberProblems(ctx.db, input, id));
  await ctx.db
    .update(phoneNumbers)
    .set({ ...numberValues(input), updatedAt: new Date() })
    .where(eq(phoneNumbers.id, id));
  await audit(ctx, {
    action: 'number.update',
    targetType: 'number',
    targetId: id,
    targetLabel: input.number,
  });
}

export async function deleteNumber(ctx: Ctx, id: number): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const number = await getNumber(ctx, id);
  // Call records keep the number as text, so history stays readable after the number goes.
  await ctx.db.delete(phoneNumbers).where(eq(phoneNumbers.id, id));
  await audit(ctx, {
    action: 'number.delete',
    targetType: 'number',
    targetId: id,
    targetLabel: number.number,
  });
}

// ── number assignment (外显号码分配) ────────────────────────────────────────
export interface Assignment {
  id: number;
  numberId: number;
  userId: number | null;
  userName: string | null;
  departmentId: number | null;
  departmentName: string | null;
}

export async function assignmentsOf(ctx: Ctx, numberId: number): Promise<Assignment[]> {
  requirePermission(ctx.actor, 'callcenter:view');
  return ctx.db
    .select({
      id: numberAssignments.id,
      numberId: numberAssignments.numberId,
      userId: numberAssignments.userId,
      userName: users.name,
      departmentId: numberAssignments.departmentId,
      departmentName: departments.name,
    })
    .from(numberAssignments)
    .leftJoin(users, eq(users.id, numberAssignments.userId))
    .leftJoin(departments, eq(departments.id, numberAssignments.departmentId))
    .where(eq(numberAssignments.numberId, numberId))
    .orderBy(asc(numberAssignments.id));
}

/** Lets an agent (or everyone in a department and below) call out with this number. */
export async function assignNumber(
  ctx: Ctx,
  numberId: number,
  to: { userId?: number; departmentId?: number },
): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const number = await getNumber(ctx, numberId);
  if ((to.userId === undefined) === (to.departmentId === undefined)) throw new DomainError('validation');
  if (to.userId !== undefined && (await userExists(ctx.db, to.userId)))
    throw new DomainError('invalid_choice');
  if (to.departmentId !== undefined) {
    const [d] = await ctx.db
      .select({ id: departments.id })
      .from(departments)
      .where(eq(departments.id, to.departmentId));
    if (!d) throw new DomainError('department_unknown');
  }
  const existing = await assignmentsOf(ctx, numberId);
  if (
    existing.some(
      (a) =>
        (to.userId !== undefined && a.userId === to.userId) ||
        (to.departmentId !== undefined && a.departmentId === to.departmentId),
    )
  )
    return;
  await ctx.db
    .insert(numberAssignments)
    .values({ numberId, userId: to.userId ?? null, departmentId: to.departmentId ?? null });
  await audit(ctx, {
    action: 'number.assign',
    targetType: 'number',
    targetId: numberId,
    targetLabel: number.number,
    detail: to,
  });
}

export async function unassignNumber(ctx: Ctx, numberId: number, assignmentId: number): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const [row] = await ctx.db
    .delete(numberAssignments)
    .where(and(eq(numberAssignments.id, assignmentId), eq(numberAssignments.numberId, numberId)))
    .returning();
  if (!row) throw new NotFoundError();
  await audit(ctx, {
    action: 'number.unassign',
    targetType: 'number',
    targetId: row.numberId,
    detail: { userId: row.userId, departmentId: row.departmentId },
  });
}
