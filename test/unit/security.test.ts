/** Password hashing and policy, temporary passwords, the login rate limiter. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hostNameOf, loadSettings } from '../../config/settings.ts';
import { hostAllowed, isLoopback, originAllowed, setupOpenTo } from '../../web/host-policy.ts';
import { clientAddress, localPath } from '../../web/http.ts';
import {
  hashPassword,
  passwordProblem,
  temporaryPassword,
  verifyPassword,
} from '../../core/auth/passwords.ts';
import { RateLimiter } from '../../core/auth/rate-limiter.ts';

const test = suite('security');

test('scrypt hashes verify only the right password and differ per salt', async () => {
  const a = await hashPassword('Correct-horse-42');
  const b = await hashPassword('Correct-horse-42');
  assert.is.not(a, b);
  assert.ok(await verifyPassword('Correct-horse-42', a));
  assert.not.ok(await verifyPassword('correct-horse-42', a));
  assert.not.ok(await verifyPassword('x', 'md5$abc'));
});

test('the policy wants length, letters and digits, and not the username', () => {
  assert.is(passwordProblem('short1', 'u'), 'password_too_short');
  assert.is(passwordProblem('onlyletterslong', 'u'), 'password_too_weak');
  assert.is(passwordProblem('1234567890123', 'u'), 'password_too_weak');
  assert.is(passwordProblem('zhangwei-2024x', 'zhangwei'), 'password_same_as_username');
  assert.is(passwordProblem('密码很长很长的密码123', 'u'), null);
  for (let i = 0; i < 50; i++) assert.is(passwordProblem(temporaryPassword(), 'someone'), null);
});

test('the rate limiter refuses past the limit and forgets after the window', () => {
  const limiter = new RateLimiter(3, 1000);
  assert.ok(limiter.attempt('1.2.3.4', 0));
  assert.ok(limiter.attempt('1.2.3.4', 10));
  assert.ok(limiter.attempt('1.2.3.4', 20));
  assert.not.ok(limiter.attempt('1.2.3.4', 30));
  assert.ok(limiter.attempt('5.6.7.8', 30), 'other addresses are not affected');
  assert.ok(limiter.attempt('1.2.3.4', 1011));
});

test('redirect targets stay on the site: tabs, newlines, backslashes and other origins fall back', () => {
  for (const [value, want] of [
    ['/calls?page=2#top', '/calls?page=2#top'],
    ['/desk', '/desk'],
    ['//evil.example/', '/'],
    ['/\t/evil.example', '/'],
    ['/\\evil.example', '/'],
    ['/\\/evil.example', '/'],
    ['/\r\nSet-Cookie: x=1', '/'],
    ['/ /evil.example', '/'],
    ['/\u00a0/evil.example', '/'],
    ['https://evil.example/', '/'],
    ['javascript:alert(1)', '/'],
    ['evil.example', '/'],
    ['', '/'],
  ] as const)
    assert.is(localPath(value), want, JSON.stringify(value));
  assert.is(localPath(undefined, '/desk/phone'), '/desk/phone');
  // What a browser would make of the target: never another host.
  for (const value of ['/%09/evil.example', '/%2F/evil.example', '/.%2e/x'])
    assert.is(new URL(localPath(value), 'http://site.example').host, 'site.example', value);
});

test('the client address is taken the trusted number of hops from the right of X-Forwarded-For', () => {
  const socket = '127.0.0.1';
  assert.is(clientAddress(socket, '1.1.1.1, 2.2.2.2', 0), socket, 'no proxy: the header is ignored');
  assert.is(clientAddress(socket, undefined, 1), socket);
  assert.is(clientAddress(socket, 'forged, 1.1.1.1', 1), '1.1.1.1');
  assert.is(clientAddress(socket, 'forged, 1.1.1.1, 10.0.0.2', 2), '1.1.1.1');
  assert.is(clientAddress(socket, '1.1.1.1', 2), socket, 'fewer entries than proxies: the socket');
  assert.is(loadSettings({}).trustedProxies, 0);
  assert.is(loadSettings({ TRUST_PROXY: 'true' }).trustedProxies, 1);
  assert.is(loadSettings({ TRUST_PROXY: '2' }).trustedProxies, 2);
  assert.is(loadSettings({ TRUST_PROXY: 'false' }).trustedProxies, 0);
  assert.throws(() => loadSettings({ TRUST_PROXY: 'maybe' }), /TRUST_PROXY|invalid/);
});

test('host names are read without port or brackets; the allow-list comes from PUBLIC_URL and ALLOWED_HOSTS', () => {
  assert.is(hostNameOf('[::1]:8080'), '::1');
  assert.is(hostNameOf('CC.Example.com:443'), 'cc.example.com');
  assert.is(hostNameOf('2001:db8::5'), '2001:db8::5');
  assert.is(hostNameOf('10.0.0.5'), '10.0.0.5');
  const s = loadSettings({
    PUBLIC_URL: 'https://CC.example.com:8443/',
    ALLOWED_HOSTS: 'pbx.lan:8080, [2001:db8::1]',
  });
  assert.equal(s.allowedHosts.sort(), ['2001:db8::1', 'cc.example.com', 'pbx.lan']);
  assert.throws(() => loadSettings({ PUBLIC_URL: 'not a url' }), /PUBLIC_URL/);
  assert.throws(() => loadSettings({ SETUP_FROM: '10.0.0.0/33' }), /SETUP_FROM/);
  assert.throws(() => loadSettings({ SETUP_FROM: 'office.lan' }), /SETUP_FROM/);
  assert.equal(loadSettings({ SETUP_FROM: '10.0.0.0/8, ::1' }).setupFrom, ['10.0.0.0/8', '::1']);
});

test('hosts: loopback always, the allow-list when set, otherwise any after setup and addresses before', () => {
  const open = loadSettings({});
  const listed = loadSettings({ PUBLIC_URL: 'https://cc.example.com' });
  for (const h of ['localhost:8080', '127.0.0.1', '127.1.2.3:80', '[::1]:8080', '[::ffff:127.0.0.1]'])
    assert.ok(isLoopback(h) && hostAllowed(h, listed, true) && hostAllowed(h, open, false), h);
  assert.not.ok(isLoopback('localhost.attacker.example'));
  assert.ok(hostAllowed('cc.example.com', listed, false));
  assert.not.ok(hostAllowed('attacker.example', listed, true));
  assert.not.ok(hostAllowed('10.0.0.5:8080', listed, true));
  assert.ok(hostAllowed('attacker.example', open, true));
  assert.not.ok(hostAllowed('attacker.example', open, false));
  assert.ok(hostAllowed('10.0.0.5:8080', open, false));
  assert.ok(hostAllowed('[2001:db8::1]:8080', open, false));
  assert.not.ok(hostAllowed(undefined, open, true));
});

test("origins: the request's own host or PUBLIC_URL's origin, nothing else", () => {
  const open = loadSettings({});
  const listed = loadSettings({ PUBLIC_URL: 'https://cc.example.com' });
  assert.ok(originAllowed('http://10.0.0.5:8080', '10.0.0.5:8080', open));
  assert.not.ok(originAllowed('http://10.0.0.5:8081', '10.0.0.5:8080', open));
  assert.not.ok(originAllowed('null', '10.0.0.5:8080', open));
  assert.ok(originAllowed('https://cc.example.com', '127.0.0.1:8080', listed));
  assert.not.ok(originAllowed('http://cc.example.com', '127.0.0.1:8080', listed));
  assert.not.ok(originAllowed('https://cc.example.com.attacker.example', '127.0.0.1:8080', listed));
});

test('setup opens without its key to loopback and SETUP_FROM only', () => {
  const s = loadSettings({ SETUP_FROM: '192.168.1.0/24,2001:db8::/64' });
  for (const ip of [
    '127.0.0.1',
    '::1',
    '::ffff:127.0.0.1',
    '192.168.1.77',
    '::ffff:192.168.1.5',
    '2001:db8::99',
  ])
    assert.ok(setupOpenTo(ip, s), ip);
  for (const ip of ['', '192.168.2.1', '2001:db9::1', '10.0.0.1', 'localhost.attacker'])
    assert.not.ok(setupOpenTo(ip, s), ip);
  assert.not.ok(setupOpenTo('192.168.1.77', loadSettings({})));
});

test.run();
