/** Every string exists in both languages with the same placeholders; every error code and permission has a label. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { permissionCatalog } from '../../core/access/permissions.ts';
import { agentKpis, callKpis } from '../../cti/stats/kpis.ts';
import { reports } from '../../cti/stats/reports.ts';
import { errorCodes } from '../../core/errors.ts';
import { en } from '../../web/i18n/en.ts';
import { negotiateLocale, translator } from '../../web/i18n/index.ts';
import { zhCN } from '../../web/i18n/zh-CN.ts';
import { navigation } from '../../web/nav.ts';

const test = suite('i18n');
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('Chinese has every key, none empty, with the same placeholders as English', () => {
  for (const key of Object.keys(en) as (keyof typeof en)[]) {
    assert.ok(zhCN[key]?.trim(), `zh-CN lacks ${key}`);
    assert.equal(placeholders(zhCN[key]), placeholders(en[key]), `placeholders differ in ${key}`);
  }
  assert.is(Object.keys(zhCN).length, Object.keys(en).length);
});

test('every error code, permission area and action, and navigation entry has a label', () => {
  for (const code of errorCodes) assert.ok(`err.${code}` in en, code);
  for (const [area, actions] of Object.entries(permissionCatalog)) {
    assert.ok(`perm.area.${area}` in en, area);
    for (const a of actions) assert.ok(`perm.action.${a}` in en, a);
  }
  for (const area of navigation) {
    assert.ok(area.label in en);
    for (const item of area.items) assert.ok(item.label in en);
  }
});

test('every figure of every report, and every figure defined, has a title and a definition', () => {
  const keys = new Set([
    ...Object.values(reports).flatMap((r) => r.columns),
    ...callKpis.map((k) => k.key),
    ...agentKpis.map((k) => k.key),
  ]);
  for (const key of keys) {
    assert.ok(`kpi.${key}` in en, `kpi.${key}`);
    assert.ok(`kpi.${key}.help` in en, `kpi.${key}.help`);
  }
});

test('placeholders are filled and the locale is negotiated from the browser', () => {
  assert.is(translator('zh-CN')('table.total', { total: 7 }), '共 7 条');
  assert.is(translator('en')('table.total', { total: 7 }), '7 in total');
  assert.is(negotiateLocale('zh-CN,zh;q=0.9,en;q=0.8'), 'zh-CN');
  assert.is(negotiateLocale('en-US,en;q=0.9'), 'en');
  assert.is(negotiateLocale(undefined), 'en');
});

test.run();
