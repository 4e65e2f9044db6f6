/**
 * Agent states (坐席状态): logged out, ready, break (with a reason), ringing, on call, wrap-up.
 * The agent moves between logged out, ready and break from the desk; the call engine moves a
 * logged-in agent to ringing and on call, and to wrap-up (after-call work) when a call ends, from
 * which they become ready again after the configured seconds (auto-ready, at most 180 s). Every
 * change is an event in `agent_state_events`; the current state is the latest. Only ready agents
 * are offered calls; an agent who never logged in to the desk is reachable only by direct route.
 */
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { type AgentState, agentStateEvents, breakReasons, monitoringLog, users } from '../../db/schema.ts';
import { inScope, recordScope, requirePermission } from '../../core/access/actor.ts';
import type { Ctx } from '../../core/context.ts';
import { DomainError, NotFoundError, ValidationError } from '../../core/errors.ts';
import { readSetting, writeSetting } from '../../core/settings.ts';
import { audit } from '../../core/audit/audit-log.ts';

export interface CurrentState {
  state: AgentState;
  since: Date;
  reason: string;
}

const loggedOut = (): CurrentState => ({ state: 'logged_out', since: new Date(0), reason: '' });

/** The latest state row of each agent (of all agents when `userIds` is not given). */
function latestStates(db: Db, userIds?: readonly number[]) {
  return db
    .selectDistinctOn([agentStateEvents.userId], {
      userId: agentStateEvents.userId,
      state: agentStateEvents.state,
      at: agentStateEvents.at,
      reason: agentStateEvents.reason,
    })
    .from(agentStateEvents)
    .where(userIds ? inArray(agentStateEvents.userId, [...userIds]) : undefined)
    .orderBy(agentStateEvents.userId, desc(agentStateEvents.id));
}

/** The current state of each of the agents (logged out when they never logged in). */
export async function currentStates(db: Db, userIds: readonly number[]): Promise<Map<number, CurrentState>> {
  const out = new Map<number, CurrentState>(userIds.map((id) => [id, loggedOut()]));
  if (userIds.length === 0) return out;
  for (const r of await latestStates(db, userIds))
    out.set(r.userId, { state: r.state, since: r.at, reason: r.reason });
  return out;
}

export async function stateOf(db: Db, userId: number): Promise<CurrentState> {
  return (await currentStates(db, [userId])).get(userId)!;
}

async function record(
  db: Db,
  userId: number,
  state: AgentState,
  reason = '',
  byUserId: number | null = null,
  at = new Date(),
) {
  await db.insert(agentStateEvents).values({ userId, at, state, reason, byUserId });
}

/** The agent's own changes from the desk: log in (ready), ready, break with a reason, log out. */
export async function setOwnState(
  ctx: Ctx,
  target: 'ready' | 'break' | 'logged_out',
  reasonId?: number | null,
): Promise<void> {
  requirePermission(ctx.actor, 'desk:use');
  const current = await stateOf(ctx.db, ctx.actor.userId);
  if (current.state === 'ringing' || current.state === 'on_call') throw new DomainError('agent_busy');
  const reason = target === 'break' ? await breakReasonKey(ctx.db, reasonId) : '';
  if (current.state === target && current.reason === reason) return;
  await record(ctx.db, ctx.actor.userId, target, reason);
  if (target === 'logged_out' || current.state === 'logged_out')
    await audit(ctx, { action: target === 'logged_out' ? 'desk.logout' : 'desk.login' });
  ctx.events?.publish({ type: 'agents.changed', userIds: [ctx.actor.userId] });
}

/**
 * What the call side does when a supervisor forces an agent's state: the agent's phone stops
 * ringing, their part in a call ends, the ACD lets them go and takes the new state at once.
 */
export type ReleaseAgent = (agentId: number, state: AgentState) => Promise<void>;

/**
 * A supervisor sets an agent's state (强制置闲/置忙/签出): ready, break with a reason, or logged
 * out, from any state: an agent whose phone rings or who is on a call is released from it
 * (`release`, given by whoever holds the call engine). Needs supervisor:force_state and the
 * agent within the supervisor's data scope; written to the monitoring log and audited with the
 * state the agent was in.
 */
