/**
 * Addresses blocked at the SIP edge (SIP 安全): an address that fails authentication too often
 * is refused by Asterisk for a while (rendered as a PJSIP ACL). Blocks are kept here with why
 * (the SIP guard's rule, the failures it counted by event, the accounts tried, the window),
 * audited, listed on the PBX status page, and can be lifted early by an admin.
 */
import { and, desc, eq, gt, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { sipBlocks } from '../db/schema.ts';
import { requirePermission } from '../core/access/actor.ts';
import { audit, auditAnonymous } from '../core/audit/audit-log.ts';
import type { Ctx } from '../core/context.ts';
import type { DomainEvents } from '../core/events.ts';
import { NotFoundError } from '../core/errors.ts';
import type { BlockRequest } from './sip-guard.ts';

export type SipBlock = typeof sipBlocks.$inferSelect;

const active = (now: Date) => and(isNull(sipBlocks.liftedAt), gt(sipBlocks.until, now));

/** Addresses Asterisk must refuse now. */
export async function blockedAddresses(db: Db, now: Date = new Date()): Promise<string[]> {
  const rows = await db.selectDistinct({ ip: sipBlocks.ip }).from(sipBlocks).where(active(now));
  return rows.map((r) => r.ip).sort();
}

/** When the next active block runs out (to apply the configuration again then). */
export async function nextExpiry(db: Db, now: Date = new Date()): Promise<Date | null> {
  const [row] = await db
    .select({ until: sipBlocks.until })
    .from(sipBlocks)
    .where(active(now))
    .orderBy(sipBlocks.until)
    .limit(1);
  return row?.until ?? null;
}

/** Recent blocks, active first, for the PBX status page. */
export async function recentBlocks(ctx: Ctx, limit = 50): Promise<(SipBlock & { active: boolean })[]> {
  requirePermission(ctx.actor, 'callcenter:view');
  const now = ctx.now?.() ?? new Date();
  const rows = await ctx.db.select().from(sipBlocks).orderBy(desc(sipBlocks.blockedAt)).limit(limit);
  return rows
    .map((r) => ({ ...r, active: r.liftedAt === null && r.until > now }))
    .sort((a, b) => Number(b.active) - Number(a.active));
}

/**
 * Blocks an address (called by the SIP guard); audited as done by the system. An address that
 * is blocked already keeps its block (failures still arriving before Asterisk applied it add no
 * second row); `null` then.
 */
export async function blockAddress(
  db: Db,
  events: DomainEvents | undefined,
  block: BlockRequest,
  now: Date = new Date(),
): Promise<SipBlock | null> {
  const row = await db.transaction(async (tx) => {
    const [already] = await tx
      .select({ id: sipBlocks.id })
      .from(sipBlocks)
      .where(and(eq(sipBlocks.ip, block.ip), active(now)))
      .limit(1);
    if (already) return null;
    const [row] = await tx
      .insert(sipBlocks)
      .values({
        ip: block.ip,
        reason: block.reason,
        failures: block.failures,
        accounts: block.accounts.slice(0, 20),
        detail: block.detail,
        blockedAt: now,
        until: new Date(now.getTime() + block.minutes * 60_000),
      })
      .returning();
    await auditAnonymous({ db: tx, ip: block.ip, userAgent: 'SIP' }, null, {
      action: 'sip.address_blocked',
      targetType: 'ip',
      targetId: block.ip,
      targetLabel: block.ip,
      detail: {
        reason: block.reason,
        failures: block.failures,
        accounts: block.accounts,
        minutes: block.minutes,
        ...block.detail,
      },
    });
    return row!;
  });
  if (row) events?.publish({ type: 'telephony.changed' });
  return row;
}

export async function liftBlock(ctx: Ctx, id: number): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const [row] = await ctx.db
    .update(sipBlocks)
    .set({ liftedAt: ctx.now?.() ?? new Date(), liftedBy: ctx.actor.userId })
    .where(and(eq(sipBlocks.id, id), isNull(sipBlocks.liftedAt)))
    .returning();
  if (!row) throw new NotFoundError();
  await audit(ctx, {
    action: 'sip.address_unblocked',
    targetType: 'ip',
    targetId: row.ip,
    targetLabel: row.ip,
  });
  ctx.events?.publish({ type: 'telephony.changed' });
}
