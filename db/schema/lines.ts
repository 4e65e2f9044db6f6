/**
 * Trunks and numbers (cti/lines): carriers, the numbers (DIDs) on them and who may show which number.
 */
import { boolean, index, integer, pgTable, serial, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, updatedAt } from './columns.ts';
import { departments, users } from './core.ts';

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
