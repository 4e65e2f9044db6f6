/**
 * ACD under load (issue 4/5, item 8b): SIPp callers at rising call rates through
 * hotline → IVR (key 1) → agent group queue → agent phone, recording on, against a real
 * Asterisk driven by the product's CTI ("ours") — and, in the same run, the same flow done by
 * Asterisk alone ("baseline": Background/WaitExten, MixMonitor, app_queue with the same agents
 * as static members, strategy leastrecent ≈ our longest idle) in a second Asterisk instance.
 * Steps alternate between the two systems at each rate, so both see the same machine noise.
 *
 *   node --import tsx bench/acd-load.ts
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
 * - CPU of the Node process (CTI + the embedded database), each Asterisk, SIPp, the machine.
 *
 * Options (environment):
 *   BENCH_STEPS=1,2,4,6,8      call rates (calls per second), one step each
 *   BENCH_SECONDS=25           seconds of new calls per step
 *   BENCH_TALK_SECONDS=8       the agent's talk time (the phone hangs up after it)
 *   BENCH_AGENTS=72            agents (phones, group members); 72 staff 8 calls/s of 8 s talk, so
 *                              the queue's staffing does not decide the ceiling (with 25, ~3 calls/s
 *                              saturates both systems the same way)
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
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
import { concurrency, cpuSeconds, machineCpu, ms, percentile, ratio } from './acd-load/stats.ts';

const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const num = (name: string, fallback: number) => {
  const v = Number(env(name, String(fallback)));
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number`);
  return v;
};

const opts = {
  steps: env('BENCH_STEPS', '1,2,4,6,8')
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => n > 0),
  seconds: num('BENCH_SECONDS', 25),
  talkMs: num('BENCH_TALK_SECONDS', 8) * 1000,
  agents: num('BENCH_AGENTS', 72),
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
  // In batches: SIPp 3.6.1 reads at most 64 KB of scenario.
  for (let from = 0; from < system.accounts.length; from += 24) {
    const register = startSipp({
      dir: work,
      name: `${system.label}-register-${from}`,
      scenario: registerAgents(system.accounts.slice(from, from + 24), 3600),
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
interface StepResult {
  system: string;
  rate: number;
  offered: number;
  answeredByIvr: number;
  reachedAgent: number;
  succeeded: number;
  gaveUp: number;
  successRate: number;
  concurrent: { steady: number; peak: number };
  pbxChannelsPeak: number;
  keyToInvite: number[];
  inviteToAnswer: number[];
  hangup: number[];
  /** Agent answered (ACK) → agent hung up (BYE), mean seconds. */
  talkSeconds: number;
  cpu: { node: number; asterisk: number; sipp: number; machine: number; others: number };
  loopDelayP99: number;
  recordings: number;
  /** Ours: call events written in the step (one database transaction each). */
  events: number;
  ctiLines: string[];
  /** Warnings and errors Asterisk logged during the step. */
  asteriskLines: string[];
  sippCode: number | null;
  sippErrors: string;
  idleAfterMs: number;
}

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
      '-timeout',
      String(Math.ceil(calls / rate + (opts.maxWaitMs + opts.talkMs) / 1000 + 60)),
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
  loop.disable();
  // Let the system settle: no call left, every agent free.
  const idleFrom = Date.now();
  let idle = false;
  while (Date.now() - idleFrom < 60_000) {
    if (await system.idle().catch(() => false)) {
      idle = true;
      break;
    }
    await sleep(250);
  }
  const idleAfterMs = idle ? Date.now() - idleFrom : Number.NaN;
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
    cpu: { ...cpu, others: Math.max(0, cpu.machine - cpu.node - cpu.asterisk - cpu.sipp) },
    loopDelayP99: loop.percentile(99) / 1e6,
    recordings,
    events: ours ? (await ours.eventCount()) - eventsBefore : 0,
    ctiLines: ours ? ours.ctiLog.slice(ctiBefore).map((l) => l.line) : [],
    asteriskLines,
    sippCode: run.code,
    sippErrors: callerProc.errors(),
    idleAfterMs,
  };
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
function stepLine(r: StepResult): string {
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  return [
    `${r.system.padEnd(8)} ${String(r.rate).padStart(3)}/s`,
    `calls ${String(r.offered).padStart(4)} ok ${String(r.succeeded).padStart(4)} (${pct(r.successRate).padStart(6)})`,
    `agent ${String(r.reachedAgent).padStart(4)} gave up ${String(r.gaveUp).padStart(3)}`,
    `conc ${r.concurrent.steady.toFixed(1).padStart(5)} peak ${String(r.concurrent.peak).padStart(3)} ch ${String(r.pbxChannelsPeak).padStart(3)}`,
    `key→INVITE p50 ${ms(percentile(r.keyToInvite, 50)).padStart(5)} p95 ${ms(percentile(r.keyToInvite, 95)).padStart(5)} ms`,
    `answer p50 ${ms(percentile(r.inviteToAnswer, 50)).padStart(4)} p95 ${ms(percentile(r.inviteToAnswer, 95)).padStart(5)}`,
    `hangup p50 ${ms(percentile(r.hangup, 50)).padStart(4)} p95 ${ms(percentile(r.hangup, 95)).padStart(5)}`,
    `talk ${r.talkSeconds.toFixed(2)} s`,
    `cpu node ${r.cpu.node.toFixed(0).padStart(3)}% ast ${r.cpu.asterisk.toFixed(0).padStart(3)}% sipp ${r.cpu.sipp.toFixed(0).padStart(3)}% others ${r.cpu.others.toFixed(0).padStart(3)}%`,
    r.system === 'ours'
      ? `loop p99 ${r.loopDelayP99.toFixed(0)} ms | db ${(r.events / r.offered).toFixed(1)} events/call`
      : '',
    `rec ${r.recordings}`,
  ]
    .filter(Boolean)
    .join(' | ');
}

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

  const systems = [ours, baseline].filter((s) => opts.systems.includes(s.label));
  const phones = new Map<string, Phones>();
  for (const s of systems) {
    say(`${s.label}: registering ${s.accounts.length} agents' phones`);
    phones.set(s.label, await startPhones(s, work));
  }

  // One call each first: the whole path works (not counted).
  for (const [i, s] of systems.entries()) {
    const r = await runStep(s, i, phones.get(s.label)!, 1, 1, work);
    say(`warm-up ${stepLine(r)}`);
    if (r.succeeded !== 1)
      throw new Error(
        `${s.label}: the warm-up call failed (SIPp ${r.sippCode})\n${r.sippErrors}\n${ctiSummary(r.ctiLines).join('\n')}`,
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
      if (Number.isNaN(r.idleAfterMs)) say(`  ${s.label}: still busy 60 s after the step`);
    }
    if (systems.every((s) => stopped.has(s.label))) break;
  }

  report(results, systems);
}

