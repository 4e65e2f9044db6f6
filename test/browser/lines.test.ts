/**
 * Trunks and numbers in a real browser: the trunk form with its field errors, the trunk list
 * refreshing itself when a trunk changes elsewhere, a number with a caller-ID assignment, and
 * a CSV import whose bad rows are listed. Screenshots go under test-output/.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createTrunk, parseTrunkInput } from '../../cti/lines/lines.ts';
import { launchBrowser, logIn, screenshotDir } from '../support/browser.ts';
import { type TestDatabase, testDatabase } from '../support/db.ts';
import { buildCompany, type Company, password } from '../support/fixtures.ts';
import { type RunningApp, startApp } from '../support/server.ts';

const test = suite('trunks and numbers in the browser');
let db: TestDatabase;
let app: RunningApp;
let company: Company;
let browser: Browser;
let page: Page;

test.before(async () => {
  db = await testDatabase();
  company = await buildCompany(db.db);
  app = await startApp(db.db);
  browser = await launchBrowser();
  page = await browser.newPage({ locale: 'en-US' });
  await logIn(page, app.url, 'admin', password);
});
test.after(async () => {
  await browser?.close();
  await app?.close();
  await db?.close();
});

const shot = (name: string) => page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });

test('a trunk is added through the form; mistakes are shown next to their fields', async () => {
  await page.click('nav >> text=Trunks');
  await page.waitForSelector('h1:has-text("Trunks")');
  await page.click('text=New trunk');
  await page.fill('#f-name', 'Carrier A');
  await page.fill('#f-host', 'sip carrier');
  await page.selectOption('#f-authMode', 'register');
  await page.click('#trunk-form button[type=submit]');
  await page.waitForSelector('[data-field="host"] .field-error');
  assert.match(
    (await page.textContent('[data-field="host"] .field-error')) ?? '',
    'Enter a host name or IP address.',
  );
  assert.match((await page.textContent('[data-field="username"] .field-error')) ?? '', 'Required.');
  await shot('20-trunk-form-errors');
  await page.fill('#f-host', 'sip.carrier-a.example');
  await page.fill('#f-username', 'acme');
  await page.fill('#f-password', 'secret-1');
  await page.fill('#f-maxCalls', '30');
  await page.click('#trunk-form button[type=submit]');
  await page.waitForSelector('#dt-trunks >> text=Carrier A');
  assert.match((await page.textContent('#dt-trunks')) ?? '', 'udp:sip.carrier-a.example:5060');
});

test('the trunk list refreshes by itself when trunks change', async () => {
  await page.evaluate(() => {
    (window as unknown as { stayed: boolean }).stayed = true;
  });
  await createTrunk(company.owner, parseTrunkInput({ name: 'Gateway B', host: '192.0.2.10', qualify: 'no' }));
  await page.waitForSelector('#dt-trunks >> text=Gateway B', { timeout: 8000 });
  assert.ok(
    await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed === true),
    'updated in place, not by reloading the page',
  );
  await shot('21-trunks-live');
});

test('a number is created and assigned as caller ID to a department', async () => {
  await page.click('nav >> text=Numbers');
  await page.click('text=New number');
  await page.fill('#f-number', '021 5000 1234');
  await page.selectOption('#f-trunkId', { label: 'Carrier A' });
  await page.fill('#f-label', 'Sales hotline');
  await page.click('#number-form button[type=submit]');
  await page.waitForSelector('#assignments');
  await page.selectOption('#assign-department select', { label: 'Sales A' });
  await page.click('#assign-department button');
  await page.waitForSelector('#assignments >> text=Sales A');
  await shot('22-number-assignment');
  await page.click('nav >> text=Numbers');
  await page.waitForSelector('#dt-numbers >> text=02150001234');
  assert.match((await page.textContent('#dt-numbers')) ?? '', 'Sales A');
});

test('a CSV import lists the rows it could not take', async () => {
  await page.click('text=Import');
  const csv = 'number,trunk,label\r\n02150009001,Carrier A,Support\r\n02150009002,Nowhere,\r\n';
  await page.setInputFiles('#f-file', {
    name: 'numbers.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(csv),
  });
  await page.click('#import-form button[type=submit]');
  await page.waitForSelector('#import-result');
  assert.match(
    (await page.textContent('#import-result')) ?? '',
    '1 of 2 row(s) imported; 1 row(s) with errors.',
  );
  assert.match((await page.textContent('#import-errors')) ?? '', 'No trunk with this name.');
  await shot('23-number-import');
});

test.run();
