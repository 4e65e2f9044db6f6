/**
 * The historical reports (统计报表, 3.6; 团队/坐席报表 3.13) read from the rollups: for a date
 * range, a granularity (15 minutes, hour, day, week, month), and group or agent filters, rows of
 * figures (cti/stats/kpis.ts) with a totals row. Rows are time slots, or time slots × groups,
 * agents, business types, regions or IVR menus. Who may see what: reports:view; a reader whose
 * scope is their own records sees only their own agent rows; a department scope sees the
 * agents of their departments and the groups those agents are in.
 */
import { and, asc, eq, gte, lt, type SQL, sql } from 'drizzle-orm';
import { startOfDay } from '../calls/directory.ts';
import type { Db } from '../../db/client.ts';
import { agentGroups, businessTypes, ivrs, statsAttendance, users } from '../../db/schema.ts';
import { inScope, type RecordScope, recordScope } from '../../core/access/actor.ts';
import { listBreakReasons } from '../agents/agent-states.ts';
import { groupsInScope } from '../supervision/floor.ts';
import type { Ctx } from '../../core/context.ts';
import { ValidationError } from '../../core/errors.ts';
import * as check from '../../core/validate.ts';
import { agentKpis, callKpis, type Kpi, type Sums } from './kpis.ts';
import { type Grain, summedMeasures } from './rollups.ts';
import {
  type Entity,
  type Granularity,
  granularities,
  type ReportColumn,
  type ReportKey,
  type ReportParams,
  type ReportResult,
  type ReportRow,
  reports,
  type ReportDef,
} from './report-defs.ts';

export * from './report-defs.ts';

const dateText = (d: Date, tz: string) => new Intl.DateTimeFormat('sv-SE', { timeZone: tz }).format(d);

export function parseReportParams(
  report: ReportKey,
  q: Record<string, string | undefined>,
  now: Date,
  tz: string,
): ReportParams {
  const today = dateText(now, tz);
  const from = /^\d{4}-\d{2}-\d{2}$/.test(q.from ?? '') ? q.from! : today;
  const to = /^\d{4}-\d{2}-\d{2}$/.test(q.to ?? '') ? q.to! : today;
  const def = reports[report];
  let granularity = (granularities as readonly string[]).includes(q.granularity ?? '')
    ? (q.granularity as Granularity)
    : def.rows === 'time'
      ? 'hour'
      : 'day';
  if (def.finest === 'day' && (granularity === '15m' || granularity === 'hour')) granularity = 'day';
  return {
    report,
    from,
    to,
    granularity,
    groupId: check.toId(q.group),
    agentId: check.toId(q.agent),
    ivrId: check.toId(q.ivr),
  };
}

/** The local midnight that begins a `YYYY-MM-DD` date in the time zone. */
function dayStart(date: string, tz: string): Date {
  // Noon UTC of that date is inside it in every time zone; its local midnight is the start.
  return startOfDay(new Date(`${date}T12:00:00Z`), tz);
}

function grainFor(g: Granularity): Grain {
  return g === '15m' ? '15m' : g === 'hour' ? 'hour' : 'day';
}

function slotSql(g: Granularity, tz: string): SQL {
  if (g === 'week' || g === 'month')
    return sql`(date_trunc(${g}, bucket at time zone ${tz}) at time zone ${tz})`;
  return sql`bucket`;
}

/** Which agents and groups a reader may see in reports (null: all). */
export async function reportScope(
  ctx: Ctx,
): Promise<{ agents: Set<number> | null; groups: Set<number> | null; self: boolean }> {
  const scope: RecordScope = await recordScope(ctx.db, ctx.actor, 'reports:view');
  if (scope.all) return { agents: null, groups: null, self: false };
  const people = await ctx.db.select({ id: users.id, departmentId: users.departmentId }).from(users);
  const agents = new Set(people.filter((p) => inScope(scope, p.id, p.departmentId)).map((p) => p.id));
  const self = scope.departmentIds.length === 0;
  const groups = new Set(self ? [] : await groupsInScope(ctx.db, scope));
  return { agents, groups, self };
}

const sumsOf = (row: Record<string, unknown>, skip: readonly string[]): Record<string, number> =>
  Object.fromEntries(
    Object.entries(row)
      .filter(([k]) => !skip.includes(k))
      .map(([k, v]) => [k, Number(v ?? 0)]),
  );

