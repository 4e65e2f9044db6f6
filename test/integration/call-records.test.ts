/**
 * The call records lists (3.8.1 呼入通话记录, 3.8.2 呼出通话记录): every filter narrows the list
 * to the calls it should (checked in the domain and over the web), the inbound and outbound
 * views with their columns, a duration that is not a number is named and not applied, an agent
 * sees only their own calls, and the export reads thousands of rows by keyset — every row once,
 * in the list's order. Calls are written through the call log and its projection, as the CTI does.
 */
import { eq } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type CallRow, callListing, invalidCallFilters } from '../../cti/call-log/call-records.ts';
import { listBusinessTypes } from '../../cti/acd/acd-settings.ts';
import { createHotline, parseHotlineInput } from '../../cti/lines/hotlines.ts';
import { createIvr } from '../../cti/ivr/ivrs.ts';
import type { Ctx } from '../../core/context.ts';
import { everyRow, type Listing, listQuery, pageOf } from '../../core/list-query.ts';
import { createNumber, createTrunk, parseNumberInput, parseTrunkInput } from '../../cti/lines/lines.ts';
import type { CallEvent, CallEventBody } from '../../cti/call-log/events.ts';
import { CallLog } from '../../cti/call-log/log.ts';
import { projectCallRecord } from '../../cti/call-log/projection.ts';
import { agentGroupMembers, agentGroups, callRecords } from '../../db/schema.ts';
import { WebClient } from '../support/client.ts';
import { type TestDatabase, testDatabase } from '../support/db.ts';
import { buildCompany, type Company, password } from '../support/fixtures.ts';
import { type RunningApp, startApp } from '../support/server.ts';

const test = suite('call records lists');
let db: TestDatabase;
let app: RunningApp;
let company: Company;
let owner: Ctx;
const ids = {
  trunkMain: 0,
  trunkBackup: 0,
  number1: 0,
  number2: 0,
  ivr: 0,
  hotlineSales: 0,
  hotlineService: 0,
  groupService: 0,
  groupSales: 0,
  consult: 0,
  complaint: 0,
};

/** The five calls, by the customer's number each shows. */
const customer = {
  A: '13800000001',
  B: '13800000002',
  C: '13800000003',
  D: '13900000004',
  E: '13900000005',
} as const;
type Key = keyof typeof customer;
const keys = Object.keys(customer) as Key[];

const base = Date.now() - 3_600_000;
const at = (seconds: number) => new Date(base + seconds * 1000);

/** Appends a call's events, each `[seconds after the start, event]`. */
async function logCall(log: CallLog, callId: string, start: number, events: [number, CallEventBody][]) {
  for (const [s, e] of events) await log.append(callId, e, at(start + s));
}

const started = (
  direction: 'inbound' | 'outbound',
  from: string,
  to: string,
  trunkId: number,
  numberId: number,
  agentId: number | null,
): CallEventBody => ({
  type: 'call.started',
  data: { direction, from, to, trunkId, numberId, agentId, channel: 'PJSIP/x' },
});
const ended: CallEventBody = { type: 'call.ended', data: { by: 'caller', q850Cause: 16, sipCode: null } };
const agentRings = (leg: string, userId: number): CallEventBody => ({
  type: 'leg.dialing',
  data: { leg, target: { kind: 'agent', userId, endpoint: String(userId) } },
});
const answered = (leg: string, userId: number | null): CallEventBody => ({
  type: 'leg.answered',
  data: { leg, userId },
});
const joins = (groupId: number): CallEventBody => ({
  type: 'queue.joined',
  data: { groupId, via: 'hotline', position: 1, vip: false, since: new Date().toISOString() },
});

