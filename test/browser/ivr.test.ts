/**
 * Building an IVR in the browser's tree editor: a new IVR, the welcome prompt picked and
 * previewed, a sub-menu added under a key and routed to an agent group, a mistake reported at
 * its menu, then saved; the database holds the tree the editor showed.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createGroup } from '../../cti/acd/agent-groups.ts';
import { createPrompt, parsePromptInput, promptStoreIn } from '../../cti/media/prompts.ts';
import { parseTree } from '../../cti/ivr/tree.ts';
import { ivrs } from '../../db/schema.ts';
import { launchBrowser, logIn, screenshotDir } from '../support/browser.ts';
import { groupOf } from '../support/telephony.ts';
import { type TestDatabase, testDatabase } from '../support/db.ts';
import { buildCompany, password } from '../support/fixtures.ts';
import { type RunningApp, startApp } from '../support/server.ts';

const test = suite('IVR editor in the browser');
let db: TestDatabase;
let app: RunningApp;
let browser: Browser;
let page: Page;
const dataDir = mkdtempSync(join(tmpdir(), 'cc-ivr-ui-'));

test.before(async () => {
  db = await testDatabase();
  const company = await buildCompany(db.db);
  mkdirSync(dataDir, { recursive: true });
  const store = promptStoreIn(dataDir, { maxSeconds: 60, maxBytes: 5 * 1024 * 1024 });
  await createPrompt(
    company.owner,
    store,
    parsePromptInput({ name: 'Welcome', kind: 'tts', ttsText: 'Welcome to Acme.', ttsLanguage: 'en' }, null),
  );
  await createGroup(company.owner, groupOf('Sales team', [company.people.repA]));
  app = await startApp(db.db, {
    settings: (s) => {
      s.dataDir = dataDir;
    },
  });
  browser = await launchBrowser();
  page = await browser.newPage({ locale: 'en-US' });
  await logIn(page, app.url, 'admin', password);
});
test.after(async () => {
  await browser?.close();
  await app?.close();
  await db?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const shot = (name: string) => page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
const menu = (id: string) => `ivr-editor .menu[data-menu="${id}"]`;

test('an IVR is built in the tree editor, checked and saved', async () => {
  await page.click('nav >> text=IVR');
  await page.fill('#new-ivr input[name=name]', 'Support line');
  await page.click('#new-ivr button[type=submit]');
  await page.waitForSelector(menu('main'));

  // The welcome prompt, previewed in the browser.
  await page.selectOption(`${menu('main')} > .row select[aria-label="Prompt"]`, { label: 'Welcome' });
  const audio = page.waitForRequest((r) => /\/callcenter\/prompts\/\d+\/audio/.test(r.url()));
  await page.click(`${menu('main')} > .row button.preview`);
  await audio;

  // Key 0 (hang up) becomes a sub-menu; the sub-menu appears under it.
  await page.selectOption(`${menu('main')} > .option[data-key="0"] select.action-type`, 'menu');
  await page.waitForSelector(`${menu('main')} .children .menu[data-menu="m2"]`);
  await page.fill(`${menu('m2')} input.menu-name`, 'Sales');
  await page.press(`${menu('m2')} input.menu-name`, 'Tab');
  // Its only key replays: the editor cannot save a menu nobody can leave.
  await page.click(`${menu('m2')} button.add-key`);
  await page.selectOption(`${menu('m2')} .option select.action-type`, 'replay');
  await page.click('ivr-editor button.save');
  await page.waitForSelector(`${menu('m2')}.bad .problem`);
  assert.match(
    (await page.textContent(`${menu('m2')} .problem`)) ?? '',
    'From “Sales” no key ever leads to an agent, a transfer or a hang-up.',
  );
  await shot('30-ivr-editor-problem');

  // Routed to the agent group instead; and weekday service hours.
  await page.selectOption(`${menu('m2')} .option select.action-type`, 'group');
  await page.selectOption(`${menu('m2')} .option select[aria-label="Agent group"]`, { label: 'Sales team' });
  await page.click('ivr-editor button.add-weekdays');
  await page.click('ivr-editor button.add-exception');
  await page.fill('ivr-editor .exception input[type=date]', '2026-10-01');
  await page.press('ivr-editor .exception input[type=date]', 'Tab');
  await page.fill('ivr-editor .exception input[aria-label="Name"]', 'National Day');
  await page.press('ivr-editor .exception input[aria-label="Name"]', 'Tab');
  await page.click('ivr-editor button.save');
  await page.waitForSelector('ivr-editor .status.ok:has-text("Saved.")');
  await shot('31-ivr-editor-saved');

  const [row] = await db.db.select().from(ivrs).where(eq(ivrs.name, 'Support line'));
  const tree = parseTree(row!.tree)!;
  assert.equal(
    tree.menus.map((m) => m.name),
    ['Main menu', 'Sales'],
  );
  assert.equal(tree.menus[0]!.options[0]!.action, { type: 'menu', menu: 'm2' });
  assert.is(tree.menus[1]!.options[0]!.action.type, 'group');
  assert.ok(tree.menus[0]!.promptId !== null);
  const hours = row!.hours as { weekly: unknown[]; exceptions: { name: string }[] };
  assert.is(hours.weekly.length, 5);
  assert.is(hours.exceptions[0]!.name, 'National Day');

  // Reloading shows what was saved.
  await page.reload();
  await page.waitForSelector(`${menu('m2')}`);
  assert.is(await page.inputValue(`${menu('m2')} input.menu-name`), 'Sales');
});

test.run();
