/**
 * The database schema. One file so drizzle-kit sees every table; each block is owned by the
 * domain area named in its heading. Migrations in db/migrations are generated from this file
 * with `npm run db:generate` and committed.
 */
import {
  type AnyPgColumn,
  bigint,
  bigserial,
  boolean,
  doublePrecision,
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
import { sql } from 'drizzle-orm';

export type DataScope = 'self' | 'department' | 'all';
export type Locale = 'en' | 'zh-CN';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

// ── organisation (core/org) ───────────────────────────────────────────────────
export const departments = pgTable(
  'departments',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    parentId: integer('parent_id').references((): AnyPgColumn => departments.id),
    leaderId: integer('leader_id').references((): AnyPgColumn => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('departments_parent_idx').on(t.parentId)],
);

export const departmentCollaborators = pgTable(
  'department_collaborators',
  {
    departmentId: integer('department_id')
      .notNull()
      .references(() => departments.id, { onDelete: 'cascade' }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.departmentId, t.userId] })],
);

export const users = pgTable(
  'users',
  {
    id: serial('id').primaryKey(),
    username: text('username').notNull(),
    name: text('name').notNull(),
    jobNumber: text('job_number'),
    email: text('email'),
    phone: text('phone'),
    departmentId: integer('department_id')
      .notNull()
      .references((): AnyPgColumn => departments.id),
    enabled: boolean('enabled').notNull().default(true),
    canDialOut: boolean('can_dial_out').notNull().default(false),
    /** The agent's phone answers offered calls by itself (Call-Info answer-after=0). */
    autoAnswer: boolean('auto_answer').notNull().default(false),
    passwordHash: text('password_hash').notNull(),
    mustChangePassword: boolean('must_change_password').notNull().default(false),
    failedLogins: integer('failed_logins').notNull().default(0),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    locale: text('locale').$type<Locale>().notNull().default('en'),
    lastLoginAt: timestamp('last_login_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('users_username_idx').on(t.username),
    uniqueIndex('users_job_number_idx').on(t.jobNumber),
    index('users_department_idx').on(t.departmentId),
  ],
);

// ── roles and permissions (core/access) ───────────────────────────────────────
export const roles = pgTable(
  'roles',
  {
    id: serial('id').primaryKey(),
    /** Stable key of a built-in role (owner, admin, …); null for roles made by users. */
    builtinKey: text('builtin_key'),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    dataScope: text('data_scope').$type<DataScope>().notNull().default('self'),
    permissions: text('permissions').array().notNull().default([]),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('roles_name_idx').on(t.name), uniqueIndex('roles_builtin_key_idx').on(t.builtinKey)],
);

export const userRoles = pgTable(
  'user_roles',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    roleId: integer('role_id')
      .notNull()
      .references(() => roles.id),
  },
  (t) => [primaryKey({ columns: [t.userId, t.roleId] }), index('user_roles_role_idx').on(t.roleId)],
);

// ── sessions and security (core/auth) ─────────────────────────────────────────
export const sessions = pgTable(
  'sessions',
  {
    /** SHA-256 of the cookie token; the token itself is never stored. */
    id: text('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    csrfToken: text('csrf_token').notNull(),
    ip: text('ip').notNull().default(''),
    userAgent: text('user_agent').notNull().default(''),
    createdAt: createdAt(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actorId: integer('actor_id'),
    actorName: text('actor_name').notNull().default(''),
    actorDepartmentId: integer('actor_department_id'),
    action: text('action').notNull(),
    targetType: text('target_type').notNull().default(''),
    targetId: text('target_id').notNull().default(''),
    targetLabel: text('target_label').notNull().default(''),
    detail: jsonb('detail').$type<Record<string, unknown>>().notNull().default({}),
    ip: text('ip').notNull().default(''),
    userAgent: text('user_agent').notNull().default(''),
  },
  (t) => [
    index('audit_log_at_idx').on(t.at),
    index('audit_log_action_idx').on(t.action),
    index('audit_log_actor_idx').on(t.actorId),
  ],
);

// ── per-user preferences (web) ───────────────────────────────────────────────
export const userTablePrefs = pgTable(
  'user_table_prefs',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tableId: text('table_id').notNull(),
    columns: text('columns').array().notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.tableId] })],
);

