/**
 * Exports of long lists as background jobs: the rows are read in batches and written to a file
 * (CSV with a BOM for Excel, or XLSX) under the data directory while the page shows how far it
 * got; when done, the file is downloaded by the user who asked for it. Files are removed after
 * an hour. Memory stays flat however many rows there are.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { csvLine } from '../core/csv.ts';
import { XlsxWriter } from './xlsx.ts';

export type ExportFormat = 'csv' | 'xlsx';

export interface ExportJob {
  id: string;
  userId: number;
  /** The download's file name (without extension). */
  name: string;
  format: ExportFormat;
  total: number | null;
  rows: number;
  done: boolean;
  error: string | null;
  file: string;
}

export interface ExportSource {
  header: string[];
  total: () => Promise<number>;
  rows: AsyncIterable<unknown[]>;
}

export class ExportJobs {
  private readonly jobs = new Map<string, ExportJob>();

  constructor(private readonly dir: string) {}

  start(userId: number, name: string, format: ExportFormat, source: ExportSource): ExportJob {
    mkdirSync(this.dir, { recursive: true });
    this.sweep();
    const id = randomBytes(9).toString('base64url');
    const job: ExportJob = {
      id,
      userId,
      name,
      format,
      total: null,
      rows: 0,
      done: false,
      error: null,
      file: join(this.dir, `${id}.${format}`),
    };
    this.jobs.set(id, job);
    void this.run(job, source).catch((err: Error) => {
      job.error = err.message;
      job.done = true;
    });
    return job;
  }

  private async run(job: ExportJob, source: ExportSource) {
    job.total = await source.total();
    const out = createWriteStream(job.file);
    try {
      await writeRows(
        job.format,
        job.name,
        source.header,
        source.rows,
        (chunk) =>
          new Promise<void>((resolve, reject) => out.write(chunk, (err) => (err ? reject(err) : resolve()))),
        () => job.rows++,
      );
    } finally {
      await new Promise<void>((resolve) => out.end(() => resolve()));
    }
    job.done = true;
  }

  /** A job of this user's. */
  get(id: string, userId: number): ExportJob | null {
    const job = this.jobs.get(id);
    return job && job.userId === userId ? job : null;
  }

  /** Removes finished files older than `maxAgeMs`. */
  sweep(maxAgeMs = 3_600_000): void {
    const now = Date.now();
    for (const [id, job] of this.jobs) {
      if (!job.done) continue;
      try {
        if (now - statSync(job.file).mtimeMs < maxAgeMs) continue;
      } catch {
        /* gone already */
      }
      rmSync(job.file, { force: true });
      this.jobs.delete(id);
    }
    try {
      for (const f of readdirSync(this.dir)) {
        const path = join(this.dir, f);
        if (now - statSync(path).mtimeMs > maxAgeMs && ![...this.jobs.values()].some((j) => j.file === path))
          rmSync(path, { force: true });
      }
    } catch {
      /* no directory yet */
    }
  }
}

/** Writes a header and rows as CSV (with a BOM, so Excel reads UTF-8) or XLSX to `write`, in chunks. */
export async function writeRows(
  format: ExportFormat,
  name: string,
  header: readonly string[],
  rows: AsyncIterable<readonly unknown[]> | Iterable<readonly unknown[]>,
  write: (chunk: Uint8Array | string) => Promise<void>,
  onRow: () => void = () => {},
): Promise<void> {
  if (format === 'xlsx') {
    const xlsx = new XlsxWriter(write);
    await xlsx.start(name);
    await xlsx.row(header, true);
    for await (const row of rows) {
      await xlsx.row(row);
      onRow();
    }
    await xlsx.end();
    return;
  }
  await write(`\uFEFF${csvLine(header)}`);
  let chunk = '';
  for await (const row of rows) {
    chunk += csvLine(row);
    onRow();
    if (chunk.length > 64_000) {
      await write(chunk);
      chunk = '';
    }
  }
  if (chunk) await write(chunk);
}

export const exportTypes: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};
