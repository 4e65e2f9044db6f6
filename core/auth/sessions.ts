/**
 * Server-side sessions. The browser holds a random token; the database holds only its SHA-256,
 * the user, a CSRF token, and the idle and absolute expiry.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, lt, ne } from 'drizzle-orm';
import type { SecuritySettings } from '../../config/settings.ts';
import type { Db } from '../../db/client.ts';
import { sessions } from '../../db/schema.ts';
import type { Origin } from '../context.ts';

export interface Session {
  id: string;
  userId: number;
  csrfToken: string;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
export const randomToken = () => randomBytes(32).toString('base64url');

export async function createSession(
  db: Db,
  userId: number,
  origin: Origin,
  security: SecuritySettings,
  now = new Date(),
): Promise<{ token: string; session: Session }> {
  const token = randomToken();
  const session: Session = { id: hashToken(token), userId, csrfToken: randomToken() };
  await db.insert(sessions).values({
    ...session,
    ip: origin.ip,
    userAgent: origin.userAgent.slice(0, 500),
    createdAt: now,
    lastSeenAt: now,
    expiresAt: new Date(now.getTime() + security.sessionMaxDays * 86_400_000),
  });
  return { token, session };
}

/** The live session for a cookie token, or null; an idle or expired session is removed. */
export async function findSession(
  db: Db,
  token: string,
  security: SecuritySettings,
  now = new Date(),
  /** false: only look (a live stream re-checking its session does not keep it from going idle). */
  touch = true,
): Promise<Session | null> {
  const id = hashToken(token);
  const [row] = await db.select().from(sessions).where(eq(sessions.id, id));
  if (!row) return null;
  const idleSince = now.getTime() - row.lastSeenAt.getTime();
  if (row.expiresAt <= now || idleSince > security.sessionIdleMinutes * 60_000) {
    await db.delete(sessions).where(eq(sessions.id, id));
    return null;
  }
  if (touch && idleSince > 60_000)
    await db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.id, id));
  return { id: row.id, userId: row.userId, csrfToken: row.csrfToken };
}

export async function destroySession(db: Db, sessionId: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.id, sessionId));
}

/** Ends every session of a user, or all but one (after a password change). */
export async function destroyUserSessions(db: Db, userId: number, except?: string): Promise<void> {
  await db
    .delete(sessions)
    .where(except ? and(eq(sessions.userId, userId), ne(sessions.id, except)) : eq(sessions.userId, userId));
}

export async function purgeExpiredSessions(db: Db, now = new Date()): Promise<void> {
  await db.delete(sessions).where(lt(sessions.expiresAt, now));
}