// ── system settings (key/value) ──────────────────────────────────────────────
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').$type<unknown>().notNull(),
  updatedAt: updatedAt(),
});

// ── telephony configuration (pbx/) ───────────────────────────────────────────
/** The SIP account of an employee who works at the agent desk. */
export const sipAccounts = pgTable(
  'sip_accounts',
  {
    userId: integer('user_id')
      .primaryKey()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The SIP username (also the endpoint name in Asterisk). */
    username: text('username').notNull(),
    password: text('password').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('sip_accounts_username_idx').on(t.username)],
);

/** Live registration state of SIP endpoints, as last reported by Asterisk. */
export const sipRegistrations = pgTable('sip_registrations', {
  endpoint: text('endpoint').primaryKey(),
  status: text('status').notNull(),
  contact: text('contact').notNull().default(''),
  userAgent: text('user_agent').notNull().default(''),
  updatedAt: updatedAt(),
});

// ── trunks and numbers (cti/lines) ───────────────────────────────────────
export type TrunkTransport = 'udp' | 'tcp';
/** `ip`: the carrier is recognised by its address; `register`: we register to it with credentials. */
export type TrunkAuthMode = 'ip' | 'register';

export const trunks = pgTable(
  'trunks',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    host: text('host').notNull(),
    port: integer('port').notNull().default(5060),
    transport: text('transport').$type<TrunkTransport>().notNull().default('udp'),
    authMode: text('auth_mode').$type<TrunkAuthMode>().notNull().default('ip'),
    username: text('username').notNull().default(''),
    password: text('password').notNull().default(''),
    codecs: text('codecs').array().notNull().default(['alaw', 'ulaw']),
    /** Simultaneous calls over this trunk; 0 = no limit. */
    maxCalls: integer('max_calls').notNull().default(0),
    /** Probe the gateway with OPTIONS (reachability); off for carriers that ignore OPTIONS. */
    qualify: boolean('qualify').notNull().default(true),
    enabled: boolean('enabled').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('trunks_name_idx').on(t.name)],
);

/** A number (DID) on a trunk: reached by callers, shown as caller ID when agents call out. */
export const phoneNumbers = pgTable(
  'phone_numbers',
  {
    id: serial('id').primaryKey(),
    number: text('number').notNull(),
    trunkId: integer('trunk_id')
      .notNull()
      .references(() => trunks.id),
    label: text('label').notNull().default(''),
    /** Simultaneous calls on this number; 0 = no limit. */
    maxCalls: integer('max_calls').notNull().default(0),
    /** Call-setting rules for outbound use (seed 000 §5.9.3); 0 = no rule. */
    minIntervalSeconds: integer('min_interval_seconds').notNull().default(0),
    dailyCap: integer('daily_cap').notNull().default(0),
    sameDestinationDailyCap: integer('same_destination_daily_cap').notNull().default(0),
    /** Inbound direct route: ring this agent; after ringSeconds ring the fallback agent, else tell the caller. */
    routeUserId: integer('route_user_id').references(() => users.id, { onDelete: 'set null' }),
    ringSeconds: integer('ring_seconds').notNull().default(30),
    fallbackUserId: integer('fallback_user_id').references(() => users.id, { onDelete: 'set null' }),
    enabled: boolean('enabled').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('phone_numbers_number_idx').on(t.number),
    index('phone_numbers_trunk_idx').on(t.trunkId),
  ],
);

