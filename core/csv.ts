/**
 * Reading uploaded CSV files as people produce them: UTF-8 with or without BOM, or GBK from
 * Chinese Excel; a row with broken quoting is reported by line and the rest still read.
 */
import { parse } from 'csv-parse/sync';

export interface CsvRow {
  /** 1-based line number in the file where the record starts. */
  line: number;
  cells: string[];
}

export interface CsvFile {
  header: string[];
  rows: CsvRow[];
  /** Lines that could not be parsed (broken quoting and the like). */
  broken: { line: number; message: string }[];
}

export function decodeText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    return new TextDecoder('gbk').decode(bytes);
  }
}

export function readCsv(bytes: Uint8Array): CsvFile {
  const text = decodeText(bytes);
  const broken: CsvFile['broken'] = [];
  const rows: CsvRow[] = [];
  // The line where the last good record ended: a broken record starts after it.
  let lastEnd = 0;
  parse(text, {
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    trim: true,
    on_record: (record: string[], context) => {
      lastEnd = Number(context.lines);
      const innerBreaks = record.reduce((n, cell) => n + (cell.match(/\n/g)?.length ?? 0), 0);
      rows.push({ line: lastEnd - innerBreaks, cells: record });
      return null;
    },
    on_skip: (err) => {
      broken.push({ line: lastEnd + 1, message: String(err?.code ?? 'CSV_INVALID') });
      lastEnd = Number(err?.lines ?? lastEnd + 1);
      return undefined;
    },
  });
  const first = rows.shift();
  return { header: first?.cells ?? [], rows, broken };
}

/** Quotes one CSV cell; cells that spreadsheets would run as formulas are prefixed with a quote. */
export function csvCell(value: unknown): string {
  let s =
    value === null || value === undefined ? '' : value instanceof Date ? value.toISOString() : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(cells: readonly unknown[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}
