/**
 * Call records (通话记录): the list within the reader's data scope, one call with its timeline
 * from the event log, its recording in a seekable player with download (mixed, or one party),
 * and the recording retention setting.
 */
import { Hono } from 'hono';
import { can } from '../../core/access/actor.ts';
import {
  type CallDetail,
  type CallRow,
  type CallView,
  callDetail,
  callDirections,
  callDispositions,
  callFilterChoices,
  callListing,
  invalidCallFilters,
  isRecordingParty,
  recordingFor,
} from '../../cti/call-log/call-records.ts';
import { retentionDays, setRetentionDays } from '../../cti/call-log/recording-retention.ts';
import { employeeChoices } from '../../core/org/employees.ts';
import { NotFoundError } from '../../core/errors.ts';
import type { CallEvent, TransferTarget } from '../../cti/call-log/events.ts';
import { recordingStoreIn, storedRecording } from '../../cti/calls/recorder.ts';
import { businessTypeLabel } from '../desk/fragments.tsx';
import { type AppEnv, type C, ctxOf } from '../env.ts';
import { serveFile } from '../file-response.ts';
import { attempt } from '../forms.ts';
import { readForm, see } from '../http.ts';
import type { MessageKey } from '../i18n/index.ts';
import { type Column, DataTable, exportRoutes, type Filter, loadTable, type TableSpec } from '../table.tsx';
import { emptyForm, Form, type FormState, TextField } from '../views/form.tsx';
import { formatDuration, formatTime } from '../views/format.ts';
import { type PageView, pageView, renderPage } from '../views/page.tsx';

export const callRoutes = new Hono<AppEnv>();

const dispositionLabel = (d: string) => `call.disposition.${d}` as MessageKey;
const directionLabel = (d: string) => `call.direction.${d}` as MessageKey;

function Disposition({ pv, call }: { pv: PageView; call: CallRow }) {
  const kind = call.disposition === 'answered' ? 'ok' : call.disposition === 'in_progress' ? '' : 'warn';
  return (
    <span class={`badge ${kind}`} data-disposition={call.disposition}>
      {pv.t(dispositionLabel(call.disposition))}
    </span>
  );
}

