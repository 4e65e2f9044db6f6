/**
 * The supervisor's monitoring against the real Asterisk: listen, whisper and barge on an
 * agent's call. The agent's phone sends a 440 Hz tone and the supervisor's 1200 Hz, so what
 * each party hears (recorded from their channels) shows who hears whom: listening, nobody hears
 * the supervisor; whispering, only the agent; barging, both. Every session and every forced
 * state change is in the monitoring log; supervisors reach only agents in their data scope.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { desc, eq } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { forceState, listBreakReasons, stateOf } from '../../cti/agents/agent-states.ts';
import type { MonitorMode } from '../../cti/supervision/monitor.ts';
import { monitoringLog } from '../../db/schema.ts';
import { inside, onHost } from '../../pbx/layout.ts';
import { domainError, logged, rejects } from '../support/assert.ts';
import { meanVolume } from '../support/audio.ts';
import { type CallCenter, callCenter } from '../support/call-center.ts';
import { ivrCaller, runSipp } from '../support/sipp.ts';

const test = suite('supervision');
let cc: CallCenter;
let agent: number;
let outsider: number;
let supervisor: number;
/**
 * Where the agent's phone writes what it hears (baresip's sndfile); a whisper is mixed into the
 * agent's channel after Asterisk's own recording of it, so only the phone can tell.
 */
const agentPhoneDir = mkdtempSync(join(tmpdir(), 'cc-sup-'));
/** The newest file of what the agent's phone heard (sndfile names it dump-<peer>-<time>-dec.wav). */
const agentHeard = () =>
  readdirSync(agentPhoneDir)
    .filter((f) => f.endsWith('-dec.wav'))
    .map((f) => join(agentPhoneDir, f))
    .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs)
    .pop()!;

test.before(
  logged(async () => {
    cc = await callCenter();
    const p = cc.setup.company.people;
    // The supervisor of Sales B and an agent of Sales B; repA is in another department.
    agent = p.repB;
    outsider = p.repA;
    supervisor = p.supervisorB;
    await cc.hotlineToGroup('Service', [agent]);
    await cc.phone(agent, { tone: 440, record: agentPhoneDir });
    await cc.phone(supervisor, { tone: 1200 });
    await cc.setState(agent, 'ready');
  }),
);
test.after(async () => {
  await cc?.close();
  rmSync(agentPhoneDir, { recursive: true, force: true });
});

/** Records for `seconds` what each channel hears; returns the files as this process sees them. */
async function hear(channels: Record<string, string>, seconds: number): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const [who, name] of Object.entries(channels)) {
    const file = `heard-${who}-${Date.now()}.wav`;
    await cc.setup.ami.action('MixMonitor', {
      Channel: name,
      File: inside(cc.setup.pbx.instance, 'recordings', `mix-${file}`),
      Options: `t(${inside(cc.setup.pbx.instance, 'recordings', file)})`,
    });
    files[who] = onHost(cc.setup.pbx.instance, 'recordings', file);
  }
  await new Promise((r) => setTimeout(r, seconds * 1000));
  for (const name of Object.values(channels)) await cc.setup.ami.action('StopMixMonitor', { Channel: name });
  await new Promise((r) => setTimeout(r, 500));
  return files;
}

const supervisorTone = (file: string) => meanVolume(file, 0.5, 2, 1200);
const agentTone = (file: string) => meanVolume(file, 0.5, 2, 440);

