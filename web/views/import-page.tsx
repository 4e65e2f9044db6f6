/**
 * The one CSV import page: intro, template download, file form, and after an upload the
 * report (rows imported, and a table of the rows refused with line, column, value and reason).
 * Routes add what is specific to them (for example the passwords of imported employees).
 */
import type { Child } from 'hono/jsx';
import { failedLines, type ImportReport } from '../../core/csv-import.ts';
import { csvLine } from '../../core/csv.ts';
import type { C } from '../env.ts';
import { attempt } from '../forms.ts';
import { readForm } from '../http.ts';
import { errorKey, type MessageKey } from '../i18n/index.ts';
import { emptyForm, Form, type FormState } from './form.tsx';
import { type PageView, renderPage } from './page.tsx';

export interface ImportPage<T> {
  title: MessageKey;
  intro: MessageKey;
  /** Where the form posts; the template is served at `${action}/template.csv`. */
  action: string;
  cancelHref: string;
  /** Shown under the report when rows were imported. */
  imported?: (rows: T[], pv: PageView) => Child;
}

const maxCsvBytes = 5 * 1024 * 1024;

export function renderImportPage<T>(
  c: C,
  page: ImportPage<T>,
  state: FormState,
  report: ImportReport<T> | null,
  status: 200 | 422 = 200,
) {
  const t = c.get('t');
  const failed = report ? failedLines(report.errors) : 0;
  return renderPage(c, { title: t(page.title), status }, (pv) => (
    <section class="panel">
      <h1>{t(page.title)}</h1>
      {report ? (
        <div id="import-result">
          <p class={failed > 0 ? 'flash flash-error' : 'flash flash-ok'}>
            {t('import.result', { imported: report.imported.length, total: report.total, failed })}
          </p>
          {report.errors.length > 0 ? (
            <>
              <h2>{t('import.errors')}</h2>
              <table class="plain" id="import-errors">
                <thead>
                  <tr>
                    <th>{t('import.line')}</th>
                    <th>{t('import.field')}</th>
                    <th>{t('import.value')}</th>
                    <th>{t('import.reason')}</th>
                  </tr>
                </thead>
                <tbody>
                  {report.errors.map((e) => (
                    <tr>
                      <td>{e.line}</td>
                      <td>{e.field}</td>
                      <td>{e.value}</td>
                      <td>{t(errorKey(e.code))}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          ) : null}
          {report.imported.length > 0 && page.imported ? page.imported(report.imported, pv) : null}
        </div>
      ) : null}
      <p>{t(page.intro)}</p>
      <p>
        <a href={`${page.action}/template.csv`} hx-boost="false" download>
          {t('import.template')}
        </a>
      </p>
      <Form
        pv={pv}
        state={state}
        action={page.action}
        submit="import.submit"
        multipart
        cancelHref={page.cancelHref}
        id="import-form"
      >
        <div class={state.errors.file ? 'field has-error' : 'field'} data-field="file">
          <label for="f-file">{t('import.file')}</label>
          <input id="f-file" type="file" name="file" accept=".csv,text/csv" />
          {state.errors.file ? <small class="field-error">{t(errorKey(state.errors.file))}</small> : null}
        </div>
      </Form>
    </section>
  ));
}

/** Serves a template: the header row and one example row, with a BOM so Excel reads UTF-8. */
export function importTemplate(c: C, name: string, header: string[], example: string[]): Response {
  c.header('Content-Type', 'text/csv; charset=utf-8');
  c.header('Content-Disposition', `attachment; filename="${name}-template.csv"`);
  return c.body(`\uFEFF${csvLine(header)}${csvLine(example)}`);
}

/** Handles the upload: refuses a missing, empty or oversized file, then runs the import. */
export async function handleImport<T>(
  c: C,
  page: ImportPage<T>,
  run: (bytes: Uint8Array) => Promise<ImportReport<T>>,
): Promise<Response> {
  const raw = await readForm(c);
  const file = raw.file;
  const refuse = (code: 'csv_empty' | 'upload_too_large', params?: Record<string, string>) =>
    renderImportPage(c, page, { values: {}, errors: {}, message: { code, params } }, null, 422);
  if (!(file instanceof File) || file.size === 0) return refuse('csv_empty');
  if (file.size > maxCsvBytes) return refuse('upload_too_large', { max: '5 MB' });
  const result = await attempt({}, async () => run(new Uint8Array(await file.arrayBuffer())));
  if (!result.ok) return renderImportPage(c, page, result.state, null, 422);
  return renderImportPage(c, page, emptyForm(), result.value);
}
