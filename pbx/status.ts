/**
 * What the PBX status page shows: whether Asterisk is up, its version and uptime, active
 * channels and calls, agents' phone registrations, and each trunk's state (registered or
 * reachable, calls in progress against its limit). Version, start and last reload come from
 * Asterisk itself over AMI, so they are right in external mode too and the uptime is Asterisk's
 * own (not how long this application has been watching it). The call engine's invariant check
 * (cti/calls/invariants.ts) shows when it last ran and what it found lately.
 */
import type { JournalState } from '../cti/call-log/log.ts';
import { requirePermission } from '../core/access/actor.ts';
import type { AmiClient } from '../cti/ami/client.ts';
import { isTrunkEndpoint, trunkEndpoint } from '../cti/asterisk.ts';
import type { CallEngine } from '../cti/calls/engine.ts';
import type { InvariantReport, Violation } from '../cti/calls/invariants.ts';
import type { Ctx } from '../core/context.ts';
import { trunks } from '../db/schema.ts';
import type { PbxService, PbxStatus } from './service.ts';

export interface TrunkStatus {
  id: number;
  name: string;
  target: string;
  enabled: boolean;
  /** From qualify/registration: Reachable, Unreachable, Registered, Rejected, … or Unknown. */
  state: string;
  activeCalls: number;
  maxCalls: number;
}

/** What Asterisk says about itself; null fields when it could not say (AMI down, action refused). */
export interface AsteriskInfo {
  /** `CoreSettings` AsteriskVersion, e.g. 22.10.1. */
  version: string | null;
  /** When Asterisk started and last reloaded its configuration. */
  startedAt: Date | null;
  reloadedAt: Date | null;
  /** Seconds since Asterisk started. */
  uptimeSeconds: number | null;
}

export interface PbxOverview {
  status: PbxStatus;
  asterisk: AsteriskInfo | null;
  channels: number | null;
  activeCalls: number;
  registrations: { endpoint: string; status: string; userAgent: string }[];
  trunks: TrunkStatus[];
  /** The call event log's journal: events waiting for the database (null without the engine). */
  journal: JournalState | null;
  /** The call engine's invariant check: the latest run and the violations found lately. */
  check: { latest: InvariantReport | null; recent: readonly { at: Date; violation: Violation }[] } | null;
}

/** Each trunk's live state (registration or qualify) and calls in progress, by trunk id. */
export async function trunkStatuses(
  pbx: PbxService | null,
  engine: CallEngine | null,
  rows: readonly (typeof trunks.$inferSelect)[],
): Promise<Map<number, TrunkStatus>> {
  const ami = pbx?.ami();
  const registered = new Map<string, string>();
  if (ami?.connected && rows.some((t) => t.authMode === 'register')) {
    try {
      const regs = await ami.action('PJSIPShowRegistrationsOutbound', {}, 3000);
      for (const e of regs.events) if (e.ObjectName) registered.set(e.ObjectName, e.Status ?? 'Unknown');
    } catch {
      /* shown as unknown */
    }
  }
  const tracker = pbx?.registrations();
  const calls = engine?.activeCalls();
  return new Map(
    rows.map((t) => [
      t.id,
      {
        id: t.id,
        name: t.name,
        target: `${t.transport}:${t.host}:${t.port}`,
        enabled: t.enabled,
        state: !pbx
          ? 'Unknown'
          : (registered.get(trunkEndpoint(t.id)) ??
            tracker?.get(trunkEndpoint(t.id))?.status ??
            (t.qualify ? 'Unknown' : 'NotProbed')),
        activeCalls: calls?.byTrunk.get(t.id) ?? 0,
        maxCalls: t.maxCalls,
      },
    ]),
  );
}

/**
 * Version (`CoreSettings`), start and last reload (`CoreStatus` CoreStartupDate/Time and
 * CoreReloadDate/Time) from Asterisk over AMI. CoreStatus gives wall-clock times in Asterisk's
 * own time zone, which this process may not share (a chroot, another host); `core show uptime
 * seconds` gives the same instants as elapsed seconds, so it is preferred when the AMI account may
 * run commands. Otherwise the CoreStatus times are read in this process's time zone.
 */
export async function asteriskInfo(
  ami: AmiClient | null,
  now: Date = new Date(),
): Promise<AsteriskInfo | null> {
  if (!ami?.connected) return null;
  const quietly = <T>(p: Promise<T>) => p.catch(() => null);
  const [settings, status, uptime] = await Promise.all([
    quietly(ami.action('CoreSettings', {}, 3000)),
    quietly(ami.action('CoreStatus', {}, 3000)),
    quietly(ami.command('core show uptime seconds', 3000)),
  ]);
  const localTime = (date: string | undefined, time: string | undefined) => {
    if (!date || !time || !/^\d{4}-\d{2}-\d{2}$/.test(date) || !/^\d{2}:\d{2}:\d{2}$/.test(time)) return null;
    const at = new Date(`${date}T${time}`);
    return Number.isNaN(at.getTime()) ? null : at;
  };
  const ago = (label: string) => {
    const seconds = Number(new RegExp(`${label}:\\s*(\\d+)`).exec(uptime ?? '')?.[1] ?? Number.NaN);
    return Number.isFinite(seconds) ? new Date(now.getTime() - seconds * 1000) : null;
  };
  const startedAt =
    ago('System uptime') ?? localTime(status?.response.CoreStartupDate, status?.response.CoreStartupTime);
  const reloadedAt =
    ago('Last reload') ?? localTime(status?.response.CoreReloadDate, status?.response.CoreReloadTime);
  return {
    version: settings?.response.AsteriskVersion ?? null,
    startedAt,
    reloadedAt,
    uptimeSeconds: startedAt ? Math.max(0, Math.round((now.getTime() - startedAt.getTime()) / 1000)) : null,
  };
}

export async function pbxOverview(
  ctx: Ctx,
  pbx: PbxService | null,
  engine: CallEngine | null,
): Promise<PbxOverview | null> {
  requirePermission(ctx.actor, 'callcenter:view');
  if (!pbx) return null;
  const status = pbx.status();
  const ami = pbx.ami();
  let channels: number | null = null;
  if (ami?.connected) {
    try {
      const out = await ami.command('core show channels count', 3000);
      channels = Number(/(\d+) active channel/.exec(out)?.[1] ?? Number.NaN);
      if (Number.isNaN(channels)) channels = null;
    } catch {
      /* shown as unknown */
    }
  }
  const rows = await ctx.db.select().from(trunks).orderBy(trunks.name);
  return {
    status,
    asterisk: await asteriskInfo(ami),
    channels,
    activeCalls: engine?.activeCalls().total ?? 0,
    registrations: (pbx.registrations()?.all() ?? []).filter((r) => !isTrunkEndpoint(r.endpoint)),
    trunks: [...(await trunkStatuses(pbx, engine, rows)).values()],
    journal: engine?.log.state() ?? null,
    check: engine ? { latest: engine.invariants.latest, recent: engine.invariants.recent } : null,
  };
}
