/**
 * PBX housekeeping (issue 4/8, item 7): instance folders of data directories that no longer
 * exist are removed unless their Asterisk runs; Asterisk's logs are rotated past their size.
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { markInstance, removeOrphanInstances, rotateLogs } from '../../pbx/housekeeping.ts';
import type { PbxInstance } from '../../pbx/layout.ts';

const test = suite('pbx housekeeping');
let root: string;

const instanceOf = (name: string): PbxInstance => ({
  runtime: { mode: 'chroot', root },
  dir: `/srv/callcenter/${name}`,
  sipBind: '127.0.0.1',
  ports: { sip: 5060, http: 8088, ami: 5038, rtpStart: 10000, rtpEnd: 10100 },
  secrets: { ariUser: 'a', ariPassword: 'b', amiUser: 'c', amiSecret: 'd' },
  app: 'callcenter',
});
const folder = (name: string) => join(root, 'srv', 'callcenter', name);

test.before.each(() => {
  root = mkdtempSync(join(tmpdir(), 'cc-root-'));
});
test.after.each(() => {
  rmSync(root, { recursive: true, force: true });
});

test('only the folders of vanished data directories go, and not while their Asterisk runs', () => {
  const liveData = mkdtempSync(join(tmpdir(), 'cc-live-'));
  try {
    for (const name of ['main-self', 'main-gone', 'main-live', 'main-old', 'main-running']) {
      mkdirSync(join(folder(name), 'run'), { recursive: true });
    }
    markInstance(instanceOf('main-self'), '/nonexistent/self');
    markInstance(instanceOf('main-gone'), '/nonexistent/data-1');
    markInstance(instanceOf('main-live'), liveData);
    markInstance(instanceOf('main-running'), '/nonexistent/data-2');
    writeFileSync(join(folder('main-running'), 'run', 'asterisk.pid'), String(process.pid));
    const removed = removeOrphanInstances(instanceOf('main-self'));
    assert.equal(removed, [folder('main-gone')]);
    for (const kept of ['main-self', 'main-live', 'main-old', 'main-running'])
      assert.ok(existsSync(folder(kept)), kept);
    assert.not.ok(existsSync(folder('main-gone')));
  } finally {
    rmSync(liveData, { recursive: true, force: true });
  }
});

test('logs past their size are kept once as .1 and emptied; Asterisk appends on', () => {
  const instance = instanceOf('main-self');
  mkdirSync(join(folder('main-self'), 'log'), { recursive: true });
  const messages = join(folder('main-self'), 'log', 'messages.log');
  const queue = join(folder('main-self'), 'log', 'queue_log');
  writeFileSync(messages, 'x'.repeat(2000));
  writeFileSync(queue, 'small');
  assert.equal(rotateLogs(instance, 1000), ['messages.log']);
  assert.is(statSync(messages).size, 0);
  assert.is(readFileSync(`${messages}.1`, 'utf8').length, 2000);
  assert.is(readFileSync(queue, 'utf8'), 'small');
  appendFileSync(messages, 'after');
  assert.is(readFileSync(messages, 'utf8'), 'after');
  assert.equal(rotateLogs(instance, 1000), []);
});

test.run();
