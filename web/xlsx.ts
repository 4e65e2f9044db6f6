/**
 * A spreadsheet (XLSX) written as it is produced: the sheet's rows go through a deflate stream
 * straight into the zip file, so a million rows never sit in memory. One sheet, inline strings
 * and numbers; Excel, WPS and LibreOffice open it. (A zip with data descriptors: sizes and CRC
 * follow each entry's data.)
 */
import { crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';

type Sink = (chunk: Uint8Array) => Promise<void>;

interface Entry {
  name: Buffer;
  offset: number;
  crc: number;
  compressed: number;
  size: number;
}

const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};
/** Zip flags: sizes in a data descriptor (bit 3), UTF-8 names (bit 11). */
const flags = 0x0808;
// 1980-01-01 00:00, the zip epoch: the files carry no meaningful time.
const dosTime = 0;
const dosDate = (0 << 9) | (1 << 5) | 1;

const escapeXml = (s: string) =>
  s
    // Characters XML 1.0 does not allow.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');

const staticFiles: Record<string, string> = {
  '[Content_Types].xml':
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>',
  '_rels/.rels':
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
  'xl/_rels/workbook.xml.rels':
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>',
  'xl/styles.xml':
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2"><xf/><xf fontId="1" applyFont="1"/></cellXfs></styleSheet>',
};

export class XlsxWriter {
  private offset = 0;
  private readonly entries: Entry[] = [];
  private rowNumber = 0;
  private sheet: {
    deflate: ReturnType<typeof createDeflateRaw>;
    crc: number;
    size: number;
    compressed: number;
    pending: Promise<void>;
    buffer: string;
    entry: Entry;
  } | null = null;

  constructor(private readonly sink: Sink) {}

  private async put(chunk: Buffer) {
    this.offset += chunk.length;
    await this.sink(chunk);
  }

  private localHeader(name: Buffer) {
    return Buffer.concat([
      u32(0x04034b50),
      u16(20),
      u16(flags),
      u16(8),
      u16(dosTime),
      u16(dosDate),
      u32(0),
      u32(0),
      u32(0),
      u16(name.length),
      u16(0),
      name,
    ]);
  }

  private descriptor(e: Entry) {
    return Buffer.concat([u32(0x08074b50), u32(e.crc), u32(e.compressed), u32(e.size)]);
  }

  private async whole(path: string, text: string) {
    const data = Buffer.from(text, 'utf8');
    const name = Buffer.from(path, 'utf8');
    const entry: Entry = { name, offset: this.offset, crc: crc32(data), compressed: 0, size: data.length };
    const packed = deflateRawSync(data);
    entry.compressed = packed.length;
    await this.put(this.localHeader(name));
    await this.put(packed);
    await this.put(this.descriptor(entry));
    this.entries.push(entry);
  }

  /** Writes the workbook's fixed parts and opens the sheet. */
  async start(sheetName: string): Promise<void> {
    for (const [path, text] of Object.entries(staticFiles)) await this.whole(path, text);
    await this.whole(
      'xl/workbook.xml',
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="${escapeXml(sheetName.slice(0, 31).replace(/[\\/?*[\]:]/g, ' '))}" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    );
    const name = Buffer.from('xl/worksheets/sheet1.xml', 'utf8');
    const entry: Entry = { name, offset: this.offset, crc: 0, compressed: 0, size: 0 };
    await this.put(this.localHeader(name));
    const deflate = createDeflateRaw();
    const sheet = { deflate, crc: 0, size: 0, compressed: 0, pending: Promise.resolve(), buffer: '', entry };
    deflate.on('data', (chunk: Buffer) => {
      sheet.compressed += chunk.length;
      sheet.pending = sheet.pending.then(() => this.put(chunk));
    });
    this.sheet = sheet;
    await this.text(
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>',
    );
  }

  private async text(s: string, flush = false) {
    const sheet = this.sheet!;
    sheet.buffer += s;
    if (!flush && sheet.buffer.length < 64_000) return;
    const data = Buffer.from(sheet.buffer, 'utf8');
    sheet.buffer = '';
    sheet.crc = crc32(data, sheet.crc);
    sheet.size += data.length;
    sheet.deflate.write(data);
    // Wait for what the deflate stream produced so far to be written out.
    await new Promise<void>((resolve) => sheet.deflate.flush(() => resolve()));
    await sheet.pending;
  }

  /** One row; `bold` for a header. */
  async row(cells: readonly unknown[], bold = false): Promise<void> {
    this.rowNumber++;
    const style = bold ? ' s="1"' : '';
    const xml = cells
      .map((v) => {
        if (v === null || v === undefined || v === '') return `<c${style}/>`;
        if (typeof v === 'number' && Number.isFinite(v)) return `<c${style}><v>${v}</v></c>`;
        const text = v instanceof Date ? v.toISOString().replace('T', ' ').slice(0, 19) : String(v);
        return `<c${style} t="inlineStr"><is><t xml:space="preserve">${escapeXml(text)}</t></is></c>`;
      })
      .join('');
    await this.text(`<row r="${this.rowNumber}">${xml}</row>`);
  }

  /** Closes the sheet and writes the zip's directory. */
  async end(): Promise<void> {
    const sheet = this.sheet!;
    await this.text('</sheetData></worksheet>', true);
    // The readable side ends after the last compressed bytes were emitted.
    await new Promise<void>((resolve) => {
      sheet.deflate.once('end', () => resolve());
      sheet.deflate.end();
    });
    await sheet.pending;
    Object.assign(sheet.entry, { crc: sheet.crc, size: sheet.size, compressed: sheet.compressed });
    await this.put(this.descriptor(sheet.entry));
    this.entries.push(sheet.entry);
    const start = this.offset;
    for (const e of this.entries)
      await this.put(
        Buffer.concat([
          u32(0x02014b50),
          u16(20),
          u16(20),
          u16(flags),
          u16(8),
          u16(dosTime),
          u16(dosDate),
          u32(e.crc),
          u32(e.compressed),
          u32(e.size),
          u16(e.name.length),
          u16(0),
          u16(0),
          u16(0),
          u16(0),
          u32(0),
          u32(e.offset),
          e.name,
        ]),
      );
    const size = this.offset - start;
    await this.put(
      Buffer.concat([
        u32(0x06054b50),
        u16(0),
        u16(0),
        u16(this.entries.length),
        u16(this.entries.length),
        u32(size),
        u32(start),
        u16(0),
      ]),
    );
  }
}
