/** Trunks and numbers over the web: forms with field errors, caller-ID assignment, CSV import with per-row errors. */
import { eq } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { numberAssignments, phoneNumbers, trunks } from '../../db/schema.ts';
import { WebClient } from '../support/client.ts';
import { type TestDatabase, testDatabase } from '../support/db.ts';
import { buildCompany, type Company, password } from '../support/fixtures.ts';
import { type RunningApp, startApp } from '../support/server.ts';

const test = suite('trunks and numbers');
let db: TestDatabase;
let app: RunningApp;
let company: Company;
let web: WebClient;

test.before(async () => {
  db = await testDatabase();
  company = await buildCompany(db.db);
  app = await startApp(db.db);
  web = new WebClient(app.url);
  await web.login('admin', password);
});
test.after(async () => {
  await app.close();
  await db.close();
});

const trunkNamed = async (name: string) =>
  (await db.db.select().from(trunks).where(eq(trunks.name, name)))[0];
const numberOf = async (n: string) =>
  (await db.db.select().from(phoneNumbers).where(eq(phoneNumbers.number, n)))[0];

test('the trunk form reports each bad field; a good trunk appears in the list with its state', async () => {
  await web.get('/callcenter/trunks/new');
  const bad = await web.post('/callcenter/trunks/new', {
    name: '',
    host: 'bad host!',
    port: '70000',
    transport: 'udp',
    authMode: 'register',
    maxCalls: '-1',
    enabled: '1',
  });
  assert.is(bad.status, 422);
  for (const msg of [
    'Required.',
    'Enter a host name or IP address.',
    'The value is outside the allowed range.',
  ])
    assert.match(bad.text, msg);
  assert.match(bad.text, 'value="bad host!"');
  // Credentials Asterisk's configuration would change (a `;` starts a comment there) are refused.
  const semicolon = await web.post('/callcenter/trunks/new', {
    name: 'Carrier S',
    host: '198.51.100.9',
    port: '5060',
    transport: 'udp',
    authMode: 'register',
    username: 'acme ',
    password: 'pa;ss',
    enabled: '1',
  });
  assert.is(semicolon.status, 422);
  assert.match(semicolon.text, 'Cannot contain a semicolon or a line break, nor begin or end with a space.');

  const ok = await web.post('/callcenter/trunks/new', {
    name: 'Carrier A',
    host: '198.51.100.7',
    port: '5060',
    transport: 'udp',
    authMode: 'register',
    username: 'acme',
    password: 'secret-1',
    codecs: ['alaw', 'g722'],
    maxCalls: '30',
    enabled: '1',
  });
  assert.is(ok.status, 303);
  const saved = await trunkNamed('Carrier A');
  assert.equal(saved?.codecs, ['alaw', 'g722']);
  assert.is(saved?.qualify, false, 'an unticked box means no');
  const list = await web.get('/callcenter/trunks');
  assert.match(list.text, 'Carrier A');
  assert.match(list.text, 'udp:198.51.100.7:5060');
  assert.match(list.text, '0 / 30');
  assert.match(list.text, 'hx-trigger="every 5s"');

  // Editing with an empty password keeps the stored one.
  await web.get(`/callcenter/trunks/${saved!.id}/edit`);
  const edit = await web.post(`/callcenter/trunks/${saved!.id}/edit`, {
    name: 'Carrier A',
    host: 'sip.carrier-a.example',
    port: '5080',
    transport: 'tcp',
    authMode: 'register',
    username: 'acme',
    password: '',
    codecs: 'alaw',
    maxCalls: '',
  });
  assert.is(edit.status, 303);
  const after = await trunkNamed('Carrier A');
  assert.is(after?.password, 'secret-1');
  assert.is(after?.host, 'sip.carrier-a.example');
  assert.is(after?.enabled, false);
  assert.is(after?.maxCalls, 0);
});

