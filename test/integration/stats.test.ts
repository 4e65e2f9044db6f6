/**
 * Statistics from recorded event sequences, checked against figures worked out by hand: a call
 * answered after queueing with wrap-up, a caller hanging up while an agent's phone rang, a short
 * abandon, a hang-up in the IVR, a transfer chain, a call crossing midnight, a quick hang-up, a
 * repeat caller (first-call resolution), a survey score, outbound attempts; hold, a conference, a
 * callback request and an unserved caller on a second day; agents' time and attendance; and a
 * change of the statistics rules recounting history. Every figure a report shows is checked.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { agentsNeeded } from '../../cti/stats/erlang.ts';
import { StatsMaintainer } from '../../cti/stats/maintainer.ts';
import { type ReportParams, runReport } from '../../cti/stats/reports.ts';
import { defaultStatsRules, saveStatsRules, statsRules } from '../../cti/stats/rules.ts';
import { todayFigures } from '../../cti/stats/today.ts';
import { readSetting, writeSetting } from '../../core/settings.ts';
import type { CallEventBody } from '../../cti/call-log/events.ts';
import { CallLog } from '../../cti/call-log/log.ts';
import { agentGroupMembers, agentGroups, agentStateEvents, type AgentState } from '../../db/schema.ts';
import { logged } from '../support/assert.ts';
import { type TestDatabase, testDatabase } from '../support/db.ts';
import { WebClient } from '../support/client.ts';
import { buildCompany, type Company, password } from '../support/fixtures.ts';
import { type RunningApp, startApp } from '../support/server.ts';

const test = suite('statistics');
const tz = 'Asia/Shanghai';
let db: TestDatabase;
let company: Company;
let log: CallLog;
let stats: StatsMaintainer;
let app: RunningApp;
let A: number;
let B: number;
const group = 7;

/** Local (Shanghai) time on 2031-05-01 → instant. */
const at = (hhmmss: string, day = '2031-05-01') => new Date(`${day}T${hhmmss}+08:00`);
const plus = (d: Date, seconds: number) => new Date(d.getTime() + seconds * 1000);

type Step = [number, CallEventBody];

/** Appends a call's events at their times (seconds after `start`). */
async function call(id: string, start: Date, steps: Step[]) {
  for (const [s, e] of steps) await log.append(id, e, plus(start, s));
}

const inbound = (from: string): CallEventBody => ({
  type: 'call.started',
  data: {
    direction: 'inbound',
    from,
    to: '4001',
    trunkId: null,
    numberId: null,
    agentId: null,
    channel: 'x',
  },
});
const outbound = (agentId: number, to: string): CallEventBody => ({
  type: 'call.started',
  data: { direction: 'outbound', from: '4001', to, trunkId: null, numberId: null, agentId, channel: 'x' },
});
const flags = (region = '北京'): CallEventBody => ({
  type: 'call.flags',
  data: { region, vip: false, repeat: false },
});
const joined = (since: Date): CallEventBody => ({
  type: 'queue.joined',
  data: { groupId: group, via: 'hotline', position: 1, vip: false, since: since.toISOString() },
});
const dial = (leg: string, userId: number): CallEventBody => ({
  type: 'leg.dialing',
  data: { leg, target: { kind: 'agent', userId, endpoint: String(userId) }, groupId: group },
});
const answer = (leg: string, userId: number | null): CallEventBody => ({
  type: 'leg.answered',
  data: { leg, userId },
});
const left = (reason: 'answered' | 'abandoned', waited: number): CallEventBody => ({
  type: 'queue.left',
  data: { groupId: group, reason, waitedSeconds: waited },
});
const ended = (by: 'caller' | 'callee' | 'system'): CallEventBody => ({
  type: 'call.ended',
  data: { by, q850Cause: 16, sipCode: null },
});

async function agentState(userId: number, state: AgentState, when: Date, reason = '') {
  await db.db.insert(agentStateEvents).values({ userId, at: when, state, reason });
}

