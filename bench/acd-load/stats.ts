/** Small measuring helpers of the ACD load benchmark: percentiles, concurrency, CPU time. */
import { readdirSync, readFileSync } from 'node:fs';

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * Calls in progress over time from their [start, end) intervals (ms): the peak, and the mean
 * over `window` (the steady part of a step: every call started then has had time to reach the
 * agent and talk), sampled every 100 ms.
 */
export function concurrency(
  intervals: readonly { start: number; end: number }[],
  window: { from: number; to: number },
): { peak: number; steady: number } {
  if (intervals.length === 0) return { peak: 0, steady: 0 };
  const edges: [number, number][] = [];
  for (const i of intervals) edges.push([i.start, 1], [i.end, -1]);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let peak = 0;
  for (const [, d] of edges) {
    now += d;
    peak = Math.max(peak, now);
  }
  let sum = 0;
  let samples = 0;
  for (let t = window.from; t < window.to; t += 100) {
    let n = 0;
    for (const i of intervals) if (i.start <= t && t < i.end) n++;
    sum += n;
    samples++;
  }
  return { peak, steady: samples > 0 ? sum / samples : peak };
}

/** CPU seconds a process has used so far (user + system, all threads), or null when gone. */
export function cpuSeconds(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) in parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** The machine's busy and total CPU seconds so far (all cores), from /proc/stat. */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: (total - idle) / 100, total: total / 100 };
}

export const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)}` : '–');
export const ratio = (a: number, b: number) =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '–';

/** CPU seconds used so far by every process on the machine, with its command name. */
export function allProcessesCpu(): Map<number, { name: string; cpu: number }> {
  const out = new Map<number, { name: string; cpu: number }>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return out;
  }
  for (const p of pids) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(p), { name, cpu: (Number(fields[11]) + Number(fields[12])) / 100 });
    } catch {
      /* gone */
    }
  }
  return out;
}

/**
 * The processes other than `mine` that used the most CPU between two snapshots, by command
 * name, as "name 12%" (% of one core over `seconds`).
 */
export function topOthers(
  before: Map<number, { name: string; cpu: number }>,
  after: Map<number, { name: string; cpu: number }>,
  mine: ReadonlySet<number>,
  seconds: number,
  count = 3,
): string {
  const byName = new Map<string, number>();
  for (const [pid, a] of after) {
    if (mine.has(pid)) continue;
    const used = a.cpu - (before.get(pid)?.cpu ?? 0);
    if (used > 0) byName.set(a.name, (byName.get(a.name) ?? 0) + used);
  }
  return [...byName.entries()]
    .sort((x, y) => y[1] - x[1])
    .slice(0, count)
    .filter(([, used]) => (used / seconds) * 100 >= 1)
    .map(([name, used]) => `${name} ${((used / seconds) * 100).toFixed(0)}%`)
    .join(', ');
}
