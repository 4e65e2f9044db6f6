/**
 * The call record as a pure function of the call's events: the same events always give the
 * same record, so records (and every statistic) can be recomputed from the log.
 *
 * Definitions:
 * - ring time runs from the first leg starting to ring until it is answered (or the call
 *   ends); talk time from the answer to the end (holds included); queue time is the time spent
 *   waiting in queues (all of them, after transfers and overflows); hold time the time the
 *   caller was held; wait time runs from joining the first queue (or the first ring, without a
 *   queue) to the first answer, or to the end of an unanswered call.
 * - the agent is the one who answered first (inbound), placed the call (outbound), or called
 *   (internal); the group the queue the caller joined first.
 * - disposition: `answered`; `abandoned` when the caller hung up first, with where: `in_ivr`,
 *   `in_queue`, `ringing` (an agent's phone was ringing for them), or `max_wait` (they chose to
 *   hang up at the maximum wait); `callback` when they asked to be called back; `unserved`
 *   when a queue could not serve them (nobody logged in, overflow to a prompt, no key at the
 *   maximum wait); `refused` when the system turned the call away (with the reason);
 *   `ended_in_ivr` when the IVR finished it without ringing anyone; otherwise `busy` or
 *   `no_answer` from the last dial attempt, or `failed`.
 * - transfers count completed transfers; the most parties counts everyone talking at once.
 */
import type { callRecords } from '../../db/schema.ts';
import type { CallEvent } from './events.ts';

export type CallRecord = typeof callRecords.$inferInsert;

const seconds = (from: Date, to: Date) => Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000));

