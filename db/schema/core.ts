/**
 * The platform (core/): organisation (departments, employees), roles and permissions, sessions, the audit log, per-user preferences and system settings.
 */
import {
  type AnyPgColumn,
  bigserial,
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

export type DataScope = 'self' | 'department' | 'all';
export type Locale = 'en' | 'zh-CN';

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
    /** Failed logins from every address since the last success (the account-wide back-off). */
    failedLogins: integer('failed_logins').notNull().default(0),
    /** Logins to this account paused for everyone until then (account-wide back-off). */
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

/** Failed logins per account and client address: the lockout that one address can cause. */
export const loginFailures = pgTable(
  'login_failures',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    address: text('address').notNull(),
    failed: integer('failed').notNull().default(0),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.address] })],
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