const report = (over: Partial<ReportParams>) =>
  runReport(
    company.owner,
    {
      report: 'service',
      from: '2031-05-01',
      to: '2031-05-01',
      granularity: 'day',
      groupId: null,
      agentId: null,
      ivrId: null,
      ...over,
    },
    tz,
  );

test.before(
  logged(async () => {
    db = await testDatabase();
    company = await buildCompany(db.db);
    A = company.people.repA;
    B = company.people.repB;
    log = new CallLog(db.db);
    stats = new StatsMaintainer(db.db, tz, () => {});
    await agentState(A, 'ready', at('08:00:00'));
    await agentState(B, 'ready', at('08:30:00'));

    // 1. Queued 8 s, answered by A, 60 s talk, 10 s wrap-up, survey 2 of 3.
    const c1 = at('09:00:00');
    await call('c1', c1, [
      [0, inbound('13800000001')],
      [0, flags()],
      [0, joined(c1)],
      [5, dial('l1', A)],
      [8, answer('l1', A)],
      [8, left('answered', 8)],
      [68, { type: 'survey.started', data: { levels: 3 } }],
      [75, { type: 'survey.scored', data: { score: 2, levels: 3 } }],
      [76, ended('system')],
    ]);
    await agentState(A, 'on_call', plus(c1, 8), 'c1');
    await agentState(A, 'wrap_up', plus(c1, 76), 'c1');
    await agentState(A, 'ready', plus(c1, 86));

    // 2. The caller hangs up while A's phone rings: abandoned during ringing after 12 s.
    const c2 = at('09:10:00');
    await call('c2', c2, [
      [0, inbound('13800000002')],
      [0, flags('上海')],
      [0, joined(c2)],
      [2, dial('l2', A)],
      // As the engine logs it: the ringing leg is hung up after the call ended (no leg.failed).
      [12, left('abandoned', 12)],
      [12, ended('caller')],
    ]);

    // 3. A short abandon: 3 s in the queue.
    const c3 = at('09:20:00');
    await call('c3', c3, [
      [0, inbound('13800000003')],
      [0, flags()],
      [0, joined(c3)],
      [3, left('abandoned', 3)],
      [3, ended('caller')],
    ]);

    // 4. Hung up in the IVR: not offered.
    const c4 = at('09:30:00');
    await call('c4', c4, [
      [0, inbound('13800000004')],
      [0, flags()],
      [
        0,
        {
          type: 'ivr.entered',
          data: { ivrId: 1, name: 'Main', hotlineId: null, from: '13800000004', region: '' },
        },
      ],
      [1, { type: 'ivr.menu', data: { menu: 'main', name: 'Welcome' } }],
      [6, { type: 'ivr.left', data: { outcome: 'caller_hung_up' } }],
      [6, ended('caller')],
    ]);

    // 5. A transfer chain: A answers at 4 s, transfers to B who answers at 35 s; ends at 95 s.
    const c5 = at('10:00:00');
    await call('c5', c5, [
      [0, inbound('13800000005')],
      [0, flags()],
      [0, joined(c5)],
      [1, dial('l5a', A)],
      [4, answer('l5a', A)],
      [4, left('answered', 4)],
      [
        30,
        { type: 'transfer.started', data: { by: A, kind: 'blind', target: { kind: 'agent', userId: B } } },
      ],
      [
        30,
        { type: 'leg.dialing', data: { leg: 'l5b', target: { kind: 'agent', userId: B, endpoint: 'b' } } },
      ],
      [30, { type: 'transfer.completed', data: { by: A, kind: 'blind' } }],
      [30, { type: 'leg.left', data: { leg: 'l5a', userId: A } }],
      [35, answer('l5b', B)],
      [95, ended('caller')],
    ]);

    // 6. Crosses midnight: starts 23:59:50 on 1 May, ends on 2 May.
    const c6 = at('23:59:50');
    await call('c6', c6, [
      [0, inbound('13800000006')],
      [0, flags()],
      [0, joined(c6)],
      [2, dial('l6', B)],
      [5, answer('l6', B)],
      [5, left('answered', 5)],
      [70, ended('callee')],
    ]);

    // 7. Quick hang-up: answered after 25 s (outside a 20 s service level), caller hangs up 10 s later.
    const c7 = at('11:00:00');
    await call('c7', c7, [
      [0, inbound('13800000007')],
      [0, flags()],
      [0, joined(c7)],
      [22, dial('l7', B)],
      [25, answer('l7', B)],
      [25, left('answered', 25)],
      [35, ended('caller')],
    ]);

    // 8. A repeat caller: 13800000001 calls again two hours after call 1, answered by B.
    const c8 = at('11:00:00');
    await call('c8', c8, [
      [0, inbound('13800000001')],
      [0, { type: 'call.flags', data: { region: '北京', vip: false, repeat: true } }],
      [0, joined(c8)],
      [1, dial('l8', B)],
      [3, answer('l8', B)],
      [3, left('answered', 3)],
      [63, ended('callee')],
    ]);

    // 9. Outbound by A: answered after 5 s, 30 s talk (effective); another, no answer; a
    //    click-to-call whose agent never picked up (not an attempt).
    const c9 = at('14:00:00');
    await call('c9', c9, [
      [0, outbound(A, '13900000009')],
      [
        0,
        {
          type: 'leg.dialing',
          data: { leg: 'o9', target: { kind: 'external', number: '13900000009', trunkId: 1 } },
        },
      ],
      [5, answer('o9', null)],
      [35, ended('callee')],
    ]);
    const c10 = at('14:10:00');
    await call('c10', c10, [
      [0, outbound(A, '13900000010')],
      [
        0,
        {
          type: 'leg.dialing',
          data: { leg: 'o10', target: { kind: 'external', number: '13900000010', trunkId: 1 } },
        },
      ],
      [20, { type: 'leg.failed', data: { leg: 'o10', failure: 'no_answer', q850Cause: 19, sipCode: 480 } }],
      [20, ended('system')],
    ]);
    const c11 = at('14:20:00');
    await call('c11', c11, [
      [0, outbound(A, '13900000011')],
      [
        0,
        {
          type: 'leg.dialing',
          data: { leg: 'm11', target: { kind: 'agent', userId: A, endpoint: 'a' }, originator: true },
        },
      ],
      [
        15,
        {
          type: 'leg.failed',
          data: { leg: 'm11', failure: 'no_answer', q850Cause: 19, sipCode: null, originator: true },
        },
      ],
      [15, ended('system')],
    ]);
    await agentState(A, 'logged_out', at('18:00:00'));
    await agentState(B, 'break', at('12:00:00'), 'rest');
    await agentState(B, 'logged_out', at('12:30:00'));
    await stats.runOnce();
    process.env.TIME_ZONE = tz;
    app = await startApp(db.db);
  }),
);
test.after(async () => {
  await app?.close();
  await db?.close();
});

