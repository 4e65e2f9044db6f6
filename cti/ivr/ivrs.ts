/**
 * IVRs (IVR 导航): create with a starter tree, save the tree and service hours from the editor
 * after validation (problems are reported per menu and key), delete unless a hotline uses it.
 * Saving records which prompts the IVR uses (menus, keys, rules, special prompts, the off-hours
 * prompt and the off-hours action), so those cannot be deleted underneath it.
 */
import { asc, eq } from 'drizzle-orm';
import { alwaysOpen, type HoursProblem, parseHours, type ServiceHours, validateHours } from './hours.ts';
import { type IvrTree, parseTree, promptsOf, starterTree, type TreeProblem, validateTree } from './tree.ts';
import type { Db } from '../../db/client.ts';
import { agentGroups, hotlines, ivrPromptRefs, ivrs, prompts, users } from '../../db/schema.ts';
import { requirePermission } from '../../core/access/actor.ts';
import { audit } from '../../core/audit/audit-log.ts';
import type { Ctx } from '../../core/context.ts';
import { DomainError, NotFoundError } from '../../core/errors.ts';
import * as check from '../../core/validate.ts';

export const ivrLanguages = ['en', 'zh'] as const;

export interface Ivr {
  id: number;
  name: string;
  language: string;
  tree: IvrTree;
  hours: ServiceHours;
  updatedAt: Date;
}

/** Thrown when a tree or hours do not validate; the editor shows each problem at its place. */
export class IvrInvalid extends DomainError {
  constructor(
    readonly treeProblems: TreeProblem[],
    readonly hoursProblems: HoursProblem[],
  ) {
    super('validation');
    this.name = 'IvrInvalid';
  }
}

function fromRow(row: typeof ivrs.$inferSelect): Ivr {
  return {
    id: row.id,
    name: row.name,
    language: row.language,
    tree: parseTree(row.tree) ?? starterTree(),
    hours: parseHours(row.hours) ?? alwaysOpen(),
    updatedAt: row.updatedAt,
  };
}

export async function loadIvr(db: Db, id: number): Promise<Ivr | null> {
  const [row] = await db.select().from(ivrs).where(eq(ivrs.id, id));
  return row ? fromRow(row) : null;
}

export async function getIvr(ctx: Ctx, id: number): Promise<Ivr> {
  requirePermission(ctx.actor, 'callcenter:view');
  const ivr = await loadIvr(ctx.db, id);
  if (!ivr) throw new NotFoundError();
  return ivr;
}

export async function listIvrs(ctx: Ctx): Promise<(Ivr & { hotlines: string })[]> {
  requirePermission(ctx.actor, 'callcenter:view');
  const rows = await ctx.db.select().from(ivrs).orderBy(asc(ivrs.name));
  const lines = await ctx.db.select({ ivrId: hotlines.ivrId, name: hotlines.name }).from(hotlines);
  return rows.map((r) => ({
    ...fromRow(r),
    hotlines: lines
      .filter((l) => l.ivrId === r.id)
      .map((l) => l.name)
      .join(', '),
  }));
}

async function nameProblem(db: Db, name: string, id: number | null) {
  const [same] = await db.select({ id: ivrs.id }).from(ivrs).where(eq(ivrs.name, name));
  return check.requiredText(name, 80) ?? (same && same.id !== id ? 'name_taken' : null);
}

export async function createIvr(ctx: Ctx, raw: { name: unknown; language?: unknown }): Promise<number> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const name = check.text(raw.name);
  const language = check.text(raw.language) || 'en';
  check.collect({
    name: await nameProblem(ctx.db, name, null),
    language: (ivrLanguages as readonly string[]).includes(language) ? null : 'invalid_choice',
  });
  const [row] = await ctx.db
    .insert(ivrs)
    .values({ name, language, tree: starterTree(), hours: alwaysOpen(), updatedBy: ctx.actor.userId })
    .returning({ id: ivrs.id });
  await audit(ctx, { action: 'ivr.create', targetType: 'ivr', targetId: row!.id, targetLabel: name });
  return row!.id;
}

/** The ids a tree may refer to. */
async function knownIds(db: Db) {
  const [p, g, a] = await Promise.all([
    db.select({ id: prompts.id }).from(prompts),
    db.select({ id: agentGroups.id }).from(agentGroups),
    db.select({ id: users.id }).from(users).where(eq(users.enabled, true)),
  ]);
  return {
    prompts: new Set(p.map((x) => x.id)),
    groups: new Set(g.map((x) => x.id)),
    agents: new Set(a.map((x) => x.id)),
  };
}

/** Saves what the editor sends: name, language, the tree and the service hours (JSON). */
export async function saveIvr(
  ctx: Ctx,
  id: number,
  raw: { name: unknown; language: unknown; tree: unknown; hours: unknown },
): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  await getIvr(ctx, id);
  const name = check.text(raw.name);
  const language = check.text(raw.language) || 'en';
  check.collect({
    name: await nameProblem(ctx.db, name, id),
    language: (ivrLanguages as readonly string[]).includes(language) ? null : 'invalid_choice',
  });
  const tree = parseTree(raw.tree);
  const hours = parseHours(raw.hours);
  if (!tree || !hours)
    throw new IvrInvalid(
      tree ? [] : [{ menu: '', code: 'no_root' }],
      hours ? [] : [{ where: 'hours', code: 'bad_time' }],
    );
  const ids = await knownIds(ctx.db);
  // The off-hours action is one more way into the menus, checked like a key's action.
  const entries = [hours.offHoursAction];
  const treeProblems = validateTree(tree, ids, entries);
  const hoursProblems = validateHours(hours, { ids, menus: new Set(tree.menus.map((m) => m.id)) });
  if (treeProblems.length || hoursProblems.length) throw new IvrInvalid(treeProblems, hoursProblems);
  const used = [
    ...new Set([...promptsOf(tree, entries), ...(hours.offHoursPromptId ? [hours.offHoursPromptId] : [])]),
  ];
  await ctx.db.transaction(async (tx) => {
    await tx
      .update(ivrs)
      .set({ name, language, tree, hours, updatedBy: ctx.actor.userId, updatedAt: new Date() })
      .where(eq(ivrs.id, id));
    await tx.delete(ivrPromptRefs).where(eq(ivrPromptRefs.ivrId, id));
    if (used.length) await tx.insert(ivrPromptRefs).values(used.map((promptId) => ({ ivrId: id, promptId })));
  });
  await audit(ctx, {
    action: 'ivr.update',
    targetType: 'ivr',
    targetId: id,
    targetLabel: name,
    detail: { menus: tree.menus.length },
  });
}

export async function deleteIvr(ctx: Ctx, id: number): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const ivr = await getIvr(ctx, id);
  const used = await ctx.db.select({ name: hotlines.name }).from(hotlines).where(eq(hotlines.ivrId, id));
  if (used.length) throw new DomainError('in_use', { users: used.map((u) => u.name).join(', ') });
  await ctx.db.delete(ivrs).where(eq(ivrs.id, id));
  await audit(ctx, { action: 'ivr.delete', targetType: 'ivr', targetId: id, targetLabel: ivr.name });
}
