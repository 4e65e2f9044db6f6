/**
 * The product end to end with its own Asterisk: `node main.ts` in managed mode brings up the
 * PBX; the owner (who works the desk too) reads the SIP account from "My phone", a real
 * softphone registers with exactly those values, and both pages show it registered.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Phone } from '../support/baresip.ts';
import { WebClient } from '../support/client.ts';
import { freeSipPort, freeUdpPort } from '../support/pbx.ts';
import { answeredCall, badRegister, carrierAnswers, runSipp } from '../support/sipp.ts';
import {
  killProducts,
  type RunningProduct,
  startProduct,
  stopProduct,
  waitForLog,
} from '../support/product.ts';

const test = suite('product with its PBX');
const dataDir = mkdtempSync(join(tmpdir(), 'cc-pbx-data-'));
let product: RunningProduct;
let sipPort: number;
let phone: Phone | null = null;

test.before(async () => {
  sipPort = await freeUdpPort();
  const rtpStart = 30000 + 200 * Math.floor(Math.random() * 90);
  product = await startProduct({
    DATA_DIR: dataDir,
    PBX_MODE: 'managed',
    SIP_BIND: '127.0.0.1',
    SIP_PORT: String(sipPort),
    RTP_START: String(rtpStart),
    RTP_END: String(rtpStart + 199),
  });
});
test.after(async () => {
  await phone?.stop();
  if (product) await stopProduct(product.proc);
  killProducts();
  rmSync(dataDir, { recursive: true, force: true });
});

const field = (html: string, name: string) =>
  new RegExp(`data-field="${name}">([^<]+)<`).exec(html)?.[1] ?? '';

test('the run command brings up Asterisk; a softphone set up from "My phone" registers', async () => {
  await waitForLog(product, /\[cti\] ready/, 120_000);
  const web = new WebClient(product.url);
  await web.get('/setup');
  const setup = await web.post('/setup', {
    company: 'Acme',
    name: 'Olivia',
    username: 'owner',
    password: 'Correct-horse-42',
    confirm: 'Correct-horse-42',
  });
  assert.is(setup.status, 303);
  await web.login('owner', 'Correct-horse-42');

  const status = await web.get('/callcenter/pbx');
  assert.match(status.text, 'data-state="up"');
  assert.match(status.text, `127.0.0.1:${sipPort}`);
  assert.match(field(status.text, 'version'), /^22\./);
  assert.match(field(status.text, 'uptime'), /^\d+:\d\d/);

  const page = await web.get('/desk/phone');
  assert.is(page.status, 200);
  const username = field(page.text, 'username');
  const password = field(page.text, 'password');
  assert.ok(username && password.length >= 24, page.text.slice(0, 400));
  assert.match(page.text, 'data-registration="offline"');

  await waitForLog(product, /\[pbx\] applied pjsip\.conf/, 10_000);
  phone = await Phone.start({ username, password, registrar: sipPort });
  await phone.waitFor('REGISTER_OK');
  await new Promise((r) => setTimeout(r, 500));
  assert.match((await web.get('/desk/phone')).text, 'data-registration="registered"');
  assert.match((await web.get('/callcenter/pbx')).text, `data-endpoint="${username}"`);
});

const appliedSoFar = () => (product.log().match(/\[pbx\] applied [^\n]*pjsip\.conf/g) ?? []).length;

/** Waits until the product applies pjsip.conf once more than it had when `before` was taken. */
async function nextApply(before: number) {
  const deadline = Date.now() + 10_000;
  while (appliedSoFar() <= before) {
    if (Date.now() > deadline) throw new Error(`pjsip.conf not applied again:\n${product.log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('set up in the UI: a trunk, a number for the agent, click-to-call and an inbound call to the softphone; records, timeline and recording in the UI', async () => {
  const web = new WebClient(product.url);
  await web.login('owner', 'Correct-horse-42');
  const carrierPort = await freeUdpPort();
  const before = appliedSoFar();
  await web.get('/callcenter/trunks/new');
  const trunk = await web.post('/callcenter/trunks/new', {
    name: 'Carrier',
    host: '127.0.0.1',
    port: String(carrierPort),
    transport: 'udp',
    authMode: 'ip',
    codecs: ['alaw', 'ulaw'],
    maxCalls: '2',
    enabled: '1',
  });
  assert.is(trunk.status, 303, trunk.text.slice(0, 2000));
  const trunkId = /\/callcenter\/trunks\/(\d+)\/edit/.exec((await web.get('/callcenter/trunks')).text)?.[1];
  assert.ok(trunkId);
  const employees = await web.get('/system/employees?f_q=owner');
  const ownerEdit = /\/system\/employees\/(\d+)\/edit/.exec(employees.text)![0];
  const ownerId = ownerEdit.split('/')[3]!;
  // The hotline rings the owner's phone; the owner may dial out showing it.
  const number = await web.post('/callcenter/numbers/new', {
    number: '4008001000',
    trunkId,
    label: 'Hotline',
    routeUserId: ownerId,
    ringSeconds: '20',
    enabled: '1',
  });
  assert.is(number.status, 303, number.text.slice(0, 2000));
  const numberPage = number.location!;
  await web.post(numberPage.replace('/edit', '/assign'), { userId: ownerId });
  const form = (await web.get(ownerEdit)).text;
  const dept = /name="departmentId"[\s\S]*?<option value="(\d+)" selected/.exec(form)![1]!;
  const roles = [...form.matchAll(/name="roleIds" value="(\d+)" checked/g)].map((m) => m[1]!);
  const saved = await web.post(ownerEdit, {
    name: 'Olivia',
    username: 'owner',
    departmentId: dept,
    roleIds: roles,
    canDialOut: '1',
  });
  assert.is(saved.status, 303, saved.text.slice(0, 2000));
  await nextApply(before);

  const carrier = runSipp({ scenario: carrierAnswers(), port: carrierPort });
  await new Promise((r) => setTimeout(r, 300));
  const placed = await web.follow(await web.post('/desk/phone/call', { number: '013900139002' }));
  assert.match(placed.text, 'Your phone is ringing');
  await phone!.waitFor('CALL_ESTABLISHED', 10_000);
  await new Promise((r) => setTimeout(r, 3000));
  const live = await web.get('/callcenter/trunks');
  assert.match(live.text, '1 / 2', 'the trunk shows the call in progress');
  phone!.command('hangup');
  assert.is((await carrier.done).code, 0);

  // The call record, its timeline and the recording.
  let list = '';
  for (let i = 0; i < 50 && !list.includes('#recording'); i++) {
    await new Promise((r) => setTimeout(r, 200));
    list = (await web.get('/calls?f_q=013900139002&f_recorded=yes')).text;
  }
  assert.match(list, 'data-disposition="answered"');
  const callHref = /href="(\/calls\/[^"#]+)#recording"/.exec(list)![1]!;
  const detail = (await web.get(callHref)).text;
  for (const event of [
    'call.started',
    'leg.dialing',
    'leg.answered',
    'call.bridged',
    'call.ended',
    'recording.stored',
  ])
    assert.match(detail, `data-event="${event}"`);
  assert.match(detail, 'Answered by Olivia');
  assert.match(detail, 'Dialling 013900139002');

  const audio = `${callHref}/recording`;
  const whole = await fetch(product.url + audio, { headers: { cookie: web.cookieHeader() } });
  assert.is(whole.status, 200);
  assert.is(whole.headers.get('accept-ranges'), 'bytes');
  const size = Number(whole.headers.get('content-length'));
  assert.ok(size > 8000 * 2 * 2, `at least two seconds of audio (${size} bytes)`);
  await whole.arrayBuffer();
  const part = await fetch(product.url + audio, {
    headers: { cookie: web.cookieHeader(), range: 'bytes=44-1043' },
  });
  assert.is(part.status, 206);
  assert.is(part.headers.get('content-range'), `bytes 44-1043/${size}`);
  assert.is((await part.arrayBuffer()).byteLength, 1000);
  const beyond = await fetch(product.url + audio, {
    headers: { cookie: web.cookieHeader(), range: `bytes=${size}-` },
  });
  assert.is(beyond.status, 416);
  const download = await fetch(`${product.url + audio}?party=agent&download=1`, {
    headers: { cookie: web.cookieHeader() },
  });
  assert.is(download.status, 200);
  assert.match(
    download.headers.get('content-disposition') ?? '',
    /attachment; filename="call-.*-agent\.wav"/,
  );
  await download.arrayBuffer();
  assert.match((await web.get('/system/audit')).text, 'Recording downloaded');

  // A customer calls the hotline: the call is routed to the owner's softphone, which answers.
  const inbound = runSipp({
    scenario: answeredCall(2000),
    port: carrierPort,
    remotePort: sipPort,
    service: '4008001000',
    callerNumber: '13800138000',
  });
  assert.is((await inbound.done).code, 0, 'the caller was answered and hung up');
  let inboundList = '';
  for (let i = 0; i < 50 && !inboundList.includes('data-disposition="answered"'); i++) {
    await new Promise((r) => setTimeout(r, 200));
    inboundList = (await web.get('/calls?f_q=13800138000&f_direction=inbound')).text;
  }
  assert.match(inboundList, 'data-disposition="answered"');
  assert.match(inboundList, 'Olivia');

  // Recordings are never served without a session.
  assert.is((await fetch(product.url + audio, { redirect: 'manual' })).status, 303);
});

test('monitoring: /readyz is ready with Asterisk up, /metrics counted the calls; stopping Asterisk makes it not ready until the supervisor brings it back', async () => {
  const readiness = async () => {
    const res = await fetch(`${product.url}/readyz`);
    return { status: res.status, body: (await res.json()) as { checks: Record<string, { ok: boolean }> } };
  };
  const ready = await readiness();
  assert.is(ready.status, 200, JSON.stringify(ready.body));
  for (const part of ['database', 'asterisk', 'ami', 'ari', 'eventLog'])
    assert.ok(ready.body.checks[part]?.ok, part);
  const metrics = await (await fetch(`${product.url}/metrics`)).text();
  const value = (name: string) =>
    Number(new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(metrics)?.[1] ?? 'NaN');
  assert.ok(value('cc_calls_started_total{direction="inbound"}') >= 1, 'the inbound call was counted');
  assert.ok(value('cc_calls_started_total{direction="outbound"}') >= 1, 'the click-to-call was counted');
  assert.ok(
    /^cc_ari_request_duration_seconds_count\{operation="channels\.\w+",status="\d+"\} [1-9]/m.test(metrics),
  );
  assert.ok(/^cc_event_log_write_seconds_count\{ok="true"\} [1-9]/m.test(metrics));
  assert.is(value('cc_asterisk_up{part="asterisk"}'), 1);
  assert.is(value('cc_asterisk_up{part="ari"}'), 1);
  assert.ok(value('cc_sip_registrations') >= 1, 'the softphone is registered');
  // Asterisk dies: not ready; the supervisor starts it again: ready.
  const hash = createHash('sha256').update(dataDir).digest('hex').slice(0, 8);
  const found = spawnSync('pgrep', ['-f', `(main-${hash}|${dataDir}/pbx/asterisk)/etc/asterisk.conf`], {
    encoding: 'utf8',
  });
  const pid = Number(found.stdout.trim().split('\n').pop());
  assert.ok(pid > 0, `Asterisk's pid: ${found.stdout} ${found.stderr}`);
  process.kill(pid, 'SIGKILL');
  let sawDown = false;
  let back = false;
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline && !back) {
    const r = await readiness();
    if (r.status === 503) sawDown = true;
    else if (sawDown && r.status === 200) back = true;
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.ok(sawDown, 'not ready while Asterisk was down');
  assert.ok(back, 'ready again once Asterisk was back');
  const after = await (await fetch(`${product.url}/metrics`)).text();
  assert.ok(Number(/^cc_asterisk_restarts_total (\S+)$/m.exec(after)?.[1]) >= 1, 'the restart was counted');
});

test('an address that keeps failing SIP authentication is blocked; the PBX page and the audit log show it; an admin lifts it', async () => {
  const web = new WebClient(product.url);
  await web.login('owner', 'Correct-horse-42');
  const attack = runSipp({
    scenario: badRegister('owner', 'guessing'),
    port: await freeSipPort(),
    localIp: '127.0.0.2',
    remotePort: sipPort,
    service: 'owner',
    calls: 5,
    periodMs: 100,
  });
  await attack.done;
  let page = '';
  for (let i = 0; i < 40 && !page.includes('data-ip="127.0.0.2" data-active="yes"'); i++) {
    await new Promise((r) => setTimeout(r, 200));
    page = (await web.get('/callcenter/pbx')).text;
  }
  assert.match(page, 'data-ip="127.0.0.2" data-active="yes" data-rule="unknown_accounts"');
  // "owner" is a login name, not a SIP account: the operator reads why the address was blocked.
  assert.match(page, '5 requests for accounts that do not exist within 60 s (a scanner)');
  assert.match(page, 'Asterisk events: InvalidAccountID × 5 (blocked at 5)');
  assert.match(page, '<td>owner</td>');
  assert.match(
    (await web.get('/system/audit?f_action=sip.')).text,
    'SIP address blocked after failed authentication',
  );
  const lift = /action="(\/callcenter\/pbx\/blocks\/\d+\/lift)"/.exec(page)![1]!;
  const after = await web.follow(await web.post(lift, {}));
  assert.match(after.text, 'The address is unblocked.');
  assert.match(after.text, 'data-ip="127.0.0.2" data-active="no"');
});

/** Creates a user with one role over the web and logs them in with their own password. */
async function userWithRole(admin: WebClient, roleName: string, permissions: string[], username: string) {
  await admin.get('/system/roles/new');
  const role = await admin.post('/system/roles/new', {
    name: roleName,
    description: '',
    dataScope: 'all',
    permissions,
  });
  assert.is(role.status, 303, role.text.slice(0, 2000));
  const roles = (await admin.get('/system/roles')).text;
  const roleId = new RegExp(`/system/roles/(\\d+)/edit">${roleName}<`).exec(roles)?.[1];
  assert.ok(roleId, roles.slice(0, 2000));
  const ownerForm = (await admin.get('/system/employees?f_q=owner')).text;
  const ownerEdit = /\/system\/employees\/\d+\/edit/.exec(ownerForm)![0];
  const dept = /name="departmentId"[\s\S]*?<option value="(\d+)" selected/.exec(
    (await admin.get(ownerEdit)).text,
  )![1]!;
  await admin.get('/system/employees/new');
  const created = await admin.post('/system/employees/new', {
    name: roleName,
    username,
    departmentId: dept,
    roleIds: roleId,
  });
  assert.is(created.status, 200, created.text.slice(0, 2000));
  const temporary = /<code class="secret">([^<]+)<\/code>/.exec(created.text)![1]!;
  const web = new WebClient(product.url);
  assert.is((await web.login(username, temporary)).location, '/account/password');
  await web.get('/account/password');
  const own = await web.post('/account/password', {
    current: temporary,
    password: 'Own-secret-2024',
    confirm: 'Own-secret-2024',
  });
  assert.is(own.status, 303, own.text.slice(0, 2000));
  return web;
}

test('a logged-in user without the desk permission is refused "My phone"', async () => {
  const admin = new WebClient(product.url);
  await admin.login('owner', 'Correct-horse-42');
  const web = await userWithRole(admin, 'Report reader', ['reports:view'], 'reader');
  assert.is((await web.get('/')).status, 200, 'logged in');
  const page = await web.get('/desk/phone');
  assert.is(page.status, 403);
  assert.not.match(page.text, 'data-field="password"');
  const call = await web.post('/desk/phone/call', { number: '013900139009' });
  assert.is(call.status, 403);
});

test('a logged-in user who may see calls but not listen is refused the recording', async () => {
  const admin = new WebClient(product.url);
  await admin.login('owner', 'Correct-horse-42');
  const web = await userWithRole(admin, 'Call viewer', ['calls:view'], 'viewer');
  const list = (await web.get('/calls?f_q=013900139002&f_recorded=yes')).text;
  assert.match(list, 'data-disposition="answered"', 'the call is visible');
  const callHref = /href="(\/calls\/[^"#]+)#recording"/.exec(list)![1]!;
  const detail = await web.get(callHref);
  assert.is(detail.status, 200);
  assert.match(detail.text, 'You may not listen to recordings.');
  assert.not.match(detail.text, '<audio');
  const audio = `${product.url}${callHref}/recording`;
  const refused = await fetch(audio, { headers: { cookie: web.cookieHeader() } });
  assert.is(refused.status, 403);
  assert.not.ok(refused.headers.get('content-type')?.startsWith('audio/'));
  await refused.arrayBuffer();
  const download = await fetch(`${audio}?download=1`, { headers: { cookie: web.cookieHeader() } });
  assert.is(download.status, 403);
  await download.arrayBuffer();
  // The same recording plays for the owner, and never without a session.
  const owner = await fetch(audio, { headers: { cookie: admin.cookieHeader() } });
  assert.is(owner.status, 200);
  await owner.arrayBuffer();
  assert.is((await fetch(audio, { redirect: 'manual' })).status, 303);
});

test.run();
