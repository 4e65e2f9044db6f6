/**
 * Recording retention (finding 16): changing it needs `calls:delete_recordings` over every call
 * besides `callcenter:edit` (refused in the domain, a matrix of roles × lengthen / shorten over the
 * web); a shorter value comes back with how many recordings it would delete and is saved only when
 * confirmed for that value; and it deletes nothing for 24 hours: the purge right after keeps to
 * the value before, the purge a day later applies the new one. Calls and recordings are written
 * through the call log, the files into a recording store of the test's own.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { eq, inArray } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createRole, parseRoleInput } from '../../core/access/roles.ts';
import { createEmployee, parseEmployeeInput } from '../../core/org/employees.ts';
import { clearSetting, writeSetting } from '../../core/settings.ts';
import type { CallEventBody } from '../../cti/call-log/events.ts';
import { CallLog } from '../../cti/call-log/log.ts';
import {
  purgeExpiredRecordings,
  recordingRetention,
  setRetentionDays,
} from '../../cti/call-log/recording-retention.ts';
import { recordingParties, storedRecording } from '../../cti/calls/recorder.ts';
import { auditLog, callRecords, users } from '../../db/schema.ts';
import { formatTime } from '../../web/views/format.ts';
import { domainError, rejects } from '../support/assert.ts';
import { WebClient } from '../support/client.ts';
import { type TestDatabase, testDatabase } from '../support/db.ts';
import { buildCompany, type Company, password } from '../support/fixtures.ts';
import { type RunningApp, startApp } from '../support/server.ts';

const test = suite('recording retention');
let db: TestDatabase;
let app: RunningApp;
let company: Company;
let store: string;
const day = 86_400_000;
const start = Date.now();
/** The recorded calls, by their age in days when the test starts. */
const ages = [2, 10, 20, 45] as const;
const callIdOf = (age: number) => `retention-${age}d`;
const fileOf = (age: number) => `2026/01/01/${callIdOf(age)}.wav`;
const filesOf = (age: number) =>
  [undefined, ...recordingParties].map((p) => storedRecording(store, fileOf(age), p));

/** Sets the retention as if it had been in force for long: no grace period. */
async function reset(days: number) {
  await writeSetting(db.db, 'recordings.retention_days', days);
  await clearSetting(db.db, 'recordings.retention_grace');
}

const changes = async () =>
  (await db.db.select().from(auditLog).where(eq(auditLog.action, 'recordings.retention_changed'))).length;

async function recordCall(log: CallLog, age: number) {
  const t0 = start - age * day;
  const at = (s: number) => new Date(t0 + s * 1000);
  const events: [number, CallEventBody][] = [
    [
      0,
      {
        type: 'call.started',
        data: {
          direction: 'inbound',
          from: '13800000001',
          to: '4001',
          trunkId: null,
          numberId: null,
          agentId: null,
          channel: 'PJSIP/x',
        },
      },
    ],
    [1, { type: 'leg.dialing', data: { leg: 'b1', target: { kind: 'agent', userId: 1, endpoint: '1001' } } }],
    [5, { type: 'leg.answered', data: { leg: 'b1', userId: 1 } }],
    [
      65,
      { type: 'recording.stored', data: { file: fileOf(age), seconds: 60, parties: ['caller', 'agent'] } },
    ],
    [66, { type: 'call.ended', data: { by: 'caller', q850Cause: 16, sipCode: null } }],
  ];
  for (const [s, e] of events) await log.append(callIdOf(age), e, at(s));
  for (const f of filesOf(age)) {
    mkdirSync(dirname(f), { recursive: true });
    writeFileSync(f, 'RIFF');
  }
}

/** A person holding one new role, logged in over the web. */
async function personWith(username: string, permissions: string[], dataScope = 'all'): Promise<WebClient> {
  const role = await createRole(company.owner, parseRoleInput({ name: username, dataScope, permissions }));
  const created = await createEmployee(
    company.owner,
    parseEmployeeInput({
      username,
      name: username,
      departmentId: String(dataScope === 'all' ? company.rootId : company.salesA),
      roleIds: [String(role)],
      password,
    }),
  );
  await db.db.update(users).set({ mustChangePassword: false }).where(eq(users.id, created.id));
  return loggedIn(username);
}

async function loggedIn(username: string): Promise<WebClient> {
  const web = new WebClient(app.url);
  const login = await web.login(username, password);
  assert.is(login.status, 303, `${username} logs in`);
  await web.get('/calls');
  return web;
}

test.before(async () => {
  db = await testDatabase();
  company = await buildCompany(db.db);
  app = await startApp(db.db);
  store = mkdtempSync(join(tmpdir(), 'cc-retention-'));
  const log = new CallLog(db.db);
  for (const age of ages) await recordCall(log, age);
});
test.after(async () => {
  await app?.close();
  await db?.close();
  if (store) rmSync(store, { recursive: true, force: true });
});

