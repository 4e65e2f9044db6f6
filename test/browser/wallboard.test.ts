/**
 * The wallboard in a real browser against the product with its own Asterisk: a supervisor
 * watches the floor; a SIPp caller dials the hotline of a group whose agent is not logged in and
 * waits in the queue. The waiting tile must show the caller within a second of the moment the
 * ACD queued them (the queue.joined event's time), then drop back when the caller hangs up, and
 * today's abandoned count follows once the statistics maintainer counted the call.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, desc, eq } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { callEvents } from '../../db/schema.ts';
import { logged } from '../support/assert.ts';
import { launchBrowser, logIn, screenshotDir } from '../support/browser.ts';
import { seedSystemPrompts } from '../support/call-center.ts';
import { type TestDatabase, testDatabase } from '../support/db.ts';
import { buildCompany, type Company, password } from '../support/fixtures.ts';
import { killProducts, type RunningProduct, startProductWithPbx, stopProduct } from '../support/product.ts';
import { ivrCaller, runSipp } from '../support/sipp.ts';
import { carrierLine, groupWithHotline } from '../support/telephony.ts';

const test = suite('wallboard in the browser');
const dataDir = mkdtempSync(join(tmpdir(), 'cc-wallboard-'));
const did = '4008007100';
let db: TestDatabase;
let company: Company;
let product: RunningProduct & { sipPort: number };
let browser: Browser;
let carrierPort: number;
let groupId: number;

test.before(
  logged(async () => {
    db = await testDatabase('postgres');
    company = await buildCompany(db.db);
    const line = await carrierLine(company, did);
    carrierPort = line.port;
    // The only member is not logged in: callers wait (joining an empty queue is allowed by default).
    groupId = await groupWithHotline(company, line.numberId, 'Service', [company.people.repA]);
    await seedSystemPrompts(dataDir);
    product = await startProductWithPbx({
      DATABASE_URL: db.url!,
      DATA_DIR: dataDir,
      TIME_ZONE: 'Asia/Shanghai',
    });
    browser = await launchBrowser();
  }),
);
test.after(async () => {
  await browser?.close();
  if (product) await stopProduct(product.proc);
  killProducts();
  await db?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const tile = (name: string) => `#board [data-tile="${name}"] .wb-value`;

test('a new waiting caller appears on the wallboard within a second; the abandon follows', async () => {
  const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
  await logIn(page, product.url, 'owner', password);
  await page.goto(`${product.url}/wallboard`);
  await page.waitForFunction(() => {
    const el = document.querySelector('#wallboard') as
      | (HTMLElement & { 'htmx-internal-data'?: { sseEventSource?: EventSource } })
      | null;
    return el?.['htmx-internal-data']?.sseEventSource?.readyState === 1;
  });
  assert.is(await page.textContent(tile('waiting')), '0');
  // The page notes the moment the waiting count first reads 1.
  await page.evaluate(() => {
    const w = window as Window & { waitingAt?: number };
    new MutationObserver(() => {
      if (
        !w.waitingAt &&
        document.querySelector('#board [data-tile="waiting"] .wb-value')?.textContent === '1'
      )
        w.waitingAt = Date.now();
    }).observe(document.querySelector('#board')!, { childList: true, subtree: true, characterData: true });
  });
  const caller = runSipp({
    scenario: ivrCaller([{ pause: 6000 }], 'hangup'),
    port: carrierPort,
    remotePort: product.sipPort,
    service: did,
    callerNumber: '13812340001',
    timeoutSeconds: 60,
  });
  await page.waitForFunction(() => !!(window as Window & { waitingAt?: number }).waitingAt, undefined, {
    timeout: 15_000,
  });
  const shownAt = await page.evaluate(() => (window as Window & { waitingAt?: number }).waitingAt!);
  // The event carries the moment the ACD queued the caller; its row may land a little after the
  // board showed the caller (the event log is written behind call control).
  let joined: { at: Date } | undefined;
  for (let i = 0; i < 50 && !joined; i++) {
    [joined] = await db.db
      .select({ at: callEvents.at })
      .from(callEvents)
      .where(and(eq(callEvents.type, 'queue.joined')))
      .orderBy(desc(callEvents.id))
      .limit(1);
    if (!joined) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(joined, 'the caller was queued');
  const delay = shownAt - joined!.at.getTime();
  console.log(`waiting caller shown ${delay} ms after the ACD queued them`);
  assert.ok(delay < 1000, `shown after ${delay} ms`);
  assert.is(await page.textContent(`#board tr[data-group="${groupId}"] [data-col="waiting"]`), '1');
  await page.screenshot({ path: join(screenshotDir, '20-wallboard-waiting.png') });

  const run = await caller.done;
  assert.is(run.code, 0, run.output);
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '0', tile('waiting'), {
    timeout: 5_000,
  });
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '1', tile('abandoned'), {
    timeout: 5_000,
  });
  assert.is(await page.textContent(tile('offered')), '1');
  // One offered, one abandoned after 6 s (not a short abandon): the abandon rate is 100 %, red.
  assert.is(await page.getAttribute('#board [data-tile="abandon_rate"]', 'data-level'), 'red');

  const group = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await logIn(group, product.url, 'owner', password);
  await group.goto(`${product.url}/wallboard/groups/${groupId}`);
  assert.match((await group.textContent('h1')) ?? '', 'Service');
  assert.is(await group.textContent(tile('abandoned')), '1');
  await group.screenshot({ path: join(screenshotDir, '21-wallboard-group.png') });
});

test.run();
