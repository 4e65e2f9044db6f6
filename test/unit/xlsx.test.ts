/** The streaming XLSX writer and the background export jobs: files `unzip` accepts, every cell back as written. */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ExportJobs, type ExportSource } from '../../web/exports.ts';
import { XlsxWriter } from '../../web/xlsx.ts';

const test = suite('xlsx');
const dir = mkdtempSync(join(tmpdir(), 'xlsx-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const sheetOf = (file: string) => {
  // -t checks every entry's CRC and sizes; a broken zip makes unzip exit non-zero.
  execFileSync('unzip', ['-tq', file]);
  return execFileSync('unzip', ['-p', file, 'xl/worksheets/sheet1.xml'], { maxBuffer: 1 << 30 }).toString(
    'utf8',
  );
};
const rowsOf = (xml: string) =>
  [...xml.matchAll(/<row r="(\d+)">(.*?)<\/row>/g)].map((m) => [m[0], m[1] ?? '', m[2] ?? ''] as const);
const cellsOf = (rowXml: string) =>
  [...rowXml.matchAll(/<c[^>]*?(?:\/>|>(?:<v>([^<]*)<\/v>|<is><t[^>]*>([^<]*)<\/t><\/is>)<\/c>)/g)].map(
    (m) => (m[1] !== undefined ? Number(m[1]) : (m[2] ?? null)),
  );

async function write(file: string, rows: unknown[][]) {
  const out = createWriteStream(file);
  const xlsx = new XlsxWriter(
    (chunk) => new Promise<void>((resolve, reject) => out.write(chunk, (e) => (e ? reject(e) : resolve()))),
  );
  await xlsx.start('通话记录/2026');
  await xlsx.row(['号码', 'Name', 'Seconds'], true);
  for (const row of rows) await xlsx.row(row);
  await xlsx.end();
  await new Promise<void>((resolve) => out.end(() => resolve()));
}

test('cells come back as written: text, Chinese, markup, numbers, dates, empty; bad XML characters dropped', async () => {
  const file = join(dir, 'cells.xlsx');
  await write(file, [
    ['13800138000', '张伟 <vip> & "co"', 42],
    ['=SUM(A1)', 'tab\there\u0001', 1.5],
    [null, '', new Date('2026-11-25T08:30:00Z')],
  ]);
  const xml = sheetOf(file);
  const rows = rowsOf(xml);
  assert.is(rows.length, 4);
  assert.equal(cellsOf(rows[0]![2]), ['号码', 'Name', 'Seconds']);
  assert.match(rows[0]![2], 's="1"', 'the header is bold');
  assert.equal(cellsOf(rows[1]![2]), ['13800138000', '张伟 &lt;vip&gt; &amp; "co"', 42]);
  assert.equal(cellsOf(rows[2]![2]), ['=SUM(A1)', 'tab\there', 1.5], 'a formula-looking text stays text');
  assert.equal(cellsOf(rows[3]![2]), [null, null, '2026-11-25 08:30:00']);
  const workbook = execFileSync('unzip', ['-p', file, 'xl/workbook.xml']).toString('utf8');
  assert.match(workbook, 'name="通话记录 2026"', 'the sheet name loses characters Excel forbids');
});

test('200,000 rows stream through in chunks, compressed, every row numbered in order', async () => {
  const file = join(dir, 'many.xlsx');
  const rows = Array.from({ length: 200_000 }, (_, i) => [`caller ${i}`, `agent ${i % 97}`, i]);
  await write(file, rows);
  const xml = sheetOf(file);
  const all = rowsOf(xml);
  assert.is(all.length, 200_001);
  assert.ok(all.every((m, i) => Number(m[1]) === i + 1));
  assert.equal(cellsOf(all[200_000]![2]), ['caller 199999', `agent ${199_999 % 97}`, 199_999]);
  assert.ok(statSync(file).size < xml.length / 5, 'the sheet is deflated');
});

function source(n: number, failAt = -1): ExportSource {
  return {
    header: ['n', 'text'],
    total: async () => n,
    rows: (async function* () {
      for (let i = 0; i < n; i++) {
        if (i === failAt) throw new Error('database went away');
        if (i % 1000 === 0) await new Promise((r) => setImmediate(r));
        yield [i, `row, "${i}"`];
      }
    })(),
  };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
};

test('a background export reports progress, belongs to its user, and writes CSV with a BOM or XLSX', async () => {
  const jobs = new ExportJobs(join(dir, 'jobs'));
  const csv = jobs.start(7, 'calls', 'csv', source(30_000));
  assert.is(csv.done, false);
  await until(() => csv.done);
  assert.is(csv.error, null);
  assert.is(csv.total, 30_000);
  assert.is(csv.rows, 30_000);
  assert.is(jobs.get(csv.id, 8), null, "another user's export is not found");
  assert.is(jobs.get(csv.id, 7), csv);
  const text = readFileSync(csv.file, 'utf8');
  assert.ok(text.startsWith('\uFEFFn,text\r\n0,"row, ""0"""\r\n'));
  assert.is(text.trim().split('\r\n').length, 30_001);

  const xlsx = jobs.start(7, 'calls', 'xlsx', source(5_000));
  await until(() => xlsx.done);
  assert.is(rowsOf(sheetOf(xlsx.file)).length, 5_001);
});

test('a failing source ends the job with its error; old files are swept', async () => {
  const jobs = new ExportJobs(join(dir, 'sweep'));
  const job = jobs.start(1, 'broken', 'csv', source(10_000, 4_321));
  await until(() => job.done);
  assert.is(job.error, 'database went away');
  jobs.sweep(0);
  assert.is(jobs.get(job.id, 1), null);
  assert.throws(() => statSync(job.file));
});

test.run();
