/**
 * Number regions (号码归属地): the province/city (fixed lines, by area code) or carrier (mobiles,
 * by segment) of a caller number, by the longest matching prefix. The shipped table is
 * config/regions.csv: every mainland fixed-line area code with its province and city, and the
 * carrier of each 3-digit mobile segment (no province for mobiles: a 7-digit segment table is
 * not available offline). A file of the same format at $DATA_DIR/regions.csv replaces it, so an
 * operator can load a full mobile segment table (7-digit prefixes with province and city).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type RegionTable = Map<string, string>;

export function parseRegions(text: string): RegionTable {
  const table: RegionTable = new Map();
  for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const t = line.trim();
    if (!t || t.startsWith('#') || t.startsWith('prefix,')) continue;
    const comma = t.indexOf(',');
    if (comma < 1) continue;
    const prefix = t.slice(0, comma).trim();
    if (/^\d{1,11}$/.test(prefix)) table.set(prefix, t.slice(comma + 1).trim());
  }
  return table;
}

/** Where the operator's own table of number regions goes, replacing the shipped one. */
export const ownRegionsFileIn = (dataDir: string) => join(dataDir, 'regions.csv');

/** The operator's table when there is one, otherwise the shipped one. */
export function loadRegions(dataDir: string): RegionTable {
  const own = ownRegionsFileIn(dataDir);
  const shipped = new URL('../../config/regions.csv', import.meta.url);
  return parseRegions(readFileSync(existsSync(own) ? own : shipped, 'utf8'));
}

/** The region of a number (national form: mobiles 1xxxxxxxxxx, fixed lines with the leading 0). */
export function regionOf(table: RegionTable, number: string): string {
  let n = number.replace(/\D/g, '');
  if (n.startsWith('0086')) n = n.slice(4);
  else if (n.startsWith('86') && n.length > 11) n = n.slice(2);
  // A fixed line written without its trunk 0 (e.g. from +86): area code of 2–3 digits and a
  // 7–8 digit local number.
  if (/^[2-9]/.test(n) && n.length >= 9 && n.length <= 11) n = `0${n}`;
  for (let len = Math.min(11, n.length); len > 0; len--) {
    const hit = table.get(n.slice(0, len));
    if (hit) return hit;
  }
  return '';
}
