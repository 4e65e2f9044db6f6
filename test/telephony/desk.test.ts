/**
 * What an agent does with a call from the desk, against the real Asterisk with a SIPp caller and
 * baresip agents: the agent-number announcement and the survey after the call (the score lands
 * on the record), hold and mute, blind transfer to a colleague and to a group, attended
 * transfer (completed and called off), and a three-party conference. What is checked is what
 * Asterisk did (who is in the call's bridge) and what the log and the record say.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { writeSetting } from '../../core/settings.ts';
import type { CallEvent } from '../../cti/call-log/events.ts';
import { domainError, logged, rejects } from '../support/assert.ts';
import { type CallCenter, callCenter } from '../support/call-center.ts';
import { type CallerStep, ivrCaller, runSipp } from '../support/sipp.ts';

const test = suite('desk');
let cc: CallCenter;
let people: { a: number; b: number; c: number };
let group: number;
let other: number;

test.before(
  logged(async () => {
    cc = await callCenter();
    const p = cc.setup.company.people;
    people = { a: p.repA, b: p.repA1, c: p.repB };
    group = await cc.hotlineToGroup('Service', [people.a]);
    other = await cc.hotlineToGroup('Back office', [people.c]);
    for (const id of Object.values(people)) {
      await cc.phone(id);
      await cc.setState(id, 'ready');
    }
  }),
);
test.after(async () => {
  await cc?.close();
});

const ofType = <T extends CallEvent['type']>(events: CallEvent[], type: T) =>
  events.filter((e): e is Extract<CallEvent, { type: T }> => e.type === type);

/** A caller who talks until the system hangs up (after `steps`). */
function caller(steps: CallerStep[] = [], number = '13800001111') {
  return runSipp({
    scenario: ivrCaller(steps, 'bye'),
    port: cc.lines[0]!.port,
    remotePort: cc.setup.pbx.instance.ports.sip,
    service: cc.lines[0]!.did,
    callerNumber: number,
    timeoutSeconds: 90,
  });
}

/** The call `userId` is talking in, once bridged. */
const talking = (userId: number) =>
  cc.until(`agent ${userId} talking`, () => {
    const found = cc.engine.callOfAgent(userId);
    return found?.leg.answered && found.call.bridgeId ? found.call : null;
  });

/** The agents whose phones are in the call's bridge now (and how many channels in all). */
async function inBridge(bridgeId: string) {
  const bridge = await cc.ari.call('bridges.get', { bridgeId });
  const agents = Object.values(people).filter((id) => {
    const found = cc.engine.callOfAgent(id);
    return found && bridge.channels.includes(found.leg.channel);
  });
  return { agents: agents.sort(), channels: bridge.channels.length };
}

const sorted = (...ids: number[]) => [...ids].sort();

async function finish(callId: string, lastAgent: number) {
  cc.phones.get(lastAgent)!.command('hangup');
  await cc.until('call ended', async () =>
    (await cc.callsSince(new Date(0))).find((c) => c.callId === callId && c.endedAt),
  );
  return {
    record: (await cc.callsSince(new Date(0))).find((c) => c.callId === callId)!,
    events: await cc.eventsOf(callId),
  };
}

test('the agent number is announced before connecting; after the agent hangs up the caller rates the call', async () => {
  await cc.updateQueue(group, 'Service', [people.a], { announceAgentNumber: true, survey: true });
  await writeSetting(cc.setup.db.db, 'acd.survey', { levels: 3, promptId: null, thanksPromptId: null });
  const run = caller([{ pause: 16_000 }, { info: '2' }]);
  const call = await talking(people.a);
  await new Promise((r) => setTimeout(r, 1500));
  cc.phones.get(people.a)!.command('hangup');
  const done = await run.done;
  assert.is(done.code, 0, done.output);
  const record = await cc.until('rated', async () =>
    (await cc.callsSince(new Date(0))).find((c) => c.callId === call.id && c.endedAt),
  );
  const events = await cc.eventsOf(call.id);
  const announced = ofType(events, 'agent.announced')[0];
  assert.equal(announced?.data, { userId: people.a, jobNumber: '2002' });
  const bridged = ofType(events, 'call.bridged')[0]!;
  assert.ok(announced!.at <= bridged.at, 'announced before the caller is connected');
  assert.is(ofType(events, 'survey.started')[0]?.data.levels, 3);
  assert.is(record.surveyScore, 2);
  assert.is(record.surveyLevels, 3);
  assert.is(record.disposition, 'answered');
  await cc.updateQueue(group, 'Service', [people.a], {});
});

test('hold plays music to the caller and takes the agent out; mute silences the agent', async () => {
  const run = caller();
  const call = await talking(people.a);
  const a = await cc.ctx(people.a);
  await cc.engine.desk.hold(a);
  assert.equal((await inBridge(call.bridgeId!)).agents, []);
  await new Promise((r) => setTimeout(r, 1200));
  await cc.engine.desk.resume(a);
  assert.equal((await inBridge(call.bridgeId!)).agents, [people.a]);
  await cc.engine.desk.mute(a, true);
  await cc.engine.desk.mute(a, false);
  const { record, events } = await finish(call.id, people.a);
  await run.done;
  assert.equal(
    events.map((e) => e.type).filter((t) => ['call.held', 'call.resumed', 'call.muted'].includes(t)),
    ['call.held', 'call.resumed', 'call.muted', 'call.muted'],
  );
  assert.ok(record.holdSeconds >= 1, `hold time ${record.holdSeconds}`);
  // Only the agent on the call can use its controls.
  await rejects(() => cc.engine.desk.hold(a), domainError('not_on_call'));
});

