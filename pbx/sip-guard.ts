/**
 * The SIP guard: watches Asterisk's security events on AMI and blocks an address that keeps
 * failing to sign in. The block is stored through the domain (pbx/sip-blocks.ts), which asks for
 * the PBX configuration to be applied again; the service re-applies when a block runs out.
 *
 * The rule (docs/architecture.md, "SIP edge"). Security events come over UDP, whose source
 * address can be forged, so:
 * 1. Never blocked: a trunk's address (host names resolved) and an address a phone is registered
 *    from now (`GuardActions.trusted`, pbx/sip-trust.ts). A forged flood cannot block the office.
 * 2. Each refused request counts once, per address, in a sliding window:
 *    - a request for an account that does not exist (`InvalidAccountID`: scanners) always counts;
 *    - a wrong password for an existing account (`ChallengeResponseFailed`, `InvalidPassword`)
 *      counts unless a phone signed in successfully from that address within the last hour
 *      (`SuccessfulAuth`): one phone with a stale password does not get its colleagues blocked.
 * 3. At `failures` counted failures the address is blocked for `minutes`, with why: the rule
 *    (unknown accounts, wrong passwords, or both), the counts per event, the accounts tried,
 *    the window, and the wrong passwords left uncounted.
 */
import type { AmiMessage } from '../cti/ami/client.ts';
import type { SipBlockDetail, SipBlockRule } from '../db/schema.ts';

/** Why an address is never blocked: it is a trunk's, or a phone is registered from it. */
export type Exemption = 'trunk' | 'phone';

export interface GuardPolicy {
  failures: number;
  windowSeconds: number;
  minutes: number;
}

export interface BlockRequest {
  ip: string;
  reason: SipBlockRule;
  /** The counted failures. */
  failures: number;
  accounts: string[];
  minutes: number;
  detail: SipBlockDetail;
}

export interface GuardActions {
  /** Addresses never blocked now, each with why (trunks' addresses, registered phones'). */
  trusted(): Promise<ReadonlyMap<string, Exemption>>;
  /** Stores the block; false when the address was blocked already. */
  block(b: BlockRequest): Promise<boolean>;
}

/** Where the guard hears Asterisk's events (the AMI client). */
export interface SecurityEvents {
  on(event: 'event', listener: (e: AmiMessage) => void): unknown;
  off(event: 'event', listener: (e: AmiMessage) => void): unknown;
}

/** How long a successful sign-in from an address keeps its wrong passwords from counting. */
export const signedInMemoryMs = 60 * 60_000;

type FailureKind = 'unknown_account' | 'wrong_password';

interface Failure {
  at: number;
  kind: FailureKind;
  event: string;
  account: string;
}

/** The source address of a security event: RemoteAddress is `IPV4/UDP/203.0.113.9/5060` (IPv6 maybe in brackets). */
export function remoteIp(e: AmiMessage): string | null {
  const parts = (e.RemoteAddress ?? '').split('/');
  const ip = (parts.length >= 3 ? (parts[2] ?? '') : '').replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return ip === '' ? null : ip;
}

/** Events of SIP (PJSIP); a failed AMI login, say, is none of the SIP guard's business. */
const isSip = (e: AmiMessage) => e.Service === undefined || e.Service === 'PJSIP';

/** What a security event is to the guard: a failure of one kind, or nothing. */
export function failureOf(e: AmiMessage): { kind: FailureKind; account: string } | null {
  if (!isSip(e)) return null;
  const account = (e.AccountID ?? '').slice(0, 64);
  switch (e.Event) {
    case 'InvalidAccountID':
      return { kind: 'unknown_account', account };
    case 'ChallengeResponseFailed':
      // For an account that does not exist Asterisk reports the same request as
      // InvalidAccountID too (and this one with AccountID <unknown>): it counts once.
      return account === '<unknown>' ? null : { kind: 'wrong_password', account };
    case 'InvalidPassword':
      return { kind: 'wrong_password', account };
    default:
      return null;
  }
}