/** Which numbers an agent or a department may show as caller ID. */
export const numberAssignments = pgTable(
  'number_assignments',
  {
    id: serial('id').primaryKey(),
    numberId: integer('number_id')
      .notNull()
      .references(() => phoneNumbers.id, { onDelete: 'cascade' }),
    userId: integer('user_id').references(() => users.id, { onDelete: 'cascade' }),
    departmentId: integer('department_id').references(() => departments.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [
    index('number_assignments_user_idx').on(t.userId),
    index('number_assignments_department_idx').on(t.departmentId),
  ],
);

/** A source address blocked at the SIP edge after repeated failed authentication (or by hand). */
export const sipBlocks = pgTable(
  'sip_blocks',
  {
    id: serial('id').primaryKey(),
    ip: text('ip').notNull(),
    /** The security event that tipped it over (InvalidPassword, ChallengeResponseFailed, InvalidAccountID). */
    reason: text('reason').notNull(),
    failures: integer('failures').notNull(),
    /** The account names the address tried. */
    accounts: text('accounts').array().notNull().default([]),
    blockedAt: timestamp('blocked_at', { withTimezone: true }).notNull().defaultNow(),
    until: timestamp('until', { withTimezone: true }).notNull(),
    liftedAt: timestamp('lifted_at', { withTimezone: true }),
    liftedBy: integer('lifted_by').references(() => users.id, { onDelete: 'set null' }),
  },
  (t) => [index('sip_blocks_until_idx').on(t.until)],
);

// ── calls (cti/calls) ────────────────────────────────────────────────────────
/** The append-only call event log; call records and every statistic are projections of it. */
export const callEvents = pgTable(
  'call_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    callId: text('call_id').notNull(),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull(),
    type: text('type').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index('call_events_call_idx').on(t.callId, t.id), index('call_events_at_idx').on(t.at)],
);

export type CallDirection = 'inbound' | 'outbound' | 'internal';
export type CallDisposition =
  | 'in_progress'
  | 'answered'
  | 'no_answer'
  | 'busy'
  | 'abandoned'
  | 'failed'
  | 'refused'
  | 'ended_in_ivr'
  /** The caller asked for a callback from the queue (the callback is a call of its own). */
  | 'callback'
  /** A queue could not serve the caller (nobody logged in, overflow to a prompt, no key at the maximum wait). */
  | 'unserved';

/** One row per call, rebuilt from call_events whenever an event of the call is appended. */
export const callRecords = pgTable(
  'call_records',
  {
    callId: text('call_id').primaryKey(),
    direction: text('direction').$type<CallDirection>().notNull(),
    fromNumber: text('from_number').notNull(),
    toNumber: text('to_number').notNull(),
    trunkId: integer('trunk_id'),
    numberId: integer('number_id'),
    /** The agent who answered (inbound), placed the call (outbound), or called (internal). */
    agentId: integer('agent_id'),
    /** The other agent of an internal call. */
    peerAgentId: integer('peer_agent_id'),
    startedAt: timestamp('started_at', { withTimezone: true, precision: 3 }).notNull(),
    answeredAt: timestamp('answered_at', { withTimezone: true, precision: 3 }),
    endedAt: timestamp('ended_at', { withTimezone: true, precision: 3 }),
    ringSeconds: integer('ring_seconds').notNull().default(0),
    talkSeconds: integer('talk_seconds').notNull().default(0),
    disposition: text('disposition').$type<CallDisposition>().notNull(),
    /** Why the system refused or failed the call (e.g. trunk_busy, no_permission). */
    reason: text('reason'),
    sipCode: integer('sip_code'),
    q850Cause: integer('q850_cause'),
    hangupBy: text('hangup_by'),
    recording: text('recording'),
    recordingSeconds: doublePrecision('recording_seconds'),
    /** The agent group whose queue the call waited in first, and how long it waited in queues. */
    groupId: integer('group_id'),
    queueSeconds: integer('queue_seconds').notNull().default(0),
    holdSeconds: integer('hold_seconds').notNull().default(0),
    transfers: integer('transfers').notNull().default(0),
    /** The most parties that were in the call at once (3 or more: a conference). */
    maxParties: integer('max_parties').notNull().default(0),
    surveyScore: integer('survey_score'),
    surveyLevels: integer('survey_levels'),
    businessTypeId: integer('business_type_id'),
    note: text('note'),
    vip: boolean('vip').notNull().default(false),
    repeatCaller: boolean('repeat_caller').notNull().default(false),
    region: text('region').notNull().default(''),
    /** A callback placed for a caller who asked for one: the call they asked in. */
    callbackOf: text('callback_of'),
    /** From joining a queue (or the first ring) to the first answer, or to the end when unanswered. */
    waitSeconds: integer('wait_seconds').notNull().default(0),
  },
  (t) => [
    index('call_records_started_idx').on(t.startedAt),
    index('call_records_agent_idx').on(t.agentId, t.startedAt),
    index('call_records_number_idx').on(t.numberId, t.startedAt),
    /** Calls in progress (today's figures count their answers before they end). */
    index('call_records_open_idx').on(t.startedAt).where(sql`ended_at is null`),
  ],
);

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

// ── agent desk (cti/agents, cti/acd, cti/desk) ─────────────────────────────────────────────────────
export type AgentState = 'logged_out' | 'ready' | 'break' | 'ringing' | 'on_call' | 'wrap_up';

/** Every change of an agent's state, append-only; the current state is the latest row. */
export const agentStateEvents = pgTable(
  'agent_state_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull(),
    state: text('state').$type<AgentState>().notNull(),
    /** The break reason, or the call that put the agent in ringing / on call / wrap-up. */
    reason: text('reason').notNull().default(''),
    /** Who changed it when it was not the agent (a supervisor, or the system). */
    byUserId: integer('by_user_id').references(() => users.id, { onDelete: 'set null' }),
  },
  (t) => [
    index('agent_state_events_user_idx').on(t.userId, t.id),
    index('agent_state_events_at_idx').on(t.at),
  ],
);

