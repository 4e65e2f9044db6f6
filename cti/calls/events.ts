/**
 * The steps of a call as written to the append-only call event log (`call_events`). Call
 * records and every statistic are projections of these events.
 */
import type { CallDirection } from '../../db/schema.ts';
import type { IvrAction } from '../ivr/tree.ts';

/** Who a leg rings: an agent's phone, or a number through a trunk. */
export type LegTarget =
  | { kind: 'agent'; userId: number; endpoint: string }
  | { kind: 'external'; number: string; trunkId: number };

/** How a dial attempt ended without an answer. */
export type LegFailure = 'no_answer' | 'busy' | 'unavailable' | 'rejected' | 'cancelled';

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
  /** `originator`: the agent's own phone ringing first for a click-to-call. */
  | { type: 'leg.dialing'; data: { leg: string; target: LegTarget; originator?: boolean } }
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
  | { type: 'cti.resumed'; data: { channels: string[] } }
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
