/**
 * Voice prompts (cti/media): categories, prompts and every version of their sound.
 */
import { integer, pgTable, serial, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, updatedAt } from './columns.ts';
import { users } from './core.ts';

// ── voice prompts (语音模板) ───────────────────────────────────────────────────
export const promptCategories = pgTable(
  'prompt_categories',
  { id: serial('id').primaryKey(), name: text('name').notNull(), createdAt: createdAt() },
  (t) => [uniqueIndex('prompt_categories_name_idx').on(t.name)],
);

export type PromptKind = 'upload' | 'tts';

/** A prompt; its sound is the current version's files (data/prompts/<id>/v<version>.{wav,sln16}). */
export const prompts = pgTable(
  'prompts',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    categoryId: integer('category_id').references(() => promptCategories.id, { onDelete: 'set null' }),
    kind: text('kind').$type<PromptKind>().notNull(),
    /** TTS text and language, kept so the prompt can be spoken again. */
    ttsText: text('tts_text'),
    ttsLanguage: text('tts_language'),
    version: integer('version').notNull(),
    durationMs: integer('duration_ms').notNull(),
    sourceName: text('source_name').notNull().default(''),
    updatedBy: integer('updated_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('prompts_name_idx').on(t.name)],
);

/** Every version a prompt had; older files stay so calls in progress and history keep working. */
export const promptVersions = pgTable(
  'prompt_versions',
  {
    id: serial('id').primaryKey(),
    promptId: integer('prompt_id')
      .notNull()
      .references(() => prompts.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    kind: text('kind').$type<PromptKind>().notNull(),
    ttsText: text('tts_text'),
    durationMs: integer('duration_ms').notNull(),
    sourceName: text('source_name').notNull().default(''),
    createdBy: integer('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('prompt_versions_idx').on(t.promptId, t.version)],
);
