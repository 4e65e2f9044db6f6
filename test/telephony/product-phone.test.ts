/**
 * The product end to end with its own Asterisk: `node main.ts` in managed mode brings up the
 * PBX; the owner (who works the desk too) reads the SIP account from "My phone", a real
 * softphone registers with exactly those values, and both pages show it registered.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Phone } from '../support/baresip.ts';
import { WebClient } from '../support/client.ts';
import { freeUdpPort } from '../support/pbx.ts';
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
  await waitForLog(product, /\[pbx\] ready/, 120_000);
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

test('an agent without the desk permission is refused the page', async () => {
  const anon = new WebClient(product.url);
  const reply = await anon.get('/desk/phone');
  assert.is(reply.status, 303);
});

test.run();
