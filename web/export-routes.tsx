/**
 * The pages of background exports (web/exports.ts): the progress fragment the table's Export
 * button swaps in (polled every second until the file is ready), the same as a page for
 * browsers without JavaScript, and the download — only for the user who started the export.
 */
import { join } from 'node:path';
import { Hono } from 'hono';
import { NotFoundError } from '../core/errors.ts';
import type { AppDeps, AppEnv, C } from './env.ts';
import { type ExportJob, ExportJobs, exportTypes } from './exports.ts';
import { serveFile } from './file-response.ts';
import type { T } from './i18n/index.ts';
import { renderPage } from './views/page.tsx';

const jobsByApp = new WeakMap<AppDeps, ExportJobs>();

/** The export jobs of this application (one set per running app). */
export function exportJobsOf(c: C): ExportJobs {
  const deps = c.get('deps');
  let jobs = jobsByApp.get(deps);
  if (!jobs) {
    jobs = new ExportJobs(join(deps.settings.dataDir, 'exports'));
    jobsByApp.set(deps, jobs);
  }
  return jobs;
}

function jobOf(c: C): ExportJob {
  const actor = c.get('actor');
  const job = actor ? exportJobsOf(c).get(c.req.param('id') ?? '', actor.userId) : null;
  if (!job) throw new NotFoundError();
  return job;
}

/** How far an export got; polls itself until done, then offers the file. */
export function ExportProgress(props: { t: T; job: ExportJob }) {
  const { t, job } = props;
  const href = `/exports/${job.id}`;
  if (job.error)
    return (
      <p class="export-progress error" role="alert">
        {t('export.failed', { error: job.error })}
      </p>
    );
  if (job.done)
    return (
      <p class="export-progress done">
        {t('export.ready', { rows: job.rows })}{' '}
        <a href={`${href}/file`} download>
          {t('export.download', { format: job.format.toUpperCase() })}
        </a>
      </p>
    );
  const percent = job.total ? Math.min(100, Math.floor((job.rows / job.total) * 100)) : 0;
  return (
    <p class="export-progress" hx-get={href} hx-trigger="load delay:1s" hx-swap="outerHTML">
      <progress max={100} value={percent} aria-label={t('export.running')} />{' '}
      {t('export.progress', { rows: job.rows, total: job.total ?? '…' })}{' '}
      <a href={href}>{t('export.refresh')}</a>
    </p>
  );
}

export const exportPages = new Hono<AppEnv>();

exportPages.get('/:id', (c) => {
  const job = jobOf(c);
  const t = c.get('t');
  if (c.req.header('hx-request')) return c.html(<ExportProgress t={t} job={job} />);
  return renderPage(c, { title: t('export.title') }, () => (
    <section class="panel">
      <h1>{t('export.title')}</h1>
      <ExportProgress t={t} job={job} />
    </section>
  ));
});

exportPages.get('/:id/file', (c) => {
  const job = jobOf(c);
  if (!job.done || job.error) throw new NotFoundError();
  return serveFile(c, job.file, {
    type: exportTypes[job.format],
    downloadName: `${job.name}.${job.format}`,
  });
});