test('the service report of the day, figure by figure', async () => {
  const r = await report({});
  const t = r.totals;
  // Offered: 1, 2, 3, 5, 6, 7, 8 (the IVR hang-up is not offered).
  assert.is(t.offered, 7);
  assert.is(t.answered, 5);
  assert.is(t.answer_rate, 5 / 7);
  assert.is(t.abandoned, 2, 'in the queue (3) and while ringing (2)');
  assert.is(t.short_abandoned, 1);
  // Waits: 8, 12, 3, 4, 5, 25, 3. In 20 s: 8, 4, 5, 3 answered → 4 ÷ (7 − 1).
  assert.is(t.service_level, 4 / 6);
  assert.is(t.asa, (8 + 4 + 5 + 25 + 3) / 5);
  assert.is(t.avg_wait, (8 + 12 + 3 + 4 + 5 + 25 + 3) / 7);
  assert.is(t.longest_wait, 25);
  // Talk (answer to end): 68, 91, 65, 10, 60; wrap-up 10 s after call 1.
  assert.is(t.aht, (68 + 91 + 65 + 10 + 60 + 10) / 5);
  assert.is(t.transfers, 1);
  assert.is(t.quick_hangups, 1, 'call 7 (10 s ≤ 15 s)');
  assert.is(t.repeat_calls, 1);
  // Call 1's caller called again within 12 h: 4 of 5 answered calls resolved the first time.
  assert.is(t.fcr, 4 / 5);
  assert.is(t.satisfaction_rate, 1, 'a 2 of 3 is satisfied');
  assert.is(t.out_attempts, 2, 'the click-to-call never dialled out');
  assert.is(t.out_connects, 1);
  assert.is(t.connect_rate, 0.5);
  assert.is(t.out_talk, 30);
});

