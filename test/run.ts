/**
 * The whole test suite: type check, lint, unit tests, integration tests against both the
 * real PostgreSQL server and the embedded database, the product process, telephony against a
 * real Asterisk, and the browser test.
 * Each test file runs in its own process with uvu; the last line is `N passed, N failed`.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}
const total: Tally = { passed: 0, failed: 0, skipped: 0 };
const failures: string[] = [];
const only = process.argv.slice(2);

/** A test file that runs longer than this is killed and counted as failed. */
const fileTimeoutMs = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 15 * 60_000);

function run(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const timer = setTimeout(() => {
      console.log(`\n!! timed out after ${fileTimeoutMs} ms: ${args.join(' ')}`);
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, fileTimeoutMs);
    let out = '';
    const take = (chunk: Buffer) => {
      out += chunk.toString();
      process.stdout.write(chunk);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, out });
    });
  });
}

async function check(name: string, cmd: string, args: string[]) {
  if (only.length > 0 && !only.some((o) => name.includes(o))) return;
  console.log(`\n── ${name}`);
  const { code } = await run(cmd, args);
  if (code === 0) total.passed++;
  else {
    total.failed++;
    failures.push(name);
  }
}

async function uvuFile(file: string, label: string, env: Record<string, string> = {}) {
  if (only.length > 0 && !only.some((o) => file.includes(o))) return;
  console.log(`\n── ${label}`);
  const dir = join(file, '..');
  const name = file.split('/').pop()!.replace(/\./g, '\\.');
  const { code, out } = await run(
    process.execPath,
    ['node_modules/uvu/bin.js', '-r', 'tsx', dir, `^${name}$`, '--no-color'],
    env,
  );
  const num = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(out)?.[1] ?? 'NaN');
  const t = num('Total');
  const p = num('Passed');
  const s = num('Skipped');
  if (Number.isNaN(t) || Number.isNaN(p)) {
    total.failed++;
    failures.push(`${label} (crashed, exit ${code})`);
    return;
  }
  const s2 = Number.isNaN(s) ? 0 : s;
  total.passed += p;
  total.skipped += s2;
  const failed = t - p - s2 + (code !== 0 && t - p - s2 === 0 ? 1 : 0);
  total.failed += failed;
  if (failed > 0) failures.push(label);
}

const files = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => join(dir, f));

await check('typecheck (tsc --noEmit)', process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit']);
await check('lint and format (biome check)', process.execPath, [
  'node_modules/@biomejs/biome/bin/biome',
  'check',
  '.',
]);
for (const f of files('test/unit')) await uvuFile(f, f);
for (const mode of ['postgres', 'embedded']) {
  for (const f of files('test/integration')) await uvuFile(f, `${f} [${mode}]`, { TEST_DB: mode });
}
for (const f of files('test/system')) await uvuFile(f, f);
for (const f of files('test/telephony')) await uvuFile(f, f);
for (const f of files('test/browser')) await uvuFile(f, f);

if (failures.length > 0) console.log(`\nFailed:\n  ${failures.join('\n  ')}`);
console.log(`\n${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(total.failed > 0 ? 1 : 0);
