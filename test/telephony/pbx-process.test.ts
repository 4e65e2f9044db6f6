/** Asterisk really runs: provisioned, configured from our files, supervised, reachable over AMI. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type AmiClient, AmiError } from '../../cti/ami/client.ts';
import { asteriskInfo } from '../../pbx/status.ts';
import { logged } from '../support/assert.ts';
import { startTestPbx, type TestPbx } from '../support/pbx.ts';

const test = suite('Asterisk process and AMI');
let pbx: TestPbx;
let startedBefore: Date;

test.before(
  logged(async () => {
    startedBefore = new Date(Date.now() - 1000);
    pbx = await startTestPbx();
  }),
);
test.after(async () => {
  await pbx?.close();
});

test('Asterisk 22 boots with the generated configuration and answers on AMI', async () => {
  const health = pbx.process.health();
  assert.is(health.state, 'up');
  assert.match(health.version ?? '', /^Asterisk 22\./);
  const ami = await pbx.ami();
  const out = await ami.command('module show like res_ari.so');
  assert.match(out, 'res_ari.so');
  const transports = await ami.command('pjsip show transports');
  assert.match(transports, `127.0.0.1:${pbx.instance.ports.sip}`);
});

test('AMI list actions are collected until EventList complete, with out-of-order responses correlated', async () => {
  const ami = await pbx.ami();
  const [list, version, settings] = await Promise.all([
    ami.action('CoreShowChannels'),
    ami.command('core show version'),
    ami.action('CoreSettings'),
  ]);
  assert.is(list.response.EventList, 'start');
  assert.equal(list.events, []);
  assert.match(version, 'Asterisk 22');
  assert.match(settings.response.AsteriskVersion ?? '', /^22\./);
  const modules = await ami.action('ModuleCheck', { Module: 'res_pjsip.so' });
  assert.is(modules.response.Response, 'Success');
});

test('a failing action rejects with the error Asterisk gave', async () => {
  const ami = await pbx.ami();
  let err: unknown = null;
  try {
    await ami.action('NoSuchAction');
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof AmiError);
  assert.match((err as AmiError).message, /Invalid\/unknown command/i);
  assert.match(await ami.command('core show version'), 'Asterisk 22', 'the connection stays usable');
});

test('version, start and last reload come from Asterisk itself over AMI (what the status page shows)', async () => {
  const ami = await pbx.ami();
  const info = await asteriskInfo(ami);
  assert.ok(info);
  assert.match(info.version ?? '', /^22\./);
  const startedAt = info.startedAt!;
  assert.ok(startedAt >= startedBefore && startedAt <= new Date(), `started ${startedAt.toISOString()}`);
  assert.ok(info.uptimeSeconds! >= 0 && info.uptimeSeconds! < 600, `uptime ${info.uptimeSeconds}`);
  // A reload moves the reload time, not the start.
  await new Promise((r) => setTimeout(r, 1200));
  await ami.action('Reload', { Module: 'res_pjsip.so' });
  const later = (await asteriskInfo(ami))!;
  assert.ok(Math.abs(later.startedAt!.getTime() - startedAt.getTime()) <= 1000, 'same start');
  assert.ok(later.reloadedAt! > info.reloadedAt!, 'reload time moved');
  assert.ok(later.uptimeSeconds! >= info.uptimeSeconds! + 1, 'uptime runs');
  // An AMI account that may not run CLI commands (an external Asterisk): CoreStatus alone. Both
  // sources have whole seconds (CoreStatus truncates the instant, the uptime counts whole
  // seconds up to now), so they agree within two seconds.
  const noCommands = {
    connected: true,
    action: (...args: Parameters<AmiClient['action']>) => ami.action(...args),
    command: () => Promise.reject(new AmiError('Permission denied')),
  } as unknown as AmiClient;
  const fromStatus = (await asteriskInfo(noCommands))!;
  assert.is(fromStatus.version, later.version);
  assert.ok(Math.abs(fromStatus.startedAt!.getTime() - startedAt.getTime()) < 2000, 'CoreStatus start');
  assert.ok(
    Math.abs(fromStatus.reloadedAt!.getTime() - later.reloadedAt!.getTime()) < 2000,
    'CoreStatus reload',
  );
  // No AMI connection: nothing to say.
  assert.is(await asteriskInfo(null), null);
});

test('after a crash the supervisor restarts Asterisk and AMI clients reconnect by themselves', async () => {
  const ami = await pbx.ami();
  const reconnected = new Promise<void>((resolve) => ami.once('connected', () => resolve()));
  const firstPid = pbx.process.health().pid;
  pbx.process.crash();
  const deadline = Date.now() + 30_000;
  while (pbx.process.health().state !== 'up' || pbx.process.health().pid === firstPid) {
    assert.ok(Date.now() < deadline, 'restarted within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.is(pbx.process.health().restarts, 1);
  assert.is(pbx.process.health().lastExit?.signal, 'SIGKILL');
  await reconnected;
  assert.match(await ami.command('core show version'), 'Asterisk 22');
});

test.run();
