/**
 * Live registration state of SIP endpoints, from AMI: the full list on every (re)connect, then
 * ContactStatus events as phones register, expire or stop answering qualify requests. Also the
 * addresses phones are registered from, which the SIP guard never blocks.
 */
import { type AmiClient, AmiError, type AmiMessage } from '../cti/ami/client.ts';
import { isTrunkEndpoint } from '../cti/asterisk.ts';

export interface Registration {
  endpoint: string;
  /** Created / Reachable / NonQualified / Unreachable / Removed, as Asterisk reports it. */
  status: string;
  uri: string;
  userAgent: string;
  since: Date;
}

/**
 * The host of a contact URI (`sip:2002-0x55@203.0.113.9:5060;ob`, `sip:1001@[2001:db8::1]:5060`).
 * Endpoints rewrite contacts (`rewrite_contact`), so it is the address the REGISTER came from.
 */
export function contactHost(uri: string): string | null {
  const rest = uri.replace(/^<?sips?:/i, '');
  const hostPart = rest.slice(rest.lastIndexOf('@') + 1);
  const host = hostPart.startsWith('[')
    ? hostPart.slice(1, hostPart.indexOf(']'))
    : (/^[^:;>?]*/.exec(hostPart)?.[0] ?? '');
  return host === '' ? null : host.toLowerCase();
}

export class RegistrationTracker {
  private readonly byEndpoint = new Map<string, Registration>();
  /** Every contact, by endpoint and URI (a contact's state can arrive after its successor's). */
  private readonly contacts = new Map<string, { endpoint: string; uri: string }>();

  constructor(private readonly ami: AmiClient) {
    ami.on('event', (e) => this.onEvent(e));
    ami.on('connected', () => void this.refresh().catch(() => {}));
  }

  /** Reloads the whole picture from Asterisk. */
  async refresh(): Promise<void> {
    let events: AmiMessage[] = [];
    try {
      ({ events } = await this.ami.action('PJSIPShowContacts', {}, 10_000));
    } catch (err) {
      // Asterisk answers "No Contacts found" as an error when no phone is registered yet.
      if (!(err instanceof AmiError && /No Contacts found/i.test(err.message))) throw err;
    }
    this.byEndpoint.clear();
    this.contacts.clear();
    for (const e of events) {
      if (!e.Endpoint) continue;
      if (e.Uri) this.contacts.set(`${e.Endpoint} ${e.Uri}`, { endpoint: e.Endpoint, uri: e.Uri });
      this.byEndpoint.set(e.Endpoint, {
        endpoint: e.Endpoint,
        status: e.Status ?? 'Unknown',
        uri: e.Uri ?? '',
        userAgent: e.UserAgent ?? '',
        since: new Date(),
      });
    }
  }

  private onEvent(e: AmiMessage) {
    if (e.Event !== 'ContactStatus' || !e.EndpointName) return;
    if (e.URI) {
      const key = `${e.EndpointName} ${e.URI}`;
      if (e.ContactStatus === 'Removed') this.contacts.delete(key);
      else this.contacts.set(key, { endpoint: e.EndpointName, uri: e.URI });
    }
    if (e.ContactStatus === 'Removed') {
      this.byEndpoint.delete(e.EndpointName);
      return;
    }
    const before = this.byEndpoint.get(e.EndpointName);
    this.byEndpoint.set(e.EndpointName, {
      endpoint: e.EndpointName,
      status: e.ContactStatus ?? 'Unknown',
      uri: e.URI ?? before?.uri ?? '',
      userAgent: e.UserAgent ?? before?.userAgent ?? '',
      since: new Date(),
    });
  }

  get(endpoint: string): Registration | null {
    return this.byEndpoint.get(endpoint) ?? null;
  }

  /** The addresses phones are registered from now (trunks' contacts are not phones). */
  phoneAddresses(): Set<string> {
    const out = new Set<string>();
    for (const c of this.contacts.values()) {
      const host = isTrunkEndpoint(c.endpoint) ? null : contactHost(c.uri);
      if (host) out.add(host);
    }
    return out;
  }

  all(): Registration[] {
    return [...this.byEndpoint.values()].sort((a, b) => a.endpoint.localeCompare(b.endpoint));
  }
}
