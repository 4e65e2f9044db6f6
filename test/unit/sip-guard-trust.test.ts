/**
 * What the SIP guard never blocks: the addresses phones are registered from (from Asterisk's
 * contacts, pbx/registrations.ts) and the trunks' addresses, host names resolved (pbx/sip-trust.ts).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AmiClient } from '../../cti/ami/client.ts';
import { contactHost, RegistrationTracker } from '../../pbx/registrations.ts';
import { exemptAddresses, systemResolve, TrunkAddresses } from '../../pbx/sip-trust.ts';

const test = suite('SIP guard: trusted addresses');

const contact = (endpoint: string, uri: string, status: string) => ({
  Event: 'ContactStatus',
  EndpointName: endpoint,
  AOR: endpoint,
  URI: uri,
  ContactStatus: status,
});

test('the host of a contact URI', () => {
  assert.is(contactHost('sip:2002-0x55c0a2edffd0@127.0.0.1:33311'), '127.0.0.1');
  assert.is(contactHost('sip:1001@203.0.113.9:5060;ob;x-ast-orig-host=192.168.1.20:5060'), '203.0.113.9');
  assert.is(contactHost('sip:1001@[2001:DB8::1]:5060;transport=udp'), '2001:db8::1');
  assert.is(contactHost('sips:gw.example.net'), 'gw.example.net');
  assert.is(contactHost(''), null);
});

test('registered phones give their addresses until their contact is removed; trunks are no phones', () => {
  const ami = new AmiClient({ host: '127.0.0.1', port: 1, username: 'x', secret: 'y', reconnect: false });
  const tracker = new RegistrationTracker(ami);
  ami.emit('event', contact('2001', 'sip:2001-a@198.51.100.7:5062', 'NonQualified'));
  ami.emit('event', contact('2002', 'sip:2002-b@198.51.100.7:5064', 'Reachable'));
  ami.emit('event', contact('2003', 'sip:2003-c@198.51.100.8:5060', 'Unreachable'));
  ami.emit('event', contact('trunk-1', 'sip:gw.example.net:5060', 'Reachable'));
  assert.equal([...tracker.phoneAddresses()].sort(), ['198.51.100.7', '198.51.100.8']);
  // A phone moving to a new address: the old contact's removal may come after the new one.
  ami.emit('event', contact('2003', 'sip:2003-c@198.51.100.9:5060', 'Reachable'));
  ami.emit('event', contact('2003', 'sip:2003-c@198.51.100.8:5060', 'Removed'));
  ami.emit('event', contact('2001', 'sip:2001-a@198.51.100.7:5062', 'Removed'));
  assert.equal([...tracker.phoneAddresses()].sort(), ['198.51.100.7', '198.51.100.9']);
  ami.emit('event', contact('2002', 'sip:2002-b@198.51.100.7:5064', 'Removed'));
  assert.equal([...tracker.phoneAddresses()], ['198.51.100.9']);
});

test('trunk host names are resolved (all addresses), cached, and a failed lookup keeps what was known', async () => {
  let clock = 0;
  let lookups = 0;
  let dnsUp = true;
  const trunks = new TrunkAddresses(
    async () => ['203.0.113.7', 'sip.carrier.example', ' [2001:db8::7] '],
    async (host) => {
      lookups++;
      if (!dnsUp) throw new Error('EAI_AGAIN');
      assert.is(host, 'sip.carrier.example');
      return ['198.51.100.1', '2001:db8::1'];
    },
    { ttlMs: 60_000, timeoutMs: 1000, now: () => clock },
  );
  const expected = ['198.51.100.1', '2001:db8::1', '2001:db8::7', '203.0.113.7', 'sip.carrier.example'];
  assert.equal([...(await trunks.all())].sort(), expected);
  clock += 30_000;
  await trunks.all();
  assert.is(lookups, 1, 'looked up once a minute at most');
  clock += 31_000;
  dnsUp = false;
  assert.equal([...(await trunks.all())].sort(), expected, 'a failed lookup keeps the known addresses');
  assert.is(lookups, 2);

  const exempt = await exemptAddresses(trunks, ['198.51.100.1', '192.0.2.44']);
  assert.is(exempt.get('198.51.100.1'), 'trunk');
  assert.is(exempt.get('192.0.2.44'), 'phone');
  assert.is(exempt.get('192.0.2.45'), undefined);
});

test('a lookup that hangs is given up on; the guard is not held up', async () => {
  const trunks = new TrunkAddresses(
    async () => ['slow.example'],
    () => new Promise<string[]>(() => {}),
    { ttlMs: 60_000, timeoutMs: 50, now: Date.now },
  );
  assert.equal([...(await trunks.all())], ['slow.example']);
});

test('the system resolver finds localhost', async () => {
  assert.ok((await systemResolve('localhost')).includes('127.0.0.1'));
});

test.run();
