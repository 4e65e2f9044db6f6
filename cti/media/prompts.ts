/**
 * The voice prompt library (语音模板): categories, and prompts that are either an uploaded
 * recording or text to speech. Every change of sound makes a new version (older files stay, so
 * IVRs and calls in progress keep working); a TTS prompt can be spoken again from its stored
 * text (a new version); a prompt an IVR or an agent group uses cannot be deleted.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { and, asc, count, eq, ilike, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import {
  agentGroups,
  groupPromptRefs,
  ivrPromptRefs,
  ivrs,
  promptCategories,
  prompts,
  promptVersions,
  users,
} from '../../db/schema.ts';
import { requirePermission } from '../../core/access/actor.ts';
import { audit } from '../../core/audit/audit-log.ts';
import type { Ctx } from '../../core/context.ts';
import { DomainError, type ErrorCode, NotFoundError, ValidationError } from '../../core/errors.ts';
import { likePattern, type ListQuery, type Listing, orderBy } from '../../core/list-query.ts';
import * as check from '../../core/validate.ts';
import { surveyUsesPrompt } from '../acd/acd-settings.ts';
import { AudioRefused, convertPrompt, speak, type TtsLanguage } from './audio.ts';

export type Prompt = typeof prompts.$inferSelect;
export const ttsLanguages: readonly TtsLanguage[] = ['en', 'zh'];

/** Where prompt files live and the limits on uploads. */
export interface PromptStore {
  dir: string;
  maxSeconds: number;
  maxBytes: number;
}

/** The store under a data directory, with the configured limits. */
export const promptStoreIn = (
  dataDir: string,
  limits: { maxSeconds: number; maxBytes: number },
): PromptStore => ({
  dir: join(dataDir, 'prompts'),
  ...limits,
});

/** The file base name of a prompt version (Asterisk picks .wav or .sln16 by the channel's codec). */
export const promptFileBase = (id: number, version: number) => `p${id}-v${version}`;
export const promptFile = (store: PromptStore, id: number, version: number, ext: 'wav' | 'sln16') =>
  join(store.dir, `${promptFileBase(id, version)}.${ext}`);

export interface PromptInput {
  name: string;
  categoryId: number | null;
  kind: string;
  ttsText: string;
  ttsLanguage: string;
  /** The uploaded file, when the kind is upload and a new file was chosen. */
  upload: { name: string; bytes: Uint8Array } | null;
}

export function parsePromptInput(form: Record<string, unknown>, upload: PromptInput['upload']): PromptInput {
  return {
    name: check.text(form.name),
    categoryId: check.toId(form.categoryId),
    kind: check.text(form.kind) || 'upload',
    ttsText: typeof form.ttsText === 'string' ? form.ttsText.trim() : '',
    ttsLanguage: check.text(form.ttsLanguage) || 'en',
    upload,
  };
}

async function problems(
  db: Db,
  input: PromptInput,
  id: number | null,
  store: PromptStore,
  needsSound: boolean,
) {
  const [same] = await db.select({ id: prompts.id }).from(prompts).where(eq(prompts.name, input.name));
  const [category] = input.categoryId
    ? await db
        .select({ id: promptCategories.id })
        .from(promptCategories)
        .where(eq(promptCategories.id, input.categoryId))
    : [];
  const isTts = input.kind === 'tts';
  return {
    name: check.requiredText(input.name, 80) ?? (same && same.id !== id ? 'name_taken' : null),
    categoryId: input.categoryId && !category ? 'invalid_choice' : null,
    kind: input.kind === 'upload' || isTts ? null : 'invalid_choice',
    ttsText: isTts ? (input.ttsText === '' ? 'required' : check.maxLength(input.ttsText, 2000)) : null,
    ttsLanguage: isTts && !(ttsLanguages as string[]).includes(input.ttsLanguage) ? 'invalid_choice' : null,
    file:
      !isTts && needsSound && !input.upload
        ? 'upload_missing'
        : input.upload && input.upload.bytes.length > store.maxBytes
          ? 'upload_too_large'
          : null,
  } satisfies Record<string, ErrorCode | null>;
}

