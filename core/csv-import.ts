/**
 * The common part of every CSV import: header columns recognised by their English or Chinese
 * names, required columns and the row limit checked before anything is written, unreadable
 * lines reported, and the per-row error shape the import report shows.
 */
import { type CsvFile, type CsvRow, readCsv } from './csv.ts';
import { DomainError, type ErrorCode } from './errors.ts';

export interface RowError {
  line: number;
  field: string;
  code: ErrorCode;
  value: string;
}

/** What any import reports back: rows read, rows imported, and why the others were not. */
export interface ImportReport<T> {
  total: number;
  imported: T[];
  errors: RowError[];
}

export const maxImportRows = 5000;

export interface OpenedImport<K extends string> {
  rows: CsvRow[];
  /** The trimmed text of a column in a row ('' when the file lacks the column). */
  cell(row: CsvRow, column: K): string;
  /** Unreadable lines, already as row errors. */
  errors: RowError[];
}

/**
 * Reads an uploaded file and maps its header: refuses an empty file, missing required columns
 * and too many rows with a clear error before any row is looked at.
 */
export function openImport<K extends string>(
  bytes: Uint8Array,
  aliases: Readonly<Record<K, readonly string[]>>,
  required: readonly K[],
): OpenedImport<K> {
  const csv: CsvFile = readCsv(bytes);
  if (csv.header.length === 0) throw new DomainError('csv_empty');
  const columns = new Map<K, number>();
  csv.header.forEach((h, i) => {
    const key = h.trim().toLowerCase();
    for (const col of Object.keys(aliases) as K[])
      if (aliases[col].includes(key) && !columns.has(col)) columns.set(col, i);
  });
  const missing = required.filter((c) => !columns.has(c));
  if (missing.length > 0) throw new DomainError('csv_missing_column', { columns: missing.join(', ') });
  if (csv.rows.length > maxImportRows) throw new DomainError('csv_too_many_rows', { max: maxImportRows });
  return {
    rows: csv.rows,
    cell: (row, column) => {
      const i = columns.get(column);
      return i === undefined ? '' : (row.cells[i] ?? '').trim();
    },
    errors: csv.broken.map((b) => ({ line: b.line, field: '', code: 'csv_unreadable', value: b.message })),
  };
}

/** Lines with at least one error. */
export const failedLines = (errors: readonly RowError[]): number => new Set(errors.map((e) => e.line)).size;
