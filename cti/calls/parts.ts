/**
 * What the parts of the call engine (inbound routing, legs and bridges) use from it: a port the
 * engine fills, so each part sees the calls, the log, the ACD and the prompts, not the engine.
 */
import type { Db } from '../../db/client.ts';
import type { Acd } from '../acd/acd.ts';
import type { AriClient } from '../ari/client.ts';
import type { AriOperations } from '../ari/generated.ts';
import type { CallEventBody, LegFailure } from '../call-log/events.ts';
import type { Prompter } from '../media/prompter.ts';
import type { DeskChange } from './agent-desk.ts';
import type { ConfigCache } from './config-cache.ts';
import type { ActiveCall } from './model.ts';
import type { CallRegistry } from './registry.ts';

export type HangupReason = NonNullable<AriOperations['channels.hangup']['params']['reason']>;

/** The hang-up reason (and so the SIP response) for a SIP code we answer a caller with. */
export const hangupReasonFor: Record<number, HangupReason> = {
  403: 'rejected',
  404: 'unallocated',
  480: 'no_answer',
  486: 'busy',
  503: 'congestion',
};

/** Ends a call: hangs up what is left, logs who ended it and why, stores the recording. */
export type EndCall = (
  call: ActiveCall,
  by: 'caller' | 'callee' | 'system',
  q850Cause: number | null,
  sipCode: number | null,
  failure?: LegFailure,
) => Promise<void>;

export interface CallParts {
  readonly db: Db;
  /** The routing configuration, from memory (config-cache.ts). */
  readonly config: ConfigCache;
  readonly ari: AriClient;
  /** The Stasis application legs are created in. */
  readonly app: string;
  readonly acd: Acd;
  readonly calls: CallRegistry;
  /** Ring time for internal and outbound calls (inbound uses the number's or group's). */
  readonly ringSeconds: number;
  now(): Date;
  say(line: string): void;
  /** Logs a call event (queued: call control does not wait for the database). */
  append(call: ActiveCall, event: CallEventBody): Promise<void>;
  /** The event log holds as many unwritten events as it may: new calls are refused. */
  logFull(): boolean;
  hangup(channelId: string, reason: HangupReason): Promise<void>;
  endCall: EndCall;
  /** Moves a logged-in agent's desk state with the call (agent-desk.ts). */
  deskState(userId: number, change: DeskChange, call: ActiveCall): Promise<void>;
  /** The prompter talking to the call's caller. */
  prompter(call: ActiveCall): Prompter | null;
  systemMedia(language: string, pieces: readonly string[]): string[];
  promptMedia(promptId: number): Promise<string | null>;
  /** Tells the web (SSE) a call changed. */
  changed(callId: string): void;
}
