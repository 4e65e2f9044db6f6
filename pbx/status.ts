/**
 * What the PBX status page shows: whether Asterisk is up, its version and uptime, active
 * channels and calls, agents' phone registrations, and each trunk's state (registered or
 * reachable, calls in progress against its limit).
 */
import { requirePermission } from '../crm/access/actor.ts';
import type { Ctx } from '../crm/shared/context.ts';
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

export interface PbxOverview {
  status: PbxStatus;
  channels: number | null;
  activeCalls: number;
  registrations: { endpoint: string; status: string; userAgent: string }[];
  trunks: TrunkStatus[];
}

/** Each trunk's live state (registration or qualify) and calls in progress, by trunk id. */
export async function trunkStatuses(
  pbx: PbxService | null,
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
  const calls = pbx?.calls()?.activeCalls();
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
          : (registered.get(`trunk-${t.id}`) ??
            tracker?.get(`trunk-${t.id}`)?.status ??
            (t.qualify ? 'Unknown' : 'NotProbed')),
        activeCalls: calls?.byTrunk.get(t.id) ?? 0,
        maxCalls: t.maxCalls,
      },
    ]),
  );
}

export async function pbxOverview(ctx: Ctx, pbx: PbxService | null): Promise<PbxOverview | null> {
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
    channels,
    activeCalls: pbx.calls()?.activeCalls().total ?? 0,
    registrations: (pbx.registrations()?.all() ?? []).filter((r) => !r.endpoint.startsWith('trunk-')),
    trunks: [...(await trunkStatuses(pbx, rows)).values()],
  };
}
