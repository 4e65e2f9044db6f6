/**
 * Addresses the SIP guard never blocks (pbx/sip-guard.ts): every trunk's address — its host, and
 * when that is a host name, every address it resolves to — and every address a phone is
 * registered from now (pbx/registrations.ts).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Db } from '../db/client.ts';
import { trunks } from '../db/schema.ts';
import type { Exemption } from './sip-guard.ts';

/** A host name's addresses (all of them, IPv4 and IPv6). */
export type Resolve = (host: string) => Promise<string[]>;

export const systemResolve: Resolve = async (host) =>
  (await lookup(host, { all: true })).map((a) => a.address.toLowerCase());

/** Every trunk's host as stored (enabled or not: a disabled carrier may still send). */
export async function trunkHosts(db: Db): Promise<string[]> {
  return (await db.select({ host: trunks.host }).from(trunks)).map((t) => t.host);
}

/**
 * The trunks' addresses. Host names are looked up at most once a minute each (`ttlMs`); a
 * lookup that fails or takes longer than `timeoutMs` keeps the addresses known before (none the
 * first time) until the next try, so a slow resolver never holds the guard up for long.
 */
export class TrunkAddresses {
  private readonly cache = new Map<string, { at: number; addresses: string[] }>();

  constructor(
    private readonly hosts: () => Promise<string[]>,
    private readonly resolve: Resolve = systemResolve,
    private readonly options: { ttlMs: number; timeoutMs: number; now: () => number } = {
      ttlMs: 60_000,
      timeoutMs: 3000,
      now: Date.now,
    },
  ) {}

  async all(): Promise<Set<string>> {
    const hosts = new Set(
      (await this.hosts()).map((h) =>
        h
          .trim()
          .replace(/^\[(.*)\]$/, '$1')
          .toLowerCase(),
      ),
    );
    const out = new Set<string>();
    await Promise.all(
      [...hosts].map(async (host) => {
        if (host === '') return;
        out.add(host);
        if (isIP(host) === 0) for (const a of await this.addressesOf(host)) out.add(a);
      }),
    );
    return out;
  }

  private async addressesOf(host: string): Promise<string[]> {
    const { ttlMs, timeoutMs, now } = this.options;
    const at = now();
    const known = this.cache.get(host);
    if (known && at - known.at < ttlMs) return known.addresses;
    let timer: NodeJS.Timeout | undefined;
    try {
      const addresses = await Promise.race([
        this.resolve(host),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`looking up ${host} timed out`)), timeoutMs);
        }),
      ]);
      this.cache.set(host, { at, addresses });
      return addresses;
    } catch {
      const kept = known?.addresses ?? [];
      this.cache.set(host, { at, addresses: kept });
      return kept;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Every address never blocked now, with why (a trunk's address is named as such first). */
export async function exemptAddresses(
  trunkAddresses: TrunkAddresses,
  phoneAddresses: Iterable<string>,
): Promise<Map<string, Exemption>> {
  const out = new Map<string, Exemption>();
  for (const ip of await trunkAddresses.all()) out.set(ip, 'trunk');
  for (const ip of phoneAddresses) if (!out.has(ip)) out.set(ip, 'phone');
  return out;
}
