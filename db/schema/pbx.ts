/**
 * The SIP edge (pbx/): agents' SIP accounts, their registrations as Asterisk reports them, and addresses blocked at the SIP edge.
 */
import { index, integer, pgTable, serial, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, updatedAt } from './columns.ts';
import { users } from './core.ts';

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
