/**
 * The IVR area over the web: hotlines, agent groups and the blacklist with their field errors,
 * IVR saves answered with problems at their menus, and things in use that cannot be deleted
 * (an IVR a hotline uses, a group an IVR routes to, a prompt an IVR plays).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createPrompt, parsePromptInput, promptStoreIn } from '../../cti/media/prompts.ts';
import { createNumber, createTrunk, parseNumberInput, parseTrunkInput } from '../../cti/lines/lines.ts';
import { starterTree } from '../../cti/ivr/tree.ts';
import { alwaysOpen } from '../../cti/ivr/hours.ts';
import { WebClient } from '../support/client.ts';
import { type TestDatabase, testDatabase } from '../support/db.ts';
import { buildCompany, type Company, password } from '../support/fixtures.ts';
import { type RunningApp, startApp } from '../support/server.ts';

const test = suite('IVR administration');
let db: TestDatabase;
let app: RunningApp;
let company: Company;
let web: WebClient;
let numberId: number;
let promptId: number;
const dataDir = mkdtempSync(join(tmpdir(), 'cc-ivr-admin-'));

test.before(async () => {
  db = await testDatabase();
  company = await buildCompany(db.db);
  const trunk = await createTrunk(
    company.owner,
    parseTrunkInput({ name: 'T', host: '192.0.2.1', qualify: 'no' }),
  );
  numberId = await createNumber(
    company.owner,
    parseNumberInput({ number: '4008003000', trunkId: String(trunk) }),
  );
  promptId = await createPrompt(
    company.owner,
    promptStoreIn(dataDir, { maxSeconds: 30, maxBytes: 1024 * 1024 }),
    parsePromptInput({ name: 'Hello', kind: 'tts', ttsText: 'Hello.', ttsLanguage: 'en' }, null),
  );
  app = await startApp(db.db, {
    settings: (s) => {
      s.dataDir = dataDir;
    },
  });
  web = new WebClient(app.url);
  await web.login('admin', password);
});
test.after(async () => {
  await app.close();
  await db.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const idFrom = (location: string | null) => Number(/\/(\d+)(\/|$)/.exec(location ?? '')?.[1]);

test('agent groups, IVRs and hotlines are set up in the web UI, with field errors', async () => {
  await web.get('/callcenter/groups/new');
  const badGroup = await web.post('/callcenter/groups/new', { name: '', ringSeconds: '2' });
  assert.is(badGroup.status, 422);
  assert.match(badGroup.text, 'The value is outside the allowed range.');
  const group = await web.post('/callcenter/groups/new', {
    name: 'Support',
    ringSeconds: '20',
    memberIds: [String(company.people.repA), String(company.people.repB)],
  });
  assert.is(group.status, 303);
  assert.match((await web.get('/callcenter/groups')).text, 'Bob RepB, Ray RepA');

  const ivr = await web.post('/callcenter/ivrs/new', { name: 'Main', language: 'zh' });
  assert.is(ivr.status, 303);
  const ivrId = idFrom(ivr.location);
  assert.ok(ivrId > 0);

  await web.get('/callcenter/hotlines/new');
  const badLine = await web.post('/callcenter/hotlines/new', {
    name: 'Service',
    numberId: '',
    target: 'ivr',
  });
  assert.is(badLine.status, 422);
  assert.match(badLine.text, 'Required.');
  const line = await web.post('/callcenter/hotlines/new', {
    name: 'Service',
    numberId: String(numberId),
    target: 'ivr',
    ivrId: String(ivrId),
  });
  assert.is(line.status, 303);
  const list = await web.get('/callcenter/hotlines');
  assert.match(list.text, 'Call 4008003000 to hear it');
  assert.match(list.text, 'IVR: Main');
  const twice = await web.post('/callcenter/hotlines/new', {
    name: 'Again',
    numberId: String(numberId),
    target: 'ivr',
    ivrId: String(ivrId),
  });
  assert.match(twice.text, 'This number already exists.');

  // The IVR cannot go while the hotline uses it.
  const refused = await web.follow(await web.post(`/callcenter/ivrs/${ivrId}/delete`, {}));
  assert.match(refused.text, 'This is still in use: Service.');
});

test('saving an IVR answers with the problems at their menus; a saved IVR protects its prompt and group', async () => {
  const ivrs = await web.get('/callcenter/ivrs');
  const ivrId = Number(/\/callcenter\/ivrs\/(\d+)"/.exec(ivrs.text)![1]);
  const editor = await web.get(`/callcenter/ivrs/${ivrId}`);
  assert.match(editor.text, '<ivr-editor');
  assert.match(editor.text, '/static/widgets/ivr-editor.js');
  const widget = await fetch(`${app.url}/static/widgets/ivr-editor.js`);
  assert.is(widget.status, 200);
  assert.ok((await widget.text()).includes('ivr-editor'), 'the bundled widget');
  for (const missing of [
    '/static/widgets/nothing-here.js',
    '/static/widgets/..%2Fapp.js',
    '/static/nope.css',
  ])
    assert.is((await fetch(app.url + missing)).status, 404, missing);

  const save = (tree: unknown) =>
    fetch(`${app.url}/callcenter/ivrs/${ivrId}`, {
      method: 'POST',
      headers: { cookie: web.cookieHeader(), 'content-type': 'application/json', 'x-csrf-token': web.csrf },
      body: JSON.stringify({ name: 'Main', language: 'zh', tree, hours: alwaysOpen() }),
    });
  const loop = {
    ...starterTree(),
    menus: [
      { id: 'main', name: 'Welcome', promptId, options: [{ key: '1', action: { type: 'menu', menu: 'a' } }] },
      { id: 'a', name: 'Loop', promptId: null, options: [{ key: '1', action: { type: 'main' } }] },
    ],
  };
  const bad = await save(loop);
  assert.is(bad.status, 422);
  const body = (await bad.json()) as { problems: { menu: string; message: string }[] };
  assert.ok(
    body.problems.some(
      (p) =>
        p.menu === 'a' && p.message === 'From “Loop” no key ever leads to an agent, a transfer or a hang-up.',
    ),
    JSON.stringify(body),
  );
  const groupId = Number(
    /\/callcenter\/groups\/(\d+)\/edit/.exec((await web.get('/callcenter/groups')).text)![1],
  );
  const good = {
    ...loop,
    menus: [loop.menus[0], { ...loop.menus[1], options: [{ key: '1', action: { type: 'group', groupId } }] }],
  };
  const ok = await save(good);
  assert.is(ok.status, 200);

  const promptGone = await web.follow(await web.post(`/callcenter/prompts/${promptId}/delete`, {}));
  assert.match(promptGone.text, 'This prompt is used by: Main. Remove it there first.');
  const groupGone = await web.follow(await web.post(`/callcenter/groups/${groupId}/delete`, {}));
  assert.match(groupGone.text, 'This is still in use: Main.');
});

test('the off-hours action is checked like a key, may lead to a menu only it reaches, and its prompt is kept in use', async () => {
  const store = promptStoreIn(dataDir, { maxSeconds: 30, maxBytes: 1024 * 1024 });
  const closed = await createPrompt(
    company.owner,
    store,
    parsePromptInput({ name: 'Closed', kind: 'tts', ttsText: 'We are closed.', ttsLanguage: 'en' }, null),
  );
  const ivr = await web.post('/callcenter/ivrs/new', { name: 'Night line', language: 'en' });
  const ivrId = idFrom(ivr.location);
  const save = (tree: unknown, hours: unknown) =>
    fetch(`${app.url}/callcenter/ivrs/${ivrId}`, {
      method: 'POST',
      headers: { cookie: web.cookieHeader(), 'content-type': 'application/json', 'x-csrf-token': web.csrf },
      body: JSON.stringify({ name: 'Night line', language: 'en', tree, hours }),
    });
  const tree = {
    ...starterTree(),
    menus: [
      ...starterTree().menus,
      // Reached only outside service hours.
      {
        id: 'night',
        name: 'Night menu',
        promptId: null,
        options: [
          { key: '1', action: { type: 'transfer', number: '13800138000' } },
          { key: '*', action: { type: 'main' } },
        ],
      },
    ],
  };
  const hours = (offHoursAction: unknown) => ({
    ...alwaysOpen(),
    weekly: [{ day: 1, from: '09:00', to: '17:00' }],
    offHoursPromptId: null,
    offHoursAction,
  });
  const problems = async (res: Response) => {
    assert.is(res.status, 422);
    return ((await res.json()) as { problems: { menu: string; message: string }[] }).problems;
  };
  // Without a way in, the night menu is unreachable.
  assert.ok(
    (await problems(await save(tree, hours({ type: 'hangup' })))).some(
      (p) => p.menu === 'night' && p.message === 'No key leads to “Night menu”.',
    ),
  );
  for (const [action, message] of [
    [{ type: 'group', groupId: 999 }, 'Outside service hours: pick an agent group that exists.'],
    [{ type: 'transfer', number: 'x1' }, 'Outside service hours: not a valid phone number to transfer to.'],
    [{ type: 'menu', menu: 'nowhere' }, 'Outside service hours: pick a menu that exists.'],
    [
      { type: 'play_hangup', promptId: 999 },
      'Outside service hours: pick a prompt that exists to play before hanging up.',
    ],
  ] as const) {
    const found = await problems(await save(tree, hours(action)));
    assert.ok(
      found.some((p) => p.menu === 'hours' && p.message === message),
      `${JSON.stringify(action)}: ${JSON.stringify(found)}`,
    );
  }
  const badPrompt = await problems(await save(tree, { ...hours({ type: 'hangup' }), offHoursPromptId: 999 }));
  assert.ok(
    badPrompt.some((p) => p.message === 'Outside service hours: pick an off-hours prompt that exists.'),
  );

  // The off-hours action leads to the night menu: valid.
  assert.is((await save(tree, hours({ type: 'menu', menu: 'night' }))).status, 200);
  // Play and hang up with a prompt: that prompt is now in use and cannot be deleted.
  const plain = { ...tree, menus: starterTree().menus };
  assert.is((await save(plain, hours({ type: 'play_hangup', promptId: closed }))).status, 200);
  const refused = await web.follow(await web.post(`/callcenter/prompts/${closed}/delete`, {}));
  assert.match(refused.text, 'This prompt is used by: Night line. Remove it there first.');
  // Once the IVR no longer plays it, it can go.
  assert.is((await save(plain, hours({ type: 'hangup' }))).status, 200);
  const deleted = await web.post(`/callcenter/prompts/${closed}/delete`, {});
  assert.is(deleted.status, 303);
  assert.match((await web.follow(deleted)).text, 'Deleted.');
});

test('the blacklist takes valid, new numbers only', async () => {
  await web.get('/callcenter/blacklist');
  const bad = await web.post('/callcenter/blacklist', { number: 'abc', reason: '' });
  assert.is(bad.status, 422);
  assert.match(bad.text, 'Not a valid phone number.');
  assert.is(
    (await web.post('/callcenter/blacklist', { number: '137 0013 7000', reason: 'abusive' })).status,
    303,
  );
  const again = await web.post('/callcenter/blacklist', { number: '13700137000', reason: '' });
  assert.match(again.text, 'This number already exists.');
  assert.match((await web.get('/callcenter/blacklist')).text, '13700137000');
});

test.run();