/** Break reasons (小休状态细分): the defaults and the ones an admin adds. */
export const breakReasons = pgTable(
  'break_reasons',
  {
    id: serial('id').primaryKey(),
    /** meeting, training, rest, restroom, other for the defaults (translated); null for added ones. */
    builtinKey: text('builtin_key'),
    name: text('name').notNull(),
    position: integer('position').notNull().default(0),
    enabled: boolean('enabled').notNull().default(true),
  },
  (t) => [uniqueIndex('break_reasons_name_idx').on(t.name)],
);

/** Business types (业务类型): what a call was about, chosen by the agent in the wrap-up notes. */
export const businessTypes = pgTable(
  'business_types',
  {
    id: serial('id').primaryKey(),
    code: text('code').notNull(),
    /** consult, complaint, after_sales, order, other for the defaults (translated); null for added ones. */
    builtinKey: text('builtin_key'),
    name: text('name').notNull(),
    position: integer('position').notNull().default(0),
    enabled: boolean('enabled').notNull().default(true),
  },
  (t) => [uniqueIndex('business_types_code_idx').on(t.code)],
);

// ── supervision (cti/supervision) ───────────────────────────────────────────────
export type MonitorAction = 'listen' | 'whisper' | 'barge' | 'force_state' | 'force_logout';