/** Produces the two files of a new version in a scratch directory; throws a field error when the sound is refused. */
async function makeSound(store: PromptStore, input: PromptInput) {
  mkdirSync(store.dir, { recursive: true });
  const scratch = mkdtempSync(join(store.dir, '.new-'));
  const out = { wav8k: join(scratch, 'out.wav'), sln16: join(scratch, 'out.sln16') };
  try {
    let source: string;
    if (input.kind === 'tts') {
      source = join(scratch, 'tts.wav');
      try {
        await speak(input.ttsText, input.ttsLanguage as TtsLanguage, source);
      } catch {
        throw new ValidationError({ ttsText: 'tts_failed' });
      }
    } else {
      source = join(scratch, 'source');
      writeFileSync(source, input.upload!.bytes);
    }
    const { durationMs } = await convertPrompt(source, out, { maxSeconds: store.maxSeconds });
    return { scratch, out, durationMs };
  } catch (err) {
    rmSync(scratch, { recursive: true, force: true });
    if (err instanceof AudioRefused)
      throw new ValidationError({ [input.kind === 'tts' ? 'ttsText' : 'file']: err.problem });
    throw err;
  }
}

/** Moves a made sound into place as version `version` of prompt `id` (inside the caller's transaction). */
function install(
  store: PromptStore,
  made: { scratch: string; out: { wav8k: string; sln16: string } },
  id: number,
  version: number,
) {
  renameSync(made.out.sln16, promptFile(store, id, version, 'sln16'));
  renameSync(made.out.wav8k, promptFile(store, id, version, 'wav'));
}

export async function createPrompt(ctx: Ctx, store: PromptStore, input: PromptInput): Promise<number> {
  requirePermission(ctx.actor, 'callcenter:edit');
  check.collect(await problems(ctx.db, input, null, store, true));
  const made = await makeSound(store, input);
  try {
    const id = await ctx.db.transaction(async (tx) => {
      const values = {
        kind: input.kind as 'upload' | 'tts',
        ttsText: input.kind === 'tts' ? input.ttsText : null,
        durationMs: made.durationMs,
        sourceName: input.upload?.name.slice(0, 200) ?? '',
      };
      const [row] = await tx
        .insert(prompts)
        .values({
          ...values,
          name: input.name,
          categoryId: input.categoryId,
          ttsLanguage: input.kind === 'tts' ? input.ttsLanguage : null,
          version: 1,
          updatedBy: ctx.actor.userId,
        })
        .returning({ id: prompts.id });
      await tx
        .insert(promptVersions)
        .values({ ...values, promptId: row!.id, version: 1, createdBy: ctx.actor.userId });
      install(store, made, row!.id, 1);
      return row!.id;
    });
    await audit(ctx, {
      action: 'prompt.create',
      targetType: 'prompt',
      targetId: id,
      targetLabel: input.name,
    });
    ctx.events?.publish({ type: 'telephony.changed' });
    return id;
  } finally {
    rmSync(made.scratch, { recursive: true, force: true });
  }
}

/** Renames or recategorises a prompt; a new file or new TTS text makes a new version. */
export async function updatePrompt(
  ctx: Ctx,
  store: PromptStore,
  id: number,
  input: PromptInput,
): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const before = await getPrompt(ctx, id);
  check.collect(await problems(ctx.db, input, id, store, before.kind !== input.kind));
  const soundChanged =
    input.upload !== null ||
    input.kind !== before.kind ||
    (input.kind === 'tts' && (input.ttsText !== before.ttsText || input.ttsLanguage !== before.ttsLanguage));
  const made = soundChanged ? await makeSound(store, input) : null;
  try {
    await ctx.db.transaction(async (tx) => {
      const version = made ? before.version + 1 : before.version;
      await tx
        .update(prompts)
        .set({
          name: input.name,
          categoryId: input.categoryId,
          updatedBy: ctx.actor.userId,
          updatedAt: new Date(),
          ...(made
            ? {
                kind: input.kind as 'upload' | 'tts',
                ttsText: input.kind === 'tts' ? input.ttsText : null,
                ttsLanguage: input.kind === 'tts' ? input.ttsLanguage : null,
                version,
                durationMs: made.durationMs,
                sourceName: input.upload?.name.slice(0, 200) ?? '',
              }
            : {}),
        })
        .where(eq(prompts.id, id));
      if (made) {
        await tx.insert(promptVersions).values({
          promptId: id,
          version,
          kind: input.kind as 'upload' | 'tts',
          ttsText: input.kind === 'tts' ? input.ttsText : null,
          durationMs: made.durationMs,
          sourceName: input.upload?.name.slice(0, 200) ?? '',
          createdBy: ctx.actor.userId,
        });
        install(store, made, id, version);
      }
    });
  } finally {
    if (made) rmSync(made.scratch, { recursive: true, force: true });
  }
  await audit(ctx, {
    action: 'prompt.update',
    targetType: 'prompt',
    targetId: id,
    targetLabel: input.name,
    detail: { newVersion: soundChanged },
  });
  ctx.events?.publish({ type: 'telephony.changed' });
}

