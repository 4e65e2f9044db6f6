/**
 * The screen pop (来电弹屏): who is calling — their earlier calls, the facts the call recorded
 * when it started (cti/calls/caller-facts.ts: repeat calls within the window (3.4.16), VIP and
 * blacklist flags), what they keyed into the IVR (an order number) — and the agent's wrap-up
 * note with its business type on a call they took. (The CRM card joins here when the CRM arrives.)
 */
import { and, desc, eq, ne, or } from 'drizzle-orm';
import { type CallLog, eventsOf } from '../call-log/log.ts';
import type { Db } from '../../db/client.ts';
import { businessTypes, callRecords } from '../../db/schema.ts';
import { requirePermission } from '../../core/access/actor.ts';
import type { Ctx } from '../../core/context.ts';
import { NotFoundError, ValidationError } from '../../core/errors.ts';
import * as check from '../../core/validate.ts';
import { callerFacts, recordedFacts } from '../calls/caller-facts.ts';

export interface ScreenPop {
  number: string;
  vip: boolean;
  blacklisted: boolean;
  /** Inbound calls from this number within the repeat window before this call. */
  repeatCalls: number;
  repeatHours: number;
  /** What the caller keyed into the IVR (variable → digits). */
  collected: Record<string, string>;
  previous: {
    callId: string;
    startedAt: Date;
    direction: string;
    disposition: string;
    agentId: number | null;
    talkSeconds: number;
  }[];
}

export async function screenPop(ctx: Ctx, callId: string, number: string): Promise<ScreenPop> {
  requirePermission(ctx.actor, 'desk:use');
  const { db } = ctx;
  const now = ctx.now?.() ?? new Date();
  const events = await eventsOf(db, callId);
  const collected: Record<string, string> = {};
  for (const e of events) if (e.type === 'ivr.collected') collected[e.data.variable] = e.data.value;
  const started = events.find((e) => e.type === 'call.started')?.at ?? now;
  const previous = number
    ? await db
        .select({
          callId: callRecords.callId,
          startedAt: callRecords.startedAt,
          direction: callRecords.direction,
          disposition: callRecords.disposition,
          agentId: callRecords.agentId,
          talkSeconds: callRecords.talkSeconds,
        })
        .from(callRecords)
        .where(
          and(
            or(eq(callRecords.fromNumber, number), eq(callRecords.toNumber, number)),
            ne(callRecords.callId, callId),
          ),
        )
        .orderBy(desc(callRecords.startedAt))
        .limit(5)
    : [];
  // An inbound call recorded its caller's facts when it started; others are looked up now.
  const facts = recordedFacts(events) ?? (await callerFacts(db, number, started));
  return { number, ...facts, collected, previous };
}

/** Whether the agent took part in the call (answered it, placed it, or was its record's agent). */
async function tookPart(db: Db, userId: number, callId: string): Promise<boolean> {
  const [record] = await db.select().from(callRecords).where(eq(callRecords.callId, callId));
  if (!record) return false;
  if (record.agentId === userId || record.peerAgentId === userId) return true;
  return (await eventsOf(db, callId)).some((e) => e.type === 'leg.answered' && e.data.userId === userId);
}

/** The agent's wrap-up note on a call (业务类型 and free text); the latest note counts. */
export async function saveCallNote(
  ctx: Ctx,
  log: Pick<CallLog, 'append'>,
  callId: string,
  raw: { businessTypeId: unknown; note: unknown },
): Promise<void> {
  requirePermission(ctx.actor, 'desk:use');
  if (!(await tookPart(ctx.db, ctx.actor.userId, callId))) throw new NotFoundError();
  const businessTypeId = check.toId(raw.businessTypeId);
  const note = check.text(raw.note);
  const [type] = businessTypeId
    ? await ctx.db.select().from(businessTypes).where(eq(businessTypes.id, businessTypeId))
    : [];
  if (businessTypeId && !type) throw new ValidationError({ businessTypeId: 'invalid_choice' });
  if (note.length > 2000) throw new ValidationError({ note: 'too_long' });
  await log.append(callId, { type: 'call.note', data: { userId: ctx.actor.userId, businessTypeId, note } });
}

/** The call the agent handled last (for the wrap-up note after it ended). */
export async function lastCallOf(db: Db, userId: number) {
  const [row] = await db
    .select()
    .from(callRecords)
    .where(or(eq(callRecords.agentId, userId), eq(callRecords.peerAgentId, userId)))
    .orderBy(desc(callRecords.startedAt))
    .limit(1);
  return row ?? null;
}
