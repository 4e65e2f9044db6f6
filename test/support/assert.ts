/** Assertions uvu lacks. */
import * as assert from 'uvu/assert';
import { DomainError } from '../../core/errors.ts';

/** Awaits `run` and checks that it threw an error matching `expected`. */
export async function rejects(
  run: () => Promise<unknown>,
  expected: (err: unknown) => boolean,
  message?: string,
): Promise<void> {
  let thrown: unknown = null;
  try {
    await run();
  } catch (err) {
    thrown = err;
  }
  assert.ok(thrown !== null, message ?? 'expected a rejection, got success');
  assert.ok(
    expected(thrown),
    `${message ?? 'unexpected error'}: ${String(thrown)} ${thrown instanceof DomainError ? JSON.stringify(thrown.fields) : ''}`,
  );
}

export const domainError = (code: string, field?: string) => (err: unknown) =>
  err instanceof DomainError && (field ? err.fields[field] === code : err.code === code);

/** Wraps a before/after hook so that its error is printed (uvu reports a failed hook without the reason). */
export function logged(hook: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await hook();
    } catch (err) {
      console.error('hook failed:', err);
      throw err;
    }
  };
}