/**
 * Speaks a TTS prompt's stored text again in its language (after the speech engine or its voice
 * changed, or when the files were lost): a new version, like any change of sound. Refused for
 * uploaded prompts (there is no text to speak).
 */
export async function regeneratePrompt(ctx: Ctx, store: PromptStore, id: number): Promise<number> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const before = await getPrompt(ctx, id);
  if (before.kind !== 'tts' || !before.ttsText) throw new DomainError('invalid_choice');
  const input: PromptInput = {
    name: before.name,
    categoryId: before.categoryId,
    kind: 'tts',
    ttsText: before.ttsText,
    ttsLanguage: before.ttsLanguage ?? 'en',
    upload: null,
  };
  let made: Awaited<ReturnType<typeof makeSound>>;
  try {
    made = await makeSound(store, input);
  } catch (err) {
    // No form here: the reason (tts_failed, audio_silent, …) is the error itself.
    if (err instanceof ValidationError) throw new DomainError(Object.values(err.fields)[0] ?? 'tts_failed');
    throw err;
  }
  let version = 0;
  try {
    await ctx.db.transaction(async (tx) => {
      // The version under a row lock, so two regenerations cannot both take the same number.
      const [row] = await tx
        .select({ version: prompts.version })
        .from(prompts)
        .where(eq(prompts.id, id))
        .for('update');
      if (!row) throw new NotFoundError();
      version = row.version + 1;
      await tx
        .update(prompts)
        .set({ version, durationMs: made.durationMs, updatedBy: ctx.actor.userId, updatedAt: new Date() })
        .where(eq(prompts.id, id));
      await tx.insert(promptVersions).values({
        promptId: id,
        version,
        kind: 'tts',
        ttsText: input.ttsText,
        durationMs: made.durationMs,
        sourceName: '',
        createdBy: ctx.actor.userId,
      });
      install(store, made, id, version);
    });
  } finally {
    rmSync(made.scratch, { recursive: true, force: true });
  }
  await audit(ctx, {
    action: 'prompt.regenerate',
    targetType: 'prompt',
    targetId: id,
    targetLabel: before.name,
    detail: { version },
  });
  ctx.events?.publish({ type: 'telephony.changed' });
  return version;
}

/**
 * Who uses a prompt, by name: the IVRs (ivr_prompt_refs, rewritten on each IVR save) and then
 * the agent groups (group_prompt_refs: queue announcements, music and the like).
 */
export async function promptUsers(db: Db, id: number): Promise<string[]> {
  const [ivrRows, groupRows] = await Promise.all([
    db
      .select({ name: ivrs.name })
      .from(ivrPromptRefs)
      .innerJoin(ivrs, eq(ivrs.id, ivrPromptRefs.ivrId))
      .where(eq(ivrPromptRefs.promptId, id))
      .orderBy(asc(ivrs.name)),
    db
      .select({ name: agentGroups.name })
      .from(groupPromptRefs)
      .innerJoin(agentGroups, eq(agentGroups.id, groupPromptRefs.groupId))
      .where(eq(groupPromptRefs.promptId, id))
      .orderBy(asc(agentGroups.name)),
  ]);
  return [...ivrRows, ...groupRows].map((r) => r.name);
}

export async function deletePrompt(ctx: Ctx, store: PromptStore, id: number): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const p = await getPrompt(ctx, id);
  const usedBy = await promptUsers(ctx.db, id);
  if (usedBy.length > 0) throw new DomainError('prompt_in_use', { users: usedBy.join(', ') });
  if (await surveyUsesPrompt(ctx.db, id)) throw new DomainError('prompt_in_survey');
  await ctx.db.delete(prompts).where(eq(prompts.id, id));
  for (let v = 1; v <= p.version; v++)
    for (const ext of ['wav', 'sln16'] as const) rmSync(promptFile(store, id, v, ext), { force: true });
  await audit(ctx, { action: 'prompt.delete', targetType: 'prompt', targetId: id, targetLabel: p.name });
}