function addSums(into: Record<string, number>, s: Sums) {
  for (const [k, v] of Object.entries(s)) {
    if (k === 'wait_max') into[k] = Math.max(into[k] ?? 0, v);
    else if (k === 'first_login') into[k] = Math.min(into[k] ?? Number.POSITIVE_INFINITY, v);
    else if (k === 'last_logout') into[k] = Math.max(into[k] ?? 0, v);
    else into[k] = (into[k] ?? 0) + v;
  }
}

const sumColumns = (list: readonly string[]) => sql.raw(list.map((m) => `sum("${m}") as "${m}"`).join(', '));

/** Runs a report. */
export async function runReport(ctx: Ctx, params: ReportParams, tz = ctx.timeZone): Promise<ReportResult> {
  const def = reports[params.report];
  const visible = await reportScope(ctx);
  if (visible.self && def.rows !== 'agent') throw new ValidationError({ report: 'scope_outside' });
  if (def.source === 'ivr' && !readsIvrs(ctx, visible))
    throw new ValidationError({ report: 'scope_outside' });
  const range = { from: dayStart(params.from, tz), to: dayStart(params.to, tz) };
  range.to = new Date(startOfDay(new Date(range.to.getTime() + 36 * 3_600_000), tz).getTime());
  if (range.to <= range.from) throw new ValidationError({ to: 'out_of_range' });
  if (range.to.getTime() - range.from.getTime() > 400 * 86_400_000)
    throw new ValidationError({ to: 'out_of_range' });
  const grain = grainFor(params.granularity);
  const slot = slotSql(params.granularity, tz);
  // Raw SQL parameters go as text: the drivers convert dates only for typed columns.
  const fromText = range.from.toISOString();
  const toText = range.to.toISOString();
  const inRange = sql`grain = ${grain} and bucket >= ${fromText}::timestamptz and bucket < ${toText}::timestamptz`;
  /** `and column = chosen and column in (allowed…)`, for whichever is given. */
  const idFilter = (column: string, chosen: number | null, allowed: Set<number> | null): SQL => {
    const parts: SQL[] = [];
    if (chosen) parts.push(sql`${sql.raw(column)} = ${chosen}`);
    if (allowed)
      parts.push(
        sql`${sql.raw(column)} in (${sql.join(
          [-1, ...allowed].map((id) => sql`${id}`),
          sql`, `,
        )})`,
      );
    return parts.length ? sql`and ${sql.join(parts, sql` and `)}` : sql``;
  };
  const groupFilter = (column: string) => idFilter(column, params.groupId, visible.groups);
  const agentFilter = (column: string) => idFilter(column, params.agentId, visible.agents);
  /** Agents' time and attendance of the chosen group's members only. */
  const memberOfGroup = params.groupId
    ? sql`and agent_id in (select user_id from agent_group_members where group_id = ${params.groupId})`
    : sql``;
  const kpis: readonly Kpi[] = def.source === 'calls' ? callKpis : agentKpis;
  const rows: ReportRow[] = [];
  const raw: { slot: Date; entity: Entity | null; sums: Record<string, number> }[] = [];
  const breakReasonsSeen = new Set<string>();

  if (def.source === 'calls') {
    const byGroup = def.rows === 'group';
    const result = await ctx.db.execute(sql`
      select ${slot} as slot, ${byGroup ? sql`group_id` : sql`0`} as entity, ${sumColumns(summedMeasures.calls)}, max(wait_max) as wait_max
      from stats_calls where ${inRange} ${groupFilter('group_id')}
      group by 1, 2 order by 1, 2`);
    const names = byGroup ? await groupNames(ctx.db) : new Map<number, string>();
    for (const r of rowsOf(result)) {
      const entity = byGroup
        ? {
            id: String(r.entity),
            label: names.get(Number(r.entity)) ?? (Number(r.entity) === 0 ? '—' : `#${r.entity}`),
          }
        : null;
      raw.push({ slot: new Date(r.slot as string), entity, sums: sumsOf(r, ['slot', 'entity']) });
    }
  } else if (def.source === 'agents' || def.source === 'attendance') {
    const calls = rowsOf(
      await ctx.db.execute(sql`
        select ${slot} as slot, agent_id as entity, ${sumColumns(summedMeasures.agents)}
        from stats_agent_calls where ${inRange} ${agentFilter('agent_id')} ${params.groupId ? sql`and group_id = ${params.groupId}` : sql``}
        group by 1, 2`),
    );
    const times = rowsOf(
      await ctx.db.execute(sql`
        select ${slot} as slot, agent_id as entity,
          sum(seconds) filter (where state <> 'logged_out') as time_online,
          sum(seconds) filter (where state = 'ready') as time_ready,
          sum(seconds) filter (where state = 'break') as time_break,
          sum(seconds) filter (where state = 'on_call') as time_on_call,
          sum(seconds) filter (where state = 'ringing') as time_ringing,
          sum(seconds) filter (where state = 'wrap_up') as time_wrap_up
        from stats_agent_time where ${inRange} ${agentFilter('agent_id')} ${memberOfGroup}
        group by 1, 2`),
    );
    const merged = new Map<string, { slot: Date; agent: number; sums: Record<string, number> }>();
    /** The merged row of an agent in a slot. */
    const rowFor = (slot: Date, agent: number) => {
      const key = `${slot.getTime()}:${agent}`;
      const m = merged.get(key) ?? { slot, agent, sums: {} };
      merged.set(key, m);
      return m;
    };
    for (const r of [...calls, ...times])
      addSums(rowFor(new Date(r.slot as string), Number(r.entity)).sums, sumsOf(r, ['slot', 'entity']));
    if (def.source === 'attendance') {
      const breaks = rowsOf(
        await ctx.db.execute(sql`
          select ${slot} as slot, agent_id as entity, reason, sum(seconds) as seconds
          from stats_agent_time where ${inRange} and state = 'break' ${agentFilter('agent_id')} ${memberOfGroup}
          group by 1, 2, 3`),
      );
      for (const r of breaks) {
        addSums(rowFor(new Date(r.slot as string), Number(r.entity)).sums, {
          [`break:${r.reason}`]: Number(r.seconds),
        });
        breakReasonsSeen.add(String(r.reason));
      }
      const att = await ctx.db
        .select()
        .from(statsAttendance)
        .where(
          and(
            gte(statsAttendance.day, range.from),
            lt(statsAttendance.day, range.to),
            params.groupId ? sql`true ${memberOfGroup}` : undefined,
          ),
        );
      for (const a of att) {
        if (visible.agents && !visible.agents.has(a.agentId)) continue;
        if (params.agentId && a.agentId !== params.agentId) continue;
        const slotStart =
          params.granularity === 'week' || params.granularity === 'month'
            ? truncLocal(a.day, params.granularity, tz)
            : a.day;
        addSums(rowFor(slotStart, a.agentId).sums, {
          ...(a.firstLogin ? { first_login: a.firstLogin.getTime() } : {}),
          ...(a.lastLogout ? { last_logout: a.lastLogout.getTime() } : {}),
        });
      }
    }
    const names = await agentNames(ctx.db);
    for (const m of [...merged.values()].sort(
      (a, b) =>
        a.slot.getTime() - b.slot.getTime() ||
        (names.get(a.agent) ?? '').localeCompare(names.get(b.agent) ?? ''),
    ))
      raw.push({
        slot: m.slot,
        entity: { id: String(m.agent), label: names.get(m.agent) ?? `#${m.agent}` },
        sums: m.sums,
      });
  } else if (def.source === 'ivr') {
    const result = rowsOf(
      await ctx.db.execute(sql`
        select ${slot} as slot, ivr_id, node, sum(visits) as visits
        from stats_ivr where ${inRange} ${params.ivrId ? sql`and ivr_id = ${params.ivrId}` : sql``}
        group by 1, 2, 3 order by 1, 2, 3`),
    );
    const labels = await ivrNodeLabels(ctx.db);
    for (const r of result)
      raw.push({
        slot: new Date(r.slot as string),
        entity: { id: `${r.ivr_id}:${r.node}`, ...labels(Number(r.ivr_id), String(r.node)) },
        sums: { visits: Number(r.visits) },
      });
  } else {
    const kind = def.rows === 'business' ? 'business' : 'region';
    const daySlot =
      params.granularity === 'week' || params.granularity === 'month'
        ? slotSql(params.granularity, tz)
        : sql`bucket`;
    const result = rowsOf(
      await ctx.db.execute(sql`
        select ${daySlot} as slot, value, sum(calls) as calls
        from stats_call_mix where kind = ${kind} and bucket >= ${fromText}::timestamptz and bucket < ${toText}::timestamptz
          ${groupFilter('group_id')} ${agentFilter('agent_id')}
        group by 1, 2 order by 1, 3 desc`),
    );
    const typeNames = kind === 'business' ? await businessNames(ctx.db) : new Map<string, Entity>();
    for (const r of result) {
      const value = String(r.value);
      const entity: Entity =
        kind === 'business'
          ? (typeNames.get(value) ?? { id: value, label: '', labelKey: 'report.unclassified' })
          : value
            ? { id: value, label: value }
            : { id: '', label: '', labelKey: 'report.unknown_region' };
      raw.push({ slot: new Date(r.slot as string), entity, sums: { calls: Number(r.calls) } });
    }
  }

  const columns: ReportColumn[] = def.columns.map((key) => ({ key, unit: unitOf(kpis, key) }));
  if (def.source === 'attendance') {
    const at = columns.findIndex((c) => c.key === 'break_time') + 1;
    columns.splice(at, 0, ...(await breakColumns(ctx.db, breakReasonsSeen)));
  }
  const keys = columns.map((c) => c.key);

  // Figures per row; shares within each slot; totals over everything and per entity.
  const slotTotals = new Map<number, number>();
  for (const r of raw)
    slotTotals.set(r.slot.getTime(), (slotTotals.get(r.slot.getTime()) ?? 0) + (r.sums.calls ?? 0));
  const all: Record<string, number> = {};
  const byEntity = new Map<string, { entity: Entity; sums: Record<string, number> }>();
  for (const r of raw) {
    addSums(all, r.sums);
    if (r.entity) {
      const e = byEntity.get(r.entity.id) ?? { entity: r.entity, sums: {} };
      addSums(e.sums, r.sums);
      byEntity.set(r.entity.id, e);
    }
    rows.push({
      slot: r.slot,
      entity: r.entity,
      values: valuesOf(def, kpis, keys, r.sums, slotTotals.get(r.slot.getTime()) ?? 0),
    });
  }
  const total = all.calls ?? 0;
  return {
    params,
    def,
    columns,
    rows,
    totals: valuesOf(def, kpis, keys, all, total),
    entityTotals: [...byEntity.values()].map((e) => ({
      entity: e.entity,
      values: valuesOf(def, kpis, keys, e.sums, total),
    })),
    range,
    tz,
  };
}