async function session(mode: MonitorMode) {
  const run = runSipp({
    // The caller speaks (Asterisk only sends the agent audio while someone does).
    scenario: ivrCaller([{ pause: 500 }, { speak: true }], 'bye'),
    port: cc.lines[0]!.port,
    remotePort: cc.setup.pbx.instance.ports.sip,
    service: cc.lines[0]!.did,
    timeoutSeconds: 60,
  });
  const onCall = await cc.until('agent on the call', () => {
    const found = cc.engine.callOfAgent(agent);
    return found?.leg.answered && found.call.bridgeId ? found : null;
  });
  const sup = await cc.ctx(supervisor);
  const id = await cc.engine.monitor.begin(sup, agent, mode);
  const bridge = await cc.until('supervisor bridged', async () => {
    const b = (await cc.ari.call('bridges.list', {})).find((x) => x.name === `monitor-${id}`);
    return b && b.channels.length === 2 ? b : null;
  });
  const channels = await cc.ari.call('channels.list', {});
  const name = (id: string) => channels.find((c) => c.id === id)!.name;
  const supervisorChannel = bridge.channels.map(name).find((n) => !n.startsWith('Snoop/'))!;
  const files = await hear({ caller: name(onCall.call.caller!), supervisor: supervisorChannel }, 3);
  const [open] = await cc.setup.db.db.select().from(monitoringLog).where(eq(monitoringLog.id, id));
  assert.is(open!.action, mode);
  assert.is(open!.agentId, agent);
  assert.is(open!.callId, onCall.call.id);
  assert.is(open!.endedAt, null, 'the session is open while it runs');
  await cc.engine.monitor.end(sup, id);
  const [closed] = await cc.setup.db.db.select().from(monitoringLog).where(eq(monitoringLog.id, id));
  assert.ok(closed!.endedAt, 'the session is closed in the log');
  const phone = cc.phones.get(agent)!;
  const closedCall = phone.next('CALL_CLOSED');
  phone.command('hangup');
  await closedCall;
  await run.done;
  // baresip completes the file's header when the audio stream closes, just after the call.
  await new Promise((r) => setTimeout(r, 1000));
  const levels = {
    callerHearsSupervisor: supervisorTone(files.caller!),
    // The agent's phone heard the whole call; the supervisor spoke for about 3 s of it.
    agentHearsSupervisor: meanVolume(agentHeard(), 0, 60, 1200),
    supervisorHearsAgent: agentTone(files.supervisor!),
  };
  for (const f of Object.values(files)) rmSync(f, { force: true });
  return levels;
}

// A 440 Hz tone leaks into the 1200 Hz band at about -45 dB; the supervisor's own tone is near -10 dB.
const loud = -30;
const quiet = -38;

test('listen: the supervisor hears the call; nobody hears the supervisor', async () => {
  const l = await session('listen');
  assert.ok(l.supervisorHearsAgent > loud, `supervisor hears the agent: ${JSON.stringify(l)}`);
  assert.ok(l.agentHearsSupervisor < quiet, `agent does not hear the supervisor: ${JSON.stringify(l)}`);
  assert.ok(l.callerHearsSupervisor < quiet, `caller does not hear the supervisor: ${JSON.stringify(l)}`);
});

test('whisper: only the agent hears the supervisor', async () => {
  const l = await session('whisper');
  assert.ok(l.supervisorHearsAgent > loud, JSON.stringify(l));
  assert.ok(l.agentHearsSupervisor > loud, `agent hears the supervisor: ${JSON.stringify(l)}`);
  assert.ok(l.callerHearsSupervisor < quiet, `caller does not: ${JSON.stringify(l)}`);
});

test('barge: agent and caller both hear the supervisor', async () => {
  const l = await session('barge');
  assert.ok(l.agentHearsSupervisor > loud, JSON.stringify(l));
  assert.ok(l.callerHearsSupervisor > loud, `caller hears the supervisor: ${JSON.stringify(l)}`);
});

test('forcing an agent on break and logging them out is logged; agents outside the scope are not reachable', async () => {
  const sup = await cc.ctx(supervisor);
  const [reason] = await listBreakReasons(cc.setup.db.db);
  await forceState(sup, agent, 'break', reason!.id);
  await cc.until('on break', () => cc.stateOf(agent) === 'break');
  assert.is((await stateOf(cc.setup.db.db, agent)).state, 'break');
  await forceState(sup, agent, 'logged_out');
  await cc.until('logged out', () => cc.stateOf(agent) === 'logged_out');
  const log = await cc.setup.db.db.select().from(monitoringLog).orderBy(desc(monitoringLog.id)).limit(2);
  assert.equal(
    log.map((r) => [r.action, r.supervisorId, r.agentId]),
    [
      ['force_logout', supervisor, agent],
      ['force_state', supervisor, agent],
    ],
  );
  await rejects(() => forceState(sup, outsider, 'ready'), domainError('not_found'));
  await rejects(() => cc.engine.monitor.begin(sup, outsider, 'listen'), domainError('not_found'));
  // An agent without the permission cannot monitor at all.
  await rejects(
    async () => cc.engine.monitor.begin(await cc.ctx(outsider), agent, 'listen'),
    domainError('forbidden'),
  );
});

test.run();
