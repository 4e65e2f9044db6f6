/**
 * Call-center-wide settings of the ACD and the agent desk (manual 001 §3.4): the satisfaction
 * survey (3.4.7: 2–5 levels, its prompt and the thank-you prompt), repeat-caller recognition
 * (3.4.16: the window in hours), the close confirmation on the desk (3.4.19), region routing
 * (3.4.21: province/city → agent group) and the business types agents file calls under.
 */
import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { agentGroups, businessTypes, prompts, regionRules } from '../../db/schema.ts';
import { requirePermission } from '../../core/access/actor.ts';
import { audit } from '../../core/audit/audit-log.ts';
import type { Ctx } from '../../core/context.ts';
import { NotFoundError } from '../../core/errors.ts';
import { readSetting, writeSetting } from '../../core/settings.ts';
import * as check from '../../core/validate.ts';

// ── survey ──────────────────────────────────────────────────────────────────
export interface SurveySettings {
  /** Keys 1 … levels; 1 is the best rating. */
  levels: number;
  /** Own prompt asking for the rating (null: the system's, matching the levels). */
  promptId: number | null;
  thanksPromptId: number | null;
}

const defaultSurvey: SurveySettings = { levels: 3, promptId: null, thanksPromptId: null };
const isSurvey = (v: unknown): v is SurveySettings =>
  typeof v === 'object' && v !== null && Number.isInteger((v as SurveySettings).levels);

export const surveySettings = (db: Db) => readSetting(db, 'acd.survey', defaultSurvey, isSurvey);

export interface DeskSettingsInput {
  surveyLevels: number;
  surveyPromptId: number | null;
  surveyThanksPromptId: number | null;
  repeatHours: number;
  confirmClose: boolean;
}

export function parseDeskSettings(form: Record<string, unknown>): DeskSettingsInput {
  return {
    surveyLevels: Number(check.text(form.surveyLevels) || 3),
    surveyPromptId: check.toId(form.surveyPromptId),
    surveyThanksPromptId: check.toId(form.surveyThanksPromptId),
    repeatHours: Number(check.text(form.repeatHours) || 0),
    confirmClose: check.toBool(form.confirmClose),
  };
}

const isHours = (v: unknown): v is number =>
  Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 720;

/** Repeat-caller window (3.4.16), in hours; 0 = off. */
export const repeatCallerHours = (db: Db) => readSetting(db, 'acd.repeat_hours', 24, isHours);

/** Whether hanging up from the desk asks first (3.4.19). */
export const confirmClose = (db: Db) =>
  readSetting(db, 'desk.confirm_close', true, (v): v is boolean => typeof v === 'boolean');

export async function acdSettings(db: Db): Promise<DeskSettingsInput> {
  const survey = await surveySettings(db);
  return {
    surveyLevels: survey.levels,
    surveyPromptId: survey.promptId,
    surveyThanksPromptId: survey.thanksPromptId,
    repeatHours: await repeatCallerHours(db),
    confirmClose: await confirmClose(db),
  };
}

export async function saveAcdSettings(ctx: Ctx, input: DeskSettingsInput): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const known = new Set((await ctx.db.select({ id: prompts.id }).from(prompts)).map((p) => p.id));
  check.collect({
    surveyLevels:
      Number.isInteger(input.surveyLevels) && input.surveyLevels >= 2 && input.surveyLevels <= 5
        ? null
        : 'out_of_range',
    surveyPromptId:
      input.surveyPromptId !== null && !known.has(input.surveyPromptId) ? 'invalid_choice' : null,
    surveyThanksPromptId:
      input.surveyThanksPromptId !== null && !known.has(input.surveyThanksPromptId) ? 'invalid_choice' : null,
    repeatHours: isHours(input.repeatHours) ? null : 'out_of_range',
  });
  await writeSetting(ctx.db, 'acd.survey', {
    levels: input.surveyLevels,
    promptId: input.surveyPromptId,
    thanksPromptId: input.surveyThanksPromptId,
  } satisfies SurveySettings);
  await writeSetting(ctx.db, 'acd.repeat_hours', input.repeatHours);
  await writeSetting(ctx.db, 'desk.confirm_close', input.confirmClose);
  await audit(ctx, { action: 'acd.settings', detail: { ...input } });
}

