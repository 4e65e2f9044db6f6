/**
 * ACD under load (issue 4/5, item 8b): SIPp callers at rising call rates through
 * hotline → IVR (key 1) → agent group queue → agent phone, recording on, against a real
 * Asterisk driven by the product's CTI ("ours") — and, in the same run, the same flow done by
 * Asterisk alone ("baseline": Background/WaitExten, MixMonitor, app_queue with the same agents
 * as static members, strategy leastrecent ≈ our longest idle) in a second Asterisk instance.
 * Steps alternate between the two systems at each rate, so both see the same machine noise.
 *
 *   node --import tsx bench/acd-load.ts        (as root: it starts Asterisk in its chroot)
 *
 * The default run takes about 8 minutes on the 2-core development machine (set-up ≈ 1.3 min,
 * each step ≈ 30 s per system, a failing one up to ~1 min; a system stops at its first failed
 * step). Its output is kept in bench/results/acd-load.txt.
 *
 * The agents' phones are one SIPp UAS per system: every agent account registers (digest auth)
 * from one port, then the UAS answers there every INVITE at once (180, 200), talks (speech
 * from SIPp's pcap when BENCH_RTP=1) and hangs up. Asterisk's qualify OPTIONS (every 30 s per
 * contact) are answered by SIPp's -aa; they count as calls in SIPp's own statistics, which is
 * why every figure here comes from the scenarios' `<log>` lines instead: each caller has a
 * unique number (-inf injection file) that reaches the agent's phone in From, and both sides
 * log wall-clock timestamps (SIPp 3.6.1's [timestamp]).
 *
 * Measured per step and system, on the SIP side (SIPp's clocks, the same for both systems):
 * - success: the caller was answered by the IVR, pressed 1, an agent's phone rang, answered,
 *   talked and hung up, and the caller got that hang-up (BYE). A step is sustained when at
 *   least BENCH_SUCCESS of its calls succeed; a system stops at its first failed step.
 * - concurrent calls: callers' calls in progress (INVITE sent → BYE), mean over the steady part
 *   of the step and peak;
 * - key → INVITE: from the caller sending key 1 (SIP INFO) to the agent's phone receiving the
 *   INVITE — IVR exit, queueing, agent choice, dialling: the call set-up the CTI adds (p50/p95);
 * - INVITE → IVR answer (the caller's 200 OK), and agent BYE → caller BYE (hang-up), p50/p95;
 * - CPU of the Node process (CTI + the embedded database), each Asterisk, SIPp, the machine,
 *   and CPU ms per call of each system (ours: Node + its Asterisk; baseline: its Asterisk);
 * - ratios ours/baseline of all of these at each rate, and of the highest sustained call rate.
 *
 * Options (environment):
 *   BENCH_STEPS=1,2,4,8,12,16,20,24  call rates (calls per second), one step each (see
 *                              bench/results/acd-load.txt for what each system held)
 *   BENCH_SECONDS=20           seconds of new calls per step
 *   BENCH_TALK_SECONDS=8       the agent's talk time (the phone hangs up after it)
 *   BENCH_AGENTS=auto          agents (phones, group members); auto = enough for the highest step
 *                              (rate × (talk + 1 s) + 15 %: 249 for 24 calls/s), so that staffing
 *                              does not decide the ceiling — with 25 agents, ~3 calls/s of 8 s
 *                              calls saturate both systems' queues the same way
 *   BENCH_KEY_AFTER_MS=1000    the caller presses 1 this long after the IVR answers (barge-in:
 *                              the menu prompt is BENCH_PROMPT_SECONDS=3 long)
 *   BENCH_MAX_WAIT_SECONDS=20  a caller not hung up by the agent within this + talk time after
 *                              the key gives up (counts as failed)
 *   BENCH_SUCCESS=0.99         share of a step's calls that must succeed
 *   BENCH_RTP=1                SIPp sends speech (pcap) from both ends; 0: signalling only
 *   BENCH_DB=embedded          the product's database: embedded (PGlite, the default install) or
 *                              postgres (a scratch database on 127.0.0.1:5432)
 *   BENCH_SYSTEMS=ours,baseline  which systems to run
 *   BENCH_CONTINUE=0           1: keep stepping up after a failed step
 *   BENCH_CTI_LOG=0            1: print the CTI's log lines as they come
 *   BENCH_TRACE=0              1: SIPp writes every SIP message (-trace_msg) into its directory
 *   KEEP_PBX=1                 keep the Asterisk instance directories (logs) and SIPp's files
 *
 * Everything started (Asterisk instances, SIPp processes, the database) is stopped and removed
 * at the end, also after a failure or Ctrl-C.
 */
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { onHost } from '../pbx/layout.ts';
import { freeUdpPort } from '../pbx/ports.ts';
import { tone } from '../test/support/audio.ts';
import { startBaseline } from './acd-load/baseline.ts';
import { type Ours, type SystemUnderTest, startOurs } from './acd-load/ours.ts';
import { rtpSlots } from './acd-load/pbx.ts';
import { agentPhones, caller, registerAgents } from './acd-load/scenarios.ts';
import { killAllSipp, type LogEntry, parseLog, type SippProcess, startSipp } from './acd-load/sipp.ts';
import { report, type StepResult, stepLine } from './acd-load/report.ts';
import { allProcessesCpu, concurrency, cpuSeconds, machineCpu, topOthers } from './acd-load/stats.ts';

