/**
 * Logging in and out, changing one's own password, with account lockout after repeated
 * failures and a per-address rate limit. Every outcome lands in the audit log.
 */
import { eq, sql } from 'drizzle-orm';
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
  if (user.lockedUntil && user.lockedUntil > now) {
    await auditAnonymous(ctx, who, { action: 'auth.login_failed', detail: { reason: 'locked' } });
    throw new DomainError('account_locked', { minutes: minutesUntil(user.lockedUntil, now) });
  }
  if (!(await verifyPassword(input.password, user.passwordHash))) {
    const [after] = await ctx.db
      .update(users)
      .set({ failedLogins: sql`${users.failedLogins} + 1` })
      .where(eq(users.id, user.id))
      .returning({ failed: users.failedLogins });
    const failed = after?.failed ?? 0;
    if (failed >= security.lockoutThreshold) {
      const lockedUntil = new Date(now.getTime() + security.lockoutMinutes * 60_000);
      await ctx.db.update(users).set({ lockedUntil, failedLogins: 0 }).where(eq(users.id, user.id));
      await auditAnonymous(ctx, who, { action: 'auth.locked', detail: { until: lockedUntil.toISOString() } });
      throw new DomainError('account_locked', { minutes: security.lockoutMinutes });
    }
    await auditAnonymous(ctx, who, { action: 'auth.login_failed', detail: { reason: 'password', failed } });
    throw new DomainError('login_failed');
  }
  if (!user.enabled) {
    await auditAnonymous(ctx, who, { action: 'auth.login_failed', detail: { reason: 'disabled' } });
    throw new DomainError('account_disabled');
  }
  await ctx.db
    .update(users)
    .set({ failedLogins: 0, lockedUntil: null, lastLoginAt: now })
    .where(eq(users.id, user.id));
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
