/**
 * The call engine's routing look-ups from memory (cti/calls/config-cache.ts): read once, then
 * answered without the database until the database announces a change of the table — made
 * through the domain functions or behind their back — and straight from the database when it
 * is not listening.
 */
import { eq } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { writeSetting } from '../../core/settings.ts';
import { ConfigCache } from '../../cti/calls/config-cache.ts';
import { addToList } from '../../cti/lines/caller-lists.ts';
import { parseNumberInput, updateNumber } from '../../cti/lines/lines.ts';
import { trunks } from '../../db/schema.ts';
import { type TestDatabase, testDatabase } from '../support/db.ts';
import { buildCompany, type Company } from '../support/fixtures.ts';
import { carrierLine } from '../support/telephony.ts';

const test = suite('routing look-ups from memory');
const did = '4008007000';
let db: TestDatabase;
let company: Company;
let line: { trunkId: number; numberId: number };
let cache: ConfigCache;

test.before(async () => {
  db = await testDatabase();
  company = await buildCompany(db.db);
  line = await carrierLine(company, did);
  cache = new ConfigCache(db.db);
  await cache.start();
});
test.after(async () => {
  await cache?.stop();
  await db?.close();
});

async function until(what: string, check: () => Promise<boolean>) {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('read once, then from memory', async () => {
  const before = { ...cache.counts };
  const a = await cache.numberByDid(did);
  const b = await cache.numberByDid(did);
  await cache.trunkById(line.trunkId);
  await cache.trunkById(line.trunkId);
  assert.is(a?.id, line.numberId);
  assert.is(b, a);
  assert.is(cache.counts.reads - before.reads, 2);
  assert.is(cache.counts.hits - before.hits, 2);
});

test('a change through the domain functions is seen at once', async () => {
  assert.is((await cache.numberByDid(did))?.enabled, true);
  await updateNumber(
    company.owner,
    line.numberId,
    parseNumberInput({ number: did, trunkId: String(line.trunkId), enabled: '' }),
  );
  await until('the disabled number', async () => (await cache.numberByDid(did))?.enabled === false);
  // Other tables' entries stay.
  const reads = cache.counts.reads;
  await cache.trunkById(line.trunkId);
  assert.is(cache.counts.reads, reads, 'the trunk was not read again');
});

test('a change behind the domain’s back (plain SQL) is seen too', async () => {
  assert.is((await cache.trunkById(line.trunkId))?.enabled, true);
  await db.db.update(trunks).set({ enabled: false }).where(eq(trunks.id, line.trunkId));
  await until('the disabled trunk', async () => (await cache.trunkById(line.trunkId))?.enabled === false);
});

test('caller lists and the repeat window', async () => {
  assert.is(await cache.isBlacklisted('13800000001'), false);
  assert.is(await cache.isVip('13800000002'), false);
  await addToList(company.owner, 'blacklist', { number: '13800000001', reason: 'spam' });
  await addToList(company.owner, 'vip', { number: '13800000002', reason: '' });
  await until('the blacklisted caller', () => cache.isBlacklisted('13800000001'));
  await until('the VIP caller', () => cache.isVip('13800000002'));
  assert.is(await cache.repeatCallerHours(), 24);
  await writeSetting(db.db, 'acd.repeat_hours', 48);
  await until('the new repeat window', async () => (await cache.repeatCallerHours()) === 48);
});

test('not listening: every look-up goes to the database', async () => {
  await cache.stop();
  const reads = cache.counts.reads;
  await cache.numberByDid(did);
  await cache.numberByDid(did);
  assert.is(cache.counts.reads - reads, 2);
  await cache.start();
});

test.run();
