/** The typed ARI client against the real Asterisk: operations, errors, events, reconnect. */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { AriClient } from '../../cti/ari/client.ts';
import { AriError } from '../../cti/ari/client.ts';
import { fetchDocs, generate } from '../../scripts/generate-ari-types.ts';
import { ariFor, nextEvent } from '../support/ari.ts';
import { logged } from '../support/assert.ts';
import { startTestPbx, type TestPbx } from '../support/pbx.ts';

const test = suite('ARI client');
let pbx: TestPbx;
let ari: AriClient;

test.before(
  logged(async () => {
    pbx = await startTestPbx();
    ari = ariFor(pbx.instance);
    await ari.connect();
  }),
);
test.after(async () => {
  await ari?.close();
  await pbx?.close();
});

test('reads Asterisk information and lists channels with typed results', async () => {
  const info = await ari.call('asterisk.getInfo', {});
  assert.match(info.system?.version ?? '', /^22\./);
  const channels = await ari.call('channels.list', {});
  assert.ok(Array.isArray(channels));
});

test('an originated call enters the Stasis application, is answered, plays a prompt and hangs up', async () => {
  const started = nextEvent(ari, 'StasisStart', (e) => e.args.includes('originated'));
  const dialled = nextEvent(ari, 'StasisStart', (e) => e.args[0] === 'inbound');
  const channel = await ari.call('channels.originate', {
    endpoint: 'Local/100@from-trunk',
    app: pbx.instance.app,
    appArgs: 'originated',
    variables: { CALLERID_TEST: 'yes' },
  });
  const inbound = await dialled;
  assert.equal(inbound.args, ['inbound', '100'], 'the dialplan hands the dialled number to the application');
  await ari.call('channels.answer', { channelId: inbound.channel.id });
  const start = await started;
  assert.is(start.channel.id, channel.id, 'the originating side enters the application once answered');
  const finished = nextEvent(ari, 'PlaybackFinished');
  const playback = await ari.call('channels.play', { channelId: inbound.channel.id, media: 'sound:beep' });
  assert.is(playback.media_uri, 'sound:beep');
  assert.is((await finished).playback.id, playback.id);
  const ended = nextEvent(ari, 'StasisEnd', (e) => e.channel.id === inbound.channel.id);
  await ari.call('channels.hangup', { channelId: channel.id });
  await ended;
});

test('the committed generated types are what this Asterisk serves at /ari/api-docs', async () => {
  const base = `http://127.0.0.1:${pbx.instance.ports.http}/ari`;
  const auth = `Basic ${Buffer.from(`${pbx.instance.secrets.ariUser}:${pbx.instance.secrets.ariPassword}`).toString('base64')}`;
  const fresh = generate(await fetchDocs(base, auth));
  assert.ok(
    fresh === readFileSync('cti/ari/generated.ts', 'utf8'),
    'run scripts/generate-ari-types.ts and commit the result',
  );
  assert.match(fresh, '| StasisStart');
  assert.match(fresh, '"channels.snoopChannel"');
});

test('errors carry the HTTP status and Asterisk’s message', async () => {
  let err: unknown = null;
  try {
    await ari.call('channels.get', { channelId: 'no-such-channel' });
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof AriError);
  assert.is((err as AriError).status, 404);
  assert.match((err as AriError).message, 'Channel not found');
});

test('the event socket reconnects after Asterisk restarts', async () => {
  const back = new Promise<void>((resolve) => ari.once('connected', () => resolve()));
  pbx.process.crash();
  await back;
  assert.ok(ari.connected);
  const info = await ari.call('asterisk.ping', {});
  assert.ok(info.ping);
});

test.run();
