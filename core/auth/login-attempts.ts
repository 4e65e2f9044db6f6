/**
 * The lockout model. Failed logins are counted twice, each **before** the password is checked
 * and in one conditional statement, so attempts running at the same time each get their own
 * count and a lock set meanwhile is seen:
 * - per account **and client address** (`login_failures`): `lockoutThreshold` failures lock the
 *   account for that address for `lockoutMinutes` — one address can lock only itself out, never
 *   the owner working from another;
 * - per account across addresses (`users.failed_logins`): from `accountBackoffThreshold`
 *   failures on, each further one pauses logins to the account for everyone for 1, 2, 4 …
 *   minutes (at most `lockoutMinutes`) — the slower back-off against many addresses at once.
 * An address locked out is refused without counting towards the account, so one address cannot
 * push the account into its back-off. A success clears both counts, unless a lock was set
 * meanwhile by attempts running alongside (then it is refused too).
 */
import { and, eq, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { SecuritySettings } from '../../config/settings.ts';
import type { Db } from '../../db/client.ts';
import { loginFailures, users } from '../../db/schema.ts';

export type AttemptRefusal = 'address_locked' | 'account_paused' | 'too_many_at_once';

export type CountedAttempt =
  | { counted: true; fromAddress: number; overall: number }
  | { counted: false; reason: AttemptRefusal; until?: Date };

/** Counts one attempt of `userId` from `address`, or says why it is refused unchecked. */
export async function countAttempt(
  db: Db,
  userId: number,
  address: string,
  security: SecuritySettings,
  now: Date,
): Promise<CountedAttempt> {
  const pairFree = or(isNull(loginFailures.lockedUntil), lte(loginFailures.lockedUntil, now));
  const [pair] = await db
    .insert(loginFailures)
    .values({ userId, address, failed: 1, updatedAt: now })
    .onConflictDoUpdate({
      target: [loginFailures.userId, loginFailures.address],
      // A lock that ran out starts the count again.
      set: {
        failed: sql`case when ${loginFailures.lockedUntil} is null then ${loginFailures.failed} + 1 else 1 end`,
        lockedUntil: null,
        updatedAt: now,
      },
      setWhere: pairFree,
    })
    .returning({ failed: loginFailures.failed });
  if (!pair) return { counted: false, reason: 'address_locked' };
  const accountFree = or(isNull(users.lockedUntil), lte(users.lockedUntil, now));
  const [account] = await db
    .update(users)
    .set({ failedLogins: sql`${users.failedLogins} + 1` })
    .where(and(eq(users.id, userId), accountFree))
    .returning({ failed: users.failedLogins });
  if (!account) {
    // Not held against this address: only attempts that could be checked count.
    await db
      .update(loginFailures)
      .set({ failed: sql`greatest(${loginFailures.failed} - 1, 0)` })
      .where(and(eq(loginFailures.userId, userId), eq(loginFailures.address, address)));
    return { counted: false, reason: 'account_paused' };
  }
  if (pair.failed > security.lockoutThreshold) {
    await lockAddress(db, userId, address, security, now);
    return { counted: false, reason: 'too_many_at_once' };
  }
  return { counted: true, fromAddress: pair.failed, overall: account.failed };
}

/** After a wrong password: locks the address or pauses the account when a count reached its limit. */
export async function afterWrongPassword(
  db: Db,
  userId: number,
  address: string,
  attempt: { fromAddress: number; overall: number },
  security: SecuritySettings,
  now: Date,
): Promise<{ addressLockedUntil?: Date; accountPausedUntil?: Date }> {
  const out: { addressLockedUntil?: Date; accountPausedUntil?: Date } = {};
  if (attempt.fromAddress >= security.lockoutThreshold)
    out.addressLockedUntil = await lockAddress(db, userId, address, security, now);
  const beyond = attempt.overall - security.accountBackoffThreshold;
  if (security.accountBackoffThreshold > 0 && beyond >= 0) {
    const minutes = Math.min(security.lockoutMinutes, 2 ** Math.min(beyond, 16));
    out.accountPausedUntil = new Date(now.getTime() + minutes * 60_000);
    await db.update(users).set({ lockedUntil: out.accountPausedUntil }).where(eq(users.id, userId));
  }
  return out;
}

async function lockAddress(
  db: Db,
  userId: number,
  address: string,
  security: SecuritySettings,
  now: Date,
): Promise<Date> {
  const until = new Date(now.getTime() + security.lockoutMinutes * 60_000);
  await db
    .update(loginFailures)
    .set({ lockedUntil: until, updatedAt: now })
    .where(and(eq(loginFailures.userId, userId), eq(loginFailures.address, address)));
  return until;
}

/**
 * The right password: both counts start again — unless this address or the account was locked
 * meanwhile by attempts running alongside, which the same conditional statements see (false).
 */
export async function clearAfterSuccess(
  db: Db,
  userId: number,
  address: string,
  now: Date,
): Promise<boolean> {
  const [pair] = await db
    .update(loginFailures)
    .set({ failed: 0, lockedUntil: null, updatedAt: now })
    .where(
      and(
        eq(loginFailures.userId, userId),
        eq(loginFailures.address, address),
        or(isNull(loginFailures.lockedUntil), lte(loginFailures.lockedUntil, now)),
      ),
    )
    .returning({ userId: loginFailures.userId });
  if (!pair) return false;
  const [account] = await db
    .update(users)
    .set({ failedLogins: 0, lockedUntil: null, lastLoginAt: now })
    .where(and(eq(users.id, userId), or(isNull(users.lockedUntil), lte(users.lockedUntil, now))))
    .returning({ id: users.id });
  return account !== undefined;
}

/** An administrator's unlock (enabling, resetting the password): every count and lock of these accounts goes. */
export async function clearLoginFailures(db: Db, userIds: number[]): Promise<void> {
  for (const userId of userIds) await db.delete(loginFailures).where(eq(loginFailures.userId, userId));
}

/** Counts nobody has added to for a day and locks that ran out (the hourly sweep). */
export async function purgeStaleLoginFailures(db: Db, now = new Date()): Promise<void> {
  const dayAgo = new Date(now.getTime() - 86_400_000);
  await db
    .delete(loginFailures)
    .where(
      and(
        lt(loginFailures.updatedAt, dayAgo),
        or(isNull(loginFailures.lockedUntil), lt(loginFailures.lockedUntil, now)),
      ),
    );
}