/** The columns of the call lists by key; each view picks and orders those it shows. */
function callColumns(view: CallView): Record<string, Column<CallRow>> {
  return {
    startedAt: {
      key: 'startedAt',
      label: 'call.started',
      sort: 'startedAt',
      cell: (r, pv) => (
        <a href={`/calls/${encodeURIComponent(r.callId)}`}>{formatTime(r.startedAt, pv.locale)}</a>
      ),
      csv: (r) => r.startedAt,
    },
    direction: {
      key: 'direction',
      label: 'call.direction',
      cell: (r, pv) => pv.t(directionLabel(r.direction)),
    },
    from: { key: 'from', label: 'call.from', cell: (r) => r.fromNumber },
    to: { key: 'to', label: 'call.to', cell: (r) => r.toNumber },
    callee: { key: 'callee', label: 'call.callee', cell: (r) => r.toNumber },
    callerId: {
      key: 'callerId',
      label: 'call.caller_id',
      cell: (r) => (r.numberLabel ? `${r.fromNumber} (${r.numberLabel})` : r.fromNumber),
    },
    region: { key: 'region', label: 'call.region', cell: (r) => r.region, hiddenByDefault: true },
    hotline: {
      key: 'hotline',
      label: 'call.hotline',
      cell: (r) => r.hotlineName ?? '',
      hiddenByDefault: view === 'all',
    },
    ivr: { key: 'ivr', label: 'call.ivr', cell: (r) => r.ivrName ?? '', hiddenByDefault: view === 'all' },
    group: {
      key: 'group',
      label: 'call.group',
      cell: (r) => r.groupName ?? '',
      hiddenByDefault: view !== 'inbound',
    },
    agent: {
      key: 'agent',
      label: 'call.agent',
      sort: 'agent',
      cell: (r) => [r.agentName, r.peerAgentName].filter(Boolean).join(' → '),
    },
    trunk: {
      key: 'trunk',
      label: 'call.trunk',
      cell: (r) => r.trunkName ?? '',
      hiddenByDefault: view !== 'outbound',
    },
    disposition: {
      key: 'disposition',
      label: 'call.disposition',
      cell: (r, pv) => <Disposition pv={pv} call={r} />,
      csv: (r, pv) => pv.t(dispositionLabel(r.disposition)),
    },
    reason: {
      key: 'reason',
      label: 'call.reason',
      cell: (r, pv) => reasonText(pv, r),
      hiddenByDefault: true,
    },
    wait: {
      key: 'wait',
      label: 'call.wait',
      sort: 'waitSeconds',
      cell: (r) => formatDuration(r.waitSeconds),
    },
    ring: {
      key: 'ring',
      label: 'call.ring',
      sort: 'ringSeconds',
      cell: (r) => formatDuration(r.ringSeconds),
      hiddenByDefault: view === 'inbound',
    },
    talk: {
      key: 'talk',
      label: 'call.talk',
      sort: 'talkSeconds',
      cell: (r) => formatDuration(r.talkSeconds),
    },
    answeredAt: {
      key: 'answeredAt',
      label: 'call.answered_at',
      cell: (r, pv) => formatTime(r.answeredAt, pv.locale),
      csv: (r) => r.answeredAt ?? '',
      hiddenByDefault: true,
    },
    endedAt: {
      key: 'endedAt',
      label: 'call.ended_at',
      cell: (r, pv) => formatTime(r.endedAt, pv.locale),
      csv: (r) => r.endedAt ?? '',
      hiddenByDefault: true,
    },
    satisfaction: {
      key: 'satisfaction',
      label: 'call.survey',
      cell: (r) => (r.surveyScore === null ? '' : `${r.surveyScore}/${r.surveyLevels ?? ''}`),
      hiddenByDefault: view !== 'inbound',
    },
    businessType: {
      key: 'businessType',
      label: 'desk.business_type',
      cell: (r, pv) =>
        r.businessType ? businessTypeLabel(pv, { builtinKey: r.businessTypeKey, name: r.businessType }) : '',
      hiddenByDefault: true,
    },
    recording: {
      key: 'recording',
      label: 'call.recording',
      cell: (r, pv) =>
        r.recording ? (
          <a href={`/calls/${encodeURIComponent(r.callId)}#recording`}>{pv.t('call.play')}</a>
        ) : (
          ''
        ),
      csv: (r) => (r.recording ? 'yes' : ''),
    },
  };
}

/** Which columns each view shows, in order (3.8.1 inbound, 3.8.2 outbound). */
const viewColumns: Record<CallView, string[]> = {
  all: [
    'startedAt',
    'direction',
    'from',
    'to',
    'agent',
    'trunk',
    'hotline',
    'ivr',
    'group',
    'disposition',
    'reason',
    'ring',
    'talk',
    'satisfaction',
    'businessType',
    'recording',
  ],
  inbound: [
    'startedAt',
    'from',
    'region',
    'hotline',
    'ivr',
    'group',
    'agent',
    'trunk',
    'wait',
    'ring',
    'talk',
    'disposition',
    'reason',
    'satisfaction',
    'businessType',
    'recording',
  ],
  outbound: [
    'startedAt',
    'agent',
    'callee',
    'callerId',
    'trunk',
    'group',
    'ring',
    'answeredAt',
    'endedAt',
    'talk',
    'disposition',
    'reason',
    'businessType',
    'recording',
  ],
};

/** Which filters each view offers, in order. */
const viewFilters: Record<CallView, string[]> = {
  all: [
    'q',
    'from',
    'to',
    'direction',
    'disposition',
    'agent',
    'group',
    'trunk',
    'hotline',
    'ivr',
    'talkMin',
    'talkMax',
    'businessType',
    'satisfaction',
    'recorded',
  ],
  inbound: [
    'q',
    'from',
    'to',
    'disposition',
    'agent',
    'group',
    'hotline',
    'ivr',
    'trunk',
    'talkMin',
    'talkMax',
    'businessType',
    'satisfaction',
    'recorded',
  ],
  outbound: [
    'q',
    'from',
    'to',
    'disposition',
    'agent',
    'group',
    'trunk',
    'talkMin',
    'talkMax',
    'businessType',
    'recorded',
  ],
};

