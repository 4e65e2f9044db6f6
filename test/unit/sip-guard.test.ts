/**
 * The SIP guard's decision (pbx/sip-guard.ts), fed the AMI security events a real Asterisk 22
 * sends (seen in test/telephony/sip-guard.test.ts): what counts, what never blocks, and what a
 * block records. Only the boundary is fake: which addresses are trusted, and storing the block.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { AmiMessage } from '../../cti/ami/client.ts';
import { AmiClient } from '../../cti/ami/client.ts';
import { type BlockRequest, type Exemption, remoteIp, SipGuard } from '../../pbx/sip-guard.ts';

const test = suite('SIP guard rule');

const at = (ip: string) => `IPV4/UDP/${ip}/5060`;
const pjsip = { Service: 'PJSIP', LocalAddress: 'IPV4/UDP/198.51.100.1/5060' };

/** One REGISTER for an account that does not exist, challenged and answered: what Asterisk reports. */
const unknownAccount = (ip: string, account: string): AmiMessage[] => [
  { Event: 'InvalidAccountID', AccountID: account, RemoteAddress: at(ip), ...pjsip },
  { Event: 'ChallengeSent', AccountID: '<unknown>', RemoteAddress: at(ip), ...pjsip },
  { Event: 'InvalidAccountID', AccountID: account, RemoteAddress: at(ip), ...pjsip },
  { Event: 'ChallengeResponseFailed', AccountID: '<unknown>', RemoteAddress: at(ip), ...pjsip },
];
/** One REGISTER of an existing account with a wrong password. */
const wrongPassword = (ip: string, account: string): AmiMessage[] => [
  { Event: 'ChallengeSent', AccountID: account, RemoteAddress: at(ip), ...pjsip },
  { Event: 'ChallengeResponseFailed', AccountID: account, RemoteAddress: at(ip), ...pjsip },
];
const signedIn = (ip: string, account: string): AmiMessage[] => [
  { Event: 'SuccessfulAuth', AccountID: account, RemoteAddress: at(ip), UsingPassword: '1', ...pjsip },
];

function harness(trusted: Record<string, Exemption> = {}, failures = 5) {
  let clock = 1_000_000;
  const blocks: BlockRequest[] = [];
  const log: string[] = [];
  const ami = new AmiClient({ host: '127.0.0.1', port: 1, username: 'x', secret: 'y', reconnect: false });
  const guard = new SipGuard(
    ami,
    { failures, windowSeconds: 60, minutes: 15 },
    {
      trusted: async () => new Map(Object.entries(trusted)),
      block: async (b) => {
        blocks.push(b);
        return true;
      },
    },
    (line) => log.push(line),
    () => clock,
  );
  return {
    blocks,
    log,
    /** Feeds the events one by one, a second apart, as the guard would hear them. */
    async feed(events: AmiMessage[]) {
      for (const e of events) {
        clock += 1000;
        await guard.consider(e);
      }
    },
    wait(seconds: number) {
      clock += seconds * 1000;
    },
  };
}

test('requests for accounts that do not exist block at the threshold, each request counted once, with why', async () => {
  const h = harness();
  await h.feed([...unknownAccount('203.0.113.9', 'admin'), ...unknownAccount('203.0.113.9', '100')]);
  assert.is(h.blocks.length, 0, 'two attempts are four refused requests, not six events');
  await h.feed(unknownAccount('203.0.113.9', '101'));
  assert.is(h.blocks.length, 1);
  assert.equal(h.blocks[0], {
    ip: '203.0.113.9',
    reason: 'unknown_accounts',
    failures: 5,
    accounts: ['admin', '100', '101'],
    minutes: 15,
    detail: { windowSeconds: 60, threshold: 5, events: { InvalidAccountID: 5 }, uncounted: 0 },
  });
});

