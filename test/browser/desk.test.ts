/**
 * The agent desk in a real browser against the product with its own Asterisk: the agent logs in
 * to the desk, a SIPp caller dials the hotline, and the screen pop (caller number, VIP flag)
 * arrives on the page over the live stream while the agent's phone rings; answering on the
 * phone turns it into the call panel; hanging up from the desk asks first (close confirmation).
 * A caller hanging up while the phone rings leaves the desk ready; a supervisor forces a ringing
 * agent onto a break from the workbench (asked first), and the phone stops ringing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { addToList } from '../../cti/lines/caller-lists.ts';
import { accountOf } from '../../pbx/sip-accounts.ts';
import { logged } from '../support/assert.ts';
import { Phone } from '../support/baresip.ts';
import { launchBrowser, logIn, screenshotDir } from '../support/browser.ts';
import { seedSystemPrompts } from '../support/call-center.ts';
import { type TestDatabase, testDatabase } from '../support/db.ts';
import { buildCompany, type Company, password } from '../support/fixtures.ts';
import { killProducts, type RunningProduct, startProductWithPbx, stopProduct } from '../support/product.ts';
import { ivrCaller, runSipp } from '../support/sipp.ts';
import { carrierLine, groupWithHotline } from '../support/telephony.ts';

const test = suite('agent desk in the browser');
const dataDir = mkdtempSync(join(tmpdir(), 'cc-desk-browser-'));
const did = '4008007000';
let db: TestDatabase;
let company: Company;
let product: RunningProduct & { sipPort: number };
let browser: Browser;
let phone: Phone | null = null;
let carrierPort: number;
let sipPort: number;

test.before(
  logged(async () => {
    db = await testDatabase('postgres');
    company = await buildCompany(db.db);
    const line = await carrierLine(company, did);
    carrierPort = line.port;
    await groupWithHotline(company, line.numberId, 'Service', [company.people.repA]);
    await addToList(company.owner, 'vip', { number: '13812345678', reason: 'Key account' });
    await seedSystemPrompts(dataDir);
    product = await startProductWithPbx({ DATABASE_URL: db.url!, DATA_DIR: dataDir });
    sipPort = product.sipPort;
    const account = await (async () => {
      for (let i = 0; i < 50; i++) {
        const a = await accountOf(db.db, company.people.repA);
        if (a) return a;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error('no SIP account for the agent');
    })();
    await new Promise((r) => setTimeout(r, 500));
    phone = await Phone.start({
      username: account.username,
      password: account.password,
      registrar: sipPort,
      autoAnswer: false,
    });
    await phone.waitFor('REGISTER_OK');
    browser = await launchBrowser();
  }),
);
test.after(async () => {
  await browser?.close();
  await phone?.stop();
  if (product) await stopProduct(product.proc);
  killProducts();
  await db?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('the screen pop arrives on the desk when a caller reaches the agent; the agent answers and hangs up from the desk', async () => {
  const page = await browser.newPage();
  await logIn(page, product.url, 'rep.a', password);
  await page.goto(`${product.url}/desk`);
  await page.click('text=Log in to the desk');
  await page.waitForSelector('#agent-state [data-state="ready"]');
  // The live stream is connected before the call comes.
  await page.waitForFunction(() => {
    const el = document.querySelector('#desk');
    return (
      !!el &&
      (el as HTMLElement & { 'htmx-internal-data'?: { sseEventSource?: EventSource } })['htmx-internal-data']
        ?.sseEventSource?.readyState === 1
    );
  });
  const ringing = phone!.next('CALL_INCOMING', 20_000);
  const dialledAt = Date.now();
  const caller = runSipp({
    scenario: ivrCaller([], 'bye'),
    port: carrierPort,
    remotePort: sipPort,
    service: did,
    callerNumber: '13812345678',
    timeoutSeconds: 60,
  });
  await page.waitForSelector('#screen-pop.ringing', { timeout: 15_000 });
  const popSeconds = (Date.now() - dialledAt) / 1000;
  const pop = await page.textContent('#screen-pop');
  assert.match(pop ?? '', '13812345678');
  assert.match(pop ?? '', 'VIP');
  assert.match(pop ?? '', 'Incoming call');
  await ringing;
  await page.screenshot({ path: join(screenshotDir, '10-desk-screen-pop.png'), fullPage: true });
  // Answer on the phone: the call panel follows with the controls.
  phone!.command('accept');
  await page.waitForSelector('#screen-pop.talking', { timeout: 10_000 });
  await page.waitForSelector('#hangup button');
  await page.screenshot({ path: join(screenshotDir, '11-desk-on-call.png'), fullPage: true });
  // Hanging up asks first (close confirmation is on by default).
  let asked = '';
  page.once('dialog', (d) => {
    asked = d.message();
    void d.accept();
  });
  await page.click('#hangup button');
  await page.waitForSelector('#no-call', { timeout: 10_000 });
  assert.match(asked, 'Hang up this call?');
  const run = await caller.done;
  assert.is(run.code, 0, run.output);
  assert.ok(popSeconds < 10, `screen pop after ${popSeconds} s`);
  console.log(`screen pop ${popSeconds.toFixed(2)} s after the caller dialled`);
});

test('a caller who hangs up while the phone rings leaves the desk ready; a supervisor forces a ringing agent onto a break from the workbench', async () => {
  const agentPage = await browser.newPage();
  await logIn(agentPage, product.url, 'rep.a', password);
  await agentPage.goto(`${product.url}/desk`);
  // After the first test's call the agent is in wrap-up (15 s by default), then ready.
  await agentPage.waitForSelector('#agent-state [data-state="ready"]', { timeout: 40_000 });
  const call = (holdMs: number, number: string) =>
    runSipp({
      scenario: ivrCaller([{ pause: holdMs }], 'hangup'),
      port: carrierPort,
      remotePort: sipPort,
      service: did,
      callerNumber: number,
      timeoutSeconds: 60,
    });
  // The caller gives up while the phone rings: the desk is ready again, with no call.
  const ringing = phone!.next('CALL_INCOMING', 20_000);
  const first = call(4000, '13800001111');
  await ringing;
  await agentPage.waitForSelector('#agent-state [data-state="ringing"]', { timeout: 10_000 });
  const closed = phone!.next('CALL_CLOSED', 15_000);
  assert.is((await first.done).code, 0);
  await closed;
  await agentPage.waitForSelector('#agent-state [data-state="ready"]', { timeout: 10_000 });
  await agentPage.waitForSelector('#no-call', { timeout: 10_000 });
  await agentPage.screenshot({
    path: join(screenshotDir, '12-desk-ready-after-ringing-abandon.png'),
    fullPage: true,
  });

  // The next call rings; the supervisor sets the agent on a break from the workbench.
  const supervisor = await browser.newPage();
  await logIn(supervisor, product.url, 'owner', password);
  await supervisor.goto(`${product.url}/supervisor`);
  const again = phone!.next('CALL_INCOMING', 20_000);
  const second = call(8000, '13800002222');
  await again;
  const row = `#agents tr[data-agent="${company.people.repA}"]`;
  await supervisor.waitForSelector(`${row}[data-state="ringing"]`, { timeout: 10_000 });
  let asked = '';
  supervisor.once('dialog', (d) => {
    asked = d.message();
    void d.accept();
  });
  const stopped = phone!.next('CALL_CLOSED', 15_000);
  await supervisor.click(`${row} button:has-text("Set on break")`);
  await stopped;
  await supervisor.waitForSelector(`${row}[data-state="break"]`, { timeout: 10_000 });
  await agentPage.waitForSelector('#agent-state [data-state="break"]', { timeout: 10_000 });
  assert.match(asked, 'ringing or they are on a call');
  await supervisor.screenshot({ path: join(screenshotDir, '13-workbench-forced-break.png'), fullPage: true });
  await second.done;
  // The PBX status page carries the call engine's self-check.
  await supervisor.goto(`${product.url}/callcenter/pbx`);
  assert.match((await supervisor.textContent('#engine-check')) ?? '', /Not checked yet|no problems/);
});

test.run();
