/**
 * Security at the SIP edge against the real Asterisk: an address that keeps failing digest
 * authentication is blocked (PJSIP ACL) and audited with why, phones elsewhere keep working, an
 * admin can lift the block, and never blocked are a trunk's address (also when the trunk names
 * its host, here `localhost`) and an address a phone is registered from. The "attacker" is SIPp
 * sending from other loopback addresses (127.0.0.2 …), so it can be blocked without blocking
 * the phones; the "office" is a baresip phone and SIPp on the same address (127.0.0.4).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DomainEvents } from '../../core/events.ts';
import { blockAddress, blockedAddresses, liftBlock } from '../../pbx/sip-blocks.ts';
import { exemptAddresses, TrunkAddresses, trunkHosts } from '../../pbx/sip-trust.ts';
import { RegistrationTracker } from '../../pbx/registrations.ts';
import { createTrunk, parseTrunkInput } from '../../cti/lines/lines.ts';
import type { AmiClient } from '../../cti/ami/client.ts';
import { SipGuard } from '../../pbx/sip-guard.ts';
import { auditLog, sipBlocks } from '../../db/schema.ts';
import type { PbxConfigurator } from '../../pbx/configurator.ts';
import { onHost } from '../../pbx/layout.ts';
import { accountOf } from '../../pbx/sip-accounts.ts';
import { logged } from '../support/assert.ts';
import { Phone } from '../support/baresip.ts';
import type { TestDatabase } from '../support/db.ts';
import type { Company } from '../support/fixtures.ts';
import { freeSipPort, type TestPbx } from '../support/pbx.ts';
import { badRegister, runSipp } from '../support/sipp.ts';
import { type TelephonySetup, telephonySetup } from '../support/telephony.ts';

const test = suite('SIP edge security');
let db: TestDatabase;
let company: Company;
let pbx: TestPbx;
let ami: AmiClient;
let configurator: PbxConfigurator;
let guard: SipGuard;
let tracker: RegistrationTracker;
let phone: Phone | null = null;
let setup: TelephonySetup;
const events = new DomainEvents();
const guardLog: string[] = [];

test.before(
  logged(async () => {
    setup = await telephonySetup();
    ({ db, company, pbx, ami, configurator } = setup);
    events.on('event', () => void configurator.apply());
    tracker = new RegistrationTracker(ami);
    await tracker.refresh();
    const trunkAddresses = new TrunkAddresses(() => trunkHosts(db.db));
    guard = new SipGuard(
      ami,
      { failures: 3, windowSeconds: 60, minutes: 5 },
      {
        trusted: () => exemptAddresses(trunkAddresses, tracker.phoneAddresses()),
        block: async (b) => (await blockAddress(db.db, events, b)) !== null,
      },
      (line) => guardLog.push(line),
    );
  }),
);
test.after(async () => {
  guard?.stop();
  await phone?.stop();
  await setup?.close();
});

/** Three registrations with a wrong password from `ip`; resolves with SIPp's exit code. */
async function attack(ip: string, username: string, attempts = 3, timeoutSeconds = 10) {
  const run = runSipp({
    scenario: badRegister(username, 'wrong-password'),
    port: await freeSipPort(),
    localIp: ip,
    remotePort: pbx.instance.ports.sip,
    service: username,
    calls: attempts,
    periodMs: 200,
    timeoutSeconds,
  });
  return run.done;
}

async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  ms = 8000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const pjsipConf = () => readFileSync(join(onHost(pbx.instance, 'etc'), 'pjsip.conf'), 'utf8');

test('wrong credentials from one address block it; phones elsewhere keep working; an admin lifts the block', async () => {
  const account = (await accountOf(db.db, company.people.repA))!;
  const first = await attack('127.0.0.2', account.username);
  assert.is(first.code, 0, `every attempt was refused by Asterisk: ${first.output}`);
  await until('the block', async () => (await blockedAddresses(db.db)).includes('127.0.0.2'));
  await configurator.apply();
  assert.match(pjsipConf(), 'deny = 127.0.0.2');
  const [block] = await db.db.select().from(sipBlocks).where(eq(sipBlocks.ip, '127.0.0.2'));
  assert.is(block!.failures, 3);
  assert.is(block!.reason, 'wrong_passwords');
  assert.equal(block!.detail, {
    windowSeconds: 60,
    threshold: 3,
    events: { ChallengeResponseFailed: 3 },
    uncounted: 0,
  });
  assert.equal(block!.accounts, [account.username]);
  const audited = await db.db.select().from(auditLog).where(eq(auditLog.action, 'sip.address_blocked'));
  assert.is(audited[0]?.targetId, '127.0.0.2');

  // Asterisk now drops everything from that address: SIPp gets no answer at all.
  const blocked = await attack('127.0.0.2', account.username, 1, 4);
  assert.is.not(blocked.code, 0, 'no response while blocked');
  assert.not.match(blocked.messages, 'SIP/2.0 401');

  // A phone on another address registers as usual.
  phone = await Phone.start({
    username: account.username,
    password: account.password,
    registrar: pbx.instance.ports.sip,
  });
  await phone.waitFor('REGISTER_OK');

  await liftBlock(company.owner, block!.id);
  await configurator.apply();
  assert.not.match(pjsipConf(), 'deny = 127.0.0.2');
  const again = await attack('127.0.0.2', account.username, 1);
  assert.is(again.code, 0, 'answered again after the block was lifted');
  assert.ok(
    (await db.db.select().from(auditLog).where(eq(auditLog.action, 'sip.address_unblocked'))).length === 1,
  );
  assert.ok(tracker.phoneAddresses().has('127.0.0.1'), 'the phone is registered from 127.0.0.1');
  await phone.stop();
  phone = null;
  await until('the phone to unregister', async () => !tracker.phoneAddresses().has('127.0.0.1'));
});

