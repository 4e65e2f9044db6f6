/**
 * PBX status: Asterisk up or down, its version, start, uptime and last reload (from Asterisk over
 * AMI, in both modes), the supervisor's state and restarts (managed mode), channels,
 * the call engine's invariant check, registrations, trunks.
 */
import type { JournalState } from '../../cti/call-log/log.ts';
import { Hono } from 'hono';
import { can } from '../../core/access/actor.ts';
import type { SipBlockRule } from '../../db/schema.ts';
import { liftBlock, recentBlocks, type SipBlock } from '../../pbx/sip-blocks.ts';
import { type PbxOverview, pbxOverview } from '../../pbx/status.ts';
import { idParam } from '../http.ts';
import { PostButton } from '../views/form.tsx';
import { type AppEnv, ctxOf, engineOf } from '../env.ts';
import { act } from '../forms.ts';
import { formatDuration, formatTime } from '../views/format.ts';
import type { MessageKey, T } from '../i18n/index.ts';
import { type PageView, renderPage } from '../views/page.tsx';
import { TrunkState } from './trunks.tsx';

export const pbxRoutes = new Hono<AppEnv>();

/** Asterisk's uptime: h:mm:ss, with days in front once it runs longer than a day. */
function uptime(t: T, seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const rest = formatDuration(seconds % 86_400);
  return days > 0 ? t('pbx.uptime_days', { days, time: rest }) : rest;
}

