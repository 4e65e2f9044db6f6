/**
 * Running SIPp (Debian `sip-tester` 3.6.1) for the benchmark: each process gets its own
 * directory with the scenario, its `<log>` lines (-trace_logs) and its errors. Every process
 * started is remembered so that the benchmark can kill what is left when it stops.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SippProcess {
  name: string;
  pid: number | null;
  /** Resolves with the exit code (0: every call ran as scripted) and the tail of its output. */
  done: Promise<{ code: number | null; output: string }>;
  /** The `<log>` lines written so far. */
  logLines(): string[];
  /** Errors SIPp reported (unexpected messages, timeouts), tail. */
  errors(): string;
  stop(): void;
}

const running = new Set<ChildProcess>();

/** Kills every SIPp process of this run still alive. */
export function killAllSipp(): void {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
  running.clear();
}

export function startSipp(o: {
  dir: string;
  name: string;
  scenario: string;
  args: string[];
  /** CSV injection file contents (-inf), if any. */
  inject?: string;
}): SippProcess {
  const dir = join(o.dir, o.name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'scenario.xml'), o.scenario);
  const logFile = join(dir, 'log.txt');
  const errorFile = join(dir, 'errors.txt');
  const args = [
    '-sf',
    join(dir, 'scenario.xml'),
    '-nostdin',
    '-trace_logs',
    '-log_file',
    logFile,
    '-trace_err',
    '-error_file',
    errorFile,
    ...(process.env.BENCH_TRACE === '1' ? ['-trace_msg', '-message_file', join(dir, 'messages.txt')] : []),
    ...o.args,
  ];
  if (o.inject !== undefined) {
    writeFileSync(join(dir, 'inject.csv'), o.inject);
    args.push('-inf', join(dir, 'inject.csv'));
  }
  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const done = new Promise<{ code: number | null; output: string }>((resolve) => {
    child.once('exit', (code) => {
      running.delete(child);
      resolve({ code, output });
    });
  });
  const read = (f: string) => (existsSync(f) ? readFileSync(f, 'latin1') : '');
  return {
    name: o.name,
    pid: child.pid ?? null,
    done,
    logLines: () => read(logFile).split('\n').filter(Boolean),
    errors: () => read(errorFile).slice(-3000),
    stop: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

export interface LogEntry {
  what: string;
  /** The caller's number. */
  number: string;
  /** The agent's SIP username (agents' phones). */
  agent: string;
  /** Wall-clock milliseconds. */
  at: number;
}

/** Parses `what|number[|agent]|date<TAB>time<TAB>epoch.micro` lines. */
export function parseLog(lines: readonly string[]): LogEntry[] {
  const out: LogEntry[] = [];
  for (const line of lines) {
    const parts = line.split('|');
    if (parts.length < 3) continue;
    const stamp = parts[parts.length - 1]!.trim().split(/\s+/).pop() ?? '';
    const at = Number(stamp) * 1000;
    if (!Number.isFinite(at)) continue;
    out.push({
      what: parts[0]!,
      number: parts[1]!,
      agent: parts.length > 3 ? parts[2]! : '',
      at,
    });
  }
  return out;
}
