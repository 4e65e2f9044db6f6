/**
 * What the ACD load benchmark prints: one line per step while it runs, and at the end the
 * figures of every step in two tables, the ratios ours/baseline per rate, and the highest
 * call rate each system sustained.
 */
import { ms, percentile, ratio } from './stats.ts';

export interface StepResult {
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
  /** Seconds the callers' SIPp ran (first INVITE → last call ended): the CPU window. */
  elapsed: number;
  /** CPU, % of one core over `elapsed`. */
  cpu: { node: number; asterisk: number; sipp: number; machine: number; others: number };
  loopDelayP99: number;
  recordings: number;
  /** Ours: call events written in the step (one database transaction each). */
  events: number;
  /** Ours: agents' legs whose dial ARI refused with 409 (the offer failed, the next agent got it). */
  dial409: number;
  /** Per refused dial: ms from the refusal to the leg's StasisStart (null: none came). */
  dial409Stasis: (number | null)[];
  ctiLines: string[];
  /** Warnings and errors Asterisk logged during the step. */
  asteriskLines: string[];
  sippCode: number | null;
  sippErrors: string;
  idleAfterMs: number;
  /** The processes outside the system under test that used the most CPU in the step. */
  othersTop: string;
}

/**
 * CPU milliseconds per offered call of the system under test: for ours the Node process (CTI
 * and embedded database) plus its Asterisk, for the baseline its Asterisk.
 */
