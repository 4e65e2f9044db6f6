/**
 * Small input checks shared by every form. Each returns the error code for a field or null;
 * `collect` turns a set of checks into a ValidationError.
 */
import { type ErrorCode, type FieldErrors, ValidationError } from './errors.ts';

export function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

export function optionalText(value: unknown): string | null {
  const t = text(value);
  return t === '' ? null : t;
}

export function requiredText(value: string, max: number): ErrorCode | null {
  if (value === '') return 'required';
  return value.length > max ? 'too_long' : null;
}

export function maxLength(value: string | null, max: number): ErrorCode | null {
  return value !== null && value.length > max ? 'too_long' : null;
}

export function email(value: string | null): ErrorCode | null {
  if (value === null) return null;
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) && value.length <= 200 ? null : 'invalid_email';
}

export function phone(value: string | null): ErrorCode | null {
  if (value === null) return null;
  return /^\+?[0-9][0-9\- ]{2,30}$/.test(value) ? null : 'invalid_phone';
}

/** Telephone numbers are stored and compared without spaces, dashes, brackets or a leading +. */
export function normaliseNumber(value: string): string {
  return value.replace(/[\s\-()]/g, '').replace(/^\+/, '');
}

export function username(value: string): ErrorCode | null {
  if (value === '') return 'required';
  return /^[a-z0-9][a-z0-9._-]{1,39}$/.test(value) ? null : 'invalid_username';
}

export function toId(value: unknown): number | null {
  const n = typeof value === 'number' ? value : Number.parseInt(text(value), 10);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

export function toIds(value: unknown): number[] {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return [...new Set(list.map(toId).filter((n): n is number => n !== null))];
}

export function toBool(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  return ['1', 'true', 'on', 'yes', 'y', '是'].includes(text(value).toLowerCase());
}

/** Throws a ValidationError when any check failed. */
export function collect(checks: Record<string, ErrorCode | null | undefined>): void {
  const fields: FieldErrors = {};
  for (const [field, code] of Object.entries(checks)) if (code) fields[field] = code;
  if (Object.keys(fields).length > 0) throw new ValidationError(fields);
}

/** Numbers from a form, NaN where a field is empty or not a number (settings pages of figures). */
export function numbersOf<K extends string>(
  form: Record<string, unknown>,
  keys: readonly K[],
): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const k of keys) {
    const t = text(form[k]);
    out[k] = t === '' ? Number.NaN : Number(t);
  }
  return out;
}

/** 'out_of_range' for a value that is not a whole number within its limits. */
export function wholeWithin(value: number, [min, max]: readonly [number, number]): ErrorCode | null {
  return Number.isInteger(value) && value >= min && value <= max ? null : 'out_of_range';
}