/** One column per break reason: the enabled ones, and any other that has time in the range. */
async function breakColumns(db: Db, seen: Set<string>): Promise<ReportColumn[]> {
  const reasons = await listBreakReasons(db, true);
  const columns: ReportColumn[] = [];
  const known = new Set<string>();
  for (const r of reasons) {
    const key = r.builtinKey ?? r.name;
    known.add(key);
    if (!r.enabled && !seen.has(key)) continue;
    columns.push({
      key: `break:${key}`,
      unit: 'duration',
      title: r.builtinKey ? { label: '', labelKey: `agent.break.${r.builtinKey}` } : { label: r.name },
    });
  }
  for (const key of seen)
    if (!known.has(key))
      columns.push({ key: `break:${key}`, unit: 'duration', title: { label: key || '—' } });
  return columns;
}

function unitOf(kpis: readonly Kpi[], key: string): 'count' | 'percent' | 'duration' | 'time' {
  if (key === 'first_login' || key === 'last_logout') return 'time';
  if (key === 'share') return 'percent';
  if (key === 'visits') return 'count';
  return kpis.find((k) => k.key === key)?.unit ?? 'count';
}

function valuesOf(
  def: ReportDef,
  kpis: readonly Kpi[],
  keys: readonly string[],
  sums: Sums,
  slotTotal: number,
): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const key of keys) {
    if (key.startsWith('break:')) out[key] = sums[key] ?? 0;
    else if (key === 'first_login' || key === 'last_logout')
      out[key] = Number.isFinite(sums[key]) && sums[key] ? (sums[key] ?? null) : null;
    else if (key === 'share') out[key] = slotTotal > 0 ? (sums.calls ?? 0) / slotTotal : null;
    else if (key === 'visits' || (key === 'calls' && def.source === 'mix')) out[key] = sums[key] ?? 0;
    else out[key] = kpis.find((k) => k.key === key)?.value(sums) ?? null;
  }
  return out;
}