const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const num = (name: string, fallback: number) => {
  const v = Number(env(name, String(fallback)));
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number`);
  return v;
};

const opts = {
  steps: env('BENCH_STEPS', '1,2,4,8,12,16,20,24')
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => n > 0),
  seconds: num('BENCH_SECONDS', 20),
  talkMs: num('BENCH_TALK_SECONDS', 8) * 1000,
  agents: 0,
  keyAfterMs: num('BENCH_KEY_AFTER_MS', 1000),
  promptSeconds: num('BENCH_PROMPT_SECONDS', 3),
  maxWaitMs: num('BENCH_MAX_WAIT_SECONDS', 20) * 1000,
  success: num('BENCH_SUCCESS', 0.99),
  rtp: env('BENCH_RTP', '1') === '1',
  db: env('BENCH_DB', 'embedded') === 'postgres' ? ('postgres' as const) : ('embedded' as const),
  systems: env('BENCH_SYSTEMS', 'ours,baseline').split(','),
  continueAfterFail: env('BENCH_CONTINUE', '0') === '1',
  ctiLog: env('BENCH_CTI_LOG', '0') === '1',
  /** Ring time of the group / queue (the phones answer at once). */
  ringSeconds: 15,
};

opts.agents =
  env('BENCH_AGENTS', 'auto') === 'auto'
    ? Math.ceil(Math.max(...opts.steps) * (opts.talkMs / 1000 + 1) * 1.15)
    : num('BENCH_AGENTS', 0);

const t0 = Date.now();
const say = (line: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}`);
const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));

// ── cleaning up, whatever happens ──────────────────────────────────────────────
const cleanups: (() => Promise<void>)[] = [];
let cleaning: Promise<void> | null = null;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    killAllSipp();
    for (const c of cleanups.reverse()) await c().catch((err: Error) => say(`cleanup: ${err.message}`));
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
  process.once(signal, () => {
    say(`${signal}: stopping`);
    void cleanUp().finally(() => process.exit(130));
  });
process.on('uncaughtException', (err) => {
  say(`uncaught: ${err.stack ?? err.message}`);
  void cleanUp().finally(() => process.exit(1));
});

/** A UDP port above the ephemeral range, free together with the one two above it (SIPp media). */
async function mediaPort(): Promise<number> {
  const { createSocket } = await import('node:dgram');
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (;;) {
    const port = 61000 + 4 * Math.floor(Math.random() * 1000);
    if ((await free(port)) && (await free(port + 1)) && (await free(port + 2)) && (await free(port + 3)))
      return port;
  }
}

// ── the agents' phones ────────────────────────────────────────────────────────
interface Phones {
  uas: SippProcess;
  port: number;
}

