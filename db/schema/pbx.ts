/**
 * The SIP edge (pbx/): agents' SIP accounts, their registrations as Asterisk reports them, and addresses blocked at the SIP edge.
 */
import { index, integer, jsonb, pgTable, serial, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
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

/**
 * The rule that blocked an address (pbx/sip-guard.ts): its counted failures were all requests for
 * accounts that do not exist, all wrong passwords for existing accounts, or both.
 */
export type SipBlockRule = 'unknown_accounts' | 'wrong_passwords' | 'mixed';

/** Why an address was blocked, beyond the rule, the count and the accounts. */
export interface SipBlockDetail {
  /** The sliding window and the threshold in force when it was blocked. */
  windowSeconds: number;
  threshold: number;
  /** The counted failures by Asterisk security event (InvalidAccountID, ChallengeResponseFailed, …). */
  events: Record<string, number>;
  /** Wrong passwords seen in the window but not counted: a phone had signed in from there within the hour. */
  uncounted: number;
}

/** A source address blocked at the SIP edge after repeated failed authentication (or by hand). */
export const sipBlocks = pgTable(
  'sip_blocks',
  {
    id: serial('id').primaryKey(),
    ip: text('ip').notNull(),
    /**
     * The rule that blocked it (a `SipBlockRule`); blocks stored before the rule was kept hold the
     * security event that tipped them over (InvalidPassword, ChallengeResponseFailed, InvalidAccountID).
     */
    reason: text('reason').notNull(),
    /** The counted failures within the window. */
    failures: integer('failures').notNull(),
    /** The account names the address tried. */
    accounts: text('accounts').array().notNull().default([]),
    /** Why, in detail (null for blocks stored before it was kept). */
    detail: jsonb('detail').$type<SipBlockDetail>(),
    blockedAt: timestamp('blocked_at', { withTimezone: true }).notNull().defaultNow(),
    until: timestamp('until', { withTimezone: true }).notNull(),
    liftedAt: timestamp('lifted_at', { withTimezone: true }),
    liftedBy: integer('lifted_by').references(() => users.id, { onDelete: 'set null' }),
  },
  (t) => [index('sip_blocks_until_idx').on(t.until)],
);