export async function forceState(
  ctx: Ctx,
  agentId: number,
  target: 'ready' | 'break' | 'logged_out',
  reasonId?: number | null,
  release?: ReleaseAgent,
): Promise<void> {
  const scope = await recordScope(ctx.db, ctx.actor, 'supervisor:force_state');
  const [agent] = await ctx.db.select().from(users).where(eq(users.id, agentId));
  if (!agent || !inScope(scope, agent.id, agent.departmentId)) throw new NotFoundError();
  const current = await stateOf(ctx.db, agentId);
  const reason = target === 'break' ? await breakReasonKey(ctx.db, reasonId) : '';
  const now = ctx.now?.() ?? new Date();
  await record(ctx.db, agentId, target, reason, ctx.actor.userId, now);
  // After the new state is written: a leg released now finds the agent no longer ringing.
  await release?.(agentId, target);
  await ctx.db.insert(monitoringLog).values({
    supervisorId: ctx.actor.userId,
    agentId,
    action: target === 'logged_out' ? 'force_logout' : 'force_state',
    detail: target === 'break' ? `break:${reason}` : target,
    startedAt: now,
    endedAt: now,
  });
  await audit(ctx, {
    action: 'desk.force_state',
    targetType: 'user',
    targetId: agentId,
    targetLabel: agent.name,
    detail: { state: target, reason, from: current.state },
  });
  ctx.events?.publish({ type: 'agents.changed', userIds: [agentId] });
}

/** The stored reason of an enabled break reason (its built-in key, or its name). */
async function breakReasonKey(db: Db, reasonId: number | null | undefined): Promise<string> {
  const [r] = reasonId
    ? await db
        .select()
        .from(breakReasons)
        .where(and(eq(breakReasons.id, reasonId), eq(breakReasons.enabled, true)))
    : [];
  if (!r) throw new ValidationError({ reasonId: 'required' });
  return r.builtinKey ?? r.name;
}

/**
 * The call engine's changes for a logged-in agent: offered a call, connected, the call ended
 * (wrap-up, or ready when there is none), or an offer not taken (back to what they were).
 * Agents who are logged out stay so.
 */
export async function callStateChanged(
  db: Db,
  userId: number,
  change: 'offered' | 'connected' | 'ended' | 'not_taken',
  callId: string,
  wrapUpSeconds: number,
): Promise<AgentState | null> {
  const current = await stateOf(db, userId);
  if (current.state === 'logged_out' || current.state === 'break') return null;
  let next: AgentState;
  if (change === 'offered') next = 'ringing';
  else if (change === 'connected') next = 'on_call';
  else if (change === 'not_taken') {
    if (current.state !== 'ringing' || current.reason !== callId) return null;
    next = 'ready';
  } else {
    if (current.reason !== callId) return null;
    next = wrapUpSeconds > 0 ? 'wrap_up' : 'ready';
  }
  await record(db, userId, next, callId);
  return next;
}

/** Ends a wrap-up that is still running for that call (auto-ready). */
export async function endWrapUp(db: Db, userId: number, callId: string): Promise<boolean> {
  const current = await stateOf(db, userId);
  if (current.state !== 'wrap_up' || current.reason !== callId) return false;
  await record(db, userId, 'ready');
  return true;
}

/** Agents whose current state says their phone rings or they are on a call, with the call. */
export async function agentsInCallStates(
  db: Db,
): Promise<{ userId: number; state: AgentState; callId: string; since: Date }[]> {
  return (await latestStates(db))
    .filter((r) => r.state === 'ringing' || r.state === 'on_call')
    .map((r) => ({ userId: r.userId, state: r.state, callId: r.reason, since: r.at }));
}

/**
 * Repair: an agent whose state says ringing or on a call (for `callId`) while no channel of
 * theirs is live goes back to ready, with `recovered:<why>` as the reason in the state log.
 * Nothing is written when the state moved on meanwhile. True when the agent was repaired.
 */