/** The survey's prompts are in use (a prompt cannot be deleted while they are). */
export async function surveyUsesPrompt(db: Db, promptId: number): Promise<boolean> {
  const s = await surveySettings(db);
  return s.promptId === promptId || s.thanksPromptId === promptId;
}

// ── region routing (电话分配设置) ──────────────────────────────────────────────
export type RegionRuleRow = typeof regionRules.$inferSelect & { groupName: string };

export async function listRegionRules(db: Db): Promise<RegionRuleRow[]> {
  const rows = await db
    .select({ r: regionRules, groupName: agentGroups.name })
    .from(regionRules)
    .innerJoin(agentGroups, eq(agentGroups.id, regionRules.groupId))
    .orderBy(asc(regionRules.province), asc(regionRules.city));
  return rows.map((x) => ({ ...x.r, groupName: x.groupName }));
}

export interface RegionRuleInput {
  province: string;
  city: string;
  groupId: number | null;
}

export const parseRegionRule = (form: Record<string, unknown>): RegionRuleInput => ({
  province: check.text(form.province),
  city: check.text(form.city),
  groupId: check.toId(form.groupId),
});

export async function addRegionRule(ctx: Ctx, input: RegionRuleInput): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const [group] = input.groupId
    ? await ctx.db.select({ id: agentGroups.id }).from(agentGroups).where(eq(agentGroups.id, input.groupId))
    : [];
  const [same] = await ctx.db
    .select({ id: regionRules.id })
    .from(regionRules)
    .where(sql`${regionRules.province} = ${input.province} and ${regionRules.city} = ${input.city}`);
  check.collect({
    province: check.requiredText(input.province, 30) ?? (same ? 'name_taken' : null),
    city: check.maxLength(input.city, 30),
    groupId: group ? null : 'required',
  });
  await ctx.db.insert(regionRules).values({ province: input.province, city: input.city, groupId: group!.id });
  await audit(ctx, {
    action: 'acd.region_rule_added',
    targetLabel: `${input.province} ${input.city}`.trim(),
  });
  ctx.events?.publish({ type: 'groups.changed' });
}

export async function deleteRegionRule(ctx: Ctx, id: number): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const [row] = await ctx.db.delete(regionRules).where(eq(regionRules.id, id)).returning();
  if (!row) throw new NotFoundError();
  await audit(ctx, { action: 'acd.region_rule_deleted', targetLabel: `${row.province} ${row.city}`.trim() });
  ctx.events?.publish({ type: 'groups.changed' });
}

// ── business types (业务类型) ───────────────────────────────────────────────────
export async function listBusinessTypes(db: Db, all = false) {
  const rows = await db
    .select()
    .from(businessTypes)
    .orderBy(asc(businessTypes.position), asc(businessTypes.id));
  return all ? rows : rows.filter((r) => r.enabled);
}

export async function addBusinessType(ctx: Ctx, code: string, name: string): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const c = code.trim().toLowerCase();
  const n = name.trim();
  const [same] = await ctx.db.select().from(businessTypes).where(eq(businessTypes.code, c));
  check.collect({
    code: !/^[a-z0-9_-]{1,30}$/.test(c) ? (c ? 'invalid_choice' : 'required') : same ? 'name_taken' : null,
    name: check.requiredText(n, 40),
  });
  const [{ max } = { max: 0 }] = await ctx.db
    .select({ max: sql<number>`coalesce(max(${businessTypes.position}), 0)` })
    .from(businessTypes);
  await ctx.db.insert(businessTypes).values({ code: c, name: n, position: Number(max) + 1 });
  await audit(ctx, { action: 'acd.business_type_added', targetLabel: n });
}

export async function setBusinessTypeEnabled(ctx: Ctx, id: number, enabled: boolean): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const [row] = await ctx.db
    .update(businessTypes)
    .set({ enabled })
    .where(eq(businessTypes.id, id))
    .returning();
  if (!row) throw new NotFoundError();
  await audit(ctx, { action: 'acd.business_type_changed', targetId: id, detail: { enabled } });
}