function report(results: StepResult[], systems: SystemUnderTest[]) {
  console.log('\n══ ACD load: results ══');
  console.log(
    [
      "Measured on the SIP side from the SIPp scenarios' <log> lines (wall clock, same method for both",
      `systems): "ours" = Asterisk + the product CTI over ARI (database: ${opts.db}), "baseline" =`,
      'Asterisk dialplan + app_queue. Per step: calls offered / succeeded (IVR answered, key 1, agent rang,',
      'answered, talked, hung up, caller got the BYE); conc = callers in progress, mean of the steady part',
      'and peak; ch = peak Asterisk channels; key→INVITE = caller sends key 1 → agent phone gets the INVITE;',
      'answer = caller INVITE → IVR 200 OK; hangup = agent BYE → caller BYE; talk = agent ACK → agent BYE',
      "(a re-INVITE restarts the phone's talk timer); cpu = % of one core over the step (node = CTI and",
      "embedded database; others = the rest of the machine, e.g. other people's tests); rec = mixed",
      `recordings written. ${opts.agents} agents, talk ${opts.talkMs / 1000} s, RTP ${opts.rtp ? 'on' : 'off'}.`,
    ].join('\n'),
  );
  for (const r of results) console.log(stepLine(r));
  const best = new Map<string, StepResult>();
  for (const s of systems) {
    const passed = results.filter((r) => r.system === s.label && r.successRate >= opts.success);
    const top = passed.sort((a, b) => b.rate - a.rate)[0];
    if (top) best.set(s.label, top);
  }
  console.log(`\nHighest sustained step (≥ ${(opts.success * 100).toFixed(0)}% of calls succeed):`);
  for (const s of systems) {
    const b = best.get(s.label);
    const failedAbove = results.find((r) => r.system === s.label && r.successRate < opts.success);
    console.log(
      b
        ? `  ${s.label.padEnd(8)} ${b.rate} calls/s: ${b.concurrent.steady.toFixed(1)} concurrent calls (peak ${b.concurrent.peak})` +
            (failedAbove
              ? `; failed at ${failedAbove.rate} calls/s (${(failedAbove.successRate * 100).toFixed(1)}%)`
              : '; no step failed (ceiling not reached)')
        : `  ${s.label.padEnd(8)} no step sustained`,
    );
  }
  const o = best.get('ours');
  const b = best.get('baseline');
  if (o && b)
    console.log(
      `  ratio ours/baseline: concurrent calls ${ratio(o.concurrent.steady, b.concurrent.steady)}, call rate ${ratio(o.rate, b.rate)}`,
    );
  console.log('\nCall set-up added by the CTI, key 1 sent → agent phone gets INVITE (ms), per step:');
  for (const rate of opts.steps) {
    const or = results.find((r) => r.system === 'ours' && r.rate === rate);
    const br = results.find((r) => r.system === 'baseline' && r.rate === rate);
    if (!or && !br) continue;
    const f = (r: StepResult | undefined, p: number, v: 'keyToInvite' | 'inviteToAnswer' | 'hangup') =>
      r ? percentile(r[v], p) : Number.NaN;
    const line = (label: string, v: 'keyToInvite' | 'inviteToAnswer' | 'hangup') =>
      `    ${label.padEnd(22)} ours p50 ${ms(f(or, 50, v)).padStart(5)} p95 ${ms(f(or, 95, v)).padStart(5)} | ` +
      `baseline p50 ${ms(f(br, 50, v)).padStart(5)} p95 ${ms(f(br, 95, v)).padStart(5)} | ` +
      `ratio p50 ${ratio(f(or, 50, v), f(br, 50, v)).padStart(7)} p95 ${ratio(f(or, 95, v), f(br, 95, v)).padStart(7)} | ` +
      `added p50 ${ms(f(or, 50, v) - f(br, 50, v)).padStart(5)} p95 ${ms(f(or, 95, v) - f(br, 95, v)).padStart(5)}`;
    console.log(`  ${rate} calls/s:`);
    console.log(line('key → agent INVITE', 'keyToInvite'));
    console.log(line('INVITE → IVR answer', 'inviteToAnswer'));
    console.log(line('agent BYE → caller BYE', 'hangup'));
  }
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
