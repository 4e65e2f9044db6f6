/**
 * Caller facts (VIP, blacklisted, repeat calls within the window) are worked out once, when an
 * inbound call starts, and recorded in its `call.flags`; the screen pop shows what the call
 * recorded, even after the caller lists changed, and looks the facts up only for calls that
 * recorded none (calls out, calls logged before the facts were recorded).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { callerFacts } from '../../cti/calls/caller-facts.ts';
import type { CallEventBody } from '../../cti/call-log/events.ts';
import { CallLog } from '../../cti/call-log/log.ts';
import { screenPop } from '../../cti/desk/screen-pop.ts';
import { addToList } from '../../cti/lines/caller-lists.ts';
import { type TestDatabase, testDatabase } from '../support/db.ts';
import { buildCompany, type Company } from '../support/fixtures.ts';

const test = suite('caller facts');
let db: TestDatabase;
let company: Company;

const started = (direction: 'inbound' | 'outbound', from: string, to: string): CallEventBody => ({
  type: 'call.started',
  data: { direction, from, to, trunkId: null, numberId: null, agentId: null, channel: 'PJSIP/x' },
});
const ended: CallEventBody = { type: 'call.ended', data: { by: 'caller', q850Cause: 16, sipCode: null } };

async function logCall(callId: string, at: Date, events: CallEventBody[]) {
  const log = new CallLog(db.db);
  for (const e of events) await log.append(callId, e, at);
}

test.before(async () => {
  db = await testDatabase();
  company = await buildCompany(db.db);
});
test.after(async () => {
  await db?.close();
});

test('the facts are looked up from the caller lists and the calls within the repeat window', async () => {
  const number = '13700000001';
  const now = new Date();
  assert.equal(await callerFacts(db.db, number, now), {
    vip: false,
    blacklisted: false,
    repeatCalls: 0,
    repeatHours: (await callerFacts(db.db, '', now)).repeatHours,
  });
  await addToList(company.owner, 'vip', { number, reason: 'key account' });
  await logCall('cf-earlier', new Date(now.getTime() - 3_600_000), [
    started('inbound', number, '01012345678'),
    ended,
  ]);
  const facts = await callerFacts(db.db, number, now);
  assert.is(facts.vip, true);
  assert.is(facts.blacklisted, false);
  assert.is(facts.repeatCalls, 1);
  assert.equal(await callerFacts(db.db, '', now), { ...facts, vip: false, repeatCalls: 0 });
});

test('the screen pop shows what the call recorded when it started, not what the lists say now', async () => {
  const number = '13700000002';
  await logCall('cf-recorded', new Date(), [
    started('inbound', number, '01012345678'),
    {
      type: 'call.flags',
      data: { region: '', vip: true, repeat: true, repeatCalls: 3, repeatHours: 24, blacklisted: true },
    },
  ]);
  // Neither list holds the number and no earlier call exists: the recorded facts stand.
  const pop = await screenPop(company.owner, 'cf-recorded', number);
  assert.is(pop.vip, true);
  assert.is(pop.blacklisted, true);
  assert.is(pop.repeatCalls, 3);
  assert.is(pop.repeatHours, 24);
});

test('a call that recorded no facts (a call out, or logged before facts were recorded) has them looked up', async () => {
  const number = '13700000003';
  await addToList(company.owner, 'blacklist', { number, reason: 'abuse' });
  await logCall('cf-outbound', new Date(), [started('outbound', '01012345678', number)]);
  const out = await screenPop(company.owner, 'cf-outbound', number);
  assert.is(out.blacklisted, true);
  assert.is(out.vip, false);
  // Older events carry only region, vip and repeat.
  await logCall('cf-old', new Date(), [
    started('inbound', number, '01012345678'),
    { type: 'call.flags', data: { region: '', vip: false, repeat: false } },
  ]);
  const old = await screenPop(company.owner, 'cf-old', number);
  assert.is(old.blacklisted, true);
});

test.run();
