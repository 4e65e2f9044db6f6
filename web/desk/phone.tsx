/**
 * My phone: the agent's SIP account, whether a phone is registered with it right now, and
 * what to enter in a softphone or desk phone.
 */
import { Hono } from 'hono';
import { ownPhoneAccount } from '../../pbx/sip-accounts.ts';
import { requirePermission } from '../../core/access/actor.ts';
import { autoAnswerOf } from '../../cti/agents/agent-states.ts';
import { CallRefused } from '../../cti/calls/engine.ts';
import { type AppEnv, ctxOf, engineOf } from '../env.ts';
import { localPath, readForm, see } from '../http.ts';
import type { MessageKey } from '../i18n/index.ts';
import { renderPage } from '../views/page.tsx';

export const phoneRoutes = new Hono<AppEnv>();

phoneRoutes.get('/', async (c) => {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const deps = c.get('deps');
  const account = await ownPhoneAccount(ctx);
  const server = new URL(deps.settings.publicUrl || c.req.url).hostname;
  const port = deps.settings.pbx.sipPort;
  const reg = account ? deps.pbx?.registrations()?.get(account.username) : null;
  const online = reg && reg.status !== 'Unreachable';
  const autoAnswer = await autoAnswerOf(ctx.db, ctx.actor.userId);
  return renderPage(c, { title: t('phone.title') }, (pv) => (
    <section class="panel">
      <h1>{t('phone.title')}</h1>
      {account ? (
        <>
          <dl class="facts" id="sip-account">
            <dt>{t('phone.status')}</dt>
            <dd>
              <span
                class={`badge ${online ? 'ok' : 'muted'}`}
                data-registration={online ? 'registered' : 'offline'}
              >
                {online ? t('phone.registered') : t('phone.offline')}
              </span>
              {reg?.userAgent ? ` ${reg.userAgent}` : ''}
            </dd>
            <dt>{t('phone.server')}</dt>
            <dd>
              <code>
                {server}:{port}
              </code>
            </dd>
            <dt>{t('phone.transport')}</dt>
            <dd>UDP</dd>
            <dt>{t('phone.username')}</dt>
            <dd>
              <code data-field="username">{account.username}</code>
            </dd>
            <dt>{t('phone.password')}</dt>
            <dd>
              <code data-field="password">{account.password}</code>
            </dd>
          </dl>
          <h2>{t('phone.snippet')}</h2>
          <p class="hint">{t('phone.snippet_hint')}</p>
          <pre class="snippet">{`<sip:${account.username}@${server}:${port};transport=udp>;auth_user=${account.username};auth_pass=${account.password};regint=300`}</pre>
          <p class="hint">{t('phone.hint')}</p>
          <h2>{t('phone.call_title')}</h2>
          <form method="post" action="/desk/phone/call" class="inline-form" id="click-to-call">
            <input type="hidden" name="_csrf" value={pv.csrf} />
            <input type="tel" name="number" required aria-label={t('phone.call_number')} />
            <button type="submit" class="primary">
              {t('phone.call_submit')}
            </button>
          </form>
          <p class="hint">{t('phone.call_hint')}</p>
          <h2>{t('phone.auto_answer')}</h2>
          <form method="post" action="/desk/auto-answer" class="inline-form" id="auto-answer">
            <input type="hidden" name="_csrf" value={pv.csrf} />
            <label class="check">
              <input type="checkbox" name="autoAnswer" value="1" checked={autoAnswer} />
              {t('phone.auto_answer_label')}
            </label>
            <button type="submit">{t('common.save')}</button>
          </form>
          <p class="hint">{t('phone.auto_answer_hint')}</p>
        </>
      ) : (
        <p>{t('phone.no_account')}</p>
      )}
    </section>
  ));
});

/** Click-to-call (seed 002): the agent's phone rings first; when answered, the number is dialled. */
phoneRoutes.post('/call', async (c) => {
  const ctx = ctxOf(c);
  requirePermission(ctx.actor, 'desk:use');
  const raw = await readForm(c);
  const number = typeof raw.number === 'string' ? raw.number.trim() : '';
  // Where the agent clicked (My phone, or the lost-calls list's "call back").
  const back = localPath(typeof raw.back === 'string' ? raw.back : undefined, '/desk/phone');
  const engine = engineOf(c);
  if (!engine) return see(c, back, { key: 'phone.pbx_down', kind: 'error' });
  try {
    await engine.clickToCall(ctx.actor.userId, number);
  } catch (err) {
    if (!(err instanceof CallRefused)) throw err;
    const t = c.get('t');
    return see(c, back, {
      key: 'phone.call_refused',
      params: { reason: t(`call.reason.${err.reason}` as MessageKey) },
      kind: 'error',
    });
  }
  return see(c, back, { key: 'phone.calling', params: { number }, kind: 'ok' });
});
