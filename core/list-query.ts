/**
 * Paging, sorting and filtering for every list in the product. A domain list declares which
 * columns sort and which filters exist; the table component in web/ renders any of them.
 */
import { and, asc, gt, gte, isNull, lt, lte, or, type SQL, sql } from 'drizzle-orm';
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
  /**
   * Every row in the listing's order, read in batches that each continue after the last row
   * of the one before (keyset), so reading a large table through costs the same per batch at
   * the end as at the start. Lists over large tables provide it; the export uses it when there.
   */
  stream?(batchSize: number): AsyncIterable<T>;
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

/**
 * Every row of a listing, read in batches so an export never holds the whole set: through the
 * listing's keyset stream when it has one, else by OFFSET (fine for short lists, quadratic on
 * long ones).
 */
export async function* everyRow<T>(listing: Listing<T>, batchSize = 500): AsyncGenerator<T> {
  if (listing.stream) {
    yield* listing.stream(batchSize);
    return;
  }
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

/**
 * The keyset condition "comes after this row" for a listing ordered by `column` (with empty
 * values last, as orderBy() sorts) and then by a unique `tie` ascending. Written so that an index
 * on the column bounds the scan (`column <= v and (column < v or tie > t)`).
 */
export function keysetAfter(
  sort: { column: AnyPgColumn; dir: 'asc' | 'desc'; value: unknown; nullable?: boolean },
  tie: { column: AnyPgColumn; value: unknown },
): SQL {
  const { column, dir, value } = sort;
  if (value === null || value === undefined) return and(isNull(column), gt(tie.column, tie.value)) as SQL;
  const after = and(
    dir === 'desc' ? lte(column, value) : gte(column, value),
    or(dir === 'desc' ? lt(column, value) : gt(column, value), gt(tie.column, tie.value)),
  ) as SQL;
  return sort.nullable ? (or(after, isNull(column)) as SQL) : after;
}

/**
 * A listing's `stream` from a query for the rows after a given one (the first rows when none):
 * each batch continues after the last row of the batch before.
 */
export function keysetStream<T>(
  fetchAfter: (last: T | null, limit: number) => Promise<T[]>,
): (batchSize: number) => AsyncGenerator<T> {
  return async function* (batchSize) {
    let last: T | null = null;
    for (;;) {
      const rows: T[] = await fetchAfter(last, batchSize);
      yield* rows;
      if (rows.length < batchSize) return;
      last = rows[rows.length - 1] as T;
    }
  };
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
