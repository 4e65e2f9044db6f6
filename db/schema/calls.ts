/**
 * Calls (cti/call-log): the append-only call event log and the call records projected from it.
 */
import {
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

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
