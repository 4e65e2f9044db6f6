/**
 * The systemd unit (issue 4/8, item 2): systemd accepts it, and it keeps the supervised Asterisk
 * alive when only the application restarts (KillMode=process: a crash or restart signals the
 * application alone; `systemctl stop` still stops Asterisk through the application's own
 * SIGTERM handling). What happens to a call when the application is SIGKILLed is tested for
 * real in test/telephony/app-crash.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const test = suite('systemd unit');
const template = readFileSync('scripts/callcenter.service', 'utf8');
const unit = template.replaceAll('@DIR@', resolve('.'));
const setting = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(unit)?.[1];

test('it restarts the application on failure and leaves Asterisk running across a restart', () => {
  assert.is(setting('KillMode'), 'process');
  assert.is(setting('Restart'), 'on-failure');
  assert.is(setting('KillSignal'), 'SIGTERM');
  assert.ok(Number(setting('TimeoutStopSec')) >= 30, 'time for Asterisk to stop with the application');
  assert.is(setting('ExecStart'), `${resolve('.')}/run.sh serve`);
  assert.match(readFileSync('run.sh', 'utf8'), /^ {2}serve\)$/m);
});

test('systemd-analyze accepts the unit', () => {
  const probe = spawnSync('systemd-analyze', ['--version']);
  if (probe.error) return; // not a systemd machine: nothing to ask
  const dir = mkdtempSync(join(tmpdir(), 'cc-unit-'));
  try {
    const path = join(dir, 'callcenter.service');
    writeFileSync(path, unit);
    const out = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
    assert.is(out.status, 0, out.stderr);
    assert.not.match(out.stderr, /Unknown key|Invalid|Failed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
