/**
 * The steps of a call as written to the append-only call event log (`call_events`). Call
 * records and every statistic are projections of these events.
 */
import type { CallDirection } from '../../db/schema.ts';
import type { OverflowTarget } from '../acd/queue-settings.ts';
import type { IvrAction } from '../ivr/tree.ts';

/** Who a leg rings: an agent's phone, or a number through a trunk. */
export type LegTarget =
  | { kind: 'agent'; userId: number; endpoint: string }
  | { kind: 'external'; number: string; trunkId: number };

/** How a dial attempt ended without an answer. */
export type LegFailure = 'no_answer' | 'busy' | 'unavailable' | 'rejected' | 'cancelled';

/** Where an agent transfers a call, or invites a conference party from. */
export type TransferTarget =
  | { kind: 'agent'; userId: number }
  | { kind: 'group'; groupId: number }
  | { kind: 'external'; number: string };

/** How a caller came into a queue. */
export type QueueVia = 'hotline' | 'ivr' | 'transfer' | 'overflow' | 'no_answer' | 'restart';

/**
 * Why a caller left a queue: an agent answered, they hung up, overflow moved them on, they
 * asked for a callback, nobody was logged in, they chose to hang up at the maximum wait, or an
 * agent transferred them out of it.
 */
export type QueueLeft = 'answered' | 'abandoned' | 'overflow' | 'callback' | 'empty' | 'max_wait';

export type CallEventBody =
  | {
      type: 'call.started';
      data: {
        direction: CallDirection;
        from: string;
        to: string;
        trunkId: number | null;
        numberId: number | null;
        /** The agent placing the call (outbound, internal, click-to-call). */
        agentId: number | null;
        channel: string;
        clickToCall?: boolean;
      };
    }
  | { type: 'call.refused'; data: { reason: string; sipCode: number } }
  /**
   * The caller's region and facts, worked out once when an inbound call starts (cti/calls/caller-facts.ts):
   * repeat: called within the window; repeatCalls, repeatHours and blacklisted were added later
   * (older events lack them).
   */
  | {
      type: 'call.flags';
      data: {
        region: string;
        vip: boolean;
        repeat: boolean;
        repeatCalls?: number;
        repeatHours?: number;
        blacklisted?: boolean;
      };
    }
  /**
   * `originator`: the agent's own phone ringing first (click-to-call, callback); `groupId`: an
   * agent offered a queue's caller; `role`: a consult (attended transfer) or conference party.
   */
  | {
      type: 'leg.dialing';
      data: {
        leg: string;
        target: LegTarget;
        originator?: boolean;
        groupId?: number;
        role?: 'consult' | 'party';
      };
    }
  | { type: 'leg.ringing'; data: { leg: string } }
  | { type: 'leg.answered'; data: { leg: string; userId: number | null; originator?: boolean } }
  | {
      type: 'leg.failed';
      data: {
        leg: string;
        failure: LegFailure;
        q850Cause: number | null;
        sipCode: number | null;
        originator?: boolean;
      };
    }
  | { type: 'call.bridged'; data: { bridgeId: string } }
  | { type: 'recording.started'; data: { file: string } }
  | {
      type: 'call.ended';
      data: { by: 'caller' | 'callee' | 'system'; q850Cause: number | null; sipCode: number | null };
    }
  | { type: 'recording.stored'; data: { file: string; seconds: number; parties: string[] } }
  /** The retention period ran out and the files were deleted. */
  | { type: 'recording.purged'; data: { file: string; retentionDays: number } }
  /** A call taken over after a restart; `reconstructed`: events a crash lost, logged again at the resume (calls/reconstruct.ts). */
  | { type: 'cti.resumed'; data: { channels: string[]; reconstructed?: string[] } }
  /** An answered party left while the call goes on (transfer, conference). */
  | { type: 'leg.left'; data: { leg: string; userId: number | null } }
  // ── queues (cti/acd) ──
  /** `since`: when the caller first joined a queue in this call (their place in line). */
  | {
      type: 'queue.joined';
      data: { groupId: number; via: QueueVia; position: number; vip: boolean; since: string };
    }
  | { type: 'queue.region'; data: { fromGroupId: number; groupId: number; region: string } }
  | { type: 'queue.announced'; data: { position: number; waitSeconds: number | null } }
  | { type: 'queue.max_wait'; data: { groupId: number; choice: 'keep' | 'callback' | 'hangup' | 'none' } }
  | {
      type: 'queue.overflow';
      data: {
        fromGroupId: number;
        reason: 'length' | 'wait' | 'empty' | 'no_answer';
        target: OverflowTarget | null;
      };
    }
  | { type: 'queue.left'; data: { groupId: number; reason: QueueLeft; waitedSeconds: number } }
  | { type: 'queue.callback_requested'; data: { callbackId: number; groupId: number } }
  /** A callback call: which request it serves, and the call the caller asked in. */
  | { type: 'callback.placed'; data: { callbackId: number; callId: string; groupId: number } }
  | { type: 'agent.announced'; data: { userId: number; jobNumber: string } }
  // ── the agent desk (cti/desk) ──
  | { type: 'call.held'; data: { userId: number } }
  | { type: 'call.resumed'; data: { userId: number } }
  | { type: 'call.muted'; data: { userId: number; muted: boolean } }
  | {
      type: 'transfer.started';
      data: { by: number; kind: 'blind' | 'attended'; target: TransferTarget };
    }
  | { type: 'transfer.completed'; data: { by: number; kind: 'blind' | 'attended' } }
  | { type: 'transfer.cancelled'; data: { by: number; reason: string } }
  | { type: 'conference.invited'; data: { by: number; target: TransferTarget } }
  | { type: 'call.note'; data: { userId: number; businessTypeId: number | null; note: string } }
  // ── satisfaction survey (cti/acd/survey.ts) ──
  | { type: 'survey.invited'; data: { by: number | null } }
  | { type: 'survey.started'; data: { levels: number } }
  | { type: 'survey.scored'; data: { score: number; levels: number } }
  | { type: 'survey.no_answer'; data: { levels: number } }
  // ── IVR (cti/ivr/runner.ts) ──
  | {
      type: 'ivr.entered';
      data: { ivrId: number; name: string; hotlineId: number | null; from: string; region: string };
    }
  | { type: 'ivr.off_hours'; data: { reason: string; exception?: string } }
  | { type: 'ivr.rule'; data: { index: number } }
  | { type: 'ivr.menu'; data: { menu: string; name: string } }
  | { type: 'ivr.key'; data: { menu: string; key: string } }
  | { type: 'ivr.invalid'; data: { menu: string; key: string } }
  | { type: 'ivr.silence'; data: { menu: string; repeat: number } }
  | { type: 'ivr.collected'; data: { variable: string; value: string } }
  | { type: 'ivr.left'; data: { outcome: IvrOutcome; action?: IvrAction } };

/** How a caller left the IVR (the reception log's final action). */
export type IvrOutcome =
  | 'group'
  | 'agent'
  | 'transfer'
  | 'hangup'
  | 'play_hangup'
  | 'blacklisted'
  | 'off_hours'
  | 'timeout'
  | 'caller_hung_up';

export type CallEventType = CallEventBody['type'];
export type CallEvent = CallEventBody & { at: Date };
