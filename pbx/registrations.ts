/**
 * Live registration state of SIP endpoints, from AMI: the full list on every (re)connect, then
 * ContactStatus events as phones register, expire or stop answering qualify requests.
 */
import { type AmiClient, AmiError, type AmiMessage } from '../cti/ami/client.ts';

export interface Registration {
  endpoint: string;
  /** Created / Reachable / NonQualified / Unreachable / Removed, as Asterisk reports it. */
  status: string;
  uri: string;
  userAgent: string;
  since: Date;
}

export class RegistrationTracker {
  private readonly byEndpoint = new Map<string, Registration>();

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
    for (const e of events) {
      if (!e.Endpoint) continue;
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

  all(): Registration[] {
    return [...this.byEndpoint.values()].sort((a, b) => a.endpoint.localeCompare(b.endpoint));
  }
}
