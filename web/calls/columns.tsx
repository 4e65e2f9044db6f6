import {
  type CallRow,
  type CallView,
  callDirections,
  callDispositions,
  callFilterChoices,
} from '../../cti/call-log/call-records.ts';
import { employeeChoices } from '../../core/org/employees.ts';
import { businessTypeLabel } from '../desk/fragments.tsx';
import { type C, ctxOf } from '../env.ts';
import type { MessageKey } from '../i18n/index.ts';
import type { Column, Filter, TableSpec } from '../table.tsx';
import { formatDuration, formatTime } from '../views/format.ts';
import { type PageView, pageView } from '../views/page.tsx';

export const dispositionLabel = (d: string) => `call.disposition.${d}` as MessageKey;
export const directionLabel = (d: string) => `call.direction.${d}` as MessageKey;

export function Disposition({ pv, call }: { pv: PageView; call: CallRow }) {
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

export const viewBase: Record<CallView, string> = {
  all: '/calls',
  inbound: '/calls/inbound',
  outbound: '/calls/outbound',
};
export const viewTitle: Record<CallView, MessageKey> = {
  all: 'call.title',
  inbound: 'call.inbound_title',
  outbound: 'call.outbound_title',
};

export async function tableSpec(c: C, view: CallView): Promise<TableSpec<CallRow>> {
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
export function reasonText(pv: PageView, r: CallRow): string {
  if (!r.reason) return '';
  const key = `call.reason.${r.reason}` as MessageKey;
  const text = pv.t(key) === key ? r.reason : pv.t(key);
  return r.sipCode ? `${text} (SIP ${r.sipCode})` : text;
}
