/**
 * Every way a call or a leg ends lets the agents it touched go, against the real Asterisk with
 * SIPp callers and baresip phones: a caller hanging up while an agent's phone rings leaves that
 * agent ready (desk and ACD) and the next caller is offered to them and answered; the same after
 * an application restart in the middle of the ringing; an agent whose state says "ringing" with
 * no call of theirs in Asterisk is repaired at start; a supervisor forces a ringing agent back
 * to ready; Asterisk crashing mid-call and mid-ring; the invariant checker finds nothing after
 * each.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { forceState, listBreakReasons, stateOf } from '../../cti/agents/agent-states.ts';
import { agentStateEvents } from '../../db/schema.ts';
import { logged } from '../support/assert.ts';
import { type CallCenter, callCenter } from '../support/call-center.ts';
import { ivrCaller, runSipp } from '../support/sipp.ts';

const test = suite('agent release');
let cc: CallCenter;
let agent: number;
let group: number;

test.before(
  logged(async () => {
    cc = await callCenter();
    agent = cc.setup.company.people.repA;
    group = await cc.hotlineToGroup('Service', [agent], {}, 20);
    // The phone rings and is not answered until the test says so.
    await cc.phone(agent, { autoAnswer: false });
    await cc.setState(agent, 'ready');
  }),
);
test.after(async () => {
  await cc?.close();
});

const caller = (holdMs: number, number: string, line = 0) =>
  runSipp({
    scenario: ivrCaller([{ pause: holdMs }], 'hangup'),
    port: cc.lines[line]!.port,
    remotePort: cc.setup.pbx.instance.ports.sip,
    service: cc.lines[line]!.did,
    callerNumber: number,
    timeoutSeconds: 60,
  });

const desk = async () => (await stateOf(cc.setup.db.db, agent)).state;

/** The agent is ready on the desk and free in the ACD (not held by any offer). */
async function freeAgain(what: string) {
  await cc.until(`${what}: agent ready and free`, async () => {
    const pooled = cc.engine.acd.pool.agents.get(agent);
    const state = await desk();
    if (state === 'ready' && pooled?.state === 'ready' && pooled.reservedFor === null) return true;
    throw new Error(`desk ${state}, pool ${pooled?.state}, reserved for ${pooled?.reservedFor}`);
  });
}

async function noViolations() {
  const report = await cc.engine.invariants.check({ confirmMs: 300 });
  assert.equal(report.violations, [], 'invariants hold');
}

test('a caller who hangs up while the agent rings leaves the agent ready; the next caller is answered by them', async () => {
  const phone = cc.phones.get(agent)!;
  const since = new Date();
  const incoming = phone.next('CALL_INCOMING', 15_000);
  const first = caller(2500, '13822220001');
  await incoming;
  assert.is(await desk(), 'ringing');
  // The caller gives up while the phone rings.
  const stopped = phone.next('CALL_CLOSED', 10_000);
  const run = await first.done;
  assert.is(run.code, 0, run.output);
  await stopped;
  await freeAgain('after the abandoned ringing');
  const [abandoned] = await cc.until('first call ended', async () => {
    const calls = await cc.callsSince(since);
    return calls[0]?.endedAt ? calls : null;
  });
  assert.is(abandoned!.disposition, 'abandoned');

  // The next caller is offered to the same agent, who answers this time.
  const ringing = phone.next('CALL_INCOMING', 15_000);
  const second = caller(4000, '13822220002');
  await ringing;
  phone.command('accept');
  const done = await second.done;
  assert.is(done.code, 0, done.output);
  const calls = await cc.until('second call ended', async () => {
    const rows = await cc.callsSince(since);
    return rows.length === 2 && rows.every((r) => r.endedAt) ? rows : null;
  });
  assert.is(calls[1]!.disposition, 'answered');
  assert.is(calls[1]!.agentId, agent);
  await freeAgain('after the answered call');
  await noViolations();
});

