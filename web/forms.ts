/**
 * Running a form submission through the domain: on a ValidationError (or another domain
 * error meant for the form) the page is rendered again with the user's input and the
 * field errors; anything else propagates to the error handler.
 */
import { DomainError, ForbiddenError, NotFoundError, ValidationError } from '../core/errors.ts';
import type { C } from './env.ts';
import { type Flash, see } from './http.ts';
import { errorKey } from './i18n/index.ts';
import type { FormState } from './views/form.tsx';

export type Outcome<R> = { ok: true; value: R } | { ok: false; state: FormState };

export async function attempt<R>(
  values: Record<string, unknown>,
  action: () => Promise<R>,
): Promise<Outcome<R>> {
  try {
    return { ok: true, value: await action() };
  } catch (err) {
    if (err instanceof ValidationError) return { ok: false, state: { values, errors: err.fields } };
    if (err instanceof DomainError && !(err instanceof ForbiddenError) && !(err instanceof NotFoundError)) {
      return { ok: false, state: { values, errors: {}, message: { code: err.code, params: err.params } } };
    }
    throw err;
  }
}

/**
 * Runs a button action (delete, assign, …) and redirects back: to `done` with `ok` on success,
 * or to `back` with the domain's reason when it refused.
 */
export async function act(
  c: C,
  back: string,
  action: () => Promise<unknown>,
  ok: Flash,
  done: string = back,
): Promise<Response> {
  try {
    await action();
  } catch (err) {
    if (err instanceof DomainError && !(err instanceof ForbiddenError) && !(err instanceof NotFoundError))
      return see(c, back, { key: errorKey(err.code), params: err.params, kind: 'error' });
    throw err;
  }
  return see(c, done, ok);
}