test('turning retention on from “keep forever” shows what it would delete and saves nothing unconfirmed', async () => {
  await reset(0);
  const web = await loggedIn('owner');
  const page = await web.post('/calls/retention', { retentionDays: '5' });
  assert.is(page.status, 200);
  assert.match(page.text, 'data-retention-confirm="5"');
  assert.match(page.text, 'data-affected="3"', 'the calls 10, 20 and 45 days old');
  assert.match(page.text, formatTime(new Date(start - 45 * day), 'en'), 'the oldest one’s date');
  assert.match(page.text, 'name="confirm" value="5"');
  assert.is((await recordingRetention(db.db)).days, 0, 'nothing saved');
  assert.is(await changes(), 0, 'nothing audited');
});

test('roles × lengthen / shorten: only callcenter:edit with calls:delete_recordings over every call may change it', async () => {
  const settingsOnly = ['callcenter:view', 'callcenter:edit'];
  const refused: Record<string, WebClient> = {
    'settings only': await personWith('settings.only', settingsOnly),
    'settings and every other calls permission': await personWith('settings.calls', [
      ...settingsOnly,
      'calls:view',
      'calls:listen',
      'calls:download',
      'calls:export',
    ]),
    'settings and deleting recordings in a department': await personWith(
      'settings.dept',
      [...settingsOnly, 'calls:delete_recordings'],
      'department',
    ),
    'built-in supervisor': await loggedIn('sup.b'),
  };
  const allowed: Record<string, WebClient> = {
    'settings and deleting recordings everywhere': await personWith('settings.delete', [
      ...settingsOnly,
      'calls:delete_recordings',
    ]),
    'built-in administrator': await loggedIn('admin'),
    owner: await loggedIn('owner'),
  };
  const actions = { lengthen: '60', shorten: '7' };
  for (const [who, web] of Object.entries(refused)) {
    for (const [action, days] of Object.entries(actions)) {
      await reset(30);
      const before = await changes();
      const r = await web.post('/calls/retention', { retentionDays: days, confirm: days });
      assert.is(r.status, 403, `${who} may not ${action}`);
      const now = await recordingRetention(db.db);
      assert.equal([now.days, now.effectiveAt], [30, null], `${who}: nothing saved when trying to ${action}`);
      assert.is(await changes(), before, `${who}: nothing audited`);
    }
  }
  const explained = await refused['settings only']!.post('/calls/retention', { retentionDays: '60' });
  assert.match(explained.text, 'Changing the recording retention deletes recordings', 'the refusal says why');
  assert.match(explained.text, 'Delete recordings (retention)');
  const shown = await refused['settings only']!.get('/calls/retention');
  assert.is(shown.status, 200, 'the settings permission still shows the retention');
  assert.match(shown.text, 'You may see the retention but not change it.');
  assert.not.match((await allowed.owner!.get('/calls/retention')).text, 'but not change it');
  for (const [who, web] of Object.entries(allowed)) {
    for (const [action, days] of Object.entries(actions)) {
      await reset(30);
      const r = await web.post('/calls/retention', { retentionDays: days, confirm: days });
      assert.is(r.status, 303, `${who} may ${action}`);
      assert.is((await recordingRetention(db.db)).days, Number(days), `${who}: ${action} saved`);
    }
  }
});