test('an address a phone is registered from, or a trunk address, is never blocked; the log says why', async () => {
  const h = harness({ '198.51.100.7': 'phone', '192.0.2.10': 'trunk' });
  for (let i = 0; i < 4; i++) {
    await h.feed(unknownAccount('198.51.100.7', `scan${i}`));
    await h.feed(unknownAccount('192.0.2.10', `scan${i}`));
  }
  assert.equal(h.blocks, []);
  assert.ok(h.log.some((l) => l.includes('198.51.100.7') && l.includes('phone is registered')));
  assert.ok(h.log.some((l) => l.includes('192.0.2.10') && l.includes("trunk's address")));
});

test('wrong passwords from an address where a phone signed in do not count; unknown accounts from it still do', async () => {
  const h = harness();
  await h.feed(signedIn('198.51.100.20', '2001'));
  for (let i = 0; i < 10; i++) await h.feed(wrongPassword('198.51.100.20', '2002'));
  assert.equal(h.blocks, [], 'a colleague with a stale password does not get the office blocked');
  await h.feed([...unknownAccount('198.51.100.20', 'a'), ...unknownAccount('198.51.100.20', 'b')]);
  assert.is(h.blocks.length, 0);
  await h.feed(unknownAccount('198.51.100.20', 'c'));
  assert.is(h.blocks[0]?.reason, 'unknown_accounts');
  assert.is(h.blocks[0]?.failures, 5);
  assert.ok((h.blocks[0]?.detail.uncounted ?? 0) > 0, 'the uncounted wrong passwords are kept');
  assert.equal(h.blocks[0]?.accounts, ['2002', 'a', 'b', 'c']);
});

test('wrong passwords from an address with no sign-in block at the threshold; a sign-in is remembered an hour', async () => {
  const h = harness();
  for (let i = 0; i < 5; i++) await h.feed(wrongPassword('203.0.113.50', '2002'));
  assert.is(h.blocks[0]?.reason, 'wrong_passwords');
  assert.equal(h.blocks[0]?.detail.events, { ChallengeResponseFailed: 5 });

  await h.feed(signedIn('203.0.113.51', '2003'));
  h.wait(61 * 60);
  for (let i = 0; i < 5; i++) await h.feed(wrongPassword('203.0.113.51', '2003'));
  assert.is(h.blocks[1]?.ip, '203.0.113.51', 'a sign-in over an hour ago no longer shields the address');
});

test('both kinds together block as "mixed"; failures past the window are forgotten', async () => {
  const h = harness();
  await h.feed([...wrongPassword('203.0.113.60', '2002'), ...wrongPassword('203.0.113.60', '2002')]);
  h.wait(120);
  await h.feed(wrongPassword('203.0.113.60', '2002'));
  await h.feed(unknownAccount('203.0.113.60', 'x'));
  await h.feed(wrongPassword('203.0.113.60', '2002'));
  assert.is(h.blocks.length, 0, 'the first two are past the 60 s window');
  await h.feed(wrongPassword('203.0.113.60', '2002'));
  assert.is(h.blocks[0]?.reason, 'mixed');
  assert.equal(h.blocks[0]?.detail.events, { ChallengeResponseFailed: 3, InvalidAccountID: 2 });
});

test('the source address of an event, IPv4 or IPv6', () => {
  assert.is(remoteIp({ RemoteAddress: 'IPV4/UDP/203.0.113.9/5060' }), '203.0.113.9');
  assert.is(remoteIp({ RemoteAddress: 'IPV6/UDP/[2001:DB8::9]/5060' }), '2001:db8::9');
  assert.is(remoteIp({ RemoteAddress: 'IPV6/UDP/2001:db8::9/5060' }), '2001:db8::9');
  assert.is(remoteIp({}), null);
});

test('failed logins of other services (AMI) are not SIP failures', async () => {
  const h = harness();
  for (let i = 0; i < 10; i++)
    await h.feed([
      {
        Event: 'InvalidPassword',
        Service: 'AMI',
        AccountID: 'admin',
        RemoteAddress: 'IPV4/TCP/203.0.113.70/40000',
      },
    ]);
  assert.equal(h.blocks, []);
});

test.run();