test('the other figures of the day, by hand: abandons by place, talk, outbound, agents’ time', async () => {
  const lost = (await report({ report: 'lost' })).totals;
  assert.equal(
    [lost.abandoned_queue, lost.abandoned_ringing, lost.abandoned_ivr, lost.unserved, lost.callbacks],
    [1, 1, 1, 0, 0],
    'call 3 in the queue, call 2 while ringing, call 4 in the IVR',
  );
  // Abandon rate leaves the short abandon out of both sides: (2 − 1) ÷ (7 − 1).
  assert.is(lost.abandon_rate, 1 / 6);
  assert.is((await report({})).totals.conferences, 0);
  const agentsIn = await report({ report: 'agent_inbound' });
  const inRow = (id: number) => agentsIn.rows.find((x) => x.entity?.id === String(id))!.values;
  assert.is(inRow(A).avg_talk, (68 + 26) / 2);
  assert.is(inRow(B).avg_talk, (60 + 65 + 10 + 60) / 4);
  assert.equal([inRow(A).rated, inRow(A).score_2, inRow(A).score_1], [1, 1, 0], 'call 1 was rated 2 of 3');
  const out = await report({ report: 'agent_outbound' });
  const o = out.rows.find((x) => x.entity?.id === String(A))!.values;
  assert.equal([o.out_no_answer, o.out_avg_talk, o.effective_rate], [1, 30, 1 / 2]);
  const attendance = await report({ report: 'attendance' });
  const att = (id: number) => attendance.rows.find((x) => x.entity?.id === String(id))!.values;
  // A: on call 68 s, wrap-up 10 s, ready the rest of 08:00–18:00; B: ready 08:30–12:00, break till 12:30.
  assert.equal([att(A).on_call_time, att(A).ready_time], [68, 10 * 3600 - 68 - 10]);
  assert.equal([att(B).on_call_time, att(B).ready_time, att(B).break_time], [0, 3.5 * 3600, 1800]);
  const agent = await report({ report: 'agent' });
  const a = agent.rows.find((x) => x.entity?.id === String(A))!.values;
  assert.equal([a.wrap_time, a.hold_time], [10, 0]);
});

