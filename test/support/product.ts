/** The product as an operator runs it: `node main.ts` as a child process, on free loopback ports. */
import { type ChildProcess, spawn } from 'node:child_process';
import { freeTcpPort, freeUdpPort } from '../../pbx/ports.ts';

export interface RunningProduct {
  proc: ChildProcess;
  url: string;
  log(): string;
}

const running = new Set<ChildProcess>();

/**
 * `node main.ts` as an operator starts it, on loopback with the embedded database, no telephony
 * and text logs unless `env` says otherwise; `stdout()` and `log()` (stdout and stderr) so far.
 */
export function spawnMain(env: Record<string, string>): {
  proc: ChildProcess;
  stdout(): string;
  log(): string;
} {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: '',
      PBX_MODE: 'off',
      LOG_FORMAT: 'text',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  let stdout = '';
  let all = '';
  proc.stdout?.on('data', (d) => {
    stdout += d;
    all += d;
  });
  proc.stderr?.on('data', (d) => (all += d));
  return { proc, stdout: () => stdout, log: () => all };
}

/** Starts main.ts with the given environment and waits until it prints its URL. */
export async function startProduct(env: Record<string, string>): Promise<RunningProduct> {
  const port = await freeTcpPort();
  const { proc, log } = spawnMain({ PORT: String(port), ...env });
  const deadline = Date.now() + 30_000;
  while (!/Call center is up: open (\S+)/.test(log())) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`did not start:\n${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { proc, url: /Call center is up: open (\S+)/.exec(log())![1]!.replace(/\/$/, ''), log };
}

/** Waits until the product's output matches, or fails with the output. */
export async function waitForLog(
  product: RunningProduct,
  pattern: RegExp,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(product.log())) {
    if (Date.now() > deadline || product.proc.exitCode !== null)
      throw new Error(`no ${pattern} in:\n${product.log()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function stopProduct(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}

/** Kills whatever a failed test left running. */
export function killProducts(): void {
  for (const proc of running) proc.kill('SIGKILL');
}

/** The product with its own Asterisk (managed) on free loopback ports, ready for calls. */
export async function startProductWithPbx(
  env: Record<string, string>,
  rtpBase = 32000,
): Promise<RunningProduct & { sipPort: number }> {
  const sipPort = await freeUdpPort();
  const rtpStart = rtpBase + 200 * Math.floor(Math.random() * 40);
  const product = await startProduct({
    PBX_MODE: 'managed',
    SIP_BIND: '127.0.0.1',
    SIP_PORT: String(sipPort),
    RTP_START: String(rtpStart),
    RTP_END: String(rtpStart + 199),
    ...env,
  });
  await waitForLog(product, /\[cti\] ready/, 120_000);
  return { ...product, sipPort };
}