const viewBase: Record<CallView, string> = {
  all: '/calls',
  inbound: '/calls/inbound',
  outbound: '/calls/outbound',
};
const viewTitle: Record<CallView, MessageKey> = {
  all: 'call.title',
  inbound: 'call.inbound_title',
  outbound: 'call.outbound_title',
};

async function tableSpec(c: C, view: CallView): Promise<TableSpec<CallRow>> {
  const t = c.get('t');
  const pv = pageView(c);
  const ctx = ctxOf(c);
  const agents = await employeeChoices(ctx, 'calls:view');
  const choices = await callFilterChoices(ctx);
  const named = (list: { id: number; name: string }[]) =>
    list.map((x) => ({ value: String(x.id), label: x.name }));
  const filters: Record<string, Filter | null> = {
    q: { key: 'q', label: 'call.number', kind: 'text', placeholder: 'call.filter_q' },
    from: { key: 'from', label: 'call.from_date', kind: 'date' },
    to: { key: 'to', label: 'call.to_date', kind: 'date' },
    direction: {
      key: 'direction',
      label: 'call.direction',
      kind: 'select',
      options: callDirections.map((d) => ({ value: d, label: t(directionLabel(d)) })),
    },
    disposition: {
      key: 'disposition',
      label: 'call.disposition',
      kind: 'select',
      options: callDispositions.map((d) => ({ value: d, label: t(dispositionLabel(d)) })),
    },
    agent: {
      key: 'agent',
      label: 'call.agent',
      kind: 'select',
      options: agents.map((a) => ({ value: String(a.id), label: a.name })),
    },
    group: { key: 'group', label: 'call.group', kind: 'select', options: named(choices.groups) },
    // Trunks and hotlines are settings: no filter for readers who may not see them.
    trunk:
      choices.trunks.length > 0
        ? { key: 'trunk', label: 'call.trunk', kind: 'select', options: named(choices.trunks) }
        : null,
    hotline:
      choices.hotlines.length > 0
        ? { key: 'hotline', label: 'call.hotline', kind: 'select', options: named(choices.hotlines) }
        : null,
    ivr: {
      key: 'ivr',
      label: 'call.ivr',
      kind: 'select',
      options: [
        { value: 'any', label: t('call.ivr_any') },
        { value: 'none', label: t('call.ivr_none') },
        ...named(choices.ivrs),
      ],
    },
    talkMin: { key: 'talkMin', label: 'call.talk_min', kind: 'number', placeholder: 'call.seconds' },
    talkMax: { key: 'talkMax', label: 'call.talk_max', kind: 'number', placeholder: 'call.seconds' },
    businessType: {
      key: 'businessType',
      label: 'desk.business_type',
      kind: 'select',
      options: choices.businessTypes.map((b) => ({ value: String(b.id), label: businessTypeLabel(pv, b) })),
    },
    satisfaction: {
      key: 'satisfaction',
      label: 'call.survey',
      kind: 'select',
      options: [
        { value: 'scored', label: t('call.survey_scored') },
        { value: 'none', label: t('call.survey_none') },
        ...[1, 2, 3, 4, 5].map((n) => ({ value: String(n), label: t('call.survey_level', { score: n }) })),
      ],
    },
    recorded: {
      key: 'recorded',
      label: 'call.recording',
      kind: 'select',
      options: [
        { value: 'yes', label: t('call.recorded_only') },
        { value: 'no', label: t('call.unrecorded_only') },
      ],
    },
  };
  const columns = callColumns(view);
  return {
    id: view === 'all' ? 'calls' : `calls-${view}`,
    filters: viewFilters[view].map((k) => filters[k]).filter((f): f is Filter => Boolean(f)),
    columns: viewColumns[view].map((k) => columns[k]!),
    exportPermission: 'calls:export',
  };
}

/** Why a call did not connect, as a person would say it, with the SIP code when there is one. */
function reasonText(pv: PageView, r: CallRow): string {
  if (!r.reason) return '';
  const key = `call.reason.${r.reason}` as MessageKey;
  const text = pv.t(key) === key ? r.reason : pv.t(key);
  return r.sipCode ? `${text} (SIP ${r.sipCode})` : text;
}

