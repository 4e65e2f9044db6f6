/**
 * Lockout holds under parallel attempts (issue 3/8, finding 3): each attempt is counted before
 * its password is checked, in one conditional update, so sixteen wrong passwords sent at once
 * check at most the threshold's worth, lock the account, and the right password sent after them
 * (or among them) does not log in.
 */
import { and, eq } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadSettings } from '../../config/settings.ts';
import { login } from '../../core/auth/login.ts';
import { RateLimiter } from '../../core/auth/rate-limiter.ts';
import { DomainError } from '../../core/errors.ts';
import { auditLog, loginFailures, sessions, users } from '../../db/schema.ts';
import { type TestDatabase, testDatabase } from '../support/db.ts';
import { buildCompany, type Company, origin, password } from '../support/fixtures.ts';

const test = suite('login race');
let db: TestDatabase;
let company: Company;
const security = { ...loadSettings({}).security, lockoutThreshold: 5, lockoutMinutes: 15 };

test.before(async () => {
  db = await testDatabase();
  company = await buildCompany(db.db);
});
test.after(async () => {
  await db?.close();
});

/** Whether the account is locked for the test's client address. */
async function addressLocked(userId: number): Promise<boolean> {
  const [row] = await db.db
    .select()
    .from(loginFailures)
    .where(and(eq(loginFailures.userId, userId), eq(loginFailures.address, origin.ip)));
  return Boolean(row?.lockedUntil && row.lockedUntil > new Date());
}

const attempt = (username: string, pw: string, limiter: RateLimiter) =>
  login({ db: db.db, ...origin }, security, limiter, { username, password: pw }).then(
    () => 'ok',
    (err: unknown) => (err instanceof DomainError ? err.code : String(err)),
  );

test('sixteen wrong passwords at once lock the account; the right one after them is refused', async () => {
  const limiter = new RateLimiter(1000, 60_000);
  const outcomes = await Promise.all(
    Array.from({ length: 16 }, () => attempt('rep.b', 'wrong-Password-9', limiter)),
  );
  assert.ok(
    outcomes.every((o) => o === 'login_failed'),
    outcomes.join(),
  );
  const checked = (
    await db.db.select().from(auditLog).where(eq(auditLog.actorId, company.people.repB))
  ).filter(
    (a) => a.action === 'auth.login_failed' && (a.detail as { reason?: string }).reason === 'password',
  );
  assert.ok(checked.length <= security.lockoutThreshold, `${checked.length} passwords checked`);
  assert.is(await attempt('rep.b', password, limiter), 'login_failed');
  assert.ok(await addressLocked(company.people.repB));
  assert.is((await db.db.select().from(sessions).where(eq(sessions.userId, company.people.repB))).length, 0);
});

test('the right password sent among wrong ones at once never opens a locked account', async () => {
  const limiter = new RateLimiter(1000, 60_000);
  const outcomes = await Promise.all([
    ...Array.from({ length: 12 }, () => attempt('rep.a', 'wrong-Password-9', limiter)),
    attempt('rep.a', password, limiter),
    ...Array.from({ length: 12 }, () => attempt('rep.a', 'wrong-Password-9', limiter)),
  ]);
  // Either the right one was checked before the lock (and may log in) or it was refused; the
  // account ends locked for this address either way.
  assert.ok(await addressLocked(company.people.repA), 'locked');
  assert.ok(outcomes.filter((o) => o === 'ok').length <= 1);
  assert.is(await attempt('rep.a', password, limiter), 'login_failed');
});

test('one wrong attempt fewer than the threshold, then the right password: logged in, count cleared', async () => {
  const limiter = new RateLimiter(1000, 60_000);
  for (let i = 0; i < security.lockoutThreshold - 1; i++)
    assert.is(await attempt('rep.a1', 'wrong-Password-9', limiter), 'login_failed');
  assert.is(await attempt('rep.a1', password, limiter), 'ok');
  const [row] = await db.db.select().from(users).where(eq(users.id, company.people.repA1));
  assert.is(row?.failedLogins, 0);
});

test.run();
