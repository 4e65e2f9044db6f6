/**
 * The one form pattern: every field has a label, an optional hint and, after a failed
 * submit, its own error message; the form keeps what the user typed. Forms post normally
 * (and through htmx when boosted) with the CSRF token included.
 */
import type { Child } from 'hono/jsx';
import type { Permission } from '../../core/access/permissions.ts';
import type { ErrorCode, FieldErrors } from '../../core/errors.ts';
import { errorKey, type MessageKey } from '../i18n/index.ts';
import type { PageView } from './page.tsx';

export interface FormState {
  values: Record<string, unknown>;
  errors: FieldErrors;
  /** An error about the whole form (shown above the fields). */
  message?: { code: ErrorCode; params?: Record<string, string | number> };
}

export const emptyForm = (values: Record<string, unknown> = {}): FormState => ({ values, errors: {} });

export interface Option {
  value: string | number;
  label: string;
  depth?: number;
}

function fieldValue(state: FormState, name: string): string {
  const v = state.values[name];
  if (v === null || v === undefined) return '';
  return Array.isArray(v) ? String(v[0] ?? '') : String(v);
}

function fieldValues(state: FormState, name: string): string[] {
  const v = state.values[name];
  if (v === null || v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

export function Form(props: {
  pv: PageView;
  state: FormState;
  action: string;
  submit: MessageKey;
  cancelHref?: string;
  multipart?: boolean;
  id?: string;
  children?: Child;
}) {
  const { t } = props.pv;
  const hasErrors = Object.keys(props.state.errors).length > 0;
  return (
    <form
      method="post"
      action={props.action}
      class="form"
      id={props.id}
      enctype={props.multipart ? 'multipart/form-data' : undefined}
      novalidate
    >
      <input type="hidden" name="_csrf" value={props.pv.csrf} />
      {props.state.message ? (
        <p class="form-error" role="alert">
          {t(errorKey(props.state.message.code), props.state.message.params)}
        </p>
      ) : hasErrors ? (
        <p class="form-error" role="alert">
          {t('common.form_has_errors')}
        </p>
      ) : null}
      {props.children}
      <div class="form-actions">
        <button type="submit" class="primary">
          {t(props.submit)}
        </button>
        {props.cancelHref ? (
          <a class="button" href={props.cancelHref}>
            {t('common.cancel')}
          </a>
        ) : null}
      </div>
    </form>
  );
}

interface FieldProps {
  pv: PageView;
  state: FormState;
  name: string;
  label: MessageKey;
  hint?: MessageKey;
  required?: boolean;
}

function Field(props: FieldProps & { children?: Child; group?: boolean }) {
  const { t } = props.pv;
  const error = props.state.errors[props.name];
  const id = `f-${props.name}`;
  const Label = props.group ? 'legend' : 'label';
  const Wrapper = props.group ? 'fieldset' : 'div';
  return (
    <Wrapper class={error ? 'field has-error' : 'field'} data-field={props.name}>
      <Label for={props.group ? undefined : id}>
        {t(props.label)}
        {props.required ? (
          <span class="req" title={t('common.required_mark')}>
            *
          </span>
        ) : null}
      </Label>
      {props.children}
      {props.hint ? <small class="hint">{t(props.hint)}</small> : null}
      {error ? (
        <small class="field-error" id={`${id}-error`} role="alert">
          {t(errorKey(error))}
        </small>
      ) : null}
    </Wrapper>
  );
}

export function TextField(
  props: FieldProps & {
    type?: 'text' | 'password' | 'email' | 'tel' | 'date' | 'search' | 'number';
    autocomplete?: string;
    keepValue?: boolean;
  },
) {
  const type = props.type ?? 'text';
  const error = props.state.errors[props.name];
  return (
    <Field {...props}>
      <input
        id={`f-${props.name}`}
        name={props.name}
        type={type}
        value={type === 'password' && !props.keepValue ? '' : fieldValue(props.state, props.name)}
        required={props.required}
        autocomplete={props.autocomplete}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={error ? `f-${props.name}-error` : undefined}
      />
    </Field>
  );
}

export function TextArea(props: FieldProps) {
  return (
    <Field {...props}>
      <textarea id={`f-${props.name}`} name={props.name} rows={3}>
        {fieldValue(props.state, props.name)}
      </textarea>
    </Field>
  );
}

export function SelectField(
  props: FieldProps & { options: Option[]; emptyLabel?: string; multiple?: boolean },
) {
  const selected = new Set(fieldValues(props.state, props.name));
  return (
    <Field {...props}>
      <select
        id={`f-${props.name}`}
        name={props.name}
        multiple={props.multiple}
        size={props.multiple ? Math.min(10, Math.max(4, props.options.length)) : undefined}
        aria-invalid={props.state.errors[props.name] ? 'true' : undefined}
      >
        {props.emptyLabel !== undefined && !props.multiple ? (
          <option value="">{props.emptyLabel}</option>
        ) : null}
        {props.options.map((o) => (
          <option value={String(o.value)} selected={selected.has(String(o.value))}>
            {`${'\u00a0\u00a0'.repeat(o.depth ?? 0)}${o.label}`}
          </option>
        ))}
      </select>
    </Field>
  );
}

export function CheckboxField(props: Omit<FieldProps, 'required'>) {
  const checked = ['1', 'true', 'on'].includes(fieldValue(props.state, props.name));
  return (
    <Field {...props}>
      <input
        id={`f-${props.name}`}
        type="checkbox"
        name={props.name}
        value="1"
        checked={checked}
        class="checkbox"
      />
    </Field>
  );
}

export function CheckboxGroup(props: FieldProps & { options: Option[]; columns?: boolean }) {
  const selected = new Set(fieldValues(props.state, props.name));
  return (
    <Field {...props} group>
      <div class={props.columns ? 'checks columns' : 'checks'}>
        {props.options.map((o) => (
          <label class="check">
            <input
              type="checkbox"
              name={props.name}
              value={String(o.value)}
              checked={selected.has(String(o.value))}
            />
            {o.label}
          </label>
        ))}
      </div>
    </Field>
  );
}

/**
 * A button that posts (delete, lift, remove, log out, hold, transfer …) with the CSRF token and
 * any hidden fields, optionally asking first; a link-looking button unless `look` says otherwise.
 */
export function PostButton(props: {
  pv: PageView;
  action: string;
  label: MessageKey;
  confirm?: string;
  danger?: boolean;
  look?: 'link' | 'button' | 'primary';
  fields?: Record<string, string>;
  id?: string;
}) {
  const look = props.look ?? 'link';
  const cls = [look === 'link' ? 'link' : look === 'primary' ? 'primary' : '', props.danger ? 'danger' : '']
    .filter(Boolean)
    .join(' ');
  return (
    <form method="post" action={props.action} class="inline" id={props.id}>
      <input type="hidden" name="_csrf" value={props.pv.csrf} />
      {Object.entries(props.fields ?? {}).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <button class={cls || undefined} data-confirm={props.confirm}>
        {props.pv.t(props.label)}
      </button>
    </form>
  );
}

/**
 * People to pick, each with a level (a group's members with their skill level): the ticked
 * `name` values, and `${levelPrefix}<id>` for each level (0 … 9).
 */
export function MembersWithLevels(
  props: FieldProps & { options: Option[]; levelPrefix: string; levelLabel: MessageKey },
) {
  const selected = new Set(fieldValues(props.state, props.name));
  const { t } = props.pv;
  return (
    <Field {...props} group>
      <table class="plain members">
        <tbody>
          {props.options.map((o) => {
            const level = fieldValue(props.state, `${props.levelPrefix}${o.value}`) || '0';
            return (
              <tr>
                <td>
                  <label class="check">
                    <input
                      type="checkbox"
                      name={props.name}
                      value={String(o.value)}
                      checked={selected.has(String(o.value))}
                    />
                    {o.label}
                  </label>
                </td>
                <td>
                  <select
                    name={`${props.levelPrefix}${o.value}`}
                    aria-label={`${t(props.levelLabel)} ${o.label}`}
                  >
                    {[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => (
                      <option value={String(n)} selected={String(n) === level}>
                        {String(n)}
                      </option>
                    ))}
                  </select>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Field>
  );
}

/**
 * The form of a record on its own page: the title, and the form posting to `${base}/new` or
 * `${base}/<id>/edit`, with Save and Cancel (back to the list).
 */
export function RecordForm(props: {
  pv: PageView;
  state: FormState;
  base: string;
  editingId: number | null;
  title: string;
  id: string;
  multipart?: boolean;
  children?: Child;
}) {
  return (
    <section class="panel">
      <h1>{props.title}</h1>
      <Form
        pv={props.pv}
        state={props.state}
        action={props.editingId ? `${props.base}/${props.editingId}/edit` : `${props.base}/new`}
        submit="common.save"
        cancelHref={props.base}
        multipart={props.multipart}
        id={props.id}
      >
        {props.children}
      </Form>
    </section>
  );
}

/** A table cell linking to a record's edit page for those who may edit, plain text for others. */
export function editLink<R extends { id: number }>(
  permission: Permission,
  base: string,
  text: (row: R) => string,
): (row: R, pv: PageView) => Child {
  return (row, pv) =>
    pv.actor?.grants.has(permission) ? <a href={`${base}/${row.id}/edit`}>{text(row)}</a> : text(row);
}
