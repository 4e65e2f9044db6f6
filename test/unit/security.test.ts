/** Password hashing and policy, temporary passwords, the login rate limiter. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadSettings } from '../../config/settings.ts';
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

test.run();
