/**
 * Report figures from real calls through Asterisk: SIPp callers on the hotline, a baresip agent
 * answering; one call answered and talked, one abandoned in the queue after waiting, one repeat
 * call from the first caller. The statistics maintainer counts them; the reports and today's
 * wallboard figures must give exactly what the call records say (waits, talk), and the counts
 * worked out by hand.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { timeZoneSetting } from '../../config/settings.ts';
import { StatsMaintainer } from '../../cti/stats/maintainer.ts';
import { type ReportKey, runReport } from '../../cti/stats/reports.ts';
import { statsRules } from '../../cti/stats/rules.ts';
import { todayFigures } from '../../cti/stats/today.ts';
import { logged } from '../support/assert.ts';
import { type CallCenter, callCenter } from '../support/call-center.ts';
import { ivrCaller, runSipp } from '../support/sipp.ts';

const test = suite('reports from real calls');
const tz = timeZoneSetting();
let cc: CallCenter;
let agent: number;
let group: number;
const since = new Date();

function call(number: string, pauseMs: number) {
  const line = cc.lines[0]!;
  return runSipp({
    scenario: ivrCaller([{ pause: pauseMs }], 'hangup'),
    port: line.port,
    remotePort: cc.setup.pbx.instance.ports.sip,
    service: line.did,
    callerNumber: number,
    timeoutSeconds: 60,
  }).done;
}

async function ended(count: number) {
  return cc.until(
    `${count} ended calls`,
    async () => {
      const calls = await cc.callsSince(since);
      return calls.length >= count && calls.every((c) => c.endedAt) ? calls : null;
    },
    40_000,
  );
}

test.before(
  logged(async () => {
    cc = await callCenter();
    agent = cc.setup.company.people.repA;
    group = await cc.hotlineToGroup('Service', [agent]);
    await cc.phone(agent);
    await cc.setState(agent, 'ready');
    // 1. Answered by the agent's phone (auto-answer), 4 s of talk, the caller hangs up.
    assert.is((await call('13800001111', 4000)).code, 0);
    await ended(1);
    // 2. The agent is on a break: the caller waits 7 s in the queue and hangs up.
    await cc.setState(agent, 'break');
    assert.is((await call('13800002222', 7000)).code, 0);
    await ended(2);
    // 3. The first caller calls again and is answered: call 1 was not resolved first time.
    await cc.setState(agent, 'ready');
    assert.is((await call('13800001111', 3000)).code, 0);
    await ended(3);
    await cc.setState(agent, 'logged_out');
    await new StatsMaintainer(cc.setup.db.db, tz, () => {}).runOnce();
  }),
);
test.after(async () => {
  await cc?.close();
});

const today = new Intl.DateTimeFormat('sv-SE', { timeZone: tz }).format(since);
const report = async (key: ReportKey) =>
  runReport(
    await cc.ctx(cc.setup.company.ownerId),
    { report: key, from: today, to: today, granularity: 'day', groupId: null, agentId: null, ivrId: null },
    tz,
  );

test('the service report counts the three calls and agrees with their records', async () => {
  const calls = await ended(3);
  const answered = calls.filter((c) => c.answeredAt);
  assert.is(answered.length, 2);
  const t = (await report('service')).totals;
  assert.is(t.offered, 3);
  assert.is(t.answered, 2);
  assert.is(t.abandoned, 1);
  assert.is(t.short_abandoned, 0, 'a 7 s wait is not a short abandon (5 s)');
  assert.is(t.service_level, 2 / 3, 'both answered calls within 20 s, of 3 offered');
  assert.is(t.asa, (answered[0]!.waitSeconds + answered[1]!.waitSeconds) / 2);
  assert.is(t.longest_wait, Math.max(...calls.map((c) => c.waitSeconds)));
  const abandoned = calls.find((c) => !c.answeredAt)!;
  assert.ok(abandoned.waitSeconds >= 6 && abandoned.waitSeconds <= 9, `waited ${abandoned.waitSeconds} s`);
  assert.is(t.aht, (answered[0]!.talkSeconds + answered[1]!.talkSeconds) / 2, 'no wrap-up configured');
  assert.is(t.fcr, 1 / 2, 'the first caller called again');
});

test('the agent, team and lost-call reports, and today’s wallboard figures', async () => {
  const calls = await ended(3);
  const mine = (await report('agent_inbound')).rows.find((r) => r.entity?.id === String(agent))!.values;
  assert.is(mine.answered, 2);
  assert.is(
    mine.talk_time,
    calls.reduce((s, c) => s + c.talkSeconds, 0),
  );
  assert.ok((mine.talk_time ?? 0) >= 5 && (mine.talk_time ?? 0) <= 10, `talked ${mine.talk_time} s`);
  const team = (await report('team')).rows.find((r) => r.entity?.id === String(group))!.values;
  assert.is(team.offered, 3);
  assert.is(team.abandoned, 1);
  const lost = (await report('lost')).totals;
  assert.is(lost.abandoned_queue, 1);
  const attendance = (await report('attendance')).rows.find((r) => r.entity?.id === String(agent))!.values;
  assert.ok((attendance.online ?? 0) > 0);
  assert.ok((attendance.break_time ?? 0) > 0);
  assert.ok(attendance.first_login !== null && attendance.last_logout !== null);
  const now = await todayFigures(cc.setup.db.db, new Date(), tz, await statsRules(cc.setup.db.db));
  assert.equal(
    [now.groups.get(group)?.offered, now.groups.get(group)?.answered, now.groups.get(group)?.abandoned],
    [3, 2, 1],
  );
});

test.run();
