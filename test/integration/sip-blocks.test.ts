/**
 * Stored SIP blocks (pbx/sip-blocks.ts): a block keeps why (rule, counted failures, events,
 * accounts, window) for the PBX status page and the audit log; an address blocked already keeps
 * its one block while failures still arrive; after an admin lifts it, it can be blocked again.
 */
import { eq } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { auditLog, sipBlocks } from '../../db/schema.ts';
import { blockAddress, blockedAddresses, liftBlock, recentBlocks } from '../../pbx/sip-blocks.ts';
import type { BlockRequest } from '../../pbx/sip-guard.ts';
import { type TestDatabase, testDatabase } from '../support/db.ts';
import { buildCompany, type Company } from '../support/fixtures.ts';

const test = suite('SIP blocks');
let db: TestDatabase;
let company: Company;

test.before(async () => {
  db = await testDatabase();
  company = await buildCompany(db.db);
});
test.after(async () => {
  await db.close();
});

const scan: BlockRequest = {
  ip: '203.0.113.9',
  reason: 'unknown_accounts',
  failures: 5,
  accounts: ['admin', '100'],
  minutes: 15,
  detail: { windowSeconds: 60, threshold: 5, events: { InvalidAccountID: 5 }, uncounted: 0 },
};

test('a block keeps why; a second block of an address blocked already adds nothing; lifted, it can be blocked again', async () => {
  const first = await blockAddress(db.db, undefined, scan);
  assert.ok(first);
  assert.is(await blockAddress(db.db, undefined, { ...scan, failures: 7 }), null);
  assert.equal(await blockedAddresses(db.db), ['203.0.113.9']);
  const [listed, ...others] = await recentBlocks(company.owner);
  assert.is(others.length, 0, 'one row per blocking');
  assert.is(listed?.reason, 'unknown_accounts');
  assert.is(listed?.failures, 5);
  assert.equal(listed?.accounts, ['admin', '100']);
  assert.equal(listed?.detail, scan.detail);
  const audited = await db.db.select().from(auditLog).where(eq(auditLog.action, 'sip.address_blocked'));
  assert.is(audited.length, 1);
  assert.equal(audited[0]?.detail, {
    reason: 'unknown_accounts',
    failures: 5,
    accounts: ['admin', '100'],
    minutes: 15,
    ...scan.detail,
  });

  await liftBlock(company.owner, first.id);
  assert.ok(await blockAddress(db.db, undefined, { ...scan, reason: 'wrong_passwords' }));
  assert.is((await db.db.select().from(sipBlocks).where(eq(sipBlocks.ip, scan.ip))).length, 2);
});

test('a block that ran out does not keep the address from being blocked again', async () => {
  const long = new Date(Date.now() - 60 * 60_000);
  assert.ok(await blockAddress(db.db, undefined, { ...scan, ip: '203.0.113.10' }, long));
  assert.ok(await blockAddress(db.db, undefined, { ...scan, ip: '203.0.113.10' }));
});

test.run();
