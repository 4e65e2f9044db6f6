/**
 * Running a form submission through the domain: on a ValidationError (or another domain
 * error meant for the form) the page is rendered again with the user's input and the
 * field errors; anything else propagates to the error handler.
 */
import { DomainError, ForbiddenError, NotFoundError, ValidationError } from '../crm/shared/errors.ts';
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