/** The tabs between the call lists. */
function ViewTabs({ pv, view }: { pv: PageView; view: CallView }) {
  return (
    <nav class="call-views" aria-label={pv.t('call.views')}>
      {(['all', 'inbound', 'outbound'] as const).map((v) => (
        <a
          class={v === view ? 'button primary' : 'button'}
          href={viewBase[v]}
          aria-current={v === view ? 'page' : undefined}
        >
          {pv.t(v === 'all' ? 'call.all_calls' : viewTitle[v])}
        </a>
      ))}
    </nav>
  );
}

/** Names the filters whose value was not understood (they are not applied), inside the table so live filtering updates it. */
function InvalidFilters({ pv, spec, keys }: { pv: PageView; spec: TableSpec<CallRow>; keys: string[] }) {
  if (keys.length === 0) return null;
  const labels = spec.filters.filter((f) => keys.includes(f.key)).map((f) => pv.t(f.label));
  return (
    <p class="notice" role="alert" data-invalid-filters={keys.join(' ')}>
      {pv.t('call.filter_invalid', { filters: labels.join(', ') })}
    </p>
  );
}

function listPage(view: CallView) {
  return async (c: C) => {
    const ctx = ctxOf(c);
    const t = c.get('t');
    const spec = await tableSpec(c, view);
    const data = await loadTable(c, spec, viewBase[view], (q) => callListing(ctx, q, view));
    const invalid = invalidCallFilters(data.query.filters);
    return renderPage(c, { title: t(viewTitle[view]) }, (pv) => (
      <section class="panel">
        <div class="panel-head">
          <h1>{t(viewTitle[view])}</h1>
          {can(ctx.actor, 'callcenter:edit') ? (
            <a class="button" href="/calls/retention">
              {t('call.retention')}
            </a>
          ) : null}
        </div>
        <ViewTabs pv={pv} view={view} />
        <DataTable pv={pv} data={data} toolbar={<InvalidFilters pv={pv} spec={spec} keys={invalid} />} />
      </section>
    ));
  };
}

callRoutes.get('/', listPage('all'));
exportRoutes(
  callRoutes,
  (c) => tableSpec(c, 'all'),
  (c, q) => callListing(ctxOf(c), q, 'all'),
);

/** The inbound (呼入通话记录) and outbound (呼出通话记录) lists, mounted at /calls/inbound and /calls/outbound. */
function directionRoutes(view: 'inbound' | 'outbound') {
  const routes = new Hono<AppEnv>();
  routes.get('/', listPage(view));
  exportRoutes(
    routes,
    (c) => tableSpec(c, view),
    (c, q) => callListing(ctxOf(c), q, view),
  );
  return routes;
}
export const inboundCallRoutes = directionRoutes('inbound');
export const outboundCallRoutes = directionRoutes('outbound');

async function retentionPage(c: C, state: FormState, status: 200 | 422 = 200) {
  const t = c.get('t');
  return renderPage(c, { title: t('call.retention'), status }, (pv) => (
    <section class="panel">
      <h1>{t('call.retention')}</h1>
      <p>{t('call.retention_intro')}</p>
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
      </Form>
    </section>
  ));
}

callRoutes.get('/retention', async (c) => {
  const ctx = ctxOf(c);
  if (!can(ctx.actor, 'callcenter:edit')) throw new NotFoundError();
  return retentionPage(c, emptyForm({ retentionDays: await retentionDays(ctx.db) }));
});

callRoutes.post('/retention', async (c) => {
  const raw = await readForm(c);
  const result = await attempt(raw, () => setRetentionDays(ctxOf(c), String(raw.retentionDays ?? '')));
  if (!result.ok) return retentionPage(c, result.state, 422);
  return see(c, '/calls', { key: 'common.saved', kind: 'ok' });
});

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
      return t('timeline.resumed');
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

callRoutes.get('/:id', async (c) => {
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

callRoutes.on(['GET', 'HEAD'], '/:id/recording', async (c) => {
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
