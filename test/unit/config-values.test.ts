/**
 * Values in Asterisk's configuration files (issue 3/8, finding 13): a value Asterisk's parser
 * would read differently — a `;` starts a comment, a line break ends the line, spaces around a
 * value are trimmed — is refused by the trunk form and never written (changed) by the renderer;
 * `[` and `=` inside a value are read back as they are. Checked by parsing the rendered file
 * the way Asterisk's config parser does.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { configValueProblem } from '../../cti/asterisk.ts';
import { type TrunkConfig, renderPjsip } from '../../pbx/config/pjsip.ts';
import type { PbxInstance } from '../../pbx/layout.ts';

const test = suite('config values');
const instance = { sipBind: '127.0.0.1', ports: { sip: 5060 } } as PbxInstance;

const trunk = (over: Partial<TrunkConfig>): TrunkConfig => ({
  id: 7,
  name: 'Carrier',
  host: 'sip.example.com',
  port: 5060,
  transport: 'udp',
  authMode: 'register',
  username: 'acct',
  password: 'secret',
  codecs: ['alaw'],
  maxCalls: 0,
  qualify: true,
  enabled: true,
  createdAt: new Date(),
  updatedAt: new Date(),
  ...over,
});

/** Sections of a config file as Asterisk's parser reads it (comments, trimming, first `=`). */
function parse(text: string): { name: string; values: Record<string, string> }[] {
  const sections: { name: string; values: Record<string, string> }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(?<!\\);.*$/, '').trim();
    if (line === '') continue;
    const header = /^\[([^\]]+)\]/.exec(line);
    if (header) {
      sections.push({ name: header[1]!, values: {} });
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0 || sections.length === 0) continue;
    sections.at(-1)!.values[line.slice(0, eq).trim()] = line
      .slice(eq + 1)
      .replace(/^>/, '')
      .trim();
  }
  return sections;
}

test('what the parser would change is refused; what it reads as it is passes', () => {
  for (const bad of ['pa;ss', 'pa\nss', 'pa\rss', 'tab\there', ' lead', 'trail ', 'nul\u0000'])
    assert.is(configValueProblem(bad), 'config_unsafe', JSON.stringify(bad));
  for (const good of ['secret', 'a=b', '[x]', 'p@ss:w/rd!#$%^&*()', '密码123'])
    assert.is(configValueProblem(good), null, good);
});

test('credentials with [ and = are written and read back unchanged', () => {
  const password = 'a=b[c]=d';
  const username = 'user=1[x]';
  const text = renderPjsip(instance, [], [trunk({ password, username })]);
  const auth = parse(text).find((s) => s.name === 'trunk-7-auth');
  assert.ok(auth, 'auth section');
  assert.is(auth!.values.password, password);
  assert.is(auth!.values.username, username);
});

test('a stored trunk with a value Asterisk would change is left out, the others are written', () => {
  for (const password of ['pa;ss', 'pa\nss', ' lead']) {
    const text = renderPjsip(instance, [], [trunk({ password }), trunk({ id: 8, name: 'Other' })]);
    const names = parse(text).map((s) => s.name);
    assert.not.ok(names.includes('trunk-7-auth'), JSON.stringify(password));
    assert.ok(names.includes('trunk-8-auth'));
    assert.match(text, '; trunk Carrier (trunk-7) left out');
    assert.not.match(text, password);
  }
});

test.run();
