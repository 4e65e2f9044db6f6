/**
 * Serving a stored file (recordings) with HTTP range requests, so a player can seek and a
 * download can resume: one byte range per request, 206 with Content-Range, 416 when the
 * range lies outside the file.
 */
import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { C } from './env.ts';

/** The byte range a Range header asks for, null for the whole file, 'invalid' when unsatisfiable. */
export function byteRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | null | 'invalid' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return header.startsWith('bytes=') ? 'invalid' : null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'invalid';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start > end || start >= size ? 'invalid' : { start, end };
}

export function serveFile(c: C, path: string, options: { type: string; downloadName?: string }): Response {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return c.notFound() as Response;
  }
  const headers: Record<string, string> = {
    'Content-Type': options.type,
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'private, no-store',
    'Content-Disposition': options.downloadName
      ? `attachment; filename="${options.downloadName.replace(/[^\w.-]/g, '_')}"`
      : 'inline',
  };
  const range = byteRange(c.req.header('range'), size);
  if (range === 'invalid')
    return new Response(null, { status: 416, headers: { ...headers, 'Content-Range': `bytes */${size}` } });
  const { start, end } = range ?? { start: 0, end: size - 1 };
  const body = size === 0 ? null : (Readable.toWeb(createReadStream(path, { start, end })) as ReadableStream);
  return new Response(c.req.method === 'HEAD' ? null : body, {
    status: range ? 206 : 200,
    headers: {
      ...headers,
      'Content-Length': String(end - start + 1),
      ...(range ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}),
    },
  });
}