test.before(async () => {
  db = await testDatabase();
  company = await buildCompany(db.db);
  owner = company.owner;
  const { people } = company;
  ids.trunkMain = await createTrunk(
    owner,
    parseTrunkInput({ name: 'Trunk Main', host: '192.0.2.10', qualify: 'no' }),
  );
  ids.trunkBackup = await createTrunk(
    owner,
    parseTrunkInput({ name: 'Trunk Backup', host: '192.0.2.20', qualify: 'no' }),
  );
  ids.number1 = await createNumber(
    owner,
    parseNumberInput({ number: '4001', trunkId: String(ids.trunkMain), label: 'Line one' }),
  );
  ids.number2 = await createNumber(
    owner,
    parseNumberInput({ number: '4002', trunkId: String(ids.trunkBackup), label: 'Line two' }),
  );
  ids.ivr = await createIvr(owner, { name: 'Main menu' });
  const [service, sales] = await db.db
    .insert(agentGroups)
    .values([{ name: 'Service desk' }, { name: 'Sales desk' }])
    .returning({ id: agentGroups.id });
  ids.groupService = service!.id;
  ids.groupSales = sales!.id;
  await db.db.insert(agentGroupMembers).values([
    { groupId: ids.groupService, userId: people.repA },
    { groupId: ids.groupSales, userId: people.repB },
  ]);
  ids.hotlineSales = await createHotline(
    owner,
    parseHotlineInput({
      name: 'Sales hotline',
      numberId: String(ids.number1),
      target: 'ivr',
      ivrId: String(ids.ivr),
    }),
  );
  ids.hotlineService = await createHotline(
    owner,
    parseHotlineInput({
      name: 'Service hotline',
      numberId: String(ids.number2),
      target: 'group',
      groupId: String(ids.groupSales),
    }),
  );
  const types = await listBusinessTypes(db.db);
  ids.consult = types.find((t) => t.builtinKey === 'consult')!.id;
  ids.complaint = types.find((t) => t.builtinKey === 'complaint')!.id;

  const log = new CallLog(db.db);
  const ivrIn: CallEventBody = {
    type: 'ivr.entered',
    data: { ivrId: ids.ivr, name: 'Main menu', hotlineId: ids.hotlineSales, from: customer.A, region: '' },
  };
  // A: inbound on the sales hotline, through the IVR into Service desk, answered by rep.a,
  // 120 s of talk, rated 1 of 3, filed as a consultation.
  await logCall(log, 'call-A', 0, [
    [0, started('inbound', customer.A, '4001', ids.trunkMain, ids.number1, null)],
    [0, ivrIn],
    [5, { type: 'ivr.left', data: { outcome: 'group' } }],
    [5, joins(ids.groupService)],
    [8, agentRings('a1', people.repA)],
    [10, answered('a1', people.repA)],
    [10, { type: 'queue.left', data: { groupId: ids.groupService, reason: 'answered', waitedSeconds: 5 } }],
    [130, { type: 'survey.scored', data: { score: 1, levels: 3 } }],
    [130, ended],
    [140, { type: 'call.note', data: { userId: people.repA, businessTypeId: ids.consult, note: '' } }],
  ]);
  // B: inbound on the service hotline straight into Sales desk, answered by rep.b, 30 s, rated 3 of 3, a complaint.
  await logCall(log, 'call-B', 200, [
    [0, started('inbound', customer.B, '4002', ids.trunkBackup, ids.number2, null)],
    [0, joins(ids.groupSales)],
    [2, agentRings('b1', people.repB)],
    [4, answered('b1', people.repB)],
    [4, { type: 'queue.left', data: { groupId: ids.groupSales, reason: 'answered', waitedSeconds: 4 } }],
    [34, { type: 'survey.scored', data: { score: 3, levels: 3 } }],
    [34, ended],
    [40, { type: 'call.note', data: { userId: people.repB, businessTypeId: ids.complaint, note: '' } }],
  ]);
  // C: inbound on the sales hotline, hung up in the IVR.
  await logCall(log, 'call-C', 400, [
    [0, started('inbound', customer.C, '4001', ids.trunkMain, ids.number1, null)],
    [0, { ...ivrIn, data: { ...ivrIn.data, from: customer.C } } as CallEventBody],
    [7, ended],
  ]);
  // D: rep.a calls out on Trunk Main showing 4001, 45 s of talk.
  await logCall(log, 'call-D', 600, [
    [0, started('outbound', '4001', customer.D, ids.trunkMain, ids.number1, people.repA)],
    [
      1,
      {
        type: 'leg.dialing',
        data: { leg: 'd1', target: { kind: 'external', number: customer.D, trunkId: ids.trunkMain } },
      },
    ],
    [3, answered('d1', null)],
    [48, ended],
  ]);
  // E: rep.b calls out on Trunk Backup showing 4002, nobody answers.
  await logCall(log, 'call-E', 800, [
    [0, started('outbound', '4002', customer.E, ids.trunkBackup, ids.number2, people.repB)],
    [
      1,
      {
        type: 'leg.dialing',
        data: { leg: 'e1', target: { kind: 'external', number: customer.E, trunkId: ids.trunkBackup } },
      },
    ],
    [21, { type: 'leg.failed', data: { leg: 'e1', failure: 'no_answer', sipCode: 480, q850Cause: 19 } }],
    [21, { type: 'call.ended', data: { by: 'system', q850Cause: 19, sipCode: 480 } }],
  ]);
  app = await startApp(db.db);
});
test.after(async () => {
  await app?.close();
  await db.close();
});

