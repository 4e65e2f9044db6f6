/** Agent states on the desk: log in, break with a reason, ready, log out; the rules and settings. */
import { eq } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { callStateChanged, endWrapUp, readyAgents, stateOf } from '../../cti/agents/agent-states.ts';
import { agentStateEvents } from '../../db/schema.ts';
import { WebClient } from '../support/client.ts';
import { type TestDatabase, testDatabase } from '../support/db.ts';
import { buildCompany, type Company, password } from '../support/fixtures.ts';
import { type RunningApp, startApp } from '../support/server.ts';

const test = suite('agent states');
let db: TestDatabase;
let app: RunningApp;
let company: Company;

test.before(async () => {
  db = await testDatabase();
  company = await buildCompany(db.db);
  app = await startApp(db.db);
});
test.after(async () => {
  await app.close();
  await db.close();
});

test('an agent logs in, takes a break with a reason, is ready again and logs out; every change is an event', async () => {
  const web = new WebClient(app.url);
  await web.login('rep.a', password);
  const page = await web.get('/desk');
  assert.match(page.text, 'data-state="logged_out"');
  await web.post('/desk/state/ready', {});
  assert.match((await web.get('/desk')).text, 'data-state="ready"');
  const noReason = await web.follow(await web.post('/desk/state/break', {}));
  assert.match(noReason.text, 'Please correct the marked fields.');
  const reasonId = /<option value="(\d+)">Training<\/option>/.exec((await web.get('/desk')).text)![1]!;
  await web.post('/desk/state/break', { reasonId });
  const onBreak = await web.get('/desk');
  assert.match(onBreak.text, 'data-state="break"');
  assert.match(onBreak.text, 'On break · Training');
  assert.equal(await readyAgents(db.db, [company.people.repA]), []);
  await web.post('/desk/state/ready', {});
  await web.post('/desk/state/logged_out', {});
  const states = (
    await db.db.select().from(agentStateEvents).where(eq(agentStateEvents.userId, company.people.repA))
  ).map((e) => `${e.state}${e.reason ? `:${e.reason}` : ''}`);
  assert.equal(states, ['ready', 'break:training', 'ready', 'logged_out']);
});

test('calls move a logged-in agent through ringing, on call and wrap-up; not a logged-out one', async () => {
  const id = company.people.repB;
  assert.is(await callStateChanged(db.db, id, 'offered', 'c1', 10), null, 'logged out: untouched');
  const web = new WebClient(app.url);
  await web.login('rep.b', password);
  await web.get('/desk');
  await web.post('/desk/state/ready', {});
  assert.is(await callStateChanged(db.db, id, 'offered', 'c1', 10), 'ringing');
  assert.is(await callStateChanged(db.db, id, 'connected', 'c1', 10), 'on_call');
  const busy = await web.follow(await web.post('/desk/state/logged_out', {}));
  assert.match(busy.text, 'Not while you are on a call or your phone is ringing.');
  assert.is(await callStateChanged(db.db, id, 'ended', 'c1', 10), 'wrap_up');
  assert.is((await stateOf(db.db, id)).state, 'wrap_up');
  assert.not.ok(await endWrapUp(db.db, id, 'another call'));
  assert.ok(await endWrapUp(db.db, id, 'c1'));
  assert.is((await stateOf(db.db, id)).state, 'ready');
  assert.is(await callStateChanged(db.db, id, 'offered', 'c2', 0), 'ringing');
  assert.is(
    await callStateChanged(db.db, id, 'not_taken', 'c2', 0),
    'ready',
    'a missed offer puts the agent back',
  );
});

test('supervisors set the wrap-up time and the break reasons', async () => {
  const web = new WebClient(app.url);
  await web.login('admin', password);
  await web.get('/callcenter/desk');
  const bad = await web.post('/callcenter/desk', { wrapUpSeconds: '500' });
  assert.is(bad.status, 422);
  assert.match(bad.text, 'The value is outside the allowed range.');
  assert.is((await web.post('/callcenter/desk', { wrapUpSeconds: '30' })).status, 303);
  await web.post('/callcenter/desk/reasons', { name: 'Coaching' });
  const page = await web.get('/callcenter/desk');
  assert.match(page.text, 'Coaching');
  assert.match(page.text, 'value="30"');
  const rep = new WebClient(app.url);
  await rep.login('rep.a', password);
  assert.is((await rep.get('/callcenter/desk')).status, 403);
});

test.run();