async function startPhones(system: SystemUnderTest, work: string): Promise<Phones> {
  const port = await freeUdpPort();
  const pbx = `127.0.0.1:${system.pbx.instance.ports.sip}`;
  // In batches: SIPp 3.6.1 reads at most 64 KB of scenario (40 accounts are about 46 KB).
  for (let from = 0; from < system.accounts.length; from += 40) {
    const register = startSipp({
      dir: work,
      name: `${system.label}-register-${from}`,
      scenario: registerAgents(system.accounts.slice(from, from + 40), 3600),
      args: ['-i', '127.0.0.1', '-p', String(port), '-mp', String(await mediaPort()), '-m', '1', '-aa', pbx],
    });
    const registered = await register.done;
    if (registered.code !== 0)
      throw new Error(
        `agents' registration failed (${registered.code}):\n${registered.output}\n${register.errors()}`,
      );
  }
  const uas = startSipp({
    dir: work,
    name: `${system.label}-phones`,
    scenario: agentPhones(opts.talkMs, opts.rtp),
    args: ['-i', '127.0.0.1', '-p', String(port), '-mp', String(await mediaPort()), '-aa', '-l', '5000'],
  });
  // Every contact is there and answers qualify.
  const names = new Set(system.accounts.map((a) => a.username));
  const deadline = Date.now() + 40_000;
  for (;;) {
    const out = await system.pbx.ami.command('pjsip show contacts');
    const avail = out
      .split('\n')
      .filter((l) => /Contact:\s+(\S+?)\/sip:/.test(l) && /\bAvail\b/.test(l))
      .map((l) => /Contact:\s+(\S+?)\//.exec(l)![1]!)
      .filter((n) => names.has(n));
    if (avail.length === names.size) break;
    if (Date.now() > deadline)
      throw new Error(
        `${system.label}: ${avail.length} of ${names.size} agents' contacts available:\n${out}`,
      );
    await sleep(500);
  }
  return { uas, port };
}

// ── one step ─────────────────────────────────────────────────────────────────
let numberSeq = 0;

async function runStep(
  system: SystemUnderTest,
  sysIndex: number,
  phones: Phones,
  rate: number,
  calls: number,
  work: string,
): Promise<StepResult> {
  const numbers = Array.from({ length: calls }, () => `13${sysIndex}${String(++numberSeq).padStart(8, '0')}`);
  const mine = new Set(numbers);
  const phonesBefore = phones.uas.logLines().length;
  const ours = system.label === 'ours' ? (system as Ours) : null;
  const ctiBefore = ours?.ctiLog.length ?? 0;
  const eventsBefore = ours ? await ours.eventCount() : 0;
  const asteriskLog = onHost(system.pbx.instance, 'log', 'messages.log');
  const logSize = () => (existsSync(asteriskLog) ? statSync(asteriskLog).size : 0);
  const asteriskFrom = logSize();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const callerProc = startSipp({
    dir: work,
    name: `${system.label}-${rate}cps-${numberSeq}`,
    scenario: caller(opts.keyAfterMs, opts.maxWaitMs + opts.talkMs, opts.rtp),
    inject: `SEQUENTIAL\n${numbers.join('\n')}\n`,
    args: [
      '-i',
      '127.0.0.1',
      '-p',
      String(system.carrierPort),
      '-mp',
      String(await mediaPort()),
      '-s',
      system.did,
      '-r',
      String(rate),
      '-rp',
      '1000',
      '-m',
      String(calls),
      '-l',
      String(calls),
      '-aa',
      // No call waits for ever for a message without its own time limit (e.g. the IVR's 200 OK).
      '-recv_timeout',
      '20000',
      '-timeout',
      String(Math.ceil(calls / rate + (opts.maxWaitMs + opts.talkMs) / 1000 + 30)),
      '-timeout_error',
      `127.0.0.1:${system.pbx.instance.ports.sip}`,
    ],
  });
  // Sample CPU and the PBX's channels while the callers run.
  const pids = {
    node: process.pid,
    asterisk: system.pbx.pid(),
    phones: phones.uas.pid,
    caller: callerProc.pid,
  };
  const first = {
    node: cpuSeconds(pids.node) ?? 0,
    asterisk: cpuSeconds(pids.asterisk) ?? 0,
    phones: cpuSeconds(pids.phones) ?? 0,
    caller: 0,
    machine: machineCpu().busy,
  };
  const everyProcessBefore = allProcessesCpu();
  let last = { ...first, caller: 0 };
  let channelsPeak = 0;
  const started = Date.now();
  let finished = false;
  const sampler = (async () => {
    while (!finished) {
      await sleep(1000);
      const out = await system.pbx.ami.command('core show channels count').catch(() => '');
      channelsPeak = Math.max(channelsPeak, Number(/(\d+) active channels?/.exec(out)?.[1] ?? 0));
      last = {
        node: cpuSeconds(pids.node) ?? last.node,
        asterisk: cpuSeconds(pids.asterisk) ?? last.asterisk,
        phones: cpuSeconds(pids.phones) ?? last.phones,
        caller: cpuSeconds(pids.caller) ?? last.caller,
        machine: machineCpu().busy,
      };
    }
  })();
  const run = await callerProc.done;
  finished = true;
  await sampler;
  const elapsed = (Date.now() - started) / 1000;
  const othersTop = topOthers(
    everyProcessBefore,
    allProcessesCpu(),
    new Set([pids.node, pids.asterisk, pids.phones, pids.caller].filter((p) => p !== null)),
    elapsed,
  );
  loop.disable();
  // Let the system settle: no call left, every agent free. A system still busy after 30 s is
  // cleared (every channel hung up) so that its backlog does not load the next measurement.
  const settle = async (ms: number) => {
    const from = Date.now();
    while (Date.now() - from < ms) {
      if (await system.idle().catch(() => false)) return true;
      await sleep(250);
    }
    return false;
  };
  const idleFrom = Date.now();
  const idle = await settle(30_000);
  const idleAfterMs = idle ? Date.now() - idleFrom : Number.NaN;
  if (!idle) {
    say(`  ${system.label}: still busy 30 s after the step: hanging up every channel`);
    await system.pbx.ami.command('channel request hangup all').catch(() => '');
    if (!(await settle(20_000))) say(`  ${system.label}: still not idle after hanging up every channel`);
  }
  await sleep(500);

  const callerLog = parseLog(callerProc.logLines());
  const phoneLog = parseLog(phones.uas.logLines().slice(phonesBefore)).filter((e) => mine.has(e.number));
  const by = (log: LogEntry[], what: string) => {
    const m = new Map<string, number>();
    for (const e of log) if (e.what === what && !m.has(e.number)) m.set(e.number, e.at);
    return m;
  };
  const c = {
    call: by(callerLog, 'call'),
    ans: by(callerLog, 'ans'),
    key: by(callerLog, 'key'),
    bye: by(callerLog, 'bye'),
    gaveup: by(callerLog, 'gaveup'),
  };
  const p = {
    inv: by(phoneLog, 'inv'),
    ack: by(phoneLog, 'ack'),
    bye: by(phoneLog, 'bye'),
    end: by(phoneLog, 'end'),
  };
  const talks = [...p.bye].flatMap(([n, at]) => (p.ack.has(n) ? [at - p.ack.get(n)!] : []));
  const keyToInvite: number[] = [];
  const inviteToAnswer: number[] = [];
  const hangup: number[] = [];
  let succeeded = 0;
  const intervals: { start: number; end: number }[] = [];
  const stepEnd = Date.now();
  for (const n of numbers) {
    const call = c.call.get(n);
    const ans = c.ans.get(n);
    const key = c.key.get(n);
    const inv = p.inv.get(n);
    if (call !== undefined && ans !== undefined) inviteToAnswer.push(ans - call);
    if (key !== undefined && inv !== undefined) keyToInvite.push(inv - key);
    const agentBye = p.bye.get(n);
    const callerBye = c.bye.get(n);
    if (agentBye !== undefined && callerBye !== undefined) hangup.push(callerBye - agentBye);
    if (key !== undefined && inv !== undefined && p.end.has(n) && callerBye !== undefined) succeeded++;
    if (call !== undefined) intervals.push({ start: call, end: callerBye ?? c.gaveup.get(n) ?? stepEnd });
  }
  const firstCall = Math.min(...intervals.map((i) => i.start));
  const lastCall = Math.max(...intervals.map((i) => i.start));
  const rampUp = opts.keyAfterMs + opts.talkMs + 1000;
  const conc = concurrency(intervals, { from: firstCall + rampUp, to: lastCall });
  const cpuPct = (a: number, b: number) => ((b - a) / elapsed) * 100;
  const recordings = countRecordings(system);
  // The CTI's log of the step, whole, next to SIPp's files (kept with KEEP_PBX=1).
  const ctiLines = ours ? ours.ctiLog.slice(ctiBefore) : [];
  if (ours)
    appendFileSync(
      join(work, 'ours-cti.log'),
      [
        `── ${rate} calls/s, ${calls} calls`,
        ...ctiLines.map((l) => `${new Date(l.at).toISOString()} ${l.line}`),
      ]
        .map((l) => `${l}\n`)
        .join(''),
    );
  const asteriskLines = existsSync(asteriskLog)
    ? readFileSync(asteriskLog).subarray(asteriskFrom).toString('utf8').split('\n').filter(Boolean)
    : [];
  const cpu = {
    node: cpuPct(first.node, last.node),
    asterisk: cpuPct(first.asterisk, last.asterisk),
    sipp: cpuPct(first.phones, last.phones) + cpuPct(0, last.caller),
    machine: cpuPct(first.machine, last.machine),
  };
  return {
    system: system.label,
    rate,
    offered: calls,
    answeredByIvr: c.ans.size,
    reachedAgent: [...p.inv.keys()].length,
    succeeded,
    gaveUp: c.gaveup.size,
    successRate: succeeded / calls,
    concurrent: conc,
    pbxChannelsPeak: channelsPeak,
    keyToInvite,
    inviteToAnswer,
    hangup,
    talkSeconds: talks.reduce((a, b) => a + b, 0) / talks.length / 1000,
    elapsed,
    cpu: { ...cpu, others: Math.max(0, cpu.machine - cpu.node - cpu.asterisk - cpu.sipp) },
    loopDelayP99: loop.percentile(99) / 1e6,
    recordings,
    events: ours ? (await ours.eventCount()) - eventsBefore : 0,
    dial409: ctiLines.filter((l) => /channels\.dial: 409\b/.test(l.line)).length,
    dial409Stasis: ours ? refusedDials(ctiLines, ours.legStasisStarts) : [],
    ctiLines: ctiLines.map((l) => l.line),
    asteriskLines,
    sippCode: run.code,
    sippErrors: callerProc.errors(),
    idleAfterMs,
    othersTop,
  };
}

/**
 * For each agent leg whose dial ARI refused (409 Channel not in Stasis application): how many ms
 * after the refusal the leg's StasisStart reached the CTI (positive: the dial came too early),
 * or null when none came. The leg is named by the CTI's next "… unavailable" line for that endpoint.
 */
function refusedDials(lines: readonly { at: number; line: string }[], stasis: Map<string, number>) {
  const out: (number | null)[] = [];
  for (const [i, l] of lines.entries()) {
    const endpoint = /dial (PJSIP\/\S+): channels\.dial: 409\b/.exec(l.line)?.[1];
    if (!endpoint) continue;
    const name = lines
      .slice(i + 1)
      .map((n) => /: (PJSIP\/\S+) unavailable/.exec(n.line)?.[1])
      .find((n) => n?.startsWith(`${endpoint}-`));
    const at = name ? stasis.get(name) : undefined;
    out.push(at === undefined ? null : at - l.at);
  }
  return out;
}

/** Counts the mixed recordings the step left (then removes them all, to keep the disk tidy). */
function countRecordings(system: SystemUnderTest): number {
  const dirs = [onHost(system.pbx.instance, 'recordings')];
  if (system.label === 'ours') dirs.push((system as Ours).recordingStore);
  let mixed = 0;
  const walk = (dir: string) => {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      if (name.endsWith('.wav') && !/-(caller|agent)\.wav$/.test(name)) mixed++;
      rmSync(path, { force: true });
    }
  };
  for (const d of dirs) walk(d);
  return mixed;
}