test('a trunk gateway that fails authentication is never blocked', async () => {
  await createTrunk(
    company.owner,
    parseTrunkInput({ name: 'Gateway', host: '127.0.0.3', port: '5060', qualify: 'no' }),
  );
  const account = (await accountOf(db.db, company.people.repB))!;
  await attack('127.0.0.3', account.username);
  await until('the guard to weigh the failures', async () =>
    guardLog.some((l) => l.includes('from 127.0.0.3')),
  );
  assert.ok(
    guardLog.some((l) => l.includes("127.0.0.3, a trunk's address; not blocked")),
    guardLog.join('\n'),
  );
  assert.not.ok((await blockedAddresses(db.db)).includes('127.0.0.3'));
});

test('an address a phone is registered from is not blocked by a scan for unknown accounts; the same scan from elsewhere is, with why', async () => {
  const account = (await accountOf(db.db, company.people.repA1))!;
  const office = await Phone.start({
    username: account.username,
    password: account.password,
    registrar: pbx.instance.ports.sip,
    localIp: '127.0.0.4',
  });
  try {
    await office.waitFor('REGISTER_OK');
    await until('the registration', async () => tracker.phoneAddresses().has('127.0.0.4'));
    const scan = await attack('127.0.0.4', 'nosuchuser');
    assert.is(scan.code, 0, `every attempt was refused by Asterisk: ${scan.output}`);
    await until('the guard to weigh the failures', async () => guardLog.some((l) => l.includes('127.0.0.4')));
    assert.ok(
      guardLog.some((l) => l.includes('127.0.0.4, where a phone is registered; not blocked')),
      guardLog.join('\n'),
    );
    assert.not.ok((await blockedAddresses(db.db)).includes('127.0.0.4'));

    await attack('127.0.0.5', 'nosuchuser');
    await until('the block', async () => (await blockedAddresses(db.db)).includes('127.0.0.5'));
    await new Promise((r) => setTimeout(r, 1000));
    const rows = await db.db.select().from(sipBlocks).where(eq(sipBlocks.ip, '127.0.0.5'));
    assert.is(rows.length, 1, 'failures arriving before Asterisk refuses the address add no second block');
    const block = rows[0];
    assert.is(block!.reason, 'unknown_accounts');
    assert.equal(block!.accounts, ['nosuchuser']);
    // Two refused requests per attempt (REGISTER, then with credentials): blocked at the third.
    assert.equal(block!.detail, {
      windowSeconds: 60,
      threshold: 3,
      events: { InvalidAccountID: 3 },
      uncounted: 0,
    });
    await configurator.apply();
    assert.match(pjsipConf(), 'deny = 127.0.0.5');
    assert.not.match(pjsipConf(), 'deny = 127.0.0.4');
    assert.ok(tracker.phoneAddresses().has('127.0.0.4'), 'the office phone is still registered');
  } finally {
    await office.stop();
  }
});

test('a trunk configured by host name is never blocked: the addresses its name resolves to are exempt', async () => {
  assert.not.ok(tracker.phoneAddresses().has('127.0.0.1'), 'no phone is registered from 127.0.0.1');
  await createTrunk(
    company.owner,
    parseTrunkInput({ name: 'Carrier by name', host: 'localhost', port: '5060', qualify: 'no' }),
  );
  const scan = await attack('127.0.0.1', 'nosuchuser');
  assert.is(scan.code, 0, `every attempt was refused by Asterisk: ${scan.output}`);
  await until('the guard to weigh the failures', async () => guardLog.some((l) => l.includes('127.0.0.1')));
  assert.ok(
    guardLog.some((l) => l.includes("127.0.0.1, a trunk's address; not blocked")),
    guardLog.join('\n'),
  );
  assert.not.ok((await blockedAddresses(db.db)).includes('127.0.0.1'));
});

test.run();