test('hold, a conference, a callback request and an unserved caller, on a day of their own', async () => {
  // 1. Answered by A at 6 s, held 20–50 s, B joins as a third party at 65 s, ends at 125 s.
  const d1 = at('10:00:00', '2031-05-03');
  await call('d1', d1, [
    [0, inbound('13800000021')],
    [0, flags()],
    [0, joined(d1)],
    [2, dial('ld1', A)],
    [6, answer('ld1', A)],
    [6, left('answered', 6)],
    [20, { type: 'call.held', data: { userId: A } }],
    [50, { type: 'call.resumed', data: { userId: A } }],
    [60, { type: 'conference.invited', data: { by: A, target: { kind: 'agent', userId: B } } }],
    [
      60,
      {
        type: 'leg.dialing',
        data: { leg: 'ld1b', target: { kind: 'agent', userId: B, endpoint: 'b' }, role: 'party' },
      },
    ],
    [65, answer('ld1b', B)],
    [125, ended('caller')],
  ]);
  // 2. At the maximum wait (40 s) the caller asks to be called back and hangs up.
  const d2 = at('11:00:00', '2031-05-03');
  await call('d2', d2, [
    [0, inbound('13800000022')],
    [0, flags()],
    [0, joined(d2)],
    [40, { type: 'queue.max_wait', data: { groupId: group, choice: 'callback' } }],
    [40, { type: 'queue.left', data: { groupId: group, reason: 'callback', waitedSeconds: 40 } }],
    [40, { type: 'queue.callback_requested', data: { callbackId: 1, groupId: group } }],
    [42, ended('caller')],
  ]);
  // 3. Nobody logged in: overflow to a prompt, the system hangs up.
  const d3 = at('12:00:00', '2031-05-03');
  await call('d3', d3, [
    [0, inbound('13800000023')],
    [0, flags()],
    [0, joined(d3)],
    [0, { type: 'queue.overflow', data: { fromGroupId: group, reason: 'empty', target: null } }],
    [0, { type: 'queue.left', data: { groupId: group, reason: 'empty', waitedSeconds: 0 } }],
    [5, ended('system')],
  ]);
  await stats.runOnce();
  const day3 = { from: '2031-05-03', to: '2031-05-03' };
  const service = (await report(day3)).totals;
  assert.equal([service.offered, service.answered, service.conferences], [3, 1, 1]);
  assert.is(service.aht, 119, 'talk 6–125 s, holds included');
  const lost = (await report({ ...day3, report: 'lost' })).totals;
  assert.equal([lost.abandoned, lost.unserved, lost.callbacks], [0, 1, 1]);
  const team = await report({ ...day3, report: 'team' });
  const g = team.rows.find((r) => r.entity?.id === String(group))!.values;
  assert.equal([g.callbacks, g.unserved, g.answered], [1, 1, 1]);
  const agent = await report({ ...day3, report: 'agent' });
  const row = (id: number) => agent.rows.find((x) => x.entity?.id === String(id))!.values;
  assert.equal([row(A).hold_time, row(A).talk_time], [30, 119]);
  assert.equal([row(B).hold_time, row(B).talk_time, row(B).answered], [0, 60, 1]);
  const agentsIn = await report({ ...day3, report: 'agent_inbound' });
  const conf = (id: number) => agentsIn.rows.find((x) => x.entity?.id === String(id))!.values.conferences;
  assert.equal([conf(A), conf(B)], [1, 1], 'both agents took part in the conference');
});

test('today: an answered call counts while it is in progress, and once after it ended', async () => {
  const day = '2031-05-04';
  const now = at('10:05:00', day);
  const today = async () => todayFigures(db.db, now, tz, await statsRules(db.db));
  const e1 = at('10:00:00', day);
  await call('e1', e1, [
    [0, inbound('13800000041')],
    [0, flags()],
    [0, joined(e1)],
    [2, dial('le1', A)],
    [30, answer('le1', A)],
    [30, left('answered', 30)],
  ]);
  const e2 = at('10:01:00', day);
  await call('e2', e2, [
    [0, inbound('13800000042')],
    [0, flags()],
    [0, joined(e2)],
    [1, dial('le2', B)],
    [4, answer('le2', B)],
    [4, left('answered', 4)],
  ]);
  await stats.runOnce();
  const during = await today();
  const g = during.groups.get(group)!;
  assert.equal([g.offered, g.answered, g.abandoned], [2, 2, 0], 'both calls are talking');
  assert.is(g.serviceLevel, 1 / 2, 'answered after 30 s and after 4 s; the threshold is 20 s');
  assert.is(g.asa, (30 + 4) / 2);
  assert.equal(during.floor, g);
  // They end: the rollup counts them now, and nothing twice — before and after the maintainer ran.
  await log.append('e1', ended('caller'), at('10:03:00', day));
  await log.append('e2', ended('callee'), at('10:04:00', day));
  assert.equal((await today()).groups.get(group), g, 'ended, not yet counted');
  await stats.runOnce();
  assert.equal((await today()).groups.get(group), g, 'counted');
  const next = await todayFigures(db.db, at('10:00:00', '2031-05-05'), tz, await statsRules(db.db));
  assert.is(next.floor.offered, 0, 'the next day starts at zero');
});

