/**
 * The call record as a pure function of the call's events: the same events always give the
 * same record, so records (and later every statistic) can be recomputed from the log.
 *
 * Definitions: ring time runs from the first leg starting to ring until it is answered (or the
 * call ends); talk time from the answer to the end. A call nobody answered is `busy` or
 * `no_answer` from the last dial attempt, `abandoned` when the caller hung up first, `refused`
 * when the system turned it away (with the reason), `ended_in_ivr` when the IVR finished it without
 * ringing anyone (the reason is the IVR's outcome), otherwise `failed`. A caller hanging up in
 * the IVR is `abandoned` with the reason `in_ivr`.
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
  };
  let firstDial: Date | null = null;
  let lastFailure: string | null = null;
  let originatorFailure: string | null = null;
  let ivrOutcome: string | null = null;
  for (const e of events) {
    // The agent's own phone ringing first (click-to-call) is not the call being answered.
    if ((e.type === 'leg.dialing' || e.type === 'leg.answered') && e.data.originator) continue;
    if (e.type === 'leg.failed' && e.data.originator) {
      originatorFailure = `agent_${e.data.failure}`;
      continue;
    }
    switch (e.type) {
      case 'leg.dialing':
        firstDial ??= e.at;
        if (e.data.target.kind === 'agent') {
          if (s.direction === 'inbound') record.agentId = e.data.target.userId;
          if (s.direction === 'internal') record.peerAgentId = e.data.target.userId;
        }
        break;
      case 'leg.answered':
        if (!record.answeredAt) {
          record.answeredAt = e.at;
          if (s.direction === 'inbound' && e.data.userId !== null) record.agentId = e.data.userId;
        }
        break;
      case 'leg.failed':
        lastFailure = e.data.failure;
        record.sipCode = e.data.sipCode;
        record.q850Cause = e.data.q850Cause;
        break;
      case 'call.refused':
        record.disposition = 'refused';
        record.reason = e.data.reason;
        record.sipCode = e.data.sipCode;
        break;
      case 'call.ended':
        record.endedAt = e.at;
        record.hangupBy = e.data.by;
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
  if (record.answeredAt && end) record.talkSeconds = seconds(record.answeredAt, end);
  if (record.disposition !== 'refused' && end) {
    if (record.answeredAt) record.disposition = 'answered';
    else if (record.hangupBy === 'caller') {
      record.disposition = 'abandoned';
      if (ivrOutcome === 'caller_hung_up') record.reason = 'in_ivr';
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