/** The calls (A…E) the domain listing gives for these filters, in the list's order. */
async function listed(
  ctx: Ctx,
  filters: Record<string, string>,
  view: 'all' | 'inbound' | 'outbound' = 'all',
) {
  const q = listQuery({ pageSize: 100, filters });
  const page = await pageOf(await callListing(ctx, q, view), q);
  return page.rows.map((r) => r.callId.replace('call-', '')).sort();
}

/** The calls (A…E) a page shows, by their customers' numbers. */
const shown = (html: string) => keys.filter((k) => html.includes(customer[k]));

test('each filter narrows the list to the calls it names', async () => {
  const cases: [Record<string, string>, string[]][] = [
    [{}, ['A', 'B', 'C', 'D', 'E']],
    [{ group: String(ids.groupService) }, ['A']],
    [{ group: String(ids.groupSales) }, ['B']],
    [{ trunk: String(ids.trunkBackup) }, ['B', 'E']],
    [{ trunk: String(ids.trunkMain) }, ['A', 'C', 'D']],
    // The hotline is the number called: outbound calls showing that number are not its calls.
    [{ hotline: String(ids.hotlineSales) }, ['A', 'C']],
    [{ hotline: String(ids.hotlineService) }, ['B']],
    [{ ivr: 'any' }, ['A', 'C']],
    [{ ivr: String(ids.ivr) }, ['A', 'C']],
    [{ ivr: 'none' }, ['B', 'D', 'E']],
    [{ talkMin: '60' }, ['A']],
    [{ talkMin: '30' }, ['A', 'B', 'D']],
    [{ talkMax: '30' }, ['B', 'C', 'E']],
    [{ talkMin: '31', talkMax: '119' }, ['D']],
    [{ businessType: String(ids.consult) }, ['A']],
    [{ businessType: String(ids.complaint) }, ['B']],
    [{ satisfaction: '1' }, ['A']],
    [{ satisfaction: '3' }, ['B']],
    [{ satisfaction: 'scored' }, ['A', 'B']],
    [{ satisfaction: 'none' }, ['C', 'D', 'E']],
    [{ direction: 'outbound', trunk: String(ids.trunkMain) }, ['D']],
    [{ agent: String(company.people.repA) }, ['A', 'D']],
  ];
  for (const [filters, expected] of cases)
    assert.equal(await listed(owner, filters), expected, JSON.stringify(filters));
  // Nothing matches an unknown id.
  assert.equal(await listed(owner, { trunk: '999999' }), []);
  assert.equal(await listed(owner, { hotline: '999999' }), []);
});

test('the same filters over the web, on the list and on the views', async () => {
  const web = new WebClient(app.url);
  await web.login('admin', password);
  const page = await web.get(`/calls?f_group=${ids.groupService}`);
  assert.is(page.status, 200);
  assert.equal(shown(page.text), ['A']);
  assert.equal(shown((await web.get(`/calls?f_trunk=${ids.trunkBackup}`)).text), ['B', 'E']);
  assert.equal(shown((await web.get(`/calls/inbound?f_hotline=${ids.hotlineSales}`)).text), ['A', 'C']);
  assert.equal(shown((await web.get('/calls/inbound?f_ivr=none')).text), ['B']);
  assert.equal(shown((await web.get('/calls?f_talkMin=60')).text), ['A']);
  assert.equal(shown((await web.get('/calls/outbound?f_talkMin=1&f_talkMax=100')).text), ['D']);
  assert.equal(shown((await web.get(`/calls?f_businessType=${ids.complaint}`)).text), ['B']);
  assert.equal(shown((await web.get('/calls/inbound?f_satisfaction=1')).text), ['A']);
  // The filters are offered, the durations as number fields.
  assert.match(page.text, 'name="f_talkMin"');
  assert.match(page.text, /type="number"[^>]*name="f_talkMin"|name="f_talkMin"[^>]*type="number"/);
  for (const name of ['Trunk Backup', 'Sales hotline', 'Main menu', 'Service desk', 'Enquiry'])
    assert.match(page.text, name);
});