test('hours: calls count in the slot they started; midnight belongs to the day before', async () => {
  const r = await report({ granularity: 'hour' });
  const byHour = new Map(r.rows.map((row) => [row.slot.toISOString(), row.values]));
  assert.is(byHour.get(at('09:00:00').toISOString())?.offered, 3);
  assert.is(byHour.get(at('23:00:00').toISOString())?.answered, 1, 'call 6 counts at 23:00 on 1 May');
  const next = await report({ from: '2031-05-02', to: '2031-05-02' });
  assert.is(next.totals.offered ?? 0, 0, 'nothing on 2 May');
  const quarter = await report({ granularity: '15m', from: '2031-05-01', to: '2031-05-01' });
  // Call 6 crosses the 23:45–00:00 quarter and midnight: it counts once, in the quarter it started.
  const lastQuarter = quarter.rows.find((row) => row.slot.getTime() === at('23:45:00').getTime());
  assert.is(lastQuarter?.values.answered, 1);
  assert.is(lastQuarter?.values.aht, 65);
});

test('agents: each agent is counted for their part of a transferred call; outbound by the agent who placed it', async () => {
  const r = await report({ report: 'agent_inbound' });
  const row = (id: number) => r.rows.find((x) => x.entity?.id === String(id))!.values;
  assert.is(row(A).answered, 2, 'calls 1 and 5');
  assert.is(row(A).no_answer, 1, 'call 2 rang A and was not answered');
  assert.is(row(A).talk_time, 68 + 26);
  assert.is(row(A).transfers, 1);
  assert.is(row(B).answered, 4, 'calls 5, 6, 7 and 8');
  assert.is(row(B).talk_time, 60 + 65 + 10 + 60);
  assert.is(row(A).satisfaction_rate, 1);
  const out = await report({ report: 'agent_outbound' });
  const a = out.rows.find((x) => x.entity?.id === String(A))!.values;
  assert.equal([a.out_attempts, a.out_connects, a.out_effective, a.out_talk], [2, 1, 1, 30]);
});

test('attendance: first log-in, last log-out, time online and on break, occupancy', async () => {
  const r = await report({ report: 'attendance' });
  const b = r.rows.find((x) => x.entity?.id === String(B))!.values;
  assert.is(b.first_login, at('08:30:00').getTime());
  assert.is(b.last_logout, at('12:30:00').getTime());
  assert.is(b.online, 4 * 3600, '08:30 to 12:30');
  assert.is(b.break_time, 1800);
  assert.is(b['break:rest'], 1800, 'break time per reason');
  assert.ok(r.columns.some((c) => c.key === 'break:rest' && c.title?.labelKey === 'agent.break.rest'));
  const a = r.rows.find((x) => x.entity?.id === String(A))!.values;
  // A: ready 08:00–09:00:08, on a call 68 s, wrap-up 10 s, ready until 18:00.
  assert.is(a.online, 10 * 3600);
  assert.is(a.occupancy, (68 + 10) / 10 / 3600);
});

test('attendance of one group lists its members only, breaks and log-ins included', async () => {
  const [team] = await db.db.insert(agentGroups).values({ name: 'Attendance team' }).returning();
  await db.db.insert(agentGroupMembers).values({ groupId: team!.id, userId: B });
  const r = await report({ report: 'attendance', groupId: team!.id });
  assert.equal(
    r.rows.map((x) => x.entity?.id),
    [String(B)],
  );
  const b = r.rows[0]!.values;
  assert.equal([b.first_login, b['break:rest'], b.online], [at('08:30:00').getTime(), 1800, 4 * 3600]);
  await db.db.delete(agentGroupMembers).where(eq(agentGroupMembers.groupId, team!.id));
  await db.db.delete(agentGroups).where(eq(agentGroups.id, team!.id));
});

