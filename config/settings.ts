/**
 * Process settings, read once from the environment. Everything an operator may change
 * without editing code lives here, with the default a fresh install uses.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';

export interface Settings {
  /** Where the embedded database, recordings, prompts and secrets live. */
  dataDir: string;
  /** External PostgreSQL; when empty the embedded PGlite database under dataDir is used. */
  databaseUrl: string;
  host: string;
  port: number;
  /** Public URL printed at start-up and used for Origin checks behind a proxy. */
  publicUrl: string;
  /**
   * Host names (or addresses) the web application answers to: `PUBLIC_URL`'s host plus
   * `ALLOWED_HOSTS` (comma-separated). Empty: any host once setup is done, and until then only
   * loopback names and IP addresses (a DNS-rebinding page always arrives under a name).
   */
  allowedHosts: string[];
  /** `METRICS_TOKEN`: a bearer token that opens `/metrics` from other addresses than loopback (empty: loopback only). */
  metricsToken: string;
  /** Client addresses (IPs or CIDR ranges, `SETUP_FROM`) allowed to open first-run setup without its key, besides loopback. */
  setupFrom: string[];
  /** Set cookies with the Secure flag (enable behind HTTPS). */
  secureCookies: boolean;
  /**
   * How many reverse proxies of the operator's stand in front (`TRUST_PROXY`: `false`/0 none,
   * `true` one, or a number): the client address is taken that many entries from the right of
   * X-Forwarded-For (entries further left are written by the client and never trusted).
   */
  trustedProxies: number;
  /**
   * The call centre's time zone (IANA name, `TIME_ZONE`): where its day starts for the
   * call-setting daily caps. Default: the process's own time zone (the `TZ` variable or the host's).
   */
  timeZone: string;
  /** `EVENT_LOG_MAX_BACKLOG`: call events waiting for the database before new calls are refused. */
  eventLogBound: number;
  /** `LOG_FORMAT` (`json`, `text`; `auto`: text on a terminal, JSON otherwise) and `LOG_LEVEL`. */
  log: { format: 'auto' | 'json' | 'text'; level: 'debug' | 'info' | 'warn' | 'error' };
  security: SecuritySettings;
  pbx: PbxSettings;
  prompts: { maxSeconds: number; maxBytes: number };
}

export interface PbxSettings {
  /** `managed`: this process runs and configures Asterisk; `external`: it only connects; `off`: no telephony. */
  mode: 'managed' | 'external' | 'off';
  /** The Debian sid tree for Asterisk when the host has none (default: under the cache or data directory). */
  root: string;
  sipBind: string;
  sipPort: number;
  rtpStart: number;
  rtpEnd: number;
  /** Where ARI and AMI are, for `external` (in `managed` mode ports are picked and kept in the data directory). */
  external: {
    ariUrl: string;
    ariUser: string;
    ariPassword: string;
    amiHost: string;
    amiPort: number;
    amiUser: string;
    amiSecret: string;
    /** Asterisk's recordings spool, as both Asterisk and this process see it (shared storage). */
    recordingsDir: string;
  };
}

export interface SecuritySettings {
  /** Failed logins from one address before the account is locked for that address. */
  lockoutThreshold: number;
  lockoutMinutes: number;
  /**
   * Failed logins to one account from all addresses together before the account-wide back-off
   * starts: logins to it pause for 1, 2, 4 … minutes (up to `lockoutMinutes`) after each further one.
   */
  accountBackoffThreshold: number;
  /** Login attempts allowed per client address per window. */
  loginRateLimit: number;
  loginRateWindowSeconds: number;
  sessionIdleMinutes: number;
  sessionMaxDays: number;
  /** SIP edge: this many failed authentications from one address within the window block it. */
  sipBlockFailures: number;
  sipBlockWindowSeconds: number;
  sipBlockMinutes: number;
}

function int(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number.parseInt(value, 10);
  if (!Number.isFinite(n) || n < 0) throw new Error(`invalid number in environment: ${value}`);
  return n;
}

function bool(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  return ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
}

/** This release's version (package.json), printed at start and written into backups. */
export function productVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** `TIME_ZONE`, checked to be a time zone `Intl` knows; empty means the process's time zone. */
export function timeZoneSetting(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.TIME_ZONE?.trim();
  if (!value) return Intl.DateTimeFormat().resolvedOptions().timeZone;
  try {
    return new Intl.DateTimeFormat('en', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    throw new Error(`invalid time zone in environment: TIME_ZONE=${value}`);
  }
}

/** The media tools prompts are converted and spoken with (`FFMPEG_PATH`, `FFPROBE_PATH`, `ESPEAK_PATH`). */
export function mediaTools(env: NodeJS.ProcessEnv = process.env): {
  ffmpeg: string;
  ffprobe: string;
  espeak: string;
} {
  return {
    ffmpeg: env.FFMPEG_PATH || 'ffmpeg',
    ffprobe: env.FFPROBE_PATH || 'ffprobe',
    espeak: env.ESPEAK_PATH || 'espeak-ng',
  };
}

/** `PBX_ROOT`: where the Asterisk tree is built when the host has none (empty: the default place). */
export const pbxRootSetting = (env: NodeJS.ProcessEnv = process.env): string => env.PBX_ROOT ?? '';

/** `CTI_TRACE`: log every ARI event the call engine takes (for diagnosing call flows). */
export const ctiTrace = (env: NodeJS.ProcessEnv = process.env): boolean => bool(env.CTI_TRACE, false);

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

/**
 * The host name of a `Host` header or list entry, lower-case, without port or IPv6 brackets:
 * `[::1]:8080` → `::1`, `cc.example.com:443` → `cc.example.com`, `2001:db8::5` stays.
 */
export function hostNameOf(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') < 0 ? undefined : h.indexOf(']'));
  const colons = h.split(':').length - 1;
  return colons === 1 ? h.slice(0, h.indexOf(':')) : h;
}