test('numbers: form errors, direct route, caller-ID assignment to an agent and a department', async () => {
  const trunk = await trunkNamed('Carrier A');
  await web.get('/callcenter/numbers/new');
  const bad = await web.post('/callcenter/numbers/new', { number: '12ab', trunkId: '', ringSeconds: '2' });
  assert.is(bad.status, 422);
  assert.match(bad.text, 'Not a valid phone number.');
  assert.match(bad.text, 'The value is outside the allowed range.');

  const ok = await web.post('/callcenter/numbers/new', {
    number: '+86 21 5000 1234',
    trunkId: String(trunk!.id),
    label: 'Sales hotline',
    maxCalls: '5',
    routeUserId: String(company.people.repA),
    ringSeconds: '20',
    dailyCap: '300',
    enabled: '1',
  });
  assert.is(ok.status, 303);
  const n = await numberOf('862150001234');
  assert.ok(n, 'the number is stored normalised');
  assert.is(n!.routeUserId, company.people.repA);
  assert.is(ok.location, `/callcenter/numbers/${n!.id}/edit`);

  const dup = await web.post('/callcenter/numbers/new', {
    number: '862150001234',
    trunkId: String(trunk!.id),
  });
  assert.is(dup.status, 422);
  assert.match(dup.text, 'This number already exists.');

  await web.get(`/callcenter/numbers/${n!.id}/edit`);
  assert.is(
    (await web.post(`/callcenter/numbers/${n!.id}/assign`, { userId: String(company.people.repB) })).status,
    303,
  );
  assert.is(
    (await web.post(`/callcenter/numbers/${n!.id}/assign`, { departmentId: String(company.salesA) })).status,
    303,
  );
  const list = await web.get('/callcenter/numbers?f_q=Sales');
  assert.match(list.text, 'Bob RepB, Sales A');
  assert.match(list.text, 'Ray RepA');
  const edit = await web.get(`/callcenter/numbers/${n!.id}/edit`);
  const rows = await db.db.select().from(numberAssignments).where(eq(numberAssignments.numberId, n!.id));
  assert.is(rows.length, 2);
  assert.match(edit.text, `data-assignment="${rows[0]!.id}"`);
  await web.post(`/callcenter/numbers/${n!.id}/unassign/${rows[0]!.id}`, {});
  assert.is(
    (await db.db.select().from(numberAssignments).where(eq(numberAssignments.numberId, n!.id))).length,
    1,
  );

  // The trunk cannot go while numbers use it.
  const del = await web.follow(await web.post(`/callcenter/trunks/${trunk!.id}/delete`, {}));
  assert.match(del.text, 'Numbers still use this trunk; move or delete them first.');
  assert.ok(await trunkNamed('Carrier A'));
});

test('CSV import: good rows are imported, bad rows come back by line, column and reason', async () => {
  await web.get('/callcenter/numbers/import');
  const csv = [
    '号码,线路,名称,最大并发,坐席',
    '02150002001,Carrier A,Support,3,2002', // good: agent by job number
    '02150002002,Nowhere,,,', // unknown trunk
    '021-5000-2003,carrier a,Night line,,rep.b', // good: trunk name in any case, agent by username
    'abc,Carrier A,,,', // bad number
    '02150002001,Carrier A,,,', // twice in the file
    '02150002005,Carrier A,,x,ghost', // bad limit, unknown agent
    '"02150002006,Carrier A', // broken quoting
  ].join('\r\n');
  const form = new FormData();
  form.set('file', new Blob([csv], { type: 'text/csv' }), 'numbers.csv');
  const r = await web.postMultipart('/callcenter/numbers/import', form);
  assert.is(r.status, 200);
  assert.match(r.text, '2 of 6 row(s) imported; 5 row(s) with errors.');
  for (const reason of [
    'No trunk with this name.',
    'Not a valid phone number.',
    'Appears twice in the file.',
    'Not a valid phone number.',
    'No employee with this username or job number.',
    'This line could not be read (broken quoting).',
  ])
    assert.match(r.text, reason);
  assert.is((await numberOf('02150002001'))?.routeUserId, company.people.repA);
  assert.is((await numberOf('02150002003'))?.routeUserId, company.people.repB);
  assert.is((await numberOf('02150002003'))?.label, 'Night line');
  assert.not.ok(await numberOf('02150002005'));

  const missing = new FormData();
  missing.set('file', new Blob(['label\r\nX\r\n'], { type: 'text/csv' }), 'x.csv');
  const m = await web.postMultipart('/callcenter/numbers/import', missing);
  assert.is(m.status, 422);
  assert.match(m.text, 'The header row lacks required column(s): number, trunk.');
  const template = await web.get('/callcenter/numbers/import/template.csv');
  assert.match(template.text, 'number,trunk,label');
});

test('people without call-center rights cannot open or change lines', async () => {
  const rep = new WebClient(app.url);
  await rep.login('rep.a', password);
  assert.is((await rep.get('/callcenter/trunks')).status, 403);
  assert.is((await rep.get('/callcenter/numbers')).status, 403);
  const trunk = await trunkNamed('Carrier A');
  assert.is((await rep.post(`/callcenter/trunks/${trunk!.id}/delete`, {})).status, 403);
});

test.run();