test('team, business types and callers by region', async () => {
  const team = await report({ report: 'team' });
  assert.is(team.rows.find((r) => r.entity?.id === String(group))?.values.offered, 7);
  const callers = await report({ report: 'callers' });
  const regions = new Map(callers.rows.map((r) => [r.entity?.label, r.values.calls]));
  assert.is(regions.get('北京'), 7);
  assert.is(regions.get('上海'), 1);
});

// ── the same figures through the web pages ─────────────────────────────────────
const day = 'from=2031-05-01&to=2031-05-01';

test('the service report page: filters, chart, figures with their definitions, totals row', async () => {
  const web = new WebClient(app.url);
  await web.login('owner', password);
  const page = await web.get(`/reports/service?${day}&granularity=hour`);
  assert.is(page.status, 200);
  assert.match(page.text, '<svg', 'the chart');
  assert.match(page.text, 'title="Calls answered within the service-level threshold');
  const totals = /<tr class="totals">(.*?)<\/tr>/s.exec(page.text)?.[1] ?? '';
  const cells = [...totals.matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1]);
  // Total, offered 7, answered 5, answer rate 71.4 %, abandoned 2, short 1, service level 66.7 %.
  assert.equal(cells.slice(0, 7), ['Total', '7', '5', '71.4%', '2', '1', '66.7%']);
  assert.match(page.text, '2031-05-01 09:00');
  const zh = new WebClient(app.url);
  await zh.login('admin', password);
  await zh.get('/reports');
  await zh.post('/locale', { locale: 'zh-CN', next: '/' });
  assert.match((await zh.get(`/reports/service?${day}`)).text, '服务水平');
  const bad = await web.get('/reports/service?from=2031-05-02&to=2031-05-01');
  assert.is(bad.status, 422);
});

test('a report exports as CSV and XLSX with the same rows and the totals', async () => {
  const web = new WebClient(app.url);
  await web.login('owner', password);
  const csv = await web.get(`/reports/agent_inbound/export?${day}&granularity=day&format=csv`);
  assert.is(csv.status, 200);
  const lines = csv.text
    .replace(/^\uFEFF/, '')
    .trim()
    .split('\r\n');
  assert.match(lines[0]!, /^Time,Agent,Rang,Answered/);
  assert.ok(lines.some((l) => l.startsWith('2031-05-01,Ray RepA,')));
  assert.match(lines.at(-1)!, /^Total,,/);
  const res = await fetch(`${app.url}/reports/agent_inbound/export?${day}&granularity=day&format=xlsx`, {
    headers: { cookie: web.cookieHeader() },
  });
  const file = join(mkdtempSync(join(tmpdir(), 'report-')), 'r.xlsx');
  writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  execFileSync('unzip', ['-tq', file]);
  const sheet = execFileSync('unzip', ['-p', file, 'xl/worksheets/sheet1.xml']).toString('utf8');
  assert.is([...sheet.matchAll(/<row /g)].length, lines.length);
  assert.match(sheet, 'Ray RepA');
  const audit = await web.get('/system/audit?f_action=data.exported');
  assert.match(audit.text, 'Report');
});

test('a reader limited to their own records sees only their own agent rows and no floor reports', async () => {
  const rep = new WebClient(app.url);
  await rep.login('rep.a', password);
  const index = await rep.get('/reports');
  assert.match(index.text, '/reports/agent_inbound');
  assert.not.match(index.text, '/reports/service"');
  const own = await rep.get(`/reports/agent_inbound?${day}`);
  assert.match(own.text, 'Ray RepA');
  assert.not.match(own.text, 'Bob RepB');
  const floor = await rep.get(`/reports/service?${day}`);
  assert.is(floor.status, 422);
  assert.is((await rep.get(`/reports/service/export?${day}&format=csv`)).status, 403, 'no reports:export');
});

