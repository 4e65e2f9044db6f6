/**
 * Logging in and out, changing one's own password, with account lockout after repeated
 * failures and a per-address rate limit. Every outcome lands in the audit log.
 */
import { eq } from 'drizzle-orm';
import type { SecuritySettings } from '../../config/settings.ts';
import { users } from '../../db/schema.ts';
import { audit, auditAnonymous } from '../audit/audit-log.ts';
import type { AnonymousCtx, Ctx } from '../context.ts';
import { DomainError, ValidationError } from '../errors.ts';
import { hashPassword, passwordProblem, timingDummyHash, verifyPassword } from './passwords.ts';
import { afterWrongPassword, clearAfterSuccess, countAttempt } from './login-attempts.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { createSession, destroySession, destroyUserSessions, type Session } from './sessions.ts';

export const normaliseUsername = (u: string) => u.trim().toLowerCase();

export interface LoginResult {
  token: string;
  session: Session;
  mustChangePassword: boolean;
}

/**
 * Logs in. Every refusal — unknown user, disabled account, wrong password, an address locked
 * out, the account's back-off — is the same `login_failed` after one password hash's work, so
 * neither the answer nor its timing says which usernames exist or whether a disabled account's
 * password was right; the audit log records the real reason. The lockout model is in
 * `login-attempts.ts`. Only the per-address rate limit answers differently (it says nothing
 * about any account).
 */
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
  const refuse = async (
    who: { id?: number; username: string; departmentId?: number },
    detail: Record<string, unknown>,
  ) => {
    // The same hashing work as a real check, whatever the reason.
    await verifyPassword(input.password, await timingDummyHash());
    await auditAnonymous(ctx, who, { action: 'auth.login_failed', detail });
    return failed(security);
  };
  const [user] = await ctx.db.select().from(users).where(eq(users.username, username));
  if (!user) throw await refuse({ username }, { reason: 'unknown_user' });
  const who = { id: user.id, username: user.username, departmentId: user.departmentId };
  if (!user.enabled) throw await refuse(who, { reason: 'disabled' });
  const attempt = await countAttempt(ctx.db, user.id, ctx.ip, security, now);
  if (!attempt.counted) {
    if (attempt.reason === 'too_many_at_once')
      await auditAnonymous(ctx, who, {
        action: 'auth.locked',
        detail: { address: ctx.ip, scope: 'address' },
      });
    throw await refuse(who, { reason: attempt.reason });
  }
  if (!(await verifyPassword(input.password, user.passwordHash))) {
    const locks = await afterWrongPassword(ctx.db, user.id, ctx.ip, attempt, security, now);
    await auditAnonymous(ctx, who, {
      action: 'auth.login_failed',
      detail: { reason: 'password', failed: attempt.fromAddress, failedOverall: attempt.overall },
    });
    if (locks.addressLockedUntil)
      await auditAnonymous(ctx, who, {
        action: 'auth.locked',
        detail: { scope: 'address', address: ctx.ip, until: locks.addressLockedUntil.toISOString() },
      });
    if (locks.accountPausedUntil)
      await auditAnonymous(ctx, who, {
        action: 'auth.locked',
        detail: { scope: 'account', until: locks.accountPausedUntil.toISOString(), failed: attempt.overall },
      });
    throw failed(security);
  }
  if (!(await clearAfterSuccess(ctx.db, user.id, ctx.ip, now))) {
    await auditAnonymous(ctx, who, { action: 'auth.login_failed', detail: { reason: 'locked_meanwhile' } });
    throw failed(security);
  }
  const { token, session } = await createSession(ctx.db, user.id, ctx, security, now);
  await auditAnonymous(ctx, who, { action: 'auth.login' });
  return { token, session, mustChangePassword: user.mustChangePassword };
}

/** The one answer to every refused login. */
const failed = (security: SecuritySettings) =>
  new DomainError('login_failed', { attempts: security.lockoutThreshold, minutes: security.lockoutMinutes });

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