export function projectCallRecord(callId: string, events: readonly CallEvent[]): CallRecord | null {
  const started = events.find((e) => e.type === 'call.started');
  if (started?.type !== 'call.started') return null;
  const s = started.data;
  const record: CallRecord = {
    callId,
    direction: s.direction,
    fromNumber: s.from,
    toNumber: s.to,
    trunkId: s.trunkId,
    numberId: s.numberId,
    agentId: s.agentId,
    peerAgentId: null,
    startedAt: started.at,
    answeredAt: null,
    endedAt: null,
    ringSeconds: 0,
    talkSeconds: 0,
    disposition: 'in_progress',
    reason: null,
    sipCode: null,
    q850Cause: null,
    hangupBy: null,
    recording: null,
    recordingSeconds: null,
    groupId: null,
    queueSeconds: 0,
    holdSeconds: 0,
    transfers: 0,
    maxParties: 0,
    surveyScore: null,
    surveyLevels: null,
    businessTypeId: null,
    note: null,
    vip: false,
    repeatCaller: false,
    region: '',
    callbackOf: null,
    waitSeconds: 0,
  };
  let firstDial: Date | null = null;
  let lastFailure: string | null = null;
  let originatorFailure: string | null = null;
  let ivrOutcome: string | null = null;
  let queueLeft: string | null = null;
  let queueEnd: 'unserved' | 'callback' | null = null;
  let unservedReason: string | null = null;
  let maxWaitChoice: string | null = null;
  let heldSince: Date | null = null;
  /** When the caller started waiting for someone: joined a queue, or a phone started ringing. */
  let waitFrom: Date | null = null;
  const ringing = new Set<string>();
  let parties = 0;
  for (const e of events) {
    // The agent's own phone ringing first (click-to-call) is not the call being answered.
    if ((e.type === 'leg.dialing' || e.type === 'leg.answered') && e.data.originator) {
      if (e.type === 'leg.answered') parties++;
      continue;
    }
    if (e.type === 'leg.failed' && e.data.originator) {
      originatorFailure = `agent_${e.data.failure}`;
      continue;
    }
    switch (e.type) {
      case 'call.flags':
        record.vip = e.data.vip;
        record.repeatCaller = e.data.repeat;
        record.region = e.data.region;
        break;
      case 'leg.dialing':
        firstDial ??= e.at;
        if (!e.data.role) waitFrom ??= e.at;
        ringing.add(e.data.leg);
        if (e.data.target.kind === 'agent' && !e.data.role && !record.answeredAt) {
          if (s.direction === 'inbound') record.agentId = e.data.target.userId;
          if (s.direction === 'internal') record.peerAgentId = e.data.target.userId;
        }
        break;
      case 'leg.answered':
        ringing.delete(e.data.leg);
        parties++;
        record.maxParties = Math.max(record.maxParties ?? 0, parties + (record.callbackOf ? 0 : 1));
        if (!record.answeredAt) {
          record.answeredAt = e.at;
          if (s.direction === 'inbound' && e.data.userId !== null) record.agentId = e.data.userId;
        }
        break;
      case 'leg.failed':
        ringing.delete(e.data.leg);
        lastFailure = e.data.failure;
        record.sipCode = e.data.sipCode;
        record.q850Cause = e.data.q850Cause;
        break;
      case 'leg.left':
        parties = Math.max(0, parties - 1);
        break;
      case 'call.refused':
        record.disposition = 'refused';
        record.reason = e.data.reason;
        record.sipCode = e.data.sipCode;
        break;
      case 'queue.joined':
        record.groupId ??= e.data.groupId;
        waitFrom ??= e.at;
        queueLeft = null;
        break;
      case 'queue.left':
        record.queueSeconds = (record.queueSeconds ?? 0) + e.data.waitedSeconds;
        queueLeft = e.data.reason;
        if (e.data.reason === 'callback') queueEnd = 'callback';
        break;
      case 'queue.overflow':
        if (!e.data.target || e.data.target.kind === 'prompt') {
          queueEnd = 'unserved';
          unservedReason = e.data.reason === 'empty' ? 'no_agents' : 'overflow';
        }
        break;
      case 'queue.max_wait':
        maxWaitChoice = e.data.choice;
        break;
      case 'callback.placed':
        record.callbackOf = e.data.callId;
        record.groupId = e.data.groupId;
        break;
      case 'call.held':
        heldSince ??= e.at;
        break;
      case 'call.resumed':
        if (heldSince) record.holdSeconds = (record.holdSeconds ?? 0) + seconds(heldSince, e.at);
        heldSince = null;
        break;
      case 'transfer.completed':
        record.transfers = (record.transfers ?? 0) + 1;
        break;
      case 'survey.scored':
        record.surveyScore = e.data.score;
        record.surveyLevels = e.data.levels;
        break;
      case 'call.note':
        record.businessTypeId = e.data.businessTypeId;
        record.note = e.data.note || null;
        break;
      case 'call.ended':
        record.endedAt = e.at;
        record.hangupBy = e.data.by;
        if (heldSince) record.holdSeconds = (record.holdSeconds ?? 0) + seconds(heldSince, e.at);
        heldSince = null;
        if (record.answeredAt || record.sipCode === null) {
          record.sipCode = e.data.sipCode ?? record.sipCode;
          record.q850Cause = e.data.q850Cause ?? record.q850Cause;
        }
        break;
      case 'recording.stored':
        record.recording = e.data.file;
        record.recordingSeconds = e.data.seconds;
        break;
      case 'ivr.left':
        ivrOutcome = e.data.outcome;
        break;
      case 'recording.purged':
        record.recording = null;
        record.recordingSeconds = null;
        break;
      default:
        break;
    }
  }
  const end = record.endedAt;
  if (firstDial) record.ringSeconds = seconds(firstDial, record.answeredAt ?? end ?? firstDial);
  if (waitFrom) record.waitSeconds = seconds(waitFrom, record.answeredAt ?? end ?? waitFrom);
  if (record.answeredAt && end) record.talkSeconds = seconds(record.answeredAt, end);
  if (record.disposition !== 'refused' && end) {
    if (record.answeredAt) record.disposition = 'answered';
    else if (queueEnd === 'callback') {
      record.disposition = 'callback';
    } else if (queueLeft === 'max_wait') {
      // Pressing the hang-up key is the caller's choice; no key at all leaves them unserved.
      record.disposition = maxWaitChoice === 'hangup' ? 'abandoned' : 'unserved';
      record.reason = maxWaitChoice === 'hangup' ? 'max_wait' : 'max_wait_no_key';
    } else if (record.hangupBy === 'caller') {
      record.disposition = 'abandoned';
      if (ivrOutcome === 'caller_hung_up') record.reason = 'in_ivr';
      else if (ringing.size > 0) record.reason = 'ringing';
      else if (queueLeft === 'abandoned') record.reason = 'in_queue';
    } else if (queueEnd === 'unserved') {
      record.disposition = 'unserved';
      record.reason = unservedReason;
    } else if (ivrOutcome && !firstDial) {
      // The IVR ended the call itself (information line, blacklist, off hours, silence).
      record.disposition = 'ended_in_ivr';
      record.reason = ivrOutcome;
    } else if (lastFailure === 'busy') record.disposition = 'busy';
    else if (lastFailure === 'no_answer') record.disposition = 'no_answer';
    else record.disposition = 'failed';
    if (record.disposition === 'failed') record.reason = originatorFailure ?? lastFailure;
  }
  return record;
}
