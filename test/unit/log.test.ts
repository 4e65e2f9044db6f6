/** The logger's two formats and the call id it picks out of CTI lines (issue 4/8, item 5). */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { configureLogs, logOf } from '../../core/ops/log.ts';

const test = suite('log');
const callId = '0b8a6f0e-5d2c-4f7a-9a51-3c2d1e0f9a8b';

/** What `work` writes to stdout and stderr. */
function capture(work: () => void): { out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const write = {
    out: process.stdout.write.bind(process.stdout),
    err: process.stderr.write.bind(process.stderr),
  };
  process.stdout.write = ((chunk: string) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    work();
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
  return { out: out.join(''), err: err.join('') };
}

test('text: time, level, component and message; warnings and errors on stderr; debug only when asked', () => {
  configureLogs('text', 'info');
  const { out, err } = capture(() => {
    logOf('cti').line(`survey ${callId}: no answer`);
    logOf('pbx').warn('Asterisk down');
    logOf('web').debug('not shown');
  });
  assert.match(
    out,
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO {2}\[cti\] survey [0-9a-f-]{36}: no answer\n$/,
  );
  assert.match(err, /Z WARN {2}\[pbx\] Asterisk down\n$/);
});

test('JSON: one object per line, with the call id of a line that names a call', () => {
  configureLogs('json', 'debug');
  const { out } = capture(() => {
    logOf('cti').line(`re-bridging ${callId} failed: gone`);
    logOf('web').debug('shown', { path: '/calls' });
    logOf('main').line('no call here');
  });
  const lines = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.is(lines.length, 3);
  assert.is(lines[0]!.callId, callId);
  assert.is(lines[0]!.component, 'cti');
  assert.is(lines[0]!.level, 30);
  assert.is(lines[1]!.path, '/calls');
  assert.is(lines[2]!.callId, undefined);
  configureLogs('text', 'warn');
});

test.run();