test('blind transfer to a colleague: the colleague rings and takes the caller, the agent is free', async () => {
  const run = caller();
  const call = await talking(people.a);
  await cc.engine.desk.blindTransfer(await cc.ctx(people.a), { kind: 'agent', userId: people.b });
  await cc.until('b talking', async () => {
    const { agents } = await inBridge(call.bridgeId!);
    return agents.length === 1 && agents[0] === people.b;
  });
  assert.ok(['ready', 'wrap_up'].includes(cc.stateOf(people.a) ?? ''));
  assert.is(cc.stateOf(people.b), 'on_call');
  const { record, events } = await finish(call.id, people.b);
  await run.done;
  assert.is(record.transfers, 1);
  assert.is(record.agentId, people.a, 'the record keeps the agent who answered first');
  assert.equal(ofType(events, 'transfer.started')[0]?.data.kind, 'blind');
  assert.equal(
    ofType(events, 'leg.answered').map((e) => e.data.userId),
    [people.a, people.b],
  );
});

test('blind transfer to a group: the caller waits in its queue and its member takes the call', async () => {
  const run = caller();
  const call = await talking(people.a);
  await cc.engine.desk.blindTransfer(await cc.ctx(people.a), { kind: 'group', groupId: other });
  const bridged = await cc.until('c talking', async () => {
    const found = cc.engine.callOfAgent(people.c);
    return found?.leg.answered && found.call.id === call.id ? found.call : null;
  });
  await cc.until('in bridge', async () => (await inBridge(bridged.bridgeId!)).agents.includes(people.c));
  const { events } = await finish(call.id, people.c);
  await run.done;
  assert.equal(
    ofType(events, 'queue.joined').map((e) => [e.data.groupId, e.data.via]),
    [
      [group, 'hotline'],
      [other, 'transfer'],
    ],
  );
});

test('attended transfer: the caller is held while the agent consults, then handed over', async () => {
  const run = caller();
  const call = await talking(people.a);
  const a = await cc.ctx(people.a);
  await cc.engine.desk.consult(a, { kind: 'agent', userId: people.b });
  // While consulting, a and b talk in the consult bridge; the caller hears music alone.
  await cc.until('consult answered', () => {
    const leg = call.consult?.leg ? call.legs.get(call.consult.leg) : undefined;
    return leg?.answered;
  });
  const consultBridge = await cc.ari.call('bridges.get', { bridgeId: call.consult!.bridgeId });
  assert.is(consultBridge.channels.length, 2);
  assert.equal((await inBridge(call.bridgeId!)).agents, []);
  await cc.engine.desk.completeTransfer(a);
  await cc.until('b with the caller', async () => {
    const { agents } = await inBridge(call.bridgeId!);
    return agents.length === 1 && agents[0] === people.b;
  });
  const { record, events } = await finish(call.id, people.b);
  await run.done;
  assert.equal(
    ofType(events, 'transfer.completed').map((e) => e.data.kind),
    ['attended'],
  );
  assert.is(record.transfers, 1);
  // The caller was held from the consult until the hand-over: the record says how long.
  const held = events.find((e) => e.type === 'call.held');
  const back = events.find((e) => (e.type === 'call.resumed' || e.type === 'call.ended') && e.at >= held!.at);
  assert.ok(held && back, 'held, then resumed or ended');
  assert.is(record.holdSeconds, Math.round((back!.at.getTime() - held!.at.getTime()) / 1000));
});

test('attended transfer called off: the colleague is hung up and the agent is back with the caller', async () => {
  const run = caller();
  const call = await talking(people.a);
  const a = await cc.ctx(people.a);
  await cc.engine.desk.consult(a, { kind: 'agent', userId: people.b });
  await cc.until('consult answered', () => {
    const leg = call.consult?.leg ? call.legs.get(call.consult.leg) : undefined;
    return leg?.answered;
  });
  await cc.engine.desk.cancelTransfer(a);
  await cc.until('a back', async () => {
    const { agents } = await inBridge(call.bridgeId!);
    return agents.length === 1 && agents[0] === people.a;
  });
  const { record, events } = await finish(call.id, people.a);
  await run.done;
  assert.is(record.transfers, 0);
  assert.equal(
    ofType(events, 'transfer.cancelled').map((e) => e.data.reason),
    ['cancelled'],
  );
  assert.ok(events.some((e) => e.type === 'call.resumed'));
});

test('a three-party conference: the colleague joins the caller and the agent in one bridge', async () => {
  const run = caller();
  const call = await talking(people.a);
  await cc.engine.desk.conference(await cc.ctx(people.a), { kind: 'agent', userId: people.b });
  await cc.until('three in the bridge', async () => {
    const { agents, channels } = await inBridge(call.bridgeId!);
    return channels === 3 && agents.join() === sorted(people.a, people.b).join();
  });
  // The agent leaves; the caller and the colleague go on.
  cc.phones.get(people.a)!.command('hangup');
  await cc.until('two left', async () => (await inBridge(call.bridgeId!)).channels === 2);
  const { record } = await finish(call.id, people.b);
  await run.done;
  assert.is(record.maxParties, 3);
});

test.run();