// ── reporting ─────────────────────────────────────────────────────────────────
/** Log lines of a step grouped (time stamps, ids, channel and agent numbers replaced) with counts. */
function ctiSummary(lines: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const l of lines) {
    const key = l
      .replace(/^\[[^\]]*\] /, '')
      .replace(/\[\d+\](\[C-[0-9a-f]+\])?/g, '')
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
      .replace(/-[0-9a-f]{8}\b/g, '-<n>')
      .replace(/\b\d{4,}(\.\d+)?\b/g, '<n>');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${String(n).padStart(5)} × ${k}`);
}

// ── main ──────────────────────────────────────────────────────────────────────
async function main() {
  say(
    `ACD load: steps ${opts.steps.join(', ')} calls/s × ${opts.seconds} s, talk ${opts.talkMs / 1000} s, ` +
      `${opts.agents} agents, key after ${opts.keyAfterMs} ms, RTP ${opts.rtp ? 'on' : 'off'}, ` +
      `database ${opts.db}, recording on`,
  );
  const work = mkdtempSync(join(tmpdir(), 'acd-load-'));
  cleanups.push(async () => {
    if (process.env.KEEP_PBX) say(`SIPp files kept in ${work}`);
    else rmSync(work, { recursive: true, force: true });
  });
  const [slotA, slotB] = rtpSlots();

  say('setting up the product (database, company, agents, IVR, Asterisk, CTI)');
  const ours = await startOurs({
    agents: opts.agents,
    dbMode: opts.db,
    promptWav: (dir) => tone(dir, 'menu-source.wav', opts.promptSeconds, []),
    ringSeconds: opts.ringSeconds,
    rtpSlot: slotA,
    say,
    onLog: opts.ctiLog ? (l) => say(`[cti] ${l}`) : undefined,
  });
  cleanups.push(() => ours.close());
  const systems: SystemUnderTest[] = opts.systems.includes('ours') ? [ours] : [];
  if (opts.systems.includes('baseline')) {
    say('setting up the baseline Asterisk (dialplan IVR, MixMonitor, app_queue)');
    const baseline = await startBaseline({
      rtpSlot: slotB,
      did: ours.did,
      carrierPort: ours.carrierPort,
      pjsip: (instance) => ours.pjsipFor(instance),
      accounts: ours.accounts,
      ringSeconds: opts.ringSeconds,
      promptWav: ours.promptWav,
      promptSln16: ours.promptSln16,
    });
    cleanups.push(() => baseline.close());
    systems.push(baseline);
  }
  const phones = new Map<string, Phones>();
  for (const s of systems) {
    say(`${s.label}: registering ${s.accounts.length} agents' phones`);
    phones.set(s.label, await startPhones(s, work));
  }

  // One call each first: the whole path works (not counted). One after the other: both systems'
  // callers send from the carrier's port.
  for (const [i, s] of systems.entries()) {
    const r = await runStep(s, i, phones.get(s.label)!, 1, 1, work);
    say(`warm-up ${stepLine(r)}`);
    if (r.succeeded !== 1)
      throw new Error(
        `${r.system}: the warm-up call failed (SIPp ${r.sippCode})\n${r.sippErrors}\n${ctiSummary(r.ctiLines).join('\n')}`,
      );
  }

  const results: StepResult[] = [];
  const stopped = new Set<string>();
  for (const rate of opts.steps) {
    for (const [i, s] of systems.entries()) {
      if (stopped.has(s.label)) continue;
      say(`${s.label}: ${rate} calls/s for ${opts.seconds} s`);
      const r = await runStep(s, i, phones.get(s.label)!, rate, Math.round(rate * opts.seconds), work);
      results.push(r);
      say(stepLine(r));
      for (const l of ctiSummary(r.ctiLines).slice(0, 12)) say(`  cti: ${l}`);
      for (const l of ctiSummary(r.asteriskLines).slice(0, 8)) say(`  asterisk: ${l}`);
      if (r.successRate < opts.success) {
        say(
          `  ${s.label}: step failed (SIPp exit ${r.sippCode}); SIPp errors (tail):\n${r.sippErrors.split('\n').slice(-8).join('\n')}`,
        );
        if (!opts.continueAfterFail) stopped.add(s.label);
      }
    }
    if (systems.every((s) => stopped.has(s.label))) break;
  }

  console.log(
    `\n${report(
      results,
      systems.map((s) => s.label),
      {
        steps: opts.steps,
        success: opts.success,
        db: opts.db,
        agents: opts.agents,
        talkSeconds: opts.talkMs / 1000,
        rtp: opts.rtp,
        keyAfterMs: opts.keyAfterMs,
        seconds: opts.seconds,
        cores: cpus().length,
      },
    )}`,
  );
  console.log(`\nThe run took ${((Date.now() - t0) / 60_000).toFixed(1)} min (set-up included).`);
}

try {
  await main();
} catch (err) {
  say(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
} finally {
  say('cleaning up');
  await cleanUp();
  say('done');
}
// The embedded database and clients may keep handles open; everything of ours is closed.
process.exit(process.exitCode ?? 0);
