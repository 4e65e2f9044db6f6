/**
 * Call routing configuration (cti/ivr, cti/lines, cti/acd): IVRs, hotlines, the blacklist and VIP callers, agent groups and their queues, region rules, queue callbacks, and the IVR reception log.
 */
import {
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { createdAt, updatedAt } from './columns.ts';
import { users } from './core.ts';
import { phoneNumbers } from './lines.ts';
import { prompts } from './media.ts';

// ── IVR (IVR 导航), hotlines (热线号码), blacklist (黑名单), agent groups ─────────
/** Caller numbers that are never connected (3.4.9). */
export const blacklist = pgTable(
  'blacklist',
  {
    id: serial('id').primaryKey(),
    number: text('number').notNull(),
    reason: text('reason').notNull().default(''),
    createdBy: integer('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('blacklist_number_idx').on(t.number)],
);

/**
 * An agent group (客服组): its members wait for calls in its queue. `ring_seconds` is how long an
 * offered agent rings before the call jumps on (未接跳转); `queue` holds the queue settings
 * (strategies, VIP, announcements, max wait, overflow …) whose shape is cti/acd/queue-settings.ts.
 */
export const agentGroups = pgTable(
  'agent_groups',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    ringSeconds: integer('ring_seconds').notNull().default(30),
    leaderId: integer('leader_id').references(() => users.id, { onDelete: 'set null' }),
    queue: jsonb('queue').$type<unknown>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('agent_groups_name_idx').on(t.name)],
);

export const agentGroupMembers = pgTable(
  'agent_group_members',
  {
    groupId: integer('group_id')
      .notNull()
      .references(() => agentGroups.id, { onDelete: 'cascade' }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Skill level as app_queue's penalty: 0 is offered first, 9 last. */
    penalty: integer('penalty').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.userId] })],
);

/** Which prompts a group's queue plays (kept on save), so a prompt in use cannot be deleted. */
export const groupPromptRefs = pgTable(
  'group_prompt_refs',
  {
    groupId: integer('group_id')
      .notNull()
      .references(() => agentGroups.id, { onDelete: 'cascade' }),
    promptId: integer('prompt_id')
      .notNull()
      .references(() => prompts.id),
  },
  (t) => [
    primaryKey({ columns: [t.groupId, t.promptId] }),
    index('group_prompt_refs_prompt_idx').on(t.promptId),
  ],
);

/** Region routing (电话分配设置): callers from a province (and city) go to a group first. */
export const regionRules = pgTable(
  'region_rules',
  {
    id: serial('id').primaryKey(),
    province: text('province').notNull(),
    /** Empty: the whole province. */
    city: text('city').notNull().default(''),
    groupId: integer('group_id')
      .notNull()
      .references(() => agentGroups.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('region_rules_place_idx').on(t.province, t.city)],
);

/**
 * Callbacks requested from a queue (3.4.5): the caller hung up but keeps their place; when their
 * turn comes an agent is reserved and the caller is called back.
 */
export const queueCallbacks = pgTable(
  'queue_callbacks',
  {
    id: serial('id').primaryKey(),
    /** The inbound call in which the caller asked for the callback. */
    callId: text('call_id').notNull(),
    groupId: integer('group_id')
      .notNull()
      .references(() => agentGroups.id, { onDelete: 'cascade' }),
    number: text('number').notNull(),
    /** The number (DID) the caller had dialled: the callback goes out through its trunk, showing it. */
    numberId: integer('number_id').references(() => phoneNumbers.id, { onDelete: 'set null' }),
    /** When the caller first joined the queue: their place in line. */
    joinedAt: timestamp('joined_at', { withTimezone: true, precision: 3 }).notNull(),
    vip: boolean('vip').notNull().default(false),
    status: text('status').$type<'waiting' | 'dialing' | 'done' | 'failed'>().notNull().default('waiting'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, precision: 3 }),
    /** The latest call placed for it. */
    lastCallId: text('last_call_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('queue_callbacks_status_idx').on(t.status, t.joinedAt)],
);

/** An IVR: its tree, service hours and special prompts; the tree's shape is cti/ivr/tree.ts. */
export const ivrs = pgTable(
  'ivrs',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    /** Language of the system prompts (digits, "invalid option") played by this IVR. */
    language: text('language').notNull().default('en'),
    tree: jsonb('tree').$type<unknown>().notNull(),
    hours: jsonb('hours').$type<unknown>().notNull(),
    updatedBy: integer('updated_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('ivrs_name_idx').on(t.name)],
);

/** Which prompts an IVR uses (kept on save), so a prompt in use cannot be deleted. */
export const ivrPromptRefs = pgTable(
  'ivr_prompt_refs',
  {
    ivrId: integer('ivr_id')
      .notNull()
      .references(() => ivrs.id, { onDelete: 'cascade' }),
    promptId: integer('prompt_id')
      .notNull()
      .references(() => prompts.id),
  },
  (t) => [primaryKey({ columns: [t.ivrId, t.promptId] }), index('ivr_prompt_refs_prompt_idx').on(t.promptId)],
);

export type HotlineTarget = 'ivr' | 'group' | 'agent';

/** A hotline (热线号码): a number's inbound calls go to an IVR, an agent group or an agent. */
export const hotlines = pgTable(
  'hotlines',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    numberId: integer('number_id')
      .notNull()
      .references(() => phoneNumbers.id, { onDelete: 'cascade' }),
    target: text('target').$type<HotlineTarget>().notNull(),
    ivrId: integer('ivr_id').references(() => ivrs.id),
    groupId: integer('group_id').references(() => agentGroups.id),
    userId: integer('user_id').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('hotlines_number_idx').on(t.numberId)],
);

/** IVR reception log (IVR 接待记录): one row per call through an IVR, projected from call_events. */
export const ivrSessions = pgTable(
  'ivr_sessions',
  {
    callId: text('call_id').primaryKey(),
    ivrId: integer('ivr_id'),
    hotlineId: integer('hotline_id'),
    fromNumber: text('from_number').notNull(),
    region: text('region').notNull().default(''),
    enteredAt: timestamp('entered_at', { withTimezone: true, precision: 3 }).notNull(),
    leftAt: timestamp('left_at', { withTimezone: true, precision: 3 }),
    /** Nodes visited with the key that left each, and the times. */
    path: jsonb('path').$type<unknown>().notNull(),
    /** What the IVR finally did: group, agent, transfer, hangup, play_hangup, blacklisted, off_hours, timeout, caller_hung_up. */
    outcome: text('outcome').notNull().default('in_progress'),
    collected: jsonb('collected').$type<Record<string, string>>().notNull().default({}),
  },
  (t) => [
    index('ivr_sessions_entered_idx').on(t.enteredAt),
    index('ivr_sessions_ivr_idx').on(t.ivrId, t.enteredAt),
  ],
);

/** VIP callers (until the CRM's customer VIP flag): IVR caller rules can route them first. */
export const vipCallers = pgTable(
  'vip_callers',
  {
    id: serial('id').primaryKey(),
    number: text('number').notNull(),
    /** Who the caller is, or why they are VIP. */
    reason: text('reason').notNull().default(''),
    createdBy: integer('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('vip_callers_number_idx').on(t.number)],
);