test('the inbound and outbound views show their direction with their columns', async () => {
  const web = new WebClient(app.url);
  await web.login('admin', password);
  const inbound = await web.get('/calls/inbound');
  assert.is(inbound.status, 200);
  assert.match(inbound.text, '<h1>Inbound calls</h1>');
  assert.equal(shown(inbound.text), ['A', 'B', 'C']);
  const heads = (html: string) => [...html.matchAll(/<th[^>]*>(?:<a [^>]*>)?([^<]+)/g)].map((m) => m[1]);
  assert.equal(heads(inbound.text), [
    'Started',
    'Caller',
    'Hotline',
    'IVR',
    'Agent group',
    'Agent',
    'Wait time',
    'Talk time',
    'Result',
    'Satisfaction',
    'Recording',
  ]);
  const rowOf = (html: string, number: string) => {
    const row = html.split('<tr>').find((r) => r.includes(number)) ?? '';
    return Object.fromEntries(
      [...row.matchAll(/<td data-col="(\w+)">([\s\S]*?)<\/td>/g)].map((m) => [
        m[1],
        m[2]!.replace(/<[^>]+>/g, ''),
      ]),
    );
  };
  const a = rowOf(inbound.text, customer.A);
  assert.is(a.hotline, 'Sales hotline');
  assert.is(a.ivr, 'Main menu');
  assert.is(a.group, 'Service desk');
  assert.is(a.agent, 'Ray RepA');
  assert.is(a.wait, '0:05');
  assert.is(a.talk, '2:00');
  assert.is(a.satisfaction, '1/3');
  assert.is(rowOf(inbound.text, customer.B).hotline, 'Service hotline');
  assert.is(rowOf(inbound.text, customer.B).ivr, '');

  const outbound = await web.get('/calls/outbound');
  assert.is(outbound.status, 200);
  assert.match(outbound.text, '<h1>Outbound calls</h1>');
  assert.equal(shown(outbound.text), ['D', 'E']);
  assert.equal(heads(outbound.text), [
    'Started',
    'Agent',
    'Called number',
    'Caller ID shown',
    'Trunk',
    'Ring time',
    'Talk time',
    'Result',
    'Recording',
  ]);
  const d = rowOf(outbound.text, customer.D);
  assert.equal(
    [d.agent, d.callerId, d.trunk, d.talk, d.disposition],
    ['Ray RepA', '4001 (Line one)', 'Trunk Main', '0:45', 'Answered'],
  );
  assert.is(rowOf(outbound.text, customer.E).disposition, 'No answer');
  // A direction in the address does not widen a view.
  assert.equal(shown((await web.get('/calls/outbound?f_direction=inbound')).text), ['D', 'E']);
  assert.equal(await listed(owner, { direction: 'inbound' }, 'outbound'), ['D', 'E']);
  // The views are in the navigation and link to each other.
  for (const href of ['/calls/inbound', '/calls/outbound']) assert.match(inbound.text, `href="${href}"`);
  // In Chinese, the titles of the manual.
  const zh = new WebClient(app.url);
  await zh.login('owner', password);
  await zh.get('/calls');
  await zh.post('/locale', { locale: 'zh-CN', next: '/calls' });
  assert.match((await zh.get('/calls/inbound')).text, '呼入通话记录');
  assert.match((await zh.get('/calls/outbound')).text, '呼出通话记录');
  await zh.post('/locale', { locale: 'en', next: '/' });
});