function truncLocal(d: Date, unit: 'week' | 'month', tz: string): Date {
  const local = dateText(d, tz);
  const [y, m, day] = local.split('-').map(Number) as [number, number, number];
  if (unit === 'month') return dayStart(`${y}-${String(m).padStart(2, '0')}-01`, tz);
  const date = new Date(Date.UTC(y, m - 1, day));
  const weekday = (date.getUTCDay() + 6) % 7;
  date.setUTCDate(date.getUTCDate() - weekday);
  return dayStart(date.toISOString().slice(0, 10), tz);
}

export function rowsOf(result: unknown): Record<string, unknown>[] {
  // postgres.js returns an array of rows; PGlite an object with `rows`.
  if (Array.isArray(result)) return result as Record<string, unknown>[];
  return ((result as { rows?: Record<string, unknown>[] }).rows ?? []) as Record<string, unknown>[];
}

async function groupNames(db: Db) {
  return new Map(
    (await db.select({ id: agentGroups.id, name: agentGroups.name }).from(agentGroups)).map((g) => [
      g.id,
      g.name,
    ]),
  );
}
async function agentNames(db: Db) {
  return new Map(
    (await db.select({ id: users.id, name: users.name }).from(users)).map((u) => [u.id, u.name]),
  );
}
async function businessNames(db: Db): Promise<Map<string, Entity>> {
  return new Map(
    (await db.select().from(businessTypes).orderBy(asc(businessTypes.position))).map((b) => [
      String(b.id),
      b.builtinKey
        ? { id: String(b.id), label: '', labelKey: `business.${b.builtinKey}` }
        : { id: String(b.id), label: b.name },
    ]),
  );
}
async function ivrNodeLabels(db: Db) {
  const list = await db.select({ id: ivrs.id, name: ivrs.name, tree: ivrs.tree }).from(ivrs);
  const menus = new Map<number, { name: string; menus: Map<string, string> }>();
  for (const i of list) {
    const tree = i.tree as { menus?: { id: string; name: string }[] };
    menus.set(i.id, { name: i.name, menus: new Map((tree.menus ?? []).map((m) => [m.id, m.name])) });
  }
  return (ivrId: number, node: string): Omit<Entity, 'id'> => {
    const ivr = menus.get(ivrId);
    const prefix = ivr?.name ?? `IVR ${ivrId}`;
    if (node === '@entered') return { label: prefix, labelKey: 'report.ivr_entered' };
    if (node.startsWith('outcome:'))
      return { label: prefix, labelKey: `ivr.outcome.${node.slice('outcome:'.length)}` };
    return { label: `${prefix} · ${ivr?.menus.get(node) ?? node}` };
  };
}

/**
 * IVR traffic belongs to no department: it is read by those who see every record or who may see
 * the call-centre settings (IVR names are settings).
 */
function readsIvrs(ctx: Ctx, visible: { agents: Set<number> | null }): boolean {
  return visible.agents === null || ctx.actor.grants.has('callcenter:view');
}

/** The groups and agents offered in a reader's report filters. */
export async function reportFilters(ctx: Ctx) {
  const visible = await reportScope(ctx);
  const groups = (
    await ctx.db
      .select({ id: agentGroups.id, name: agentGroups.name })
      .from(agentGroups)
      .orderBy(agentGroups.name)
  ).filter((g) => !visible.groups || visible.groups.has(g.id));
  const agents = (
    await ctx.db
      .select({ id: users.id, name: users.name })
      .from(users)
      .where(eq(users.enabled, true))
      .orderBy(users.name)
  ).filter((a) => !visible.agents || visible.agents.has(a.id));
  const ivrList = readsIvrs(ctx, visible)
    ? await ctx.db.select({ id: ivrs.id, name: ivrs.name }).from(ivrs).orderBy(ivrs.name)
    : [];
  return { groups, agents, ivrs: ivrList, self: visible.self, readsIvrs: readsIvrs(ctx, visible) };
}