export function cpuMsPerCall(r: StepResult, only: 'system' | 'asterisk' = 'system'): number {
  const pct = only === 'asterisk' || r.system !== 'ours' ? r.cpu.asterisk : r.cpu.node + r.cpu.asterisk;
  return r.offered > 0 ? ((pct / 100) * r.elapsed * 1000) / r.offered : Number.NaN;
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const p = (values: readonly number[], q: number) => ms(percentile(values, q));

/** One line per step, printed as the run goes. */
export function stepLine(r: StepResult): string {
  return [
    `${r.system.padEnd(8)} ${String(r.rate).padStart(3)}/s`,
    `calls ${String(r.offered).padStart(4)} ok ${String(r.succeeded).padStart(4)} (${pct(r.successRate).padStart(6)})`,
    `agent ${String(r.reachedAgent).padStart(4)} gave up ${String(r.gaveUp).padStart(3)}`,
    `conc ${r.concurrent.steady.toFixed(1).padStart(5)} peak ${String(r.concurrent.peak).padStart(3)} ch ${String(r.pbxChannelsPeak).padStart(3)}`,
    `key→INVITE p50 ${p(r.keyToInvite, 50).padStart(5)} p95 ${p(r.keyToInvite, 95).padStart(5)} ms`,
    `answer p50 ${p(r.inviteToAnswer, 50).padStart(4)} p95 ${p(r.inviteToAnswer, 95).padStart(5)}`,
    `hangup p50 ${p(r.hangup, 50).padStart(4)} p95 ${p(r.hangup, 95).padStart(5)}`,
    `talk ${r.talkSeconds.toFixed(2)} s`,
    `cpu node ${r.cpu.node.toFixed(0).padStart(3)}% ast ${r.cpu.asterisk.toFixed(0).padStart(3)}% sipp ${r.cpu.sipp.toFixed(0).padStart(3)}% others ${r.cpu.others.toFixed(0).padStart(3)}%`,
    `${cpuMsPerCall(r).toFixed(0)} ms cpu/call`,
    r.system === 'ours'
      ? `loop p99 ${r.loopDelayP99.toFixed(0)} ms | db ${(r.events / r.offered).toFixed(1)} events/call | dial 409 ${r.dial409}` +
        (r.dial409 > 0
          ? ` (leg's StasisStart came ${r.dial409Stasis.map((d) => (d === null ? 'never' : `${d >= 0 ? '+' : ''}${d} ms`)).join(', ')} after)`
          : '')
      : '',
    `rec ${r.recordings}`,
    r.othersTop ? `others: ${r.othersTop}` : '',
  ]
    .filter(Boolean)
    .join(' | ');
}

/** A plain text table: first column left-aligned, the others right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}

export interface ReportOptions {
  steps: number[];
  success: number;
  db: string;
  agents: number;
  talkSeconds: number;
  rtp: boolean;
  keyAfterMs: number;
  seconds: number;
  cores: number;
}

export function report(results: readonly StepResult[], systems: readonly string[], o: ReportOptions): string {
  const out: string[] = [];
  out.push(
    '══ ACD load: results ══',
    [
      "Measured on the SIP side from the SIPp scenarios' <log> lines (wall clock, same method for both",
      `systems): "ours" = Asterisk + the product's CTI over ARI (database: ${o.db}), "baseline" = a second`,
      'Asterisk doing the same with its dialplan (Background/WaitExten, MixMonitor) and app_queue; the steps',
      'of both alternate in this one run. Each step offers rate × seconds calls: IVR answers, key 1 after',
      `${o.keyAfterMs} ms, the agent's phone rings, answers at once, talks ${o.talkSeconds} s, hangs up. ${o.agents} agents, ` +
        `${o.seconds} s per step, RTP ${o.rtp ? 'on' : 'off'}, recording on.`,
      "Both systems use the product's pjsip.conf as rendered.",
    ].join('\n'),
    '',
    'Calls: ok = IVR answered, key 1, agent rang, answered, talked, hung up, caller got the BYE;',
    'agent = calls that reached an agent phone; conc = callers in progress, mean of the steady part of the',
    'step and peak; ch = peak Asterisk channels. Times in ms: key→INVITE = caller sends key 1 → agent',
    'phone gets the INVITE (IVR exit, queueing, agent choice, dialling); answer = caller INVITE → IVR',
    '200 OK; hangup = agent BYE → caller BYE; talk = agent ACK → agent BYE (s, mean).',
  );
  const p50 = (v: readonly number[]) => p(v, 50);
  const p95 = (v: readonly number[]) => p(v, 95);
  out.push(
    table(
      [
        'system',
        'rate/s',
        'calls',
        'ok',
        'ok %',
        'agent',
        'gave up',
        'conc',
        'peak',
        'ch',
        'key→INV p50',
        'p95',
        'answer p50',
        'p95',
        'hangup p50',
        'p95',
        'talk s',
      ],
      results.map((r) => [
        r.system,
        String(r.rate),
        String(r.offered),
        String(r.succeeded),
        pct(r.successRate),
        String(r.reachedAgent),
        String(r.gaveUp),
        r.concurrent.steady.toFixed(1),
        String(r.concurrent.peak),
        String(r.pbxChannelsPeak),
        p50(r.keyToInvite),
        p95(r.keyToInvite),
        p50(r.inviteToAnswer),
        p95(r.inviteToAnswer),
        p50(r.hangup),
        p95(r.hangup),
        r.talkSeconds.toFixed(2),
      ]),
    ),
    '',
    `CPU: % of one core (the machine has ${o.cores}) over the step; node = the CTI and its embedded`,
    "database (the bench's own sampling too: the baseline rows' node column is that overhead plus the",
    "idle CTI); ast = the system's Asterisk; sipp = callers and phones; others = the rest of the",
    "machine (the other Asterisk idling, other people's work, the kernel). cpu/call = CPU ms per",
    'offered call of the system under test: ours node + ast, baseline ast; ast/call = Asterisk alone.',
    'loop = Node event-loop delay p99 (ms); ev/call = call events written to the database per call;',
    'dial 409 = agent legs ARI refused to dial because the CTI dialled before the leg had entered its',
    'Stasis app (the offer then goes to the next agent); rec = mixed recordings written.',
    table(
      [
        'system',
        'rate/s',
        'secs',
        'node %',
        'ast %',
        'sipp %',
        'others %',
        'machine %',
        'cpu/call ms',
        'ast/call ms',
        'loop p99',
        'ev/call',
        'dial 409',
        'rec',
      ],
      results.map((r) => {
        const ours = r.system === 'ours';
        return [
          r.system,
          String(r.rate),
          r.elapsed.toFixed(1),
          r.cpu.node.toFixed(0),
          r.cpu.asterisk.toFixed(0),
          r.cpu.sipp.toFixed(0),
          r.cpu.others.toFixed(0),
          r.cpu.machine.toFixed(0),
          cpuMsPerCall(r).toFixed(1),
          cpuMsPerCall(r, 'asterisk').toFixed(1),
          ours ? r.loopDelayP99.toFixed(0) : '–',
          ours ? (r.events / r.offered).toFixed(1) : '–',
          ours ? String(r.dial409) : '–',
          String(r.recordings),
        ];
      }),
    ),
  );

  out.push(
    '',
    "What 'others' was (processes outside the system under test that were still running at the end of",
    'the step, by name, % of one core over the step):',
    ...results.map((r) => `  ${r.system.padEnd(8)} ${String(r.rate).padStart(3)}/s: ${r.othersTop || '–'}`),
  );

  // Ratios, per rate both systems ran.
  const pairs = o.steps.flatMap((rate) => {
    const or = results.find((r) => r.system === 'ours' && r.rate === rate);
    const br = results.find((r) => r.system === 'baseline' && r.rate === rate);
    return or && br ? [{ rate, or, br }] : [];
  });
  if (pairs.length > 0) {
    const both = (a: string, b: string, q: string) => `${a}/${b} ${q}`;
    const cell = (
      v: 'keyToInvite' | 'inviteToAnswer' | 'hangup',
      q: number,
      or: StepResult,
      br: StepResult,
    ) =>
      both(
        ms(percentile(or[v], q)),
        ms(percentile(br[v], q)),
        ratio(percentile(or[v], q), percentile(br[v], q)),
      );
    out.push(
      '',
      'Ratios ours/baseline at each rate (cells: ours/baseline value, then the ratio; ms unless said):',
      table(
        [
          'rate/s',
          'ok %',
          'key→INV p50',
          'key→INV p95',
          'answer p50',
          'answer p95',
          'hangup p50',
          'hangup p95',
          'cpu/call',
          'ast/call',
        ],
        pairs.map(({ rate, or, br }) => [
          String(rate),
          both(pct(or.successRate), pct(br.successRate), ''),
          cell('keyToInvite', 50, or, br),
          cell('keyToInvite', 95, or, br),
          cell('inviteToAnswer', 50, or, br),
          cell('inviteToAnswer', 95, or, br),
          cell('hangup', 50, or, br),
          cell('hangup', 95, or, br),
          both(
            cpuMsPerCall(or).toFixed(0),
            cpuMsPerCall(br).toFixed(0),
            ratio(cpuMsPerCall(or), cpuMsPerCall(br)),
          ),
          both(
            cpuMsPerCall(or, 'asterisk').toFixed(0),
            cpuMsPerCall(br, 'asterisk').toFixed(0),
            ratio(cpuMsPerCall(or, 'asterisk'), cpuMsPerCall(br, 'asterisk')),
          ),
        ]),
      ),
    );
  }

  // The highest sustained step of each system.
  const best = new Map<string, StepResult>();
  for (const s of systems) {
    const passed = results.filter((r) => r.system === s && r.successRate >= o.success);
    const top = [...passed].sort((a, b) => b.rate - a.rate)[0];
    if (top) best.set(s, top);
  }
  out.push('', `Highest sustained step (≥ ${(o.success * 100).toFixed(0)}% of its calls succeed):`);
  for (const s of systems) {
    const b = best.get(s);
    const failed = results.find((r) => r.system === s && r.successRate < o.success);
    out.push(
      b
        ? `  ${s.padEnd(8)} ${b.rate} calls/s: ${b.concurrent.steady.toFixed(1)} concurrent calls (peak ${b.concurrent.peak}), ` +
            `${cpuMsPerCall(b).toFixed(0)} ms CPU per call` +
            (failed
              ? `; failed at ${failed.rate} calls/s (${pct(failed.successRate)} ok)`
              : `; no step failed (ceiling above ${Math.max(...o.steps)} calls/s, not reached)`)
        : `  ${s.padEnd(8)} no step sustained`,
    );
  }
  const ob = best.get('ours');
  const bb = best.get('baseline');
  if (ob && bb) {
    // A system that failed no step has its ceiling above its top step: the ratio is a bound.
    const failed = (s: string) => results.some((r) => r.system === s && r.successRate < o.success);
    const bound = failed('ours') ? (failed('baseline') ? '' : '≤ ') : failed('baseline') ? '≥ ' : '';
    const note =
      failed('ours') && failed('baseline')
        ? ''
        : failed('ours')
          ? " (the baseline's ceiling was not reached)"
          : failed('baseline')
            ? " (ours' ceiling was not reached)"
            : ' (neither ceiling was reached)';
    out.push(
      `  ratio ours/baseline: sustained call rate ${bound}${ratio(ob.rate, bb.rate)}${note}, ` +
        `concurrent calls ${bound}${ratio(ob.concurrent.steady, bb.concurrent.steady)}`,
    );
    // Latency and CPU at the highest rate both sustained.
    const common = pairs.filter((x) => x.or.successRate >= o.success && x.br.successRate >= o.success).pop();
    if (common) {
      const { rate, or, br } = common;
      const r = (v: 'keyToInvite' | 'inviteToAnswer', q: number) =>
        `${ms(percentile(or[v], q))} vs ${ms(percentile(br[v], q))} ms (${ratio(percentile(or[v], q), percentile(br[v], q))})`;
      out.push(
        `  at ${rate} calls/s (the highest rate both sustained): key→INVITE p50 ${r('keyToInvite', 50)}, ` +
          `p95 ${r('keyToInvite', 95)};`,
        `    IVR answer p50 ${r('inviteToAnswer', 50)}; CPU per call ${cpuMsPerCall(or).toFixed(0)} vs ` +
          `${cpuMsPerCall(br).toFixed(0)} ms (${ratio(cpuMsPerCall(or), cpuMsPerCall(br))}), of which Asterisk ` +
          `${cpuMsPerCall(or, 'asterisk').toFixed(0)} vs ${cpuMsPerCall(br, 'asterisk').toFixed(0)} ms ` +
          `(${ratio(cpuMsPerCall(or, 'asterisk'), cpuMsPerCall(br, 'asterisk'))})`,
      );
    }
  }
  return out.join('\n');
}
