/**
 * A person in a real browser: first-run setup, login, a department and an employee in
 * English, then the same in Simplified Chinese, with screenshots under test-output/.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { launchBrowser, screenshotDir } from '../support/browser.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { type RunningApp, startApp } from '../support/server.ts';

const test = suite('foundation in the browser');
let db: TestDatabase;
let app: RunningApp;
let browser: Browser;
let page: Page;
const ownerPassword = 'Browser-test-2026';

test.before(async () => {
  db = await testDatabase();
  app = await startApp(db.db);
  browser = await launchBrowser();
  page = await browser.newPage({ locale: 'en-US' });
});
test.after(async () => {
  await browser?.close();
  await app?.close();
  await db?.close();
});

/** Picks the option whose text contains `text` (tree options are indented with spaces). */
async function pick(selector: string, text: string) {
  const value = await page.$eval(
    selector,
    (el, t) => [...(el as HTMLSelectElement).options].find((o) => o.text.includes(t))?.value ?? '',
    text,
  );
  assert.ok(value, `no option ${text} in ${selector}`);
  await page.selectOption(selector, value);
}

const shot = (name: string) => page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });

test('first-run setup creates the owner, who logs in', async () => {
  await page.goto(`${app.url}/`);
  assert.ok(page.url().endsWith('/setup'));
  await page.fill('#f-company', 'Acme Call Center');
  await page.fill('#f-name', 'Olivia Owner');
  await page.fill('#f-username', 'owner');
  await page.fill('#f-password', ownerPassword);
  await page.fill('#f-confirm', 'mismatch-1234');
  await page.click('#setup-form button[type=submit]');
  await page.waitForSelector('[data-field="confirm"] .field-error');
  assert.match(
    (await page.textContent('[data-field="confirm"] .field-error')) ?? '',
    'The two passwords differ.',
  );
  await page.fill('#f-password', ownerPassword);
  await page.fill('#f-confirm', ownerPassword);
  await page.click('#setup-form button[type=submit]');
  await page.waitForURL(/\/login/);
  assert.match((await page.textContent('.flash')) ?? '', 'Setup is complete');
  await page.fill('#f-username', 'owner');
  await page.fill('#f-password', ownerPassword);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('text=Welcome, Olivia Owner');
  assert.ok(
    await page.evaluate(() => typeof (window as unknown as { htmx?: unknown }).htmx === 'object'),
    'htmx is loaded',
  );
  await shot('01-home-en');
});

test('creates a department and an employee in English', async () => {
  await page.click('nav >> text=Organisation');
  await page.waitForSelector('h1:has-text("Organisation")');
  await page.click('text=New department');
  await page.fill('#f-name', 'Customer Service');
  await pick('#f-parentId', 'Acme Call Center');
  await page.click('#department-form button[type=submit]');
  await page.waitForSelector('tr[data-department="Customer Service"]');
  assert.match((await page.textContent('.flash')) ?? '', 'Department created.');

  await page.click('nav >> text=Employees');
  await page.click('text=New employee');
  await page.fill('#f-name', 'Zhang Wei');
  await page.fill('#f-username', 'zhang.wei');
  await page.fill('#f-jobNumber', '8001');
  await pick('#f-departmentId', 'Customer Service');
  await page.check('label.check:has-text("Agent") input[name=roleIds]');
  await page.check('#f-canDialOut');
  await page.click('#employee-form button[type=submit]');
  await page.waitForSelector('#temp-passwords code.secret');
  await shot('02-temp-password-en');
  await page.click('text=Back');
  await page.waitForSelector('#dt-employees');
  // htmx wires up swapped-in content after its settle delay; type only once it has.
  await page.waitForFunction(
    () => 'htmx-internal-data' in (document.querySelector('#dt-employees form.dt-filters') ?? {}),
  );
  await page.fill('#dt-employees-f-q', 'zhang');
  try {
    await page.waitForFunction(
      () => document.querySelectorAll('#dt-employees tbody tr').length === 1,
      undefined,
      { timeout: 5000 },
    );
  } catch (err) {
    await shot('failed-filter');
    throw err;
  }
  assert.match((await page.textContent('#dt-employees tbody')) ?? '', 'Zhang Wei');
  assert.match((await page.textContent('#dt-employees tbody')) ?? '', 'Agent');
  await shot('03-employees-en');
});

test('switches to Simplified Chinese and does the same', async () => {
  await page.click('button:has-text("简体中文")');
  await page.waitForSelector('nav >> text=组织信息');
  await page.click('nav >> text=组织信息');
  await page.click('text=新增组织');
  await page.click('#department-form button[type=submit]');
  await page.waitForSelector('[data-field="name"] .field-error');
  assert.match((await page.textContent('[data-field="name"] .field-error')) ?? '', '必填。');
  await page.fill('#f-name', '客服一组');
  await pick('#f-parentId', 'Customer Service');
  await page.click('#department-form button[type=submit]');
  await page.waitForSelector('tr[data-department="客服一组"]');
  assert.match((await page.textContent('.flash')) ?? '', '部门已创建。');
  await shot('04-departments-zh');

  await page.click('nav >> text=员工');
  await page.click('text=新建员工');
  await page.fill('#f-name', '王芳');
  await page.fill('#f-username', 'wang.fang');
  await page.fill('#f-jobNumber', '8002');
  await page.fill('#f-email', 'not-an-email');
  await pick('#f-departmentId', '客服一组');
  await page.click('#employee-form button[type=submit]');
  await page.waitForSelector('[data-field="email"] .field-error');
  assert.match((await page.textContent('[data-field="email"] .field-error')) ?? '', '邮箱格式不正确。');
  assert.is(await page.inputValue('#f-name'), '王芳', 'the form keeps what was typed');
  await page.fill('#f-email', 'wang.fang@example.com');
  await page.check('label.check:has-text("坐席") input[name=roleIds]');
  await page.click('#employee-form button[type=submit]');
  await page.waitForSelector('#temp-passwords code.secret');
  assert.match((await page.textContent('h1')) ?? '', '临时密码');
  await page.click('text=返回');
  await page.waitForSelector('#dt-employees');
  assert.match((await page.textContent('#dt-employees')) ?? '', '王芳');
  await shot('05-employees-zh');
});

test.run();
