/**
 * The agent's state on the desk (坐席状态): log in, ready, break with a reason, log out; the
 * current state and how long it has lasted, refreshed every few seconds (ringing, on call and
 * wrap-up come from calls). Supervisors set the wrap-up time and the break reasons.
 */
import { Hono } from 'hono';
import { can, requirePermission } from '../../crm/access/actor.ts';
import {
  addBreakReason,
  listBreakReasons,
  setBreakReasonEnabled,
  setOwnState,
  setWrapUpSeconds,
  stateOf,
  wrapUpSeconds,
} from '../../crm/desk/agent-states.ts';
import { toId } from '../../crm/shared/validate.ts';
import type { AgentState } from '../../db/schema.ts';
import { type AppEnv, type C, ctxOf } from '../env.ts';
import { act, attempt } from '../forms.ts';
import { idParam, readForm, see } from '../http.ts';
import type { MessageKey } from '../i18n/index.ts';
import { emptyForm, Form, type FormState, PostButton, TextField } from '../views/form.tsx';
import { type PageView, renderPage } from '../views/page.tsx';

export const deskStateRoutes = new Hono<AppEnv>();
export const deskSettingsRoutes = new Hono<AppEnv>();

const stateLabel = (s: AgentState) => `agent.state.${s}` as MessageKey;
/** A break reason's label: the translated name of a default one, the name of an added one. */
const reasonLabel = (pv: PageView, r: { builtinKey: string | null; name: string }) =>
  r.builtinKey ? pv.t(`agent.break.${r.builtinKey}` as MessageKey) : r.name;

async function statePanel(c: C) {
  const ctx = ctxOf(c);
  requirePermission(ctx.actor, 'desk:use');
  const current = await stateOf(ctx.db, ctx.actor.userId);
  const reasons = await listBreakReasons(ctx.db);
  return (pv: PageView) => {
    const t = pv.t;
    const reason = reasons.find((r) => (r.builtinKey ?? r.name) === current.reason);
    const busy = current.state === 'ringing' || current.state === 'on_call';
    return (
      <section
        class="panel agent-state"
        id="agent-state"
        hx-get="/desk"
        hx-trigger="every 3s"
        hx-select="#agent-state"
        hx-swap="outerHTML"
      >
        <h1>{t('agent.title')}</h1>
        <p class="state-line">
          <span class={`badge state-${current.state}`} data-state={current.state}>
            {t(stateLabel(current.state))}
            {current.state === 'break' && reason ? ` · ${reasonLabel(pv, reason)}` : ''}
          </span>{' '}
          {current.state !== 'logged_out' ? (
            <span class="since" data-since={current.since.toISOString()}>
              {t('agent.since', {
                time: current.since.toLocaleTimeString(pv.locale === 'zh-CN' ? 'zh-CN' : 'en-GB'),
              })}
            </span>
          ) : null}
        </p>
        {busy ? (
          <p class="hint">{t('agent.busy_hint')}</p>
        ) : (
          <div class="state-actions">
            {current.state === 'logged_out' ? (
              <PostButton pv={pv} action="/desk/state/ready" label="agent.login" />
            ) : (
              <>
                {current.state !== 'ready' ? (
                  <PostButton pv={pv} action="/desk/state/ready" label="agent.ready" />
                ) : null}
                <form method="post" action="/desk/state/break" class="inline-form" id="break-form">
                  <input type="hidden" name="_csrf" value={pv.csrf} />
                  <select name="reasonId" aria-label={t('agent.break_reason')}>
                    {reasons.map((r) => (
                      <option value={String(r.id)}>{reasonLabel(pv, r)}</option>
                    ))}
                  </select>
                  <button type="submit">{t('agent.take_break')}</button>
                </form>
                <PostButton pv={pv} action="/desk/state/logged_out" label="agent.logout" />
              </>
            )}
          </div>
        )}
      </section>
    );
  };
}

deskStateRoutes.get('/', async (c) => {
  const t = c.get('t');
  const panel = await statePanel(c);
  return renderPage(c, { title: t('agent.title') }, (pv) => panel(pv));
});

for (const target of ['ready', 'break', 'logged_out'] as const) {
  deskStateRoutes.post(`/state/${target}`, async (c) => {
    const raw = await readForm(c);
    return act(c, '/desk', () => setOwnState(ctxOf(c), target, toId(raw.reasonId)), {
      key: `agent.now.${target}` as MessageKey,
      kind: 'ok',
    });
  });
}

// ── settings (supervisors / admins) ──────────────────────────────────────────
async function settingsPage(c: C, state: FormState, status: 200 | 422 = 200) {
  const ctx = ctxOf(c);
  requirePermission(ctx.actor, 'callcenter:edit');
  const t = c.get('t');
  const reasons = await listBreakReasons(ctx.db, true);
  return renderPage(c, { title: t('agent.settings'), status }, (pv) => (
    <section class="panel">
      <h1>{t('agent.settings')}</h1>
      <Form pv={pv} state={state} action="/callcenter/desk" submit="common.save" id="desk-settings">
        <TextField
          pv={pv}
          state={state}
          name="wrapUpSeconds"
          label="agent.wrap_up_seconds"
          hint="agent.wrap_up_hint"
        />
      </Form>
      <h2>{t('agent.break_reasons')}</h2>
      <table class="plain" id="break-reasons">
        <tbody>
          {reasons.map((r) => (
            <tr data-reason={r.id}>
              <td>{reasonLabel(pv, r)}</td>
              <td>{r.enabled ? t('emp.enabled') : t('emp.disabled')}</td>
              <td>
                <PostButton
                  pv={pv}
                  action={`/callcenter/desk/reasons/${r.id}/${r.enabled ? 'disable' : 'enable'}`}
                  label={r.enabled ? 'emp.disable' : 'emp.enable'}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {can(ctx.actor, 'callcenter:edit') ? (
        <form method="post" action="/callcenter/desk/reasons" class="inline-form" id="new-reason">
          <input type="hidden" name="_csrf" value={pv.csrf} />
          <input
            type="text"
            name="name"
            aria-label={t('agent.reason_name')}
            placeholder={t('agent.reason_name')}
          />
          <button type="submit">{t('agent.add_reason')}</button>
        </form>
      ) : null}
    </section>
  ));
}

deskSettingsRoutes.get('/', async (c) =>
  settingsPage(c, emptyForm({ wrapUpSeconds: await wrapUpSeconds(ctxOf(c).db) })),
);

deskSettingsRoutes.post('/', async (c) => {
  const raw = await readForm(c);
  const result = await attempt(raw, () => setWrapUpSeconds(ctxOf(c), String(raw.wrapUpSeconds ?? '')));
  if (!result.ok) return settingsPage(c, result.state, 422);
  return see(c, '/callcenter/desk', { key: 'common.saved', kind: 'ok' });
});

deskSettingsRoutes.post('/reasons', async (c) => {
  const raw = await readForm(c);
  return act(c, '/callcenter/desk', () => addBreakReason(ctxOf(c), String(raw.name ?? '')), {
    key: 'common.saved',
    kind: 'ok',
  });
});

for (const [path, enabled] of [
  ['enable', true],
  ['disable', false],
] as const) {
  deskSettingsRoutes.post(`/reasons/:id/${path}`, async (c) => {
    const id = idParam(c);
    return act(c, '/callcenter/desk', () => setBreakReasonEnabled(ctxOf(c), id, enabled), {
      key: 'common.saved',
      kind: 'ok',
    });
  });
}
