/** CSV reading (encodings, broken quoting) and writing (quoting, formula injection). */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { csvLine, decodeText, readCsv } from '../../core/csv.ts';

const test = suite('csv');

test('UTF-8 with BOM and GBK from Excel both decode', () => {
  assert.is(decodeText(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])), 'a');
  assert.is(decodeText(Buffer.from('d5c5ceb0', 'hex')), '张伟');
});

test('a record with broken quoting is reported by line; records before it are kept', () => {
  const file = readCsv(new TextEncoder().encode('h1,h2\n"multi\nline",x\n\nok,1\nbad,"open\n'));
  assert.equal(file.header, ['h1', 'h2']);
  assert.equal(file.rows, [
    { line: 2, cells: ['multi\nline', 'x'] },
    { line: 5, cells: ['ok', '1'] },
  ]);
  assert.is(file.broken.length, 1);
  assert.is(file.broken[0]!.line, 6);
});

test('cells are quoted when needed and formulas are neutralised', () => {
  assert.is(csvLine(['a', 'b,c', 'say "hi"', null, 3]), 'a,"b,c","say ""hi""",,3\r\n');
  assert.is(csvLine(['=HYPERLINK("x")', '+1', '-2', '@cmd']), `"'=HYPERLINK(""x"")",'+1,'-2,'@cmd\r\n`);
});

test.run();
