/**
 * The product under its systemd unit, on a Debian 12 machine whose PID 1 is systemd
 * (systemd-nspawn; test/support/systemd-machine.ts): `./run.sh install-service` installs and
 * starts it as an operator would; a SIPp caller reaches a baresip agent; the application is
 * killed with SIGKILL mid-call the way a crash ends it (`systemctl kill --kill-whom=main`);
 * systemd restarts it (Restart=on-failure) while the Asterisk it supervises keeps the call
 * (KillMode=process); the restarted application takes the call over and completes its record.
 * `systemctl stop` then stops both.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc, eq } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { callEvents, callRecords } from '../../db/schema.ts';
import { accountOf } from '../../pbx/sip-accounts.ts';
import { freeTcpPort } from '../../pbx/ports.ts';
import { logged } from '../support/assert.ts';
import { carrierLine } from '../support/telephony.ts';
import { Phone } from '../support/baresip.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { buildCompany, type Company } from '../support/fixtures.ts';
import { freeUdpPort } from '../support/pbx.ts';
import { answeredCall, runSipp } from '../support/sipp.ts';
import { SystemdMachine, systemdRoot } from '../support/systemd-machine.ts';

const test = suite('systemd unit');
const repo = process.cwd();
const scratch = mkdtempSync(join(tmpdir(), 'cc-systemd-'));
const dataDir = join(scratch, 'data');
const asteriskTree = '/var/cache/callcenter/asterisk-root';
const did = '4008002100';
let db: TestDatabase;
let company: Company;
let machine: SystemdMachine | null = null;
let phone: Phone | null = null;
let carrierPort: number;
let sipPort: number;

test.before(
  logged(async () => {
    db = await testDatabase('postgres');
    company = await buildCompany(db.db);
    sipPort = await freeUdpPort();
    carrierPort = (await carrierLine(company, did, 'Carrier', company.people.repA)).port;
    // A unit left by an earlier run of this test must not start on boot.
    const tree = await systemdRoot();
    rmSync(join(tree, 'etc/systemd/system/callcenter.service'), { force: true });
    rmSync(join(tree, 'etc/systemd/system/multi-user.target.wants/callcenter.service'), { force: true });
    const rtpStart = 30000 + 200 * Math.floor(Math.random() * 90);
    const settings = {
      DATA_DIR: dataDir,
      DATABASE_URL: db.url!,
      HOST: '127.0.0.1',
      PORT: String(await freeTcpPort()),
      PBX_MODE: 'managed',
      SIP_BIND: '127.0.0.1',
      SIP_PORT: String(sipPort),
      RTP_START: String(rtpStart),
      RTP_END: String(rtpStart + 199),
      LOG_FORMAT: 'text',
    };
    writeFileSync(
      join(tree, 'etc/callcenter.env'),
      Object.entries(settings)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
      { mode: 0o600 },
    );
    machine = await SystemdMachine.boot({
      binds: [{ path: repo }, { path: scratch }],
      // The shared Asterisk tree is written (instance folders): those writes stay in scratch.
      overlays: [{ path: asteriskTree, scratch: join(scratch, 'asterisk-upper') }],
    });
  }),
);
test.after(async () => {
  await phone?.stop();
  await machine?.exec(
    'systemctl disable --now callcenter; rm -f /etc/systemd/system/callcenter.service /etc/callcenter.env',
  );
  await machine?.stop();
  await db?.close();
  rmSync(scratch, { recursive: true, force: true });
});

async function inside(command: string) {
  const r = await machine!.exec(command);
  assert.is(r.code, 0, `${command}: ${r.out}`);
  return r.out.trim();
}

async function record() {
  const [row] = await db.db.select().from(callRecords).where(eq(callRecords.toNumber, did));
  return row ?? null;
}

async function until<T>(what: string, check: () => Promise<T | null | undefined | false>, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}; the journal:\n${(await machine!.journal('callcenter')).slice(-6000)}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

const journalHas = (pattern: RegExp) => async () => pattern.test(await machine!.journal('callcenter'));
const asteriskPids = async () => (await machine!.exec('pgrep -x asterisk')).out.trim();

test('a crash mid-call under systemd: restarted, the call goes on, and systemctl stop ends both', async () => {
  const installed = await inside(`cd ${repo} && ./run.sh install-service`);
  assert.match(installed, /installed: systemctl status callcenter/);
  assert.is(await inside('systemctl show -p KillMode --value callcenter'), 'process');
  await until('the CTI to be ready', journalHas(/\[cti\] ready/), 180_000);

  const account = (await accountOf(db.db, company.people.repA))!;
  phone = await Phone.start({ username: account.username, password: account.password, registrar: sipPort });
  await phone.waitFor('REGISTER_OK');
  const call = runSipp({
    scenario: answeredCall(12000),
    port: carrierPort,
    remotePort: sipPort,
    service: did,
    callerNumber: '13800138200',
  });
  await until('the agent to answer', async () => (await record())?.answeredAt);
  const asteriskBefore = await asteriskPids();
  const mainBefore = await inside('systemctl show -p MainPID --value callcenter');
  assert.ok(asteriskBefore, 'Asterisk runs under the unit');

  await inside('systemctl kill -s KILL --kill-whom=main callcenter');
  await until('systemd to restart the application', async () => {
    const pid = await inside('systemctl show -p MainPID --value callcenter');
    return pid !== '0' && pid !== mainBefore;
  });
  assert.is(await inside('systemctl show -p NRestarts --value callcenter'), '1');
  assert.is(await asteriskPids(), asteriskBefore, 'the same Asterisk kept running through the crash');
  await until(
    'the restarted application to take the call over',
    journalHas(/\[cti\] resumed 1 call/),
    90_000,
  );

  const sipp = await call.done;
  assert.is(sipp.code, 0, `the caller's call went on to its own hang-up: ${sipp.output}`);
  const r = await until('the record to close with its recording', async () => {
    const row = await record();
    return row?.endedAt && row.recording ? row : null;
  });
  assert.is(r.disposition, 'answered');
  assert.is(r.hangupBy, 'caller');
  assert.ok(r.talkSeconds >= 11 && r.talkSeconds <= 13, `talk ${r.talkSeconds}`);
  const types = (
    await db.db.select().from(callEvents).where(eq(callEvents.callId, r.callId)).orderBy(asc(callEvents.id))
  ).map((e) => e.type);
  assert.ok(types.includes('cti.resumed'), types.join());
  assert.is(types.filter((t) => t === 'call.ended').length, 1);

  await inside('systemctl stop callcenter');
  assert.is(await inside('systemctl is-active callcenter || true'), 'inactive');
  assert.is(await asteriskPids(), '', 'systemctl stop stops the Asterisk too');
});

test.run();
