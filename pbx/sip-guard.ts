/**
 * The SIP guard: watches Asterisk's security events on AMI (failed digest authentication,
 * unknown accounts) and blocks an address that fails too often within a window. The block is
 * stored through the domain (pbx/sip-blocks.ts), which asks for the PBX
 * configuration to be applied again; the guard also re-applies when a block runs out.
 */
import type { AmiClient, AmiMessage } from '../cti/ami/client.ts';

/** Security events that mean "someone tried credentials that are wrong". */
export const failureEvents = new Set(['InvalidPassword', 'ChallengeResponseFailed', 'InvalidAccountID']);

export interface GuardPolicy {
  failures: number;
  windowSeconds: number;
  minutes: number;
}

export interface GuardActions {
  /** Addresses never blocked (the trunks' gateways). */
  trusted(): Promise<Set<string>>;
  block(b: {
    ip: string;
    reason: string;
    failures: number;
    accounts: string[];
    minutes: number;
  }): Promise<void>;
}

/** The source address of a security event: RemoteAddress is `IPV4/UDP/203.0.113.9/5060`. */
export function remoteIp(e: AmiMessage): string | null {
  const parts = (e.RemoteAddress ?? '').split('/');
  return parts.length >= 3 && parts[2] ? parts[2] : null;
}

export class SipGuard {
  private readonly recent = new Map<string, { at: number; account: string }[]>();
  private readonly blocking = new Set<string>();
  private readonly onEvent = (e: AmiMessage) => void this.consider(e);

  constructor(
    private readonly ami: AmiClient,
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

  private async consider(e: AmiMessage) {
    if (!e.Event || !failureEvents.has(e.Event)) return;
    const ip = remoteIp(e);
    if (!ip || this.blocking.has(ip) || this.policy.failures === 0) return;
    const now = this.now();
    const since = now - this.policy.windowSeconds * 1000;
    const list = (this.recent.get(ip) ?? []).filter((f) => f.at > since);
    list.push({ at: now, account: e.AccountID ?? '' });
    this.recent.set(ip, list);
    if (list.length < this.policy.failures) return;
    this.recent.delete(ip);
    this.blocking.add(ip);
    try {
      if ((await this.actions.trusted()).has(ip)) {
        this.log(`${list.length} failed authentications from trusted ${ip}; not blocked`);
        return;
      }
      const accounts = [...new Set(list.map((f) => f.account).filter(Boolean))];
      await this.actions.block({
        ip,
        reason: e.Event,
        failures: list.length,
        accounts,
        minutes: this.policy.minutes,
      });
      this.log(
        `blocked ${ip} for ${this.policy.minutes} min after ${list.length} failed authentications (${e.Event})`,
      );
    } catch (err) {
      this.log(`blocking ${ip} failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.blocking.delete(ip);
    }
  }
}