test('a duration that is not a number is named on the page and not applied', async () => {
  assert.equal(invalidCallFilters({ talkMin: 'abc', talkMax: '30', trunk: 'x', q: 'anything' }), [
    'talkMin',
    'trunk',
  ]);
  assert.equal(invalidCallFilters({ talkMin: '-5', satisfaction: 'great', from: '2024-13-45' }), [
    'talkMin',
    'satisfaction',
    'from',
  ]);
  assert.equal(await listed(owner, { talkMin: 'abc' }), ['A', 'B', 'C', 'D', 'E']);
  assert.equal(await listed(owner, { talkMin: 'abc', talkMax: '30' }), ['B', 'C', 'E']);
  const web = new WebClient(app.url);
  await web.login('admin', password);
  const r = await web.get('/calls?f_talkMin=abc');
  assert.is(r.status, 200);
  assert.equal(shown(r.text), ['A', 'B', 'C', 'D', 'E']);
  assert.match(r.text, 'data-invalid-filters="talkMin"');
  assert.match(r.text, 'Not applied, the value is not understood: Talk time at least.');
  const ok = await web.get('/calls?f_talkMin=60');
  assert.not.match(ok.text, 'data-invalid-filters');
});

test('an agent sees only their own calls, in every view and filter, and no settings they may not see', async () => {
  const rep = await company.ctx(company.people.repA);
  assert.equal(await listed(rep, {}), ['A', 'D']);
  assert.equal(await listed(rep, { trunk: String(ids.trunkBackup) }), []);
  assert.equal(await listed(rep, { agent: String(company.people.repB) }), []);
  assert.equal(await listed(rep, {}, 'inbound'), ['A']);
  const web = new WebClient(app.url);
  await web.login('rep.a', password);
  for (const path of ['/calls', '/calls/inbound', '/calls/outbound', `/calls?f_trunk=${ids.trunkBackup}`]) {
    const r = await web.get(path);
    assert.is(r.status, 200, path);
    assert.ok(
      shown(r.text).every((k) => k === 'A' || k === 'D'),
      `${path} shows ${shown(r.text)}`,
    );
    // Trunks and hotlines are settings a sales representative may not see; other groups are out of scope.
    for (const secret of ['Trunk Backup', 'Service hotline', 'Sales desk', 'Bob RepB'])
      assert.not.ok(r.text.includes(secret), `${path} shows ${secret}`);
  }
  assert.equal(shown((await web.get('/calls/inbound')).text), ['A']);
  assert.equal(shown((await web.get('/calls/outbound')).text), ['D']);
  // A supervisor of Sales B sees Sales B's calls only.
  const sup = await company.ctx(company.people.supervisorB);
  assert.equal(await listed(sup, {}), ['B', 'E']);
  // Exporting needs calls:export, which a sales representative does not hold.
  assert.is((await web.get('/calls/inbound/export.csv')).status, 403);
});

/** Many calls written as the call log's projection writes them, in bulk: several share each start time. */
async function manyCalls(n: number) {
  const agents = [company.people.repA, company.people.repB, null];
  const rows = [];
  for (let i = 0; i < n; i++) {
    const callId = `bulk-${String((i * 7919) % n).padStart(5, '0')}`;
    const startedAt = new Date(base - 86_400_000 + Math.floor(i / 7) * 1000);
    const direction = i % 3 === 0 ? 'outbound' : 'inbound';
    const number = `1370${String(i).padStart(7, '0')}`;
    const events: CallEvent[] = [
      {
        type: 'call.started',
        at: startedAt,
        data: {
          direction,
          from: direction === 'inbound' ? number : '4001',
          to: direction === 'inbound' ? '4001' : number,
          trunkId: ids.trunkMain,
          numberId: ids.number1,
          agentId: direction === 'outbound' ? company.people.repA : null,
          channel: 'x',
        },
      },
      ...(agents[i % 3] !== null
        ? ([
            {
              type: 'leg.dialing',
              at: startedAt,
              data: { leg: 'l', target: { kind: 'agent', userId: agents[i % 3]!, endpoint: 'x' } },
            },
            {
              type: 'leg.answered',
              at: new Date(startedAt.getTime() + 2000),
              data: { leg: 'l', userId: agents[i % 3]! },
            },
          ] as CallEvent[])
        : []),
      {
        type: 'call.ended',
        at: new Date(startedAt.getTime() + 2000 + (i % 11) * 1000),
        data: { by: 'caller', q850Cause: 16, sipCode: null },
      },
    ];
    rows.push(projectCallRecord(callId, events)!);
  }
  for (let i = 0; i < rows.length; i += 500) await db.db.insert(callRecords).values(rows.slice(i, i + 500));
}

