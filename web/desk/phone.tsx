/**
 * My phone: the agent's SIP account, whether a phone is registered with it right now, and
 * what to enter in a softphone or desk phone.
 */
import { Hono } from 'hono';
import { ownPhoneAccount } from '../../pbx/sip-accounts.ts';
import { type AppEnv, ctxOf } from '../env.ts';
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
  return renderPage(c, { title: t('phone.title') }, () => (
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
        </>
      ) : (
        <p>{t('phone.no_account')}</p>
      )}
    </section>
  ));
});
