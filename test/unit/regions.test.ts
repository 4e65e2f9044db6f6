/** The shipped number region table (config/regions.csv) and the longest-prefix lookup. */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRegions, regionOf } from '../../cti/lines/regions.ts';

const test = suite('number regions');
const text = readFileSync(new URL('../../config/regions.csv', import.meta.url), 'utf8');
const table = parseRegions(text);
const rows = text
  .split(/\r?\n/)
  .filter((l) => l && !l.startsWith('#') && !l.startsWith('prefix,'))
  .map((l) => l.split(','));

test('every row is prefix,region with a unique prefix', () => {
  const seen = new Set<string>();
  for (const row of rows) {
    assert.is(row.length, 2, row.join(','));
    assert.match(row[0]!, /^\d{2,4}$/, row.join(','));
    assert.ok(row[1]!.trim().length > 0, row.join(','));
    assert.not.ok(seen.has(row[0]!), `duplicate prefix ${row[0]}`);
    seen.add(row[0]!);
  }
  assert.is(table.size, rows.length);
});

test('all mainland fixed-line area codes ship, with province and city', () => {
  const fixed = rows.filter((r) => r[0]!.startsWith('0'));
  assert.ok(fixed.length >= 320, `${fixed.length} area codes`);
  for (const [prefix, region] of fixed) {
    assert.match(prefix!, /^0(10|2\d|[3-9]\d\d)$/, prefix);
    // Municipalities and Hainan (one code for the province) are a single name; others "province city".
    if (!['010', '021', '022', '023', '0898'].includes(prefix!)) assert.match(region!, /^\S+ \S/, region);
  }
  // Every province (and autonomous region) is there.
  const provinces = new Set(fixed.map((r) => r[1]!.split(' ')[0]));
  for (const p of [
    '北京',
    '上海',
    '天津',
    '重庆',
    '河北',
    '山西',
    '内蒙古',
    '辽宁',
    '吉林',
    '黑龙江',
    '江苏',
    '浙江',
    '安徽',
    '福建',
    '江西',
    '山东',
    '河南',
    '湖北',
    '湖南',
    '广东',
    '广西',
    '海南',
    '四川',
    '贵州',
    '云南',
    '西藏',
    '陕西',
    '甘肃',
    '青海',
    '宁夏',
    '新疆',
  ])
    assert.ok(provinces.has(p), p);
});

test('lookups: fixed lines by area code in any common form, mobiles by carrier only', () => {
  assert.is(regionOf(table, '02150001234'), '上海');
  assert.is(regionOf(table, '075588889999'), '广东 深圳');
  assert.is(regionOf(table, '+86 571 8888 1234'), '浙江 杭州');
  assert.is(regionOf(table, '008609918881234'), '新疆 乌鲁木齐');
  assert.is(regionOf(table, '08918881234'), '西藏 拉萨');
  assert.is(regionOf(table, '04838881234'), '内蒙古 阿拉善盟');
  assert.is(regionOf(table, '07288881234'), '湖北 仙桃/潜江/天门');
  assert.is(regionOf(table, '13800138000'), '中国移动');
  assert.is(regionOf(table, '18912345678'), '中国电信');
  assert.is(regionOf(table, '99999'), '');
});

test.run();
