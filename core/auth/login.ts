/**
 * Logging in and out, changing one's own password, with account lockout after repeated
 * failures and a per-address rate limit. Every outcome lands in the audit log.
 */
import { and, eq, isNull, lte, or, sql } from 'drizzle-orm';
import type { SecuritySettings } from '../../config/settings.ts';
import { users } from '../../db/schema.ts';
import { audit, auditAnonymous } from '../audit/audit-log.ts';
import type { AnonymousCtx, Ctx } from '../context.ts';
import { DomainError, ValidationError } from '../errors.ts';
import { hashPassword, passwordProblem, timingDummyHash, verifyPassword } from './passwords.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { createSession, destroySession, destroyUserSessions, type Session } from './sessions.ts';

export const normaliseUsername = (u: string) => u.trim().toLowerCase();

export interface LoginResult {
  token: string;
  session: Session;
  mustChangePassword: boolean;
}

export async function login(
  ctx: AnonymousCtx,
  security: SecuritySettings,
  limiter: RateLimiter,
  input: { username: string; password: string },
  now = new Date(),
): Promise<LoginResult> {
  const username = normaliseUsername(input.username);
  if (!limiter.attempt(ctx.ip, now.getTime())) {
    await auditAnonymous(ctx, { username }, { action: 'auth.rate_limited' });
    throw new DomainError('rate_limited');
  }
  const [user] = await ctx.db.select().from(users).where(eq(users.username, username));
  if (!user) {
    await verifyPassword(input.password, await timingDummyHash());
    await auditAnonymous(
      ctx,
      { username },
      { action: 'auth.login_failed', detail: { reason: 'unknown_user' } },
    );
    throw new DomainError('login_failed');
  }
  const who = { id: user.id, username: user.username, departmentId: user.departmentId };
  const lockFor = async (failedSoFar: number) => {
    const lockedUntil = new Date(now.getTime() + security.lockoutMinutes * 60_000);
    await ctx.db.update(users).set({ lockedUntil, failedLogins: 0 }).where(eq(users.id, user.id));
    await auditAnonymous(ctx, who, {
      action: 'auth.locked',
      detail: { until: lockedUntil.toISOString(), failed: failedSoFar },
    });
    return new DomainError('account_locked', { minutes: security.lockoutMinutes });
  };
  // The attempt is counted before the password is checked, in one conditional update: attempts
  // running at the same time each get their own count, an account locked meanwhile is not
  // counted, and attempts beyond the threshold are refused without being checked at all.
  const notLocked = or(isNull(users.lockedUntil), lte(users.lockedUntil, now));
  const [counted] = await ctx.db
    .update(users)
    .set({ failedLogins: sql`${users.failedLogins} + 1` })
    .where(and(eq(users.id, user.id), notLocked))
    .returning({ failed: users.failedLogins });
  if (!counted) {
    const [row] = await ctx.db.select({ until: users.lockedUntil }).from(users).where(eq(users.id, user.id));
    await auditAnonymous(ctx, who, { action: 'auth.login_failed', detail: { reason: 'locked' } });
    throw new DomainError('account_locked', { minutes: minutesUntil(row?.until ?? now, now) });
  }
  if (counted.failed > security.lockoutThreshold) {
    await auditAnonymous(ctx, who, { action: 'auth.login_failed', detail: { reason: 'too_many_at_once' } });
    throw await lockFor(counted.failed - 1);
  }
  if (!(await verifyPassword(input.password, user.passwordHash))) {
    if (counted.failed >= security.lockoutThreshold) throw await lockFor(counted.failed);
    await auditAnonymous(ctx, who, {
      action: 'auth.login_failed',
      detail: { reason: 'password', failed: counted.failed },
    });
    throw new DomainError('login_failed');
  }
  if (!user.enabled) {
    await auditAnonymous(ctx, who, { action: 'auth.login_failed', detail: { reason: 'disabled' } });
    throw new DomainError('account_disabled');
  }
  // The right password: the count starts again — unless the account was locked meanwhile by
  // attempts running alongside this one, which the same conditional update sees.
  const [cleared] = await ctx.db
    .update(users)
    .set({ failedLogins: 0, lockedUntil: null, lastLoginAt: now })
    .where(and(eq(users.id, user.id), notLocked))
    .returning({ id: users.id });
  if (!cleared) {
    await auditAnonymous(ctx, who, { action: 'auth.login_failed', detail: { reason: 'locked' } });
    throw new DomainError('account_locked', { minutes: security.lockoutMinutes });
  }
  const { token, session } = await createSession(ctx.db, user.id, ctx, security, now);
  await auditAnonymous(ctx, who, { action: 'auth.login' });
  return { token, session, mustChangePassword: user.mustChangePassword };
}

function minutesUntil(until: Date, now: Date): number {
  return Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 60_000));
}

export async function logout(ctx: Ctx, sessionId: string): Promise<void> {
  await destroySession(ctx.db, sessionId);
  await audit(ctx, { action: 'auth.logout' });
}

/** Changes the actor's own password; other sessions of the user end. */
export async function changeOwnPassword(
  ctx: Ctx,
  sessionId: string,
  input: { current: string; password: string; confirm: string },
): Promise<void> {
  const [user] = await ctx.db.select().from(users).where(eq(users.id, ctx.actor.userId));
  if (!user) throw new DomainError('not_found');
  const fields: Record<string, ReturnType<typeof passwordProblem> & string> = {};
  if (!(await verifyPassword(input.current, user.passwordHash))) fields.current = 'password_wrong';
  const problem = passwordProblem(input.password, user.username);
  if (problem) fields.password = problem;
  // A temporary password (or the old one) is not kept as one's own.
  else if (await verifyPassword(input.password, user.passwordHash)) fields.password = 'password_unchanged';
  else if (input.password !== input.confirm) fields.confirm = 'password_mismatch';
  if (Object.keys(fields).length > 0) throw new ValidationError(fields);
  await ctx.db
    .update(users)
    .set({
      passwordHash: await hashPassword(input.password),
      mustChangePassword: false,
      updatedAt: new Date(),
    })
    .where(eq(users.id, user.id));
  await destroyUserSessions(ctx.db, user.id, sessionId);
  await audit(ctx, {
    action: 'auth.password_changed',
    targetType: 'user',
    targetId: user.id,
    targetLabel: user.username,
  });
}