test('shortening asks for confirmation with the count; lengthening does not; the grace period protects for 24 hours', async () => {
  await reset(30);
  const log = new CallLog(db.db);
  const web = await loggedIn('owner');
  const before = await changes();

  const asked = await web.post('/calls/retention', { retentionDays: '7' });
  assert.is(asked.status, 200);
  assert.match(asked.text, 'data-affected="2"', 'the calls 10 and 20 days old (45 days is past 30 already)');
  assert.match(asked.text, '2 recordings are older than 7 days');
  assert.match(asked.text, formatTime(new Date(start - 20 * day), 'en'), 'the oldest one’s date');
  assert.is((await recordingRetention(db.db)).days, 30, 'not saved without confirmation');
  const otherValue = await web.post('/calls/retention', { retentionDays: '7', confirm: '14' });
  assert.match(otherValue.text, 'data-retention-confirm="7"', 'a confirmation of another value asks again');
  assert.is((await recordingRetention(db.db)).days, 30);
  assert.is(await changes(), before, 'nothing audited before confirming');

  const saved = await web.post('/calls/retention', { retentionDays: '7', confirm: '7' });
  assert.is(saved.status, 303);
  const now = await recordingRetention(db.db);
  assert.is(now.days, 7);
  assert.is(now.inForce, 30, 'the value before stays in force');
  const effectiveAt = now.effectiveAt!;
  assert.ok(effectiveAt, 'the new value takes effect later');
  const wait = effectiveAt.getTime() - Date.now();
  assert.ok(wait > 23.9 * 3_600_000 && wait <= 24 * 3_600_000, `in 24 hours (${wait} ms)`);
  const page = await web.follow(saved);
  assert.match(page.text, `data-effective-at="${effectiveAt.toISOString()}"`);
  assert.match(page.text, 'still kept for 30 days');
  assert.match(page.text, formatTime(effectiveAt, 'en'), 'the settings page says when it takes effect');
  const [entry] = (
    await db.db.select().from(auditLog).where(eq(auditLog.action, 'recordings.retention_changed'))
  ).slice(-1);
  assert.equal(
    [entry!.detail.from, entry!.detail.to, entry!.detail.affected, entry!.detail.effectiveAt],
    [30, 7, 2, effectiveAt.toISOString()],
  );

  // Right after, the purge keeps to 30 days: only the call 45 days old loses its recording.
  assert.is(await purgeExpiredRecordings(db.db, log, store, new Date()), 1);
  const kept = await db.db
    .select({ callId: callRecords.callId, recording: callRecords.recording })
    .from(callRecords)
    .where(inArray(callRecords.callId, [2, 10, 20].map(callIdOf)));
  assert.ok(
    kept.length === 3 && kept.every((r) => r.recording !== null),
    'the records keep their recordings',
  );
  for (const age of [2, 10, 20]) assert.ok(filesOf(age).every(existsSync), `files of ${age} days kept`);
  assert.not.ok(filesOf(45).some(existsSync), 'the one past the old value is deleted');
  assert.is(await purgeExpiredRecordings(db.db, log, store, new Date(effectiveAt.getTime() - 60_000)), 0);
  for (const age of [10, 20]) assert.ok(filesOf(age).every(existsSync), `${age} days kept until then`);

  // Lengthening (during the grace period too) needs no confirmation and keeps the grace period.
  const longer = await web.post('/calls/retention', { retentionDays: '14' });
  assert.is(longer.status, 303);
  assert.equal(await recordingRetention(db.db), { days: 14, inForce: 30, effectiveAt });
  // Shortening it again asks again, and its 24 hours start anew.
  const again = await web.post('/calls/retention', { retentionDays: '7' });
  assert.match(again.text, 'data-retention-confirm="7"', 'shorter than the value set: asked again');
  assert.is((await web.post('/calls/retention', { retentionDays: '7', confirm: '7' })).status, 303);
  const later = (await recordingRetention(db.db)).effectiveAt!;
  assert.ok(later > effectiveAt, 'the grace period restarts');
  assert.equal(await recordingRetention(db.db), { days: 7, inForce: 30, effectiveAt: later });
  // Past the first deadline, before the new one: still nothing.
  assert.is(await purgeExpiredRecordings(db.db, log, store, new Date(later.getTime() - 1)), 0);

  // A day later the new value applies: the calls 10 and 20 days old lose their recordings.
  assert.is(await purgeExpiredRecordings(db.db, log, store, new Date(later.getTime() + 60_000)), 2);
  for (const age of [10, 20]) assert.not.ok(filesOf(age).some(existsSync), `${age} days deleted`);
  assert.ok(filesOf(2).every(existsSync), 'the call 2 days old keeps its recording');
  const [recent] = await db.db
    .select()
    .from(callRecords)
    .where(eq(callRecords.callId, callIdOf(2)));
  assert.is(recent!.recording, fileOf(2));
  const [purged] = await db.db
    .select()
    .from(callRecords)
    .where(eq(callRecords.callId, callIdOf(20)));
  assert.is(purged!.recording, null);
  assert.is(purged!.disposition, 'answered', 'the call record itself stays');

  const forever = await web.post('/calls/retention', { retentionDays: '0' });
  assert.is(forever.status, 303, 'keeping forever needs no confirmation');
  assert.equal(await recordingRetention(db.db), { days: 0, inForce: 0, effectiveAt: null });
});

test('a refused change is refused by the domain function itself', async () => {
  const [person] = await db.db.select().from(users).where(eq(users.username, 'settings.only'));
  const ctx = await company.ctx(person!.id);
  await reset(30);
  await rejects(() => setRetentionDays(ctx, { days: '60' }), domainError('retention_needs_delete'));
  await rejects(
    () => setRetentionDays(ctx, { days: '7', confirm: '7' }),
    domainError('retention_needs_delete'),
  );
  assert.is((await recordingRetention(db.db)).days, 30);
});

test.run();
