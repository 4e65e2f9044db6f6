/**
 * One call (通话详情): its record, its timeline from the event log in words, and its recording
 * in a seekable player with download (mixed, or one party).
 */
import { Hono } from 'hono';
import { can } from '../../core/access/actor.ts';
import {
  type CallDetail,
  callDetail,
  isRecordingParty,
  recordingFor,
} from '../../cti/call-log/call-records.ts';
import { NotFoundError } from '../../core/errors.ts';
import type { CallEvent, TransferTarget } from '../../cti/call-log/events.ts';
import { recordingStoreIn, storedRecording } from '../../cti/calls/recorder.ts';
import { businessTypeLabel } from '../desk/fragments.tsx';
import { type AppEnv, ctxOf } from '../env.ts';
import { serveFile } from '../file-response.ts';
import type { MessageKey } from '../i18n/index.ts';
import { Disposition, directionLabel, reasonText } from './columns.tsx';
import { formatDuration, formatTime } from '../views/format.ts';
import { type PageView, renderPage } from '../views/page.tsx';

export const callDetailRoutes = new Hono<AppEnv>();

/** One line of the timeline: what happened, in words, with the agents' names. */
function describe(pv: PageView, e: CallEvent, detail: CallDetail): string {
  const { t } = pv;
  const person = (id: number | null | undefined) => (id ? (detail.people.get(id) ?? `#${id}`) : '');
  const group = (id: number) => detail.groups.get(id) ?? `#${id}`;
  const targetText = (target: TransferTarget) =>
    target.kind === 'agent'
      ? person(target.userId)
      : target.kind === 'group'
        ? group(target.groupId)
        : target.number;
  switch (e.type) {
    case 'call.started':
      return t('timeline.started', { from: e.data.from, to: e.data.to });
    case 'call.refused':
      return t('timeline.refused', {
        reason: reasonText(pv, { ...detail.call, reason: e.data.reason, sipCode: e.data.sipCode }),
      });
    case 'leg.dialing':
      return e.data.target.kind === 'agent'
        ? t('timeline.dialing_agent', { name: person(e.data.target.userId) })
        : t('timeline.dialing_number', { number: e.data.target.number });
    case 'leg.ringing':
      return t('timeline.ringing');
    case 'leg.answered':
      return e.data.userId
        ? t('timeline.answered_by', { name: person(e.data.userId) })
        : t('timeline.answered');
    case 'leg.failed':
      return t('timeline.failed', {
        failure: t(`timeline.failure.${e.data.failure}` as MessageKey),
        code: e.data.sipCode ? ` (SIP ${e.data.sipCode})` : '',
      });
    case 'call.bridged':
      return t('timeline.bridged');
    case 'recording.started':
      return t('timeline.recording_started');
    case 'call.ended':
      return t(`timeline.ended.${e.data.by}` as MessageKey);
    case 'recording.stored':
      return t('timeline.recording_stored', { duration: formatDuration(e.data.seconds) });
    case 'recording.purged':
      return t('timeline.recording_purged', { days: e.data.retentionDays });
    case 'cti.resumed':
      return e.data.reconstructed?.length
        ? t('timeline.resumed_reconstructed', { events: e.data.reconstructed.join(', ') })
        : t('timeline.resumed');
    case 'ivr.entered':
      return t('timeline.ivr_entered', { name: e.data.name });
    case 'ivr.off_hours':
      return t('timeline.ivr_off_hours', { exception: e.data.exception ?? '' });
    case 'ivr.rule':
      return t('timeline.ivr_rule', { index: e.data.index + 1 });
    case 'ivr.menu':
      return t('timeline.ivr_menu', { name: e.data.name });
    case 'ivr.key':
      return t('timeline.ivr_key', { key: e.data.key });
    case 'ivr.invalid':
      return t('timeline.ivr_invalid', { key: e.data.key });
    case 'ivr.silence':
      return t('timeline.ivr_silence', { repeat: e.data.repeat });
    case 'ivr.collected':
      return t('timeline.ivr_collected', { variable: e.data.variable, value: e.data.value });
    case 'ivr.left':
      return t('timeline.ivr_left', { outcome: t(`ivr.outcome.${e.data.outcome}` as MessageKey) });
    case 'call.flags':
      return t('timeline.flags', {
        region: e.data.region || t('common.none'),
        flags: [e.data.vip ? t('desk.vip') : '', e.data.repeat ? t('timeline.repeat') : '']
          .filter(Boolean)
          .join(', '),
      });
    case 'leg.left':
      return e.data.userId ? t('timeline.left_agent', { name: person(e.data.userId) }) : t('timeline.left');
    case 'queue.joined':
      return t('timeline.queue_joined', {
        group: group(e.data.groupId),
        position: e.data.position,
        via: t(`timeline.via.${e.data.via}` as MessageKey),
      });
    case 'queue.region':
      return t('timeline.queue_region', { region: e.data.region, group: group(e.data.groupId) });
    case 'queue.announced':
      return t('timeline.queue_announced', { position: e.data.position });
    case 'queue.max_wait':
      return t('timeline.queue_max_wait', { choice: t(`timeline.choice.${e.data.choice}` as MessageKey) });
    case 'queue.overflow':
      return t('timeline.queue_overflow', { reason: t(`timeline.overflow.${e.data.reason}` as MessageKey) });
    case 'queue.left':
      return t('timeline.queue_left', {
        group: group(e.data.groupId),
        reason: t(`timeline.left_reason.${e.data.reason}` as MessageKey),
        waited: formatDuration(e.data.waitedSeconds),
      });
    case 'queue.callback_requested':
      return t('timeline.callback_requested');
    case 'callback.placed':
      return t('timeline.callback_placed');
    case 'agent.announced':
      return t('timeline.agent_announced', { number: e.data.jobNumber });
    case 'call.held':
      return t('timeline.held', { name: person(e.data.userId) });
    case 'call.resumed':
      return t('timeline.resumed_hold', { name: person(e.data.userId) });
    case 'call.muted':
      return t(e.data.muted ? 'timeline.muted' : 'timeline.unmuted', { name: person(e.data.userId) });
    case 'transfer.started':
      return t(`timeline.transfer_${e.data.kind}` as MessageKey, {
        name: person(e.data.by),
        target: targetText(e.data.target),
      });
    case 'transfer.completed':
      return t('timeline.transfer_completed');
    case 'transfer.cancelled':
      return t('timeline.transfer_cancelled');
    case 'conference.invited':
      return t('timeline.conference_invited', { name: person(e.data.by), target: targetText(e.data.target) });
    case 'call.note':
      return t('timeline.note', { name: person(e.data.userId) });
    case 'survey.invited':
      return t('timeline.survey_invited');
    case 'survey.started':
      return t('timeline.survey_started');
    case 'survey.scored':
      return t('timeline.survey_scored', { score: e.data.score, levels: e.data.levels });
    case 'survey.no_answer':
      return t('timeline.survey_no_answer');
  }
}

