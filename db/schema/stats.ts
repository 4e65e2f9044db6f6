/**
 * Statistics (cti/stats): calls waiting to be counted, per-call facts and the rollups reports read.
 */
import {
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';
import type { AgentState } from './agents.ts';
import type { CallDirection } from './calls.ts';

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