test('the agent is released when the application restarts while their phone rings and the caller leaves meanwhile', async () => {
  const phone = cc.phones.get(agent)!;
  const incoming = phone.next('CALL_INCOMING', 15_000);
  const call = caller(6000, '13822220003');
  await incoming;
  // The application goes away while the phone rings.
  await cc.engine.stop();
  await cc.ari.close();
  const run = await call.done;
  assert.is(run.code, 0, run.output);
  assert.is(await desk(), 'ringing', 'the log still says ringing while nobody listens');
  const since = new Date(Date.now() - 30_000);
  const stopped = phone.next('CALL_CLOSED', 15_000);
  await cc.restartEngine();
  // The restarted engine finds the call without its caller: the phone stops, the record closes.
  await stopped;
  await freeAgain('after the restart');
  const rows = await cc.callsSince(since);
  const record = rows.find((r) => r.fromNumber === '13822220003');
  assert.ok(record?.endedAt, 'the call record is closed');
  await noViolations();
});

test('an agent left "ringing" in the database with no call in Asterisk is repaired by the resync, with a logged reason', async () => {
  const db = cc.setup.db.db;
  await db
    .insert(agentStateEvents)
    .values({ userId: agent, at: new Date(), state: 'ringing', reason: 'call-that-is-gone' });
  const found = await cc.engine.invariants.check({ confirmMs: 0 });
  assert.ok(
    found.violations.some((v) => v.kind === 'agent_without_channel' && v.subject === `agent ${agent}`),
    JSON.stringify(found.violations),
  );
  await cc.engine.repairAgents('resync');
  await freeAgain('after the repair');
  const rows = (await db.select().from(agentStateEvents)).filter((r) => r.userId === agent);
  assert.is(rows.at(-1)!.state, 'ready');
  assert.match(rows.at(-1)!.reason, /^recovered/);
  await noViolations();
});

test('a supervisor forces a ringing agent back to ready: the phone stops, the caller is offered again, the force is logged', async () => {
  const phone = cc.phones.get(agent)!;
  const since = new Date();
  const incoming = phone.next('CALL_INCOMING', 15_000);
  const call = caller(5000, '13822220004');
  await incoming;
  assert.is(await desk(), 'ringing');
  const owner = await cc.ctx(cc.setup.company.ownerId);
  const closed = phone.next('CALL_CLOSED', 10_000);
  const [reason] = await listBreakReasons(cc.setup.db.db);
  await forceState(owner, agent, 'break', reason!.id, (id, state) => cc.engine.releaseAgent(id, state));
  await closed;
  assert.is(await desk(), 'break');
  await cc.until('pool shows the break', () => cc.stateOf(agent) === 'break');
  assert.is(cc.engine.acd.pool.agents.get(agent)!.reservedFor, null);
  const run = await call.done;
  assert.is(run.code, 0, run.output);
  await cc.until('call ended', async () => {
    const rows = await cc.callsSince(since);
    return rows[0]?.endedAt ? rows : null;
  });
  await cc.setState(agent, 'ready');
  await freeAgain('after the force');
  void group;
  await noViolations();
});

test('Asterisk crashing while the agent talks, then while their phone rings: the agent is ready again and every record is closed', async () => {
  const phone = cc.phones.get(agent)!;
  const since = new Date();
  for (const answer of [true, false]) {
    const incoming = phone.next('CALL_INCOMING', 15_000);
    const call = caller(20_000, answer ? '13822220005' : '13822220006');
    await incoming;
    if (answer) {
      const up = phone.next('CALL_ESTABLISHED', 10_000);
      phone.command('accept');
      await up;
      assert.is(await desk(), 'on_call');
    } else assert.is(await desk(), 'ringing');
    const firstPid = cc.setup.pbx.process.health().pid;
    cc.setup.pbx.process.crash();
    await cc.until(
      'Asterisk back',
      () => cc.setup.pbx.process.health().state === 'up' && cc.setup.pbx.process.health().pid !== firstPid,
      30_000,
    );
    call.stop();
    await freeAgain(answer ? 'after the crash mid-call' : 'after the crash mid-ring');
    // The phone's registration survives the crash (Asterisk keeps contacts in its database).
  }
  const rows = await cc.until('records closed', async () => {
    const calls = await cc.callsSince(since);
    return calls.length === 2 && calls.every((c) => c.endedAt) ? calls : null;
  });
  assert.is(rows[0]!.disposition, 'answered');
  await noViolations();
});

test.run();
