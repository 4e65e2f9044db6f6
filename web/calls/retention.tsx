/**
 * The recording retention page (录音保留期), mounted at /calls/retention: the value set, when a
 * shortened value takes effect, and the form. A shorter value comes back with how many recordings
 * it would delete and a box to confirm it (the second step of the same form); nothing is saved
 * until it is ticked. The rules are in cti/call-log/recording-retention.ts.
 */
import { Hono } from 'hono';
import { can } from '../../core/access/actor.ts';
import { NotFoundError } from '../../core/errors.ts';
import {
  mayChangeRetention,
  type RetentionChange,
  recordingRetention,
  setRetentionDays,
} from '../../cti/call-log/recording-retention.ts';
import { type AppEnv, type C, ctxOf } from '../env.ts';
import { attempt } from '../forms.ts';
import { readForm, see } from '../http.ts';
import { emptyForm, Form, type FormState, TextField } from '../views/form.tsx';
import { formatTime } from '../views/format.ts';
import type { PageView } from '../views/page.tsx';
import { renderPage } from '../views/page.tsx';

export const retentionRoutes = new Hono<AppEnv>();

type Pending = Extract<RetentionChange, { status: 'confirm' }>;

/** The second step: what the shorter value would delete, and the box that confirms it. */
function Confirmation({ pv, pending }: { pv: PageView; pending: Pending }) {
  const at = formatTime(pending.effectiveAt, pv.locale);
  const params = { days: pending.days, at };
  return (
    <div class="notice" role="alert" data-retention-confirm={pending.days}>
      <p data-affected={pending.count}>
        {pending.oldest
          ? pv.t('call.retention_confirm', {
              ...params,
              count: pending.count,
              oldest: formatTime(pending.oldest, pv.locale),
            })
          : pv.t('call.retention_confirm_none', params)}
      </p>
      <label class="check">
        <input type="checkbox" name="confirm" value={String(pending.days)} />
        {pv.t('call.retention_confirm_check', params)}
      </label>
    </div>
  );
}

async function retentionPage(
  c: C,
  state: FormState,
  status: 200 | 403 | 422 = 200,
  pending: Pending | null = null,
) {
  const t = c.get('t');
  const ctx = ctxOf(c);
  const now = await recordingRetention(ctx.db);
  return renderPage(c, { title: t('call.retention'), status }, (pv) => (
    <section class="panel">
      <h1>{t('call.retention')}</h1>
      <p>{t('call.retention_intro')}</p>
      {now.effectiveAt ? (
        <p class="notice" data-effective-at={now.effectiveAt.toISOString()}>
          {t(now.inForce === 0 ? 'call.retention_pending_forever' : 'call.retention_pending', {
            days: now.days,
            previous: now.inForce,
            at: formatTime(now.effectiveAt, pv.locale),
          })}
        </p>
      ) : null}
      {mayChangeRetention(ctx) ? null : <p class="notice">{t('call.retention_not_allowed')}</p>}
      <Form
        pv={pv}
        state={state}
        action="/calls/retention"
        submit="common.save"
        cancelHref="/calls"
        id="retention-form"
      >
        <TextField
          pv={pv}
          state={state}
          name="retentionDays"
          label="call.retention_days"
          hint="call.retention_hint"
        />
        {pending ? <Confirmation pv={pv} pending={pending} /> : null}
      </Form>
    </section>
  ));
}

retentionRoutes.get('/', async (c) => {
  const ctx = ctxOf(c);
  if (!can(ctx.actor, 'callcenter:edit')) throw new NotFoundError();
  return retentionPage(c, emptyForm({ retentionDays: (await recordingRetention(ctx.db)).days }));
});

retentionRoutes.post('/', async (c) => {
  const raw = await readForm(c);
  const input = { days: String(raw.retentionDays ?? ''), confirm: String(raw.confirm ?? '') };
  const result = await attempt(raw, () => setRetentionDays(ctxOf(c), input));
  if (!result.ok) {
    const refused = result.state.message?.code === 'retention_needs_delete';
    return retentionPage(c, result.state, refused ? 403 : 422);
  }
  const change = result.value;
  if (change.status === 'confirm') return retentionPage(c, emptyForm(raw), 200, change);
  if (!change.effectiveAt) return see(c, '/calls/retention', { key: 'common.saved', kind: 'ok' });
  const at = formatTime(change.effectiveAt, c.get('locale'));
  return see(c, '/calls/retention', { key: 'call.retention_saved_pending', params: { at }, kind: 'ok' });
});
