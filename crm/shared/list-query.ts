/**
 * Paging, sorting and filtering for every list in the product. A domain list declares which
 * columns sort and which filters exist; the table component in web/ renders any of them.
 */
import { asc, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';

export interface ListQuery {
  page: number;
  pageSize: number;
  sort: string | null;
  dir: 'asc' | 'desc';
  filters: Readonly<Record<string, string>>;
}

export interface Page<T> {
  rows: T[];
  total: number;
  page: number;
  pageSize: number;
}

/** A list that can be counted and read a slice at a time (paging and streaming export). */
export interface Listing<T> {
  count(): Promise<number>;
  fetch(limit: number, offset: number): Promise<T[]>;
}

export const pageSizes = [10, 20, 50, 100] as const;

export function listQuery(
  params: Partial<Omit<ListQuery, 'filters'>> & { filters?: Record<string, string> } = {},
) {
  return {
    page: params.page && params.page > 0 ? params.page : 1,
    pageSize: params.pageSize ?? 20,
    sort: params.sort ?? null,
    dir: params.dir ?? 'asc',
    filters: params.filters ?? {},
  } satisfies ListQuery;
}

export async function pageOf<T>(listing: Listing<T>, query: ListQuery): Promise<Page<T>> {
  const total = await listing.count();
  const lastPage = Math.max(1, Math.ceil(total / query.pageSize));
  const page = Math.min(query.page, lastPage);
  const rows = await listing.fetch(query.pageSize, (page - 1) * query.pageSize);
  return { rows, total, page, pageSize: query.pageSize };
}

/** Every row of a listing, read in batches so an export never holds the whole set. */
export async function* everyRow<T>(listing: Listing<T>, batchSize = 500): AsyncGenerator<T> {
  for (let offset = 0; ; offset += batchSize) {
    const rows = await listing.fetch(batchSize, offset);
    yield* rows;
    if (rows.length < batchSize) return;
  }
}

/** ORDER BY from the query, restricted to the sortable columns the list declares; a unique tie-breaker keeps pages stable. */
export function orderBy(
  query: ListQuery,
  sortable: Readonly<Record<string, AnyPgColumn | SQL>>,
  fallback: SQL,
  tieBreaker: AnyPgColumn,
): SQL[] {
  const column = query.sort ? sortable[query.sort] : undefined;
  if (!column) return [fallback, asc(tieBreaker)];
  // Empty values sort last in both directions, as spreadsheets do.
  return [
    query.dir === 'desc' ? sql`${column} desc nulls last` : sql`${column} asc nulls last`,
    asc(tieBreaker),
  ];
}

/** Escapes LIKE wildcards in user text. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
}

/** A listing over rows already in memory (short lists such as roles), filtered and sorted by the caller. */
export function arrayListing<T>(rows: readonly T[]): Listing<T> {
  return {
    count: async () => rows.length,
    fetch: async (limit, offset) => rows.slice(offset, offset + limit),
  };
}