/** Monitoring log (监控记录): every listen, whisper, barge and forced state change by a supervisor. */
export const monitoringLog = pgTable(
  'monitoring_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    supervisorId: integer('supervisor_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    agentId: integer('agent_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    callId: text('call_id'),
    action: text('action').$type<MonitorAction>().notNull(),
    /** The state forced, or the caller's number of the monitored call. */
    detail: text('detail').notNull().default(''),
    startedAt: timestamp('started_at', { withTimezone: true, precision: 3 }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [index('monitoring_log_started_idx').on(t.startedAt)],
);

// ── statistics (cti/stats) ──────────────────────────────────────────────────
/**
 * Calls whose statistics must be (re)computed: their call ended, or something about them changed
 * later (a survey score, a note, the agent's wrap-up ending, a repeat call). The statistics
 * maintainer takes them off here.
 */
export const statsDirty = pgTable('stats_dirty', {
  callId: text('call_id').primaryKey(),
  at: timestamp('at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

/** Rule-independent facts of one call (cti/stats/facts.ts), the source of the call rollups. */
export const statsCallFacts = pgTable(
  'stats_call_facts',
  {
    callId: text('call_id').primaryKey(),
    startedAt: timestamp('started_at', { withTimezone: true, precision: 3 }).notNull(),
    direction: text('direction').$type<CallDirection>().notNull(),
    groupId: integer('group_id').notNull().default(0),
    agentId: integer('agent_id').notNull().default(0),
    numberId: integer('number_id').notNull().default(0),
    businessTypeId: integer('business_type_id').notNull().default(0),
    region: text('region').notNull().default(''),
    /** The customer's number (the caller inbound, the number called outbound). */
    customerNumber: text('customer_number').notNull().default(''),
    /** Reached a queue or an agent (inbound). */
    offered: boolean('offered').notNull().default(false),
    answered: boolean('answered').notNull().default(false),
    /** abandoned: ivr, queue, ringing, max_wait; or unserved, callback, no_answer, busy, failed, refused. */
    outcome: text('outcome').notNull().default(''),
    waitSeconds: integer('wait_seconds').notNull().default(0),
    talkSeconds: integer('talk_seconds').notNull().default(0),
    holdSeconds: integer('hold_seconds').notNull().default(0),
    wrapSeconds: integer('wrap_seconds').notNull().default(0),
    transfers: integer('transfers').notNull().default(0),
    maxParties: integer('max_parties').notNull().default(0),
    callerHungUp: boolean('caller_hung_up').notNull().default(false),
    repeatCaller: boolean('repeat_caller').notNull().default(false),
    surveyScore: integer('survey_score'),
    surveyLevels: integer('survey_levels'),
    /** When the same number called in next (for first-call resolution). */
    nextCallAt: timestamp('next_call_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [
    index('stats_call_facts_started_idx').on(t.startedAt),
    index('stats_call_facts_customer_idx').on(t.customerNumber, t.startedAt),
  ],
);

/** One agent's part in one call (rang, answered, talked, wrapped up …). */
export const statsAgentFacts = pgTable(
  'stats_agent_facts',
  {
    callId: text('call_id').notNull(),
    agentId: integer('agent_id').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true, precision: 3 }).notNull(),
    direction: text('direction').$type<CallDirection>().notNull(),
    groupId: integer('group_id').notNull().default(0),
    rang: integer('rang').notNull().default(0),
    answered: boolean('answered').notNull().default(false),
    /** The agent placed the call (outbound, click-to-call, callback) and whether the customer answered. */
    placed: boolean('placed').notNull().default(false),
    talkSeconds: integer('talk_seconds').notNull().default(0),
    holdSeconds: integer('hold_seconds').notNull().default(0),
    wrapSeconds: integer('wrap_seconds').notNull().default(0),
    transfers: integer('transfers').notNull().default(0),
    conference: boolean('conference').notNull().default(false),
    callerHungUp: boolean('caller_hung_up').notNull().default(false),
    surveyScore: integer('survey_score'),
    surveyLevels: integer('survey_levels'),
  },
  (t) => [
    primaryKey({ columns: [t.callId, t.agentId] }),
    index('stats_agent_facts_started_idx').on(t.startedAt),
  ],
);

/** Menus visited and how callers left, per call through an IVR. */
export const statsIvrFacts = pgTable(
  'stats_ivr_facts',
  {
    callId: text('call_id').notNull(),
    ivrId: integer('ivr_id').notNull(),
    /** `@entered`, a menu id, or `outcome:<how the caller left>`. */
    node: text('node').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true, precision: 3 }).notNull(),
    visits: integer('visits').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.callId, t.ivrId, t.node] })],
);

const bucketColumns = () => ({
  /** 15m, hour or day; day buckets start at local midnight (TIME_ZONE). */
  grain: text('grain').$type<'15m' | 'hour' | 'day'>().notNull(),
  bucket: timestamp('bucket', { withTimezone: true }).notNull(),
});
const measure = (name: string) => bigint(name, { mode: 'number' }).notNull().default(0);

