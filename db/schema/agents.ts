/**
 * Agents at the desk and their supervision (cti/agents, cti/acd, cti/desk, cti/supervision): state changes, break reasons, business types and the monitoring log.
 */
import {
  bigserial,
  boolean,
  index,
  integer,
  pgTable,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { users } from './core.ts';

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
