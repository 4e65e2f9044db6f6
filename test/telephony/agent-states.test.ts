/**
 * Agent states decide who is offered a call, against the real Asterisk: in a group with an agent
 * on break and one ready, only the ready one rings; after the call that agent is in wrap-up and
 * is not offered the next caller, who waits in the queue; auto-ready after the wrap-up time makes
 * the agent ready again and the waiting caller is served then.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { stateOf } from '../../cti/agents/agent-states.ts';
import { writeSetting } from '../../core/settings.ts';
import type { CallEvent } from '../../cti/call-log/events.ts';
import { logged } from '../support/assert.ts';
import { type CallCenter, callCenter } from '../support/call-center.ts';
import { ivrCaller, runSipp } from '../support/sipp.ts';

const test = suite('agent states and calls');
let cc: CallCenter;

test.before(
  logged(async () => {
    cc = await callCenter();
    const { repA, repB } = cc.setup.company.people;
    await cc.hotlineToGroup('Service', [repA, repB]);
    await writeSetting(cc.setup.db.db, 'desk.wrap_up_seconds', 3);
    for (const id of [repA, repB]) await cc.phone(id);
    await cc.setState(repA, 'break');
    await cc.setState(repB, 'ready');
  }),
);
test.after(async () => {
  await cc?.close();
});

const caller = (talkMs: number, number: string) =>
  runSipp({
    scenario: ivrCaller([{ pause: talkMs }], 'hangup'),
    port: cc.lines[0]!.port,
    remotePort: cc.setup.pbx.instance.ports.sip,
    service: cc.lines[0]!.did,
    callerNumber: number,
  });

const dials = (events: CallEvent[]) =>
  events.filter((e): e is Extract<CallEvent, { type: 'leg.dialing' }> => e.type === 'leg.dialing');

test('only the ready agent is offered a call; in wrap-up they are not; auto-ready serves the caller who waited', async () => {
  const { repA, repB } = cc.setup.company.people;
  const since = new Date();
  const first = await caller(2000, '13811110001').done;
  assert.is(first.code, 0, first.output);
  const [one] = await cc.until('first call ended', async () => {
    const calls = await cc.callsSince(since);
    return calls[0]?.endedAt ? calls : null;
  });
  assert.is(one!.disposition, 'answered');
  assert.is(one!.agentId, repB);
  const oneEvents = await cc.eventsOf(one!.callId);
  assert.equal(
    dials(oneEvents).map((d) => (d.data.target.kind === 'agent' ? d.data.target.userId : 0)),
    [repB],
    'the agent on break never rang',
  );
  assert.is((await stateOf(cc.setup.db.db, repA)).state, 'break');
  assert.is((await stateOf(cc.setup.db.db, repB)).state, 'wrap_up');

  // The next caller comes during wrap-up: nobody is offered the call until repB is ready again.
  const second = await caller(6000, '13811110002').done;
  assert.is(second.code, 0, second.output);
  const two = await cc.until('second call ended', async () => {
    const calls = await cc.callsSince(since);
    return calls.length === 2 && calls.every((c) => c.endedAt) ? calls[1] : null;
  });
  assert.is(two!.disposition, 'answered');
  assert.is(two!.agentId, repB);
  const ended = oneEvents.find((e) => e.type === 'call.ended')!;
  const [offer] = dials(await cc.eventsOf(two!.callId));
  assert.ok(offer, 'the waiting caller was offered to repB');
  const afterEnd = (offer!.at.getTime() - ended.at.getTime()) / 1000;
  assert.ok(afterEnd >= 2.8, `offered ${afterEnd} s after the first call ended: only after the 3 s wrap-up`);
  assert.ok(two!.queueSeconds >= 1, 'the caller waited in the queue');
  await cc.until('auto-ready', async () => (await stateOf(cc.setup.db.db, repB)).state === 'ready');
});

test.run();