export async function recoverAgent(db: Db, userId: number, callId: string, why: string): Promise<boolean> {
  const current = await stateOf(db, userId);
  if ((current.state !== 'ringing' && current.state !== 'on_call') || current.reason !== callId) return false;
  await record(db, userId, 'ready', `recovered:${why}`);
  return true;
}

/** Agents whose current state is wrap-up, with the call and since when (to resume auto-ready). */
export async function agentsInWrapUp(db: Db): Promise<{ userId: number; callId: string; since: Date }[]> {
  return (await latestStates(db))
    .filter((r) => r.state === 'wrap_up')
    .map((r) => ({ userId: r.userId, callId: r.reason, since: r.at }));
}

/** Of these agents, the ones that may be offered a call now. */
export async function readyAgents(db: Db, userIds: readonly number[]): Promise<number[]> {
  const states = await currentStates(db, userIds);
  return userIds.filter((id) => states.get(id)?.state === 'ready');
}

/** Whether a call may be offered to this agent now: ready, or not using the desk at all. */
export async function offerable(db: Db, userId: number): Promise<boolean> {
  const s = await stateOf(db, userId);
  return s.state === 'ready' || s.state === 'logged_out';
}

// ── settings and break reasons ────────────────────────────────────────────
const wrapUpKey = 'desk.wrap_up_seconds';
const isSeconds = (v: unknown): v is number =>
  Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 180;

/** After-call work before the agent is ready again (0 = straight to ready; at most 180 s). */
export const wrapUpSeconds = (db: Db) => readSetting(db, wrapUpKey, 15, isSeconds);

export async function setWrapUpSeconds(ctx: Ctx, text: string): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const n = Number(text.trim() === '' ? 0 : text);
  if (!isSeconds(n)) throw new ValidationError({ wrapUpSeconds: 'out_of_range' });
  await writeSetting(ctx.db, wrapUpKey, n);
  await audit(ctx, { action: 'desk.settings', detail: { wrapUpSeconds: n } });
}

export async function listBreakReasons(db: Db, all = false) {
  const rows = await db.select().from(breakReasons).orderBy(asc(breakReasons.position), asc(breakReasons.id));
  return all ? rows : rows.filter((r) => r.enabled);
}

export async function addBreakReason(ctx: Ctx, name: string): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  const clean = name.trim();
  const [same] = await ctx.db.select().from(breakReasons).where(eq(breakReasons.name, clean));
  if (!clean || clean.length > 40) throw new ValidationError({ name: clean ? 'too_long' : 'required' });
  if (same) throw new ValidationError({ name: 'name_taken' });
  const [{ max } = { max: 0 }] = await ctx.db
    .select({ max: sql<number>`coalesce(max(${breakReasons.position}), 0)` })
    .from(breakReasons);
  await ctx.db.insert(breakReasons).values({ name: clean, position: Number(max) + 1 });
  await audit(ctx, { action: 'desk.break_reason_added', targetLabel: clean });
}

export async function setBreakReasonEnabled(ctx: Ctx, id: number, enabled: boolean): Promise<void> {
  requirePermission(ctx.actor, 'callcenter:edit');
  await ctx.db.update(breakReasons).set({ enabled }).where(eq(breakReasons.id, id));
  await audit(ctx, { action: 'desk.break_reason_changed', targetId: id, detail: { enabled } });
}

/** The agent's phone answers offered calls by itself (the ACD asks it with Call-Info: answer-after=0). */
export async function setAutoAnswer(ctx: Ctx, on: boolean): Promise<void> {
  requirePermission(ctx.actor, 'desk:use');
  await ctx.db
    .update(users)
    .set({ autoAnswer: on, updatedAt: new Date() })
    .where(eq(users.id, ctx.actor.userId));
  await audit(ctx, { action: 'desk.auto_answer', detail: { on } });
  ctx.events?.publish({ type: 'employees.changed', userIds: [ctx.actor.userId] });
}

export async function autoAnswerOf(db: Db, userId: number): Promise<boolean> {
  const [row] = await db.select({ on: users.autoAnswer }).from(users).where(eq(users.id, userId));
  return row?.on ?? false;
}