function ruleOf(counted: readonly Failure[]): SipBlockRule {
  const unknown = counted.filter((f) => f.kind === 'unknown_account').length;
  return unknown === counted.length ? 'unknown_accounts' : unknown === 0 ? 'wrong_passwords' : 'mixed';
}

export class SipGuard {
  private readonly recent = new Map<string, Failure[]>();
  /** When a phone last signed in successfully from each address. */
  private readonly signedIn = new Map<string, number>();
  private readonly blocking = new Set<string>();
  private lastSweep = 0;
  private readonly onEvent = (e: AmiMessage) => void this.consider(e);

  constructor(
    private readonly ami: SecurityEvents,
    private readonly policy: GuardPolicy,
    private readonly actions: GuardActions,
    private readonly log: (line: string) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {
    ami.on('event', this.onEvent);
  }

  stop(): void {
    this.ami.off('event', this.onEvent);
  }

  /** Weighs one AMI event; resolves once a block it led to is stored (or refused). */
  async consider(e: AmiMessage): Promise<void> {
    const ip = remoteIp(e);
    if (!ip || this.policy.failures <= 0) return;
    const now = this.now();
    this.sweep(now);
    if (e.Event === 'SuccessfulAuth') {
      if (isSip(e)) this.signedIn.set(ip, now);
      return;
    }
    const failure = failureOf(e);
    if (!failure || this.blocking.has(ip)) return;
    const list = (this.recent.get(ip) ?? []).filter((f) => f.at > now - this.policy.windowSeconds * 1000);
    list.push({ at: now, event: e.Event ?? '', ...failure });
    this.recent.set(ip, list);
    const signedInLately = (this.signedIn.get(ip) ?? Number.NEGATIVE_INFINITY) > now - signedInMemoryMs;
    const counted = list.filter((f) => f.kind === 'unknown_account' || !signedInLately);
    if (counted.length < this.policy.failures) return;
    this.recent.delete(ip);
    this.blocking.add(ip);
    try {
      const exempt = (await this.actions.trusted()).get(ip);
      if (exempt) {
        this.log(
          `${counted.length} failed sign-ins from ${ip}, ${exempt === 'trunk' ? "a trunk's address" : 'where a phone is registered'}; not blocked`,
        );
        return;
      }
      const reason = ruleOf(counted);
      const stored = await this.actions.block({
        ip,
        reason,
        failures: counted.length,
        accounts: [...new Set(list.map((f) => f.account).filter((a) => a !== ''))].slice(0, 20),
        minutes: this.policy.minutes,
        detail: {
          windowSeconds: this.policy.windowSeconds,
          threshold: this.policy.failures,
          events: Object.fromEntries(
            [...new Set(counted.map((f) => f.event))].map((ev) => [
              ev,
              counted.filter((f) => f.event === ev).length,
            ]),
          ),
          uncounted: list.length - counted.length,
        },
      });
      this.log(
        stored
          ? `blocked ${ip} for ${this.policy.minutes} min after ${counted.length} failed sign-ins (${reason})`
          : `${counted.length} more failed sign-ins from ${ip}, blocked already`,
      );
    } catch (err) {
      this.log(`blocking ${ip} failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.blocking.delete(ip);
    }
  }

  /** Forgets failures past the window and sign-ins past the hour (at most once a window). */
  private sweep(now: number) {
    const windowMs = this.policy.windowSeconds * 1000;
    if (now - this.lastSweep < windowMs) return;
    this.lastSweep = now;
    for (const [ip, list] of this.recent)
      if ((list.at(-1)?.at ?? 0) <= now - windowMs) this.recent.delete(ip);
    for (const [ip, at] of this.signedIn) if (at <= now - signedInMemoryMs) this.signedIn.delete(ip);
  }
}