export async function getPrompt(ctx: Ctx, id: number): Promise<Prompt> {
  requirePermission(ctx.actor, 'callcenter:view');
  const [row] = await ctx.db.select().from(prompts).where(eq(prompts.id, id));
  if (!row) throw new NotFoundError();
  return row;
}

export interface PromptRow extends Prompt {
  categoryName: string | null;
  updatedByName: string | null;
  usedBy: number;
}

/** IVRs and agent groups using the prompt. */
const usedBy = sql<number>`((select count(*)::int from ivr_prompt_refs r where r.prompt_id = ${prompts.id})
  + (select count(*)::int from group_prompt_refs g where g.prompt_id = ${prompts.id}))`;

/** Filters: q (name or TTS text), category (id), kind. */
export function promptListing(ctx: Ctx, query: ListQuery): Listing<PromptRow> {
  requirePermission(ctx.actor, 'callcenter:view');
  const f = query.filters;
  const conditions: (SQL | undefined)[] = [];
  if (f.q) conditions.push(ilike(prompts.name, likePattern(f.q.trim())));
  const category = check.toId(f.category);
  if (category) conditions.push(eq(prompts.categoryId, category));
  if (f.kind === 'upload' || f.kind === 'tts') conditions.push(eq(prompts.kind, f.kind));
  const where = and(...conditions);
  const order = orderBy(
    query,
    { name: prompts.name, duration: prompts.durationMs, updatedAt: prompts.updatedAt },
    asc(prompts.name),
    prompts.id,
  );
  return {
    count: async () => (await ctx.db.select({ n: count() }).from(prompts).where(where))[0]?.n ?? 0,
    fetch: async (limit, offset) => {
      const rows = await ctx.db
        .select({ p: prompts, categoryName: promptCategories.name, updatedByName: users.name, usedBy })
        .from(prompts)
        .leftJoin(promptCategories, eq(promptCategories.id, prompts.categoryId))
        .leftJoin(users, eq(users.id, prompts.updatedBy))
        .where(where)
        .orderBy(...order)
        .limit(limit)
        .offset(offset);
      return rows.map((r) => ({
        ...r.p,
        categoryName: r.categoryName,
        updatedByName: r.updatedByName,
        usedBy: Number(r.usedBy),
      }));
    },
  };
}

/** Every prompt, for pickers (IVR editor, special prompts). */
export async function promptChoices(db: Db): Promise<{ id: number; name: string; durationMs: number }[]> {
  return db
    .select({ id: prompts.id, name: prompts.name, durationMs: prompts.durationMs })
    .from(prompts)
    .orderBy(asc(prompts.name));
}

export async function listCategories(db: Db) {
  return db.select().from(promptCategories).orderBy(asc(promptCategories.name));
}

export async function createCategory(ctx: Ctx, name: string): Promise<number> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const clean = name.trim();
  const [same] = await ctx.db.select().from(promptCategories).where(eq(promptCategories.name, clean));
  check.collect({ name: check.requiredText(clean, 60) ?? (same ? 'name_taken' : null) });
  const [row] = await ctx.db
    .insert(promptCategories)
    .values({ name: clean })
    .returning({ id: promptCategories.id });
  await audit(ctx, {
    action: 'prompt_category.create',
    targetType: 'prompt_category',
    targetId: row!.id,
    targetLabel: clean,
  });
  return row!.id;
}

/** The versions of a prompt, newest first, with who made them. */
export async function promptHistory(ctx: Ctx, id: number) {
  requirePermission(ctx.actor, 'callcenter:view');
  return ctx.db
    .select({ v: promptVersions, by: users.name })
    .from(promptVersions)
    .leftJoin(users, eq(users.id, promptVersions.createdBy))
    .where(eq(promptVersions.promptId, id))
    .orderBy(sql`${promptVersions.version} desc`);
}

/** The current version of a prompt, or null when it no longer exists (for playback). */
export async function promptVersion(db: Db, id: number): Promise<number | null> {
  const [row] = await db.select({ version: prompts.version }).from(prompts).where(eq(prompts.id, id));
  return row?.version ?? null;
}