test('the attendance page has a column per break reason; the staffing calculator sets Erlang C beside the agents available', async () => {
  const web = new WebClient(app.url);
  await web.login('owner', password);
  const att = await web.get(`/reports/attendance?${day}`);
  assert.match(att.text, '>Rest<');
  const staffing = await web.get('/reports/staffing?date=2031-05-01&granularity=hour&target=80&threshold=20');
  assert.is(staffing.status, 200);
  const row =
    new RegExp(`data-slot="${at('09:00:00').toISOString()}">(.*?)</tr>`, 's').exec(staffing.text)?.[1] ?? '';
  const cells = [...row.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((m) => m[1]);
  // 09:00–10:00: offered 3 (calls 1, 2, 3); A and B were available the whole hour.
  assert.is(cells[1], '3');
  const expected = agentsNeeded({
    offered: 3,
    ahtSeconds: 68 + 10,
    intervalSeconds: 3600,
    targetServiceLevel: 0.8,
    thresholdSeconds: 20,
  });
  assert.is(cells[4], String(expected.agents));
  assert.is(cells[9], '2.0');
  assert.is((await web.get('/reports/staffing?target=150')).status, 422);
});

test('statistics rules and wallboard thresholds: checked, saved by reports:edit only', async () => {
  const web = new WebClient(app.url);
  await web.login('owner', password);
  await web.get('/reports/rules');
  const bad = await web.post('/reports/rules', {
    serviceLevelSeconds: '0',
    shortAbandonSeconds: '5',
    quickHangupSeconds: '15',
    fcrHours: '12',
    effectiveCallSeconds: '10',
  });
  assert.is(bad.status, 422);
  assert.match(bad.text, 'data-field="serviceLevelSeconds"');
  const thresholds = {
    waitingAmber: '5',
    waitingRed: '2',
    longestWaitAmber: '20',
    longestWaitRed: '60',
    serviceLevelAmber: '80',
    serviceLevelRed: '60',
    abandonAmber: '5',
    abandonRed: '10',
  };
  assert.is((await web.post('/reports/rules/wallboard', thresholds)).status, 422, 'red below amber');
  assert.is((await web.post('/reports/rules/wallboard', { ...thresholds, waitingRed: '8' })).status, 303);
  const sup = new WebClient(app.url);
  await sup.login('sup.b', password);
  const view = await sup.get('/reports/rules');
  assert.is(view.status, 200);
  assert.match(view.text, '<fieldset disabled', 'read-only for a supervisor');
  assert.is((await sup.post('/reports/rules/wallboard', thresholds)).status, 403);
  const board = await sup.get('/wallboard');
  assert.is(board.status, 200);
  assert.match(board.text, 'data-tile="waiting"');
});

test('the rules last applied are remembered as written, so a restart recounts only after a change', async () => {
  const isText = (v: unknown): v is string => typeof v === 'string';
  await writeSetting(db.db, 'test.json_text', '{"serviceLevelSeconds":20}');
  assert.is(await readSetting(db.db, 'test.json_text', '', isText), '{"serviceLevelSeconds":20}');
  await writeSetting(db.db, 'test.number', 7);
  assert.is(await readSetting(db.db, 'test.number', 0, (v): v is number => typeof v === 'number'), 7);
  await stats.rebuild();
  const applied = await readSetting(db.db, 'stats.rules_applied', '', isText);
  assert.is(applied, JSON.stringify(await statsRules(db.db)));
});

test('changing a statistics rule recounts history', async () => {
  const before = (await report({})).totals.service_level;
  await saveStatsRules(company.owner, { ...defaultStatsRules, serviceLevelSeconds: 5 });
  await stats.runOnce();
  const after = (await report({})).totals.service_level;
  // In 5 s: calls 5 (4 s), 6 (5 s), 8 (3 s).
  assert.is(before, 4 / 6);
  assert.is(after, 3 / 6);
});

test.run();