/** `PUBLIC_URL`'s host name and the names in `ALLOWED_HOSTS`. */
function allowedHostsSetting(env: NodeJS.ProcessEnv): string[] {
  const hosts = list(env.ALLOWED_HOSTS).map(hostNameOf);
  if (env.PUBLIC_URL) {
    try {
      hosts.push(hostNameOf(new URL(env.PUBLIC_URL).host));
    } catch {
      throw new Error(`invalid URL in environment: PUBLIC_URL=${env.PUBLIC_URL}`);
    }
  }
  return [...new Set(hosts)];
}

function logSetting(env: NodeJS.ProcessEnv): Settings['log'] {
  const format = (env.LOG_FORMAT || 'auto').toLowerCase();
  const level = (env.LOG_LEVEL || 'info').toLowerCase();
  if (format !== 'auto' && format !== 'json' && format !== 'text')
    throw new Error(`invalid LOG_FORMAT in environment: ${env.LOG_FORMAT} (json, text or auto)`);
  if (level !== 'debug' && level !== 'info' && level !== 'warn' && level !== 'error')
    throw new Error(`invalid LOG_LEVEL in environment: ${env.LOG_LEVEL} (debug, info, warn or error)`);
  return { format, level };
}

/** `SETUP_FROM`: addresses or CIDR ranges, each checked. */
function setupFromSetting(env: NodeJS.ProcessEnv): string[] {
  const entries = list(env.SETUP_FROM);
  for (const entry of entries) {
    const [address = '', bits, ...rest] = entry.split('/');
    const max = isIP(address) === 6 ? 128 : 32;
    const ok =
      isIP(address) !== 0 &&
      rest.length === 0 &&
      (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= max));
    if (!ok) throw new Error(`invalid address or range in environment: SETUP_FROM=${entry}`);
  }
  return entries;
}

/** `TRUST_PROXY`: false (none), true (one proxy), or the number of trusted proxies in front. */
function proxyHops(value: string | undefined): number {
  const v = value?.trim().toLowerCase() ?? '';
  if (v === '' || ['false', 'no', 'off', '0'].includes(v)) return 0;
  if (['true', 'yes', 'on'].includes(v)) return 1;
  return int(v, 0);
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const host = env.HOST ?? '0.0.0.0';
  const port = int(env.PORT, 8080);
  return {
    dataDir: resolve(env.DATA_DIR ?? 'data'),
    databaseUrl: env.DATABASE_URL ?? '',
    host,
    port,
    publicUrl: env.PUBLIC_URL ?? '',
    allowedHosts: allowedHostsSetting(env),
    setupFrom: setupFromSetting(env),
    metricsToken: env.METRICS_TOKEN ?? '',
    log: logSetting(env),
    secureCookies: bool(env.SECURE_COOKIES, false),
    trustedProxies: proxyHops(env.TRUST_PROXY),
    timeZone: timeZoneSetting(env),
    eventLogBound: Math.max(1000, int(env.EVENT_LOG_MAX_BACKLOG, 100_000)),
    pbx: {
      mode: env.PBX_MODE === 'external' || env.PBX_MODE === 'off' ? env.PBX_MODE : 'managed',
      root: pbxRootSetting(env),
      sipBind: env.SIP_BIND ?? '0.0.0.0',
      sipPort: int(env.SIP_PORT, 5060),
      rtpStart: int(env.RTP_START, 10000),
      rtpEnd: int(env.RTP_END, 20000),
      external: {
        ariUrl: env.ARI_URL ?? '',
        ariUser: env.ARI_USER ?? '',
        ariPassword: env.ARI_PASSWORD ?? '',
        amiHost: env.AMI_HOST ?? '127.0.0.1',
        amiPort: int(env.AMI_PORT, 5038),
        amiUser: env.AMI_USER ?? '',
        amiSecret: env.AMI_SECRET ?? '',
        recordingsDir: env.PBX_RECORDINGS_DIR ?? '',
      },
    },
    prompts: {
      maxSeconds: int(env.PROMPT_MAX_SECONDS, 300),
      maxBytes: int(env.PROMPT_MAX_MB, 10) * 1024 * 1024,
    },
    security: {
      lockoutThreshold: int(env.LOCKOUT_THRESHOLD, 5),
      lockoutMinutes: int(env.LOCKOUT_MINUTES, 15),
      accountBackoffThreshold: int(env.LOCKOUT_ACCOUNT_THRESHOLD, 20),
      loginRateLimit: int(env.LOGIN_RATE_LIMIT, 20),
      loginRateWindowSeconds: int(env.LOGIN_RATE_WINDOW_SECONDS, 300),
      sessionIdleMinutes: int(env.SESSION_IDLE_MINUTES, 12 * 60),
      sessionMaxDays: int(env.SESSION_MAX_DAYS, 30),
      sipBlockFailures: int(env.SIP_BLOCK_FAILURES, 5),
      sipBlockWindowSeconds: int(env.SIP_BLOCK_WINDOW_SECONDS, 60),
      sipBlockMinutes: int(env.SIP_BLOCK_MINUTES, 15),
    },
  };
}
