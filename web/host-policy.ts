/**
 * Which host names the application answers to, which origins may send it forms, and who may
 * open first-run setup. A DNS-rebinding page reaches the server under the attacker's own name
 * (its `Host` and `Origin` agree, so the CSRF origin check alone passes): the names are checked
 * against an allow-list, and until the owner exists only loopback names and IP addresses are
 * answered at all, and setup only from loopback, `SETUP_FROM` or with the key printed at start.
 */
import { BlockList, isIP } from 'node:net';
import { hostNameOf, type Settings } from '../config/settings.ts';

/** `localhost` or a loopback address (127.0.0.0/8, ::1, and IPv4 loopback mapped into IPv6). */
export function isLoopback(hostOrAddress: string): boolean {
  const h = hostNameOf(hostOrAddress);
  if (h === 'localhost') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return (isIP(v4) === 4 && v4.startsWith('127.')) || h === '::1';
}

/**
 * Whether a request under this `Host` is answered: loopback always (a browser never sends a
 * loopback host for another site's page); with an allow-list (`PUBLIC_URL`, `ALLOWED_HOSTS`)
 * only its names; without one, any host once setup is done and IP addresses until then.
 */
export function hostAllowed(host: string | undefined, settings: Settings, setupDone: boolean): boolean {
  if (!host) return false;
  const name = hostNameOf(host);
  if (isLoopback(name)) return true;
  if (settings.allowedHosts.length > 0) return settings.allowedHosts.includes(name);
  return setupDone || isIP(name) !== 0;
}

/**
 * Whether a browser's `Origin` is this site: the same host as the request's, or the origin of
 * `PUBLIC_URL` (a reverse proxy may pass another `Host`). An unreadable origin is not this site.
 */
export function originAllowed(origin: string, host: string | undefined, settings: Settings): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (host && url.host === host.toLowerCase()) return true;
  if (!settings.publicUrl) return false;
  try {
    return new URL(settings.publicUrl).origin === url.origin;
  } catch {
    return false;
  }
}

const setupLists = new WeakMap<Settings, BlockList>();
/** The addresses listed in `SETUP_FROM` (single addresses or CIDR ranges, IPv4 or IPv6). */
function setupList(settings: Settings): BlockList {
  let list = setupLists.get(settings);
  if (!list) {
    list = new BlockList();
    for (const entry of settings.setupFrom) {
      const [address = '', bits] = entry.split('/');
      const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (isIP(address) === 0) continue;
      if (bits === undefined) list.addAddress(address, type);
      else list.addSubnet(address, Number(bits), type);
    }
    setupLists.set(settings, list);
  }
  return list;
}

/** Whether a client may open first-run setup without the key: loopback or listed in `SETUP_FROM`. */
export function setupOpenTo(ip: string, settings: Settings): boolean {
  if (!ip) return false;
  if (isLoopback(ip)) return true;
  const list = setupList(settings);
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return isIP(v4) === 4 ? list.check(v4, 'ipv4') : isIP(ip) === 6 && list.check(ip, 'ipv6');
}