/** Call figures per time bucket, direction and group (cti/stats/rollups.ts keeps them). */
export const statsCalls = pgTable(
  'stats_calls',
  {
    ...bucketColumns(),
    direction: text('direction').$type<CallDirection>().notNull(),
    groupId: integer('group_id').notNull(),
    calls: measure('calls'),
    offered: measure('offered'),
    answered: measure('answered'),
    abandoned: measure('abandoned'),
    abandonedIvr: measure('abandoned_ivr'),
    abandonedQueue: measure('abandoned_queue'),
    abandonedRinging: measure('abandoned_ringing'),
    shortAbandoned: measure('short_abandoned'),
    unserved: measure('unserved'),
    callbacks: measure('callbacks'),
    answeredInSl: measure('answered_in_sl'),
    waitSum: measure('wait_sum'),
    waitMax: measure('wait_max'),
    answerWaitSum: measure('answer_wait_sum'),
    talkSum: measure('talk_sum'),
    holdSum: measure('hold_sum'),
    wrapSum: measure('wrap_sum'),
    transfers: measure('transfers'),
    conferences: measure('conferences'),
    quickHangups: measure('quick_hangups'),
    repeatCalls: measure('repeat_calls'),
    fcrRepeated: measure('fcr_repeated'),
    rated: measure('rated'),
    satisfied: measure('satisfied'),
    score1: measure('score_1'),
    score2: measure('score_2'),
    score3: measure('score_3'),
    score4: measure('score_4'),
    score5: measure('score_5'),
    outAttempts: measure('out_attempts'),
    outConnects: measure('out_connects'),
    outEffective: measure('out_effective'),
    outTalkSum: measure('out_talk_sum'),
    outNoAnswer: measure('out_no_answer'),
  },
  (t) => [primaryKey({ columns: [t.grain, t.bucket, t.direction, t.groupId] })],
);

/** Agents' figures per time bucket (their part in calls). */
export const statsAgentCalls = pgTable(
  'stats_agent_calls',
  {
    ...bucketColumns(),
    agentId: integer('agent_id').notNull(),
    direction: text('direction').$type<CallDirection>().notNull(),
    groupId: integer('group_id').notNull(),
    rang: measure('rang'),
    answered: measure('answered'),
    noAnswer: measure('no_answer'),
    talkSum: measure('talk_sum'),
    holdSum: measure('hold_sum'),
    wrapSum: measure('wrap_sum'),
    transfers: measure('transfers'),
    conferences: measure('conferences'),
    quickHangups: measure('quick_hangups'),
    rated: measure('rated'),
    satisfied: measure('satisfied'),
    score1: measure('score_1'),
    score2: measure('score_2'),
    score3: measure('score_3'),
    score4: measure('score_4'),
    score5: measure('score_5'),
    outAttempts: measure('out_attempts'),
    outConnects: measure('out_connects'),
    outEffective: measure('out_effective'),
    outTalkSum: measure('out_talk_sum'),
    outNoAnswer: measure('out_no_answer'),
  },
  (t) => [primaryKey({ columns: [t.grain, t.bucket, t.agentId, t.direction, t.groupId] })],
);

/** Calls by business type and by caller region, per day and group (caller analysis). */
export const statsCallMix = pgTable(
  'stats_call_mix',
  {
    bucket: timestamp('bucket', { withTimezone: true }).notNull(),
    groupId: integer('group_id').notNull(),
    agentId: integer('agent_id').notNull(),
    /** business or region */
    kind: text('kind').$type<'business' | 'region'>().notNull(),
    value: text('value').notNull(),
    calls: measure('calls'),
  },
  (t) => [primaryKey({ columns: [t.bucket, t.groupId, t.agentId, t.kind, t.value] })],
);

/** IVR traffic per time bucket and node. */
export const statsIvr = pgTable(
  'stats_ivr',
  {
    ...bucketColumns(),
    ivrId: integer('ivr_id').notNull(),
    node: text('node').notNull(),
    visits: measure('visits'),
  },
  (t) => [primaryKey({ columns: [t.grain, t.bucket, t.ivrId, t.node] })],
);

/** Seconds agents spent in each state (and break reason) per time bucket. */
export const statsAgentTime = pgTable(
  'stats_agent_time',
  {
    ...bucketColumns(),
    agentId: integer('agent_id').notNull(),
    state: text('state').$type<AgentState>().notNull(),
    reason: text('reason').notNull().default(''),
    seconds: doublePrecision('seconds').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.grain, t.bucket, t.agentId, t.state, t.reason] })],
);

/** First log-in and last log-out per agent and day (attendance). */
export const statsAttendance = pgTable(
  'stats_attendance',
  {
    day: timestamp('day', { withTimezone: true }).notNull(),
    agentId: integer('agent_id').notNull(),
    firstLogin: timestamp('first_login', { withTimezone: true, precision: 3 }),
    lastLogout: timestamp('last_logout', { withTimezone: true, precision: 3 }),
  },
  (t) => [primaryKey({ columns: [t.day, t.agentId] })],
);