/** The call engine's invariant check: when it last ran, and the violations found lately. */
function EngineCheck(props: { pv: PageView; check: NonNullable<PbxOverview['check']> }) {
  const { pv, check } = props;
  const { t } = pv;
  const { latest, recent } = check;
  return (
    <>
      <h2>{t('pbx.check')}</h2>
      <p class="hint">{t('pbx.check_hint')}</p>
      <p id="engine-check" data-violations={latest ? String(latest.violations.length) : ''}>
        {latest
          ? t(latest.violations.length === 0 ? 'pbx.check_ok' : 'pbx.check_found', {
              time: formatTime(latest.at, pv.locale),
              count: latest.violations.length,
            })
          : t('pbx.check_not_yet')}
      </p>
      {recent.length > 0 ? (
        <table class="data" id="engine-violations">
          <thead>
            <tr>
              <th>{t('pbx.check_at')}</th>
              <th>{t('pbx.check_kind')}</th>
              <th>{t('pbx.check_subject')}</th>
              <th>{t('pbx.check_detail')}</th>
            </tr>
          </thead>
          <tbody>
            {recent.map((r) => (
              <tr data-kind={r.violation.kind}>
                <td>{formatTime(r.at, pv.locale)}</td>
                <td>{t(`pbx.violation.${r.violation.kind}` as MessageKey)}</td>
                <td>{r.violation.subject}</td>
                <td>{r.violation.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}

const blockRules: Record<SipBlockRule, MessageKey> = {
  unknown_accounts: 'pbx.block_rule.unknown_accounts',
  wrong_passwords: 'pbx.block_rule.wrong_passwords',
  mixed: 'pbx.block_rule.mixed',
};
const isBlockRule = (reason: string): reason is SipBlockRule => Object.hasOwn(blockRules, reason);

/** Why an address was blocked: the guard's rule with its count and window, the events, what was not counted. */
/** The event log's journal: how many events wait for the database, and since when it fails. */
function JournalFacts(props: { t: T; journal: JournalState }) {
  const { t, journal } = props;
  const trouble = journal.full || journal.failingSince !== null;
  return (
    <>
      <dt>{t('pbx.journal')}</dt>
      <dd data-field="journal" data-waiting={journal.waiting} data-full={journal.full ? 'yes' : 'no'}>
        <span class={`badge ${trouble ? 'warn' : 'ok'}`}>
          {t('pbx.journal_waiting', { count: journal.waiting, bound: journal.bound })}
        </span>
        {journal.waiting > 0 ? ` ${t('pbx.journal_oldest', { seconds: journal.oldestSeconds })}` : null}
        {journal.failingSince ? (
          <small class="error-detail">
            <br />
            {t('pbx.journal_failing', {
              seconds: Math.round((Date.now() - journal.failingSince.getTime()) / 1000),
            })}
          </small>
        ) : null}
        {journal.full ? (
          <small class="error-detail">
            <br />
            {t('pbx.journal_full')}
          </small>
        ) : null}
      </dd>
    </>
  );
}

function BlockWhy(props: { t: T; block: SipBlock }) {
  const { t, block } = props;
  const { detail } = block;
  // Blocks stored before the rule was kept name only the event that tipped them over.
  if (!detail || !isBlockRule(block.reason))
    return <>{t('pbx.block_failures', { count: block.failures, event: block.reason })}</>;
  const events = Object.entries(detail.events)
    .map(([event, count]) => `${event} × ${count}`)
    .join(', ');
  return (
    <>
      {t(blockRules[block.reason], { count: block.failures, window: detail.windowSeconds })}
      <br />
      <small class="hint">
        {t('pbx.block_events', { events, threshold: detail.threshold })}
        {detail.uncounted > 0 ? (
          <>
            <br />
            {t('pbx.block_uncounted', { count: detail.uncounted })}
          </>
        ) : null}
      </small>
    </>
  );
}

pbxRoutes.get('/', async (c) => {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const view = await pbxOverview(ctx, c.get('deps').pbx, engineOf(c));
  const blocks = await recentBlocks(ctx);
  return renderPage(c, { title: t('pbx.title') }, (pv) => (
    <section class="panel">
      <h1>{t('pbx.title')}</h1>
      {view ? (
        <>
          <dl class="facts" id="pbx-status">
            <dt>{t('pbx.state')}</dt>
            <dd>
              <span
                class={`badge ${view.status.state === 'up' ? 'ok' : 'warn'}`}
                data-state={view.status.state}
              >
                {t(`pbx.state.${view.status.state}`)}
              </span>
              {view.status.error ? <pre class="error-detail">{view.status.error}</pre> : null}
            </dd>
            <dt>{t('pbx.mode')}</dt>
            <dd>{t(`pbx.mode.${view.status.mode}`)}</dd>
            <dt>{t('pbx.version')}</dt>
            <dd data-field="version">
              {view.asterisk?.version ?? view.status.process?.version ?? t('common.none')}
            </dd>
            <dt>{t('pbx.started')}</dt>
            <dd data-field="started">
              {view.asterisk?.startedAt ? formatTime(view.asterisk.startedAt, pv.locale) : t('common.none')}
            </dd>
            <dt>{t('pbx.uptime')}</dt>
            <dd data-field="uptime">
              {view.asterisk?.uptimeSeconds != null
                ? uptime(pv.t, view.asterisk.uptimeSeconds)
                : t('common.none')}
            </dd>
            <dt>{t('pbx.reloaded')}</dt>
            <dd data-field="reloaded">
              {view.asterisk?.reloadedAt ? formatTime(view.asterisk.reloadedAt, pv.locale) : t('common.none')}
            </dd>
            {view.status.process ? (
              <>
                <dt>{t('pbx.since')}</dt>
                <dd>{formatTime(view.status.process.since, pv.locale)}</dd>
                <dt>{t('pbx.restarts')}</dt>
                <dd>{view.status.process.restarts}</dd>
              </>
            ) : null}
            <dt>{t('pbx.sip')}</dt>
            <dd>{view.status.sip ?? t('common.none')}</dd>
            <dt>{t('pbx.channels')}</dt>
            <dd data-field="channels">{view.channels ?? t('common.none')}</dd>
            <dt>{t('pbx.calls')}</dt>
            <dd data-field="calls">{view.activeCalls}</dd>
            {view.journal ? <JournalFacts t={t} journal={view.journal} /> : null}
          </dl>
          {view.check ? <EngineCheck pv={pv} check={view.check} /> : null}
          <h2>{t('pbx.trunks')}</h2>
          <table class="data">
            <thead>
              <tr>
                <th>{t('trunk.name')}</th>
                <th>{t('trunk.target')}</th>
                <th>{t('pbx.state')}</th>
                <th>{t('pbx.calls')}</th>
              </tr>
            </thead>
            <tbody>
              {view.trunks.map((tr) => (
                <tr data-trunk={tr.name}>
                  <td>
                    <a href={`/callcenter/trunks/${tr.id}/edit`}>{tr.name}</a>
                  </td>
                  <td>
                    <code>{tr.target}</code>
                  </td>
                  <td>
                    <TrunkState pv={pv} state={tr.state} enabled={tr.enabled} />
                  </td>
                  <td>
                    {tr.activeCalls}
                    {tr.maxCalls > 0 ? ` / ${tr.maxCalls}` : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>{t('pbx.registrations')}</h2>
          <table class="data">
            <thead>
              <tr>
                <th>{t('phone.username')}</th>
                <th>{t('pbx.state')}</th>
                <th>{t('pbx.user_agent')}</th>
              </tr>
            </thead>
            <tbody>
              {view.registrations.map((r) => (
                <tr data-endpoint={r.endpoint}>
                  <td>{r.endpoint}</td>
                  <td>{r.status}</td>
                  <td>{r.userAgent}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>{t('pbx.blocks')}</h2>
          <p class="hint">{t('pbx.blocks_hint')}</p>
          {blocks.length === 0 ? (
            <p>{t('pbx.no_blocks')}</p>
          ) : (
            <table class="data" id="sip-blocks">
              <thead>
                <tr>
                  <th>{t('pbx.block_ip')}</th>
                  <th>{t('pbx.block_reason')}</th>
                  <th>{t('pbx.block_accounts')}</th>
                  <th>{t('pbx.block_since')}</th>
                  <th>{t('pbx.block_until')}</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {blocks.map((b) => (
                  <tr data-ip={b.ip} data-active={b.active ? 'yes' : 'no'} data-rule={b.reason}>
                    <td>
                      <code>{b.ip}</code>
                    </td>
                    <td>
                      <BlockWhy t={t} block={b} />
                    </td>
                    <td>{b.accounts.join(', ')}</td>
                    <td>{formatTime(b.blockedAt, pv.locale)}</td>
                    <td>
                      {b.active
                        ? formatTime(b.until, pv.locale)
                        : b.liftedAt
                          ? t('pbx.block_lifted')
                          : t('pbx.block_expired')}
                    </td>
                    <td>
                      {b.active && can(ctx.actor, 'callcenter:edit') ? (
                        <PostButton
                          pv={pv}
                          action={`/callcenter/pbx/blocks/${b.id}/lift`}
                          label="pbx.block_lift"
                        />
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      ) : (
        <p>{t('pbx.not_running')}</p>
      )}
    </section>
  ));
});

pbxRoutes.post('/blocks/:id/lift', async (c) => {
  const id = idParam(c);
  return act(c, '/callcenter/pbx', () => liftBlock(ctxOf(c), id), { key: 'pbx.block_lifted_ok', kind: 'ok' });
});