/** Every row of a listing through its keyset stream only (OFFSET paging refused). */
async function streamed(listing: Listing<CallRow>): Promise<CallRow[]> {
  assert.ok(listing.stream, 'the call listing streams by keyset');
  const keysetOnly: Listing<CallRow> = {
    ...listing,
    fetch: () => {
      throw new Error('the export paged with OFFSET');
    },
  };
  const rows: CallRow[] = [];
  for await (const r of everyRow(keysetOnly, 500)) rows.push(r);
  return rows;
}

test('the export reads 3,000 calls by keyset: each once, in the order of the list', async () => {
  await manyCalls(3000);
  const total = 3005;
  for (const [sort, dir] of [
    [null, 'asc'],
    ['startedAt', 'asc'],
    ['talkSeconds', 'desc'],
    ['agent', 'asc'],
    ['agent', 'desc'],
  ] as const) {
    const q = listQuery({ sort, dir });
    const listing = await callListing(owner, q);
    const rows = await streamed(listing);
    const reference = await listing.fetch(10_000, 0);
    assert.is(reference.length, total);
    assert.is(rows.length, total, `${sort} ${dir}`);
    assert.is(new Set(rows.map((r) => r.callId)).size, total, `${sort} ${dir}: no row twice`);
    assert.equal(
      rows.map((r) => r.callId),
      reference.map((r) => r.callId),
      `${sort} ${dir}: the list's order`,
    );
  }
  // Newest first by default, ties in call id order.
  const rows = await streamed(await callListing(owner, listQuery()));
  for (let i = 1; i < rows.length; i++) {
    const [a, b] = [rows[i - 1]!, rows[i]!];
    assert.ok(
      a.startedAt > b.startedAt || (a.startedAt.getTime() === b.startedAt.getTime() && a.callId < b.callId),
      `row ${i} out of order`,
    );
  }
  // Filtered and scoped, the same way.
  const rep = await company.ctx(company.people.repA);
  const mine = await streamed(await callListing(rep, listQuery({ filters: { talkMin: '5' } }), 'outbound'));
  const expected = await db.db
    .select({ id: callRecords.callId })
    .from(callRecords)
    .where(eq(callRecords.agentId, company.people.repA));
  assert.ok(mine.length > 500, 'more than one batch');
  assert.ok(
    mine.every((r) => r.direction === 'outbound' && r.agentId === company.people.repA && r.talkSeconds >= 5),
  );
  assert.ok(mine.length < expected.length);

  // Over the web: the CSV of the outbound view has every outbound call once, newest first.
  const web = new WebClient(app.url);
  await web.login('admin', password);
  await web.get('/calls/outbound');
  await web.post('/prefs/tables/calls-outbound', { columns: ['callee'], next: '/calls/outbound' });
  const csv = await web.get('/calls/outbound/export.csv');
  assert.is(csv.status, 200);
  const lines = csv.text
    .replace(/^\uFEFF/, '')
    .trim()
    .split('\r\n');
  assert.is(lines[0], 'Called number');
  const outbound = (await streamed(await callListing(owner, listQuery(), 'outbound'))).map((r) => r.toNumber);
  assert.is(outbound.length, 1000 + 2);
  assert.equal(lines.slice(1), outbound);
  assert.is(new Set(lines.slice(1)).size, lines.length - 1);
  // And the whole list, filtered by talk time.
  await web.post('/prefs/tables/calls', { columns: ['from', 'to', 'talk'], next: '/calls' });
  const all = await web.get('/calls/export.csv?f_talkMin=10');
  const allLines = all.text
    .replace(/^\uFEFF/, '')
    .trim()
    .split('\r\n')
    .slice(1);
  const tenOrMore = await db.db
    .select({ id: callRecords.callId, talk: callRecords.talkSeconds })
    .from(callRecords);
  assert.is(allLines.length, tenOrMore.filter((r) => r.talk >= 10).length);
});

test.run();
