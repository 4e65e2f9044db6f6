/**
 * The ACD and desk pages over the web (no PBX): a group's queue settings saved and read back,
 * refusals next to their fields, things in use that cannot be deleted; the desk and ACD
 * settings (survey, repeat callers, business types, region rules); the desk page and its live
 * stream; wrap-up notes only on one's own calls; the supervisor's pages behind their
 * permission; the lost-calls list with its filters.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { forceState, listBreakReasons } from '../../cti/agents/agent-states.ts';
import { listBusinessTypes, surveySettings } from '../../cti/acd/acd-settings.ts';
import { saveCallNote } from '../../cti/desk/screen-pop.ts';
import { getGroup } from '../../cti/acd/agent-groups.ts';
import { createPrompt, parsePromptInput, promptStoreIn } from '../../cti/media/prompts.ts';
import { CallLog } from '../../cti/call-log/log.ts';
import { callRecords, regionRules } from '../../db/schema.ts';
import { domainError, logged, rejects } from '../support/assert.ts';
import { WebClient } from '../support/client.ts';
import { type TestDatabase, testDatabase } from '../support/db.ts';
import { buildCompany, type Company, password } from '../support/fixtures.ts';
import { type RunningApp, startApp } from '../support/server.ts';

const test = suite('ACD administration');
let db: TestDatabase;
let app: RunningApp;
let company: Company;
let admin: WebClient;
let promptId: number;
const dataDir = mkdtempSync(join(tmpdir(), 'cc-acd-admin-'));

test.before(
  logged(async () => {
    db = await testDatabase();
    company = await buildCompany(db.db);
    const store = promptStoreIn(dataDir, { maxBytes: 10_000_000, maxSeconds: 300 });
    promptId = await createPrompt(
      company.owner,
      store,
      parsePromptInput({ name: 'Hold tune', kind: 'tts', ttsText: 'Please hold.', ttsLanguage: 'en' }, null),
    );
    app = await startApp(db.db, {
      settings: (s) => {
        s.dataDir = dataDir;
      },
    });
    admin = new WebClient(app.url);
    await admin.login('admin', password);
  }),
);
test.after(async () => {
  await app?.close();
  await db.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const groupId = async (name: string) => {
  const list = await admin.get(`/callcenter/groups?f_q=${encodeURIComponent(name)}`);
  return Number(/\/callcenter\/groups\/(\d+)\/edit/.exec(list.text)?.[1]);
};

test('a group is saved with its members, levels and queue settings, and reads back the same', async () => {
  await admin.get('/callcenter/groups/new');
  const r = await admin.post('/callcenter/groups/new', {
    name: 'Service',
    leaderId: String(company.people.supervisorB),
    memberIds: [String(company.people.repA), String(company.people.repB)],
    [`penalty_${company.people.repA}`]: '0',
    [`penalty_${company.people.repB}`]: '3',
    strategy1: 'last_agent',
    strategy2: 'least_workload',
    strategy3: 'longest_idle',
    strategy4: '',
    lastAgentHours: '48',
    vipFirst: '1',
    ringSeconds: '15',
    jumpAfter: '2',
    holdPromptId: String(promptId),
    announceEvery: '30',
    announcePosition: '1',
    language: 'zh',
    maxWaitSeconds: '120',
    maxWaitKeySeconds: '8',
    maxWaitCallback: '1',
    maxWaitNoKey: 'hangup',
    emptyJoin: '1',
    overflowWaiting: '10',
    overflowKind: 'external',
    overflowNumber: '020-12345678',
    announceAgentNumber: '1',
    survey: '1',
    queueVisible: '1',
    serveEarly: '1',
  });
  assert.is(r.status, 303, r.text.slice(0, 3000));
  const id = await groupId('Service');
  const g = await getGroup(company.owner, id);
  assert.equal(g.members, [
    { userId: company.people.repA, penalty: 0 },
    { userId: company.people.repB, penalty: 3 },
  ]);
  assert.is(g.leaderId, company.people.supervisorB);
  assert.equal(g.queue.strategies, ['last_agent', 'least_workload', 'longest_idle']);
  assert.is(g.queue.lastAgentHours, 48);
  assert.is(g.queue.holdPromptId, promptId);
  assert.equal(g.queue.announce, { everySeconds: 30, position: true, waitTime: false });
  assert.equal(g.queue.maxWait, {
    seconds: 120,
    promptId: null,
    keySeconds: 8,
    callback: true,
    noKey: 'hangup',
  });
  assert.equal(g.queue.overflow, {
    waiting: 10,
    waitSeconds: 0,
    target: { kind: 'external', number: '02012345678' },
  });
  assert.is(g.queue.language, 'zh');
  const form = await admin.get(`/callcenter/groups/${id}/edit`);
  assert.match(form.text, 'value="last_agent" selected');
  assert.match(form.text, `name="penalty_${company.people.repB}"`);
  // The prompt the queue plays cannot be deleted.
  const del = await admin.follow(await admin.post(`/callcenter/prompts/${promptId}/delete`, {}));
  assert.match(del.text, 'Service');
});

test('queue settings that cannot work are refused next to their fields, and nothing is saved', async () => {
  await admin.get('/callcenter/groups/new');
  const r = await admin.post('/callcenter/groups/new', {
    name: 'Broken',
    strategy1: 'random',
    strategy2: 'last_agent',
    ringSeconds: '2',
    overflowWaitSeconds: '30',
    announceEvery: '5',
    serveEarly: '1',
  });
  assert.is(r.status, 422);
  assert.match(r.text, 'Nothing can follow this strategy');
  assert.match(r.text, 'data-field="ringSeconds"');
  assert.match(r.text, 'The value is outside the allowed range.');
  assert.match(r.text, 'Serving early needs the waiting callers to be visible.');
  assert.not.ok(await groupId('Broken'));
});

test('a group another group overflows to cannot be deleted', async () => {
  await admin.get('/callcenter/groups/new');
  await admin.post('/callcenter/groups/new', {
    name: 'Back office',
    strategy1: 'ring_all',
    ringSeconds: '20',
    queueVisible: '1',
  });
  const back = await groupId('Back office');
  await admin.post('/callcenter/groups/new', {
    name: 'Front',
    strategy1: 'longest_idle',
    ringSeconds: '20',
    queueVisible: '1',
    overflowWaitSeconds: '60',
    overflowKind: 'group',
    overflowGroupId: String(back),
  });
  const refused = await admin.follow(await admin.post(`/callcenter/groups/${back}/delete`, {}));
  assert.match(refused.text, 'Front');
  assert.ok(await groupId('Back office'), 'still there');
});

test('desk and ACD settings: survey, repeat callers, business types and region rules', async () => {
  const page = await admin.get('/callcenter/desk');
  assert.is(page.status, 200);
  const saved = await admin.post('/callcenter/desk', {
    wrapUpSeconds: '20',
    repeatHours: '12',
    confirmClose: '1',
    surveyLevels: '5',
    surveyPromptId: '',
    surveyThanksPromptId: String(promptId),
  });
  assert.is(saved.status, 303, saved.text.slice(0, 2000));
  assert.equal(await surveySettings(db.db), { levels: 5, promptId: null, thanksPromptId: promptId });
  const bad = await admin.post('/callcenter/desk', {
    wrapUpSeconds: '20',
    repeatHours: '-1',
    surveyLevels: '9',
  });
  assert.is(bad.status, 422);
  await admin.post('/callcenter/desk/business-types', { code: 'refund', name: 'Refund' });
  assert.ok((await listBusinessTypes(db.db)).some((b) => b.code === 'refund'));
  const dup = await admin.follow(
    await admin.post('/callcenter/desk/business-types', { code: 'refund', name: 'Again' }),
  );
  assert.match(dup.text, 'flash-error');
  await admin.post('/callcenter/desk/regions', {
    province: '广东',
    city: '深圳',
    groupId: String(await groupId('Service')),
  });
  const [rule] = await db.db.select().from(regionRules);
  assert.equal([rule?.province, rule?.city], ['广东', '深圳']);
  const zh = new WebClient(app.url);
  await zh.login('admin', password);
  await zh.get('/callcenter/desk');
  await zh.post('/locale', { locale: 'zh-CN', next: '/callcenter/desk' });
  const zhPage = await zh.get('/callcenter/desk');
  assert.match(zhPage.text, '满意度设置');
  assert.match(zhPage.text, '投诉');
  await zh.post('/locale', { locale: 'en', next: '/' });
});

test('the desk page and its live stream; notes only on calls the agent took', async () => {
  const rep = new WebClient(app.url);
  await rep.login('rep.a', password);
  const desk = await rep.get('/desk');
  assert.is(desk.status, 200);
  assert.match(desk.text, 'sse-connect="/desk/live"');
  assert.match(desk.text, 'Telephony is not available right now.');
  const live = await rep.get('/desk/live');
  assert.match(live.headers.get('content-type') ?? '', 'text/event-stream');
  assert.match(live.text, 'event: state');
  assert.match(live.text, 'data-state="logged_out"');
  // A call rep.a answered, and one she never took part in.
  const log = new CallLog(db.db);
  const call = (id: string, agent: number) =>
    [
      {
        type: 'call.started',
        data: {
          direction: 'inbound',
          from: '13811112222',
          to: '4001',
          trunkId: null,
          numberId: null,
          agentId: null,
          channel: 'x',
        },
      },
      {
        type: 'leg.dialing',
        data: { leg: `l-${id}`, target: { kind: 'agent', userId: agent, endpoint: '2002' } },
      },
      { type: 'leg.answered', data: { leg: `l-${id}`, userId: agent } },
      { type: 'call.ended', data: { by: 'caller', q850Cause: 16, sipCode: null } },
    ] as const;
  for (const e of call('mine', company.people.repA)) await log.append('call-mine', e);
  for (const e of call('other', company.people.repB)) await log.append('call-other', e);
  const [type] = await listBusinessTypes(db.db);
  await rep.get('/desk');
  const note = await rep.post('/desk/notes/call-mine', {
    businessTypeId: String(type!.id),
    note: 'Wants a refund',
  });
  assert.is(note.status, 303);
  const [mine] = await db.db.select().from(callRecords).where(eq(callRecords.callId, 'call-mine'));
  assert.equal([mine?.businessTypeId, mine?.note], [type!.id, 'Wants a refund']);
  const ctx = await company.ctx(company.people.repA);
  await rejects(
    () => saveCallNote(ctx, log, 'call-other', { businessTypeId: '', note: 'x' }),
    domainError('not_found'),
  );
  // The desk shows the last call for its note.
  assert.match((await rep.get('/desk')).text, 'Wants a refund');
});

test('the supervisor pages need their permission; forced states are in the monitoring log', async () => {
  const rep = new WebClient(app.url);
  await rep.login('rep.a', password);
  assert.is((await rep.get('/supervisor')).status, 403);
  assert.is((await rep.get('/supervisor/log')).status, 403);
  const sup = new WebClient(app.url);
  await sup.login('sup.b', password);
  const bench = await sup.get('/supervisor');
  assert.is(bench.status, 200);
  assert.match(bench.text, 'sse-connect="/supervisor/live"');
  // Sales B's supervisor sees Sales B's agent, not Sales A's.
  assert.match(bench.text, `data-agent="${company.people.repB}"`);
  assert.not.match(bench.text, `data-agent="${company.people.repA}"`);
  const [reason] = await listBreakReasons(db.db);
  await forceState(await company.ctx(company.people.supervisorB), company.people.repB, 'break', reason!.id);
  const log = await sup.get('/supervisor/log');
  assert.match(log.text, 'Changed the state');
  assert.match(log.text, 'Bob RepB');
});

test('lost calls: abandoned and unserved inbound calls, with a call-back button and the status after calling back', async () => {
  const log = new CallLog(db.db);
  const start = {
    type: 'call.started',
    data: {
      direction: 'inbound',
      from: '13933334444',
      to: '4001',
      trunkId: null,
      numberId: null,
      agentId: null,
      channel: 'x',
    },
  } as const;
  await log.append('lost-1', start);
  await log.append('lost-1', {
    type: 'queue.joined',
    data: {
      groupId: await groupId('Service'),
      via: 'hotline',
      position: 1,
      vip: false,
      since: new Date().toISOString(),
    },
  });
  await log.append('lost-1', {
    type: 'queue.left',
    data: { groupId: await groupId('Service'), reason: 'abandoned', waitedSeconds: 40 },
  });
  await log.append('lost-1', { type: 'call.ended', data: { by: 'caller', q850Cause: 16, sipCode: null } });
  const page = await admin.get('/calls/lost');
  assert.is(page.status, 200);
  assert.match(page.text, '13933334444');
  assert.match(page.text, 'Hung up in the queue');
  assert.match(page.text, 'Call back');
  assert.match(page.text, 'Not called back');
  // An answered call back to the number later marks it called back.
  await log.append('back-1', {
    type: 'call.started',
    data: {
      direction: 'outbound',
      from: '4001',
      to: '13933334444',
      trunkId: null,
      numberId: null,
      agentId: company.people.repA,
      channel: '',
    },
  });
  await log.append('back-1', {
    type: 'leg.dialing',
    data: { leg: 'b', target: { kind: 'external', number: '13933334444', trunkId: 1 } },
  });
  await log.append('back-1', { type: 'leg.answered', data: { leg: 'b', userId: null } });
  await log.append('back-1', { type: 'call.ended', data: { by: 'callee', q850Cause: 16, sipCode: null } });
  const open = await admin.get('/calls/lost?f_status=open');
  assert.not.match(open.text, '13933334444');
  const done = await admin.get('/calls/lost?f_status=called_back');
  assert.match(done.text, '13933334444');
});

test.run();