callDetailRoutes.get('/:id', async (c) => {
  const ctx = ctxOf(c);
  const t = c.get('t');
  const detail = await callDetail(ctx, c.req.param('id'));
  const { call } = detail;
  const base = `/calls/${encodeURIComponent(call.callId)}/recording`;
  const start = call.startedAt.getTime();
  return renderPage(c, { title: t('call.detail') }, (pv) => (
    <>
      <section class="panel">
        <div class="panel-head">
          <h1>{t('call.detail')}</h1>
          <a class="button" href="/calls">
            {t('common.back')}
          </a>
        </div>
        <dl class="facts" id="call-facts">
          <dt>{t('call.direction')}</dt>
          <dd>{t(directionLabel(call.direction))}</dd>
          <dt>{t('call.from')}</dt>
          <dd>{call.fromNumber}</dd>
          <dt>{t('call.to')}</dt>
          <dd>
            {call.toNumber}
            {call.numberLabel ? ` (${call.numberLabel})` : ''}
          </dd>
          <dt>{t('call.agent')}</dt>
          <dd>{[call.agentName, call.peerAgentName].filter(Boolean).join(' → ') || t('common.none')}</dd>
          <dt>{t('call.trunk')}</dt>
          <dd>{call.trunkName ?? t('common.none')}</dd>
          {call.hotlineName ? (
            <>
              <dt>{t('call.hotline')}</dt>
              <dd>{call.hotlineName}</dd>
            </>
          ) : null}
          {call.ivrName ? (
            <>
              <dt>{t('call.ivr')}</dt>
              <dd>{call.ivrName}</dd>
            </>
          ) : null}
          <dt>{t('call.started')}</dt>
          <dd>{formatTime(call.startedAt, pv.locale)}</dd>
          <dt>{t('call.disposition')}</dt>
          <dd>
            <Disposition pv={pv} call={call} /> {reasonText(pv, call)}
          </dd>
          <dt>{t('call.ring')}</dt>
          <dd data-field="ring">{formatDuration(call.ringSeconds)}</dd>
          <dt>{t('call.talk')}</dt>
          <dd data-field="talk">{formatDuration(call.talkSeconds)}</dd>
          {call.hangupBy ? (
            <>
              <dt>{t('call.hangup_by')}</dt>
              <dd>{t(`call.hangup.${call.hangupBy}` as MessageKey)}</dd>
            </>
          ) : null}
          <dt>{t('call.region')}</dt>
          <dd>
            {call.region || t('common.none')}
            {call.vip ? <span class="badge warn">{t('desk.vip')}</span> : null}
            {call.repeatCaller ? <span class="badge">{t('timeline.repeat')}</span> : null}
          </dd>
          {call.groupName ? (
            <>
              <dt>{t('call.group')}</dt>
              <dd>{call.groupName}</dd>
              <dt>{t('call.queue_time')}</dt>
              <dd data-field="queue">{formatDuration(call.queueSeconds)}</dd>
              <dt>{t('call.wait')}</dt>
              <dd data-field="wait">{formatDuration(call.waitSeconds)}</dd>
            </>
          ) : null}
          {call.holdSeconds > 0 ? (
            <>
              <dt>{t('call.hold_time')}</dt>
              <dd data-field="hold">{formatDuration(call.holdSeconds)}</dd>
            </>
          ) : null}
          {call.transfers > 0 || call.maxParties > 2 ? (
            <>
              <dt>{t('call.transfers')}</dt>
              <dd>{t('call.transfers_parties', { transfers: call.transfers, parties: call.maxParties })}</dd>
            </>
          ) : null}
          {call.surveyScore !== null ? (
            <>
              <dt>{t('call.survey')}</dt>
              <dd data-field="survey">
                {t('call.survey_score', { score: call.surveyScore, levels: call.surveyLevels ?? 0 })}
              </dd>
            </>
          ) : null}
          {call.businessType || call.note ? (
            <>
              <dt>{t('desk.business_type')}</dt>
              <dd data-field="business-type">
                {call.businessType
                  ? businessTypeLabel(pv, { builtinKey: call.businessTypeKey, name: call.businessType })
                  : ''}
                {call.note ? <p class="note">{call.note}</p> : null}
              </dd>
            </>
          ) : null}
          {call.callbackOf ? (
            <>
              <dt>{t('call.callback_of')}</dt>
              <dd>
                <a href={`/calls/${encodeURIComponent(call.callbackOf)}`}>{t('call.callback_request')}</a>
              </dd>
            </>
          ) : null}
        </dl>
      </section>
      {call.recording ? (
        <section class="panel" id="recording">
          <h2>{t('call.recording')}</h2>
          {can(ctx.actor, 'calls:listen') ? (
            <audio controls preload="metadata" src={base} class="player">
              <track kind="captions" />
            </audio>
          ) : (
            <p>{t('call.no_listen')}</p>
          )}
          <p>{t('call.recording_length', { duration: formatDuration(call.recordingSeconds ?? 0) })}</p>
          {can(ctx.actor, 'calls:download') ? (
            <p class="downloads">
              <a href={`${base}?download=1`} hx-boost="false" download>
                {t('call.download_mixed')}
              </a>
              {detail.parties.map((p) => (
                <>
                  {' · '}
                  <a href={`${base}?party=${p}&download=1`} hx-boost="false" download>
                    {t(`call.download_${p}` as MessageKey)}
                  </a>
                </>
              ))}
            </p>
          ) : null}
        </section>
      ) : null}
      <section class="panel">
        <h2>{t('call.timeline')}</h2>
        <table class="plain" id="timeline">
          <tbody>
            {detail.events.map((e) => (
              <tr data-event={e.type}>
                <td class="num">+{((e.at.getTime() - start) / 1000).toFixed(1)} s</td>
                <td>{describe(pv, e, detail)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  ));
});

callDetailRoutes.on(['GET', 'HEAD'], '/:id/recording', async (c) => {
  const ctx = ctxOf(c);
  const download = c.req.query('download') === '1';
  const party = c.req.query('party');
  if (party !== undefined && !isRecordingParty(party)) throw new NotFoundError();
  const { file, call } = await recordingFor(ctx, c.req.param('id'), download ? 'download' : 'listen');
  const path = storedRecording(recordingStoreIn(c.get('deps').settings.dataDir), file, party);
  const stamp = call.startedAt.toISOString().slice(0, 19).replace(/[T:]/g, '-');
  return serveFile(c, path, {
    type: 'audio/wav',
    downloadName: download
      ? `call-${stamp}-${call.fromNumber}-${call.toNumber}${party ? `-${party}` : ''}.wav`
      : undefined,
  });
});
