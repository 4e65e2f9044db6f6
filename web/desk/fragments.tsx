/**
 * The agent desk's live parts, rendered on the server: the state panel (坐席状态), the call
 * panel with the screen pop (来电弹屏) and the call controls, and the queue bar (排队情况状态条).
 * The desk page shows them, and the live stream sends them again whenever they change.
 */
import type { ScreenPop } from '../../cti/desk/screen-pop.ts';
import type { WaitingCaller } from '../../cti/acd/floor-view.ts';
import type { DeskCall } from '../../cti/desk/view.ts';
import type { AgentState } from '../../db/schema.ts';
import type { MessageKey } from '../i18n/index.ts';
import { formatDuration as clock, formatTime } from '../views/format.ts';
import { PostButton } from '../views/form.tsx';
import type { PageView } from '../views/page.tsx';

export interface BreakReason {
  id: number;
  builtinKey: string | null;
  name: string;
}

const stateLabel = (s: AgentState) => `agent.state.${s}` as MessageKey;
/** A break reason's label: the translated name of a default one, the name of an added one. */
export const reasonLabel = (pv: PageView, r: { builtinKey: string | null; name: string }) =>
  r.builtinKey ? pv.t(`agent.break.${r.builtinKey}` as MessageKey) : r.name;

/** A duration that the page keeps counting (app.js updates elements with data-since). */
export function Since(props: { pv: PageView; since: Date | number }) {
  const at = new Date(props.since);
  return (
    <span class="since" data-since={at.toISOString()} title={formatTime(at, props.pv.locale)}>
      {clock(Math.max(0, Math.round((Date.now() - at.getTime()) / 1000)))}
    </span>
  );
}

export function StatePanel(props: {
  pv: PageView;
  state: { state: AgentState; since: Date; reason: string };
  reasons: BreakReason[];
}) {
  const { pv, state: current, reasons } = props;
  const { t } = pv;
  const reason = reasons.find((r) => (r.builtinKey ?? r.name) === current.reason);
  const busy = current.state === 'ringing' || current.state === 'on_call';
  return (
    <div class="agent-state" data-state={current.state}>
      <p class="state-line">
        <span class={`badge state-${current.state}`} data-state={current.state}>
          {t(stateLabel(current.state))}
          {current.state === 'break' && reason ? ` · ${reasonLabel(pv, reason)}` : ''}
        </span>{' '}
        {current.state !== 'logged_out' ? <Since pv={pv} since={current.since} /> : null}
      </p>
      {busy ? (
        <p class="hint">{t('agent.busy_hint')}</p>
      ) : (
        <div class="state-actions">
          {current.state === 'logged_out' ? (
            <PostButton pv={pv} action="/desk/state/ready" label="agent.login" look="primary" />
          ) : (
            <>
              {current.state !== 'ready' ? (
                <PostButton pv={pv} action="/desk/state/ready" label="agent.ready" look="primary" />
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
              <PostButton pv={pv} action="/desk/state/logged_out" label="agent.logout" look="button" />
            </>
          )}
        </div>
      )}
    </div>
  );
}

export interface CallPanelData {
  call: DeskCall | null;
  pop: ScreenPop | null;
  /** The call to write the wrap-up note for (the current one, or the last one taken). */
  noteCall: {
    callId: string;
    number: string;
    startedAt: Date;
    businessTypeId: number | null;
    note: string | null;
  } | null;
  names: Map<number, string>;
  groups: Map<number, string>;
  businessTypes: { id: number; code: string; builtinKey: string | null; name: string }[];
  /** Agents and groups one can transfer or invite to. */
  targets: { agents: { id: number; name: string }[]; groups: { id: number; name: string }[] };
  confirmClose: boolean;
}

export const businessTypeLabel = (pv: PageView, b: { builtinKey: string | null; name: string }) =>
  b.builtinKey ? pv.t(`business.${b.builtinKey}` as MessageKey) : b.name;

function ScreenPopFacts(props: { pv: PageView; d: CallPanelData; call: DeskCall }) {
  const { pv, d, call } = props;
  const { t } = pv;
  const pop = d.pop;
  return (
    <>
      <p class="caller">
        <span class="caller-number" data-number={call.number}>
          {call.number || t('common.none')}
        </span>
        {call.vip || pop?.vip ? <span class="badge warn flag-vip">{t('desk.vip')}</span> : null}
        {pop?.blacklisted ? <span class="badge danger flag-blacklist">{t('desk.blacklisted')}</span> : null}
        {pop && pop.repeatCalls > 0 ? (
          <span class="badge flag-repeat">
            {t('desk.repeat_caller', { count: pop.repeatCalls, hours: pop.repeatHours })}
          </span>
        ) : null}
      </p>
      <dl class="facts">
        <dt>{t('desk.region')}</dt>
        <dd data-field="region">{call.region || t('common.none')}</dd>
        <dt>{t('desk.group')}</dt>
        <dd>{call.groupId !== null ? (d.groups.get(call.groupId) ?? '') : t('common.none')}</dd>
        <dt>{t('desk.direction')}</dt>
        <dd>{t(`call.direction.${call.direction}` as MessageKey)}</dd>
        {Object.entries(pop?.collected ?? {}).map(([name, value]) => (
          <>
            <dt>{name}</dt>
            <dd data-collected={name}>{value}</dd>
          </>
        ))}
      </dl>
      {pop && pop.previous.length > 0 ? (
        <>
          <h3>{t('desk.previous_calls')}</h3>
          <table class="plain previous-calls">
            <tbody>
              {pop.previous.map((p) => (
                <tr>
                  <td>
                    <a href={`/calls/${p.callId}`}>{formatTime(p.startedAt, pv.locale)}</a>
                  </td>
                  <td>{t(`call.direction.${p.direction}` as MessageKey)}</td>
                  <td>{t(`call.disposition.${p.disposition}` as MessageKey)}</td>
                  <td>{p.agentId !== null ? (d.names.get(p.agentId) ?? '') : ''}</td>
                  <td>{clock(p.talkSeconds)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </>
  );
}

function Controls(props: { pv: PageView; d: CallPanelData; call: DeskCall }) {
  const { pv, d, call } = props;
  const { t } = pv;
  if (call.phase !== 'talking') return <p class="hint">{t('desk.answer_on_phone')}</p>;
  return (
    <div class="call-controls">
      <div class="buttons">
        {call.consulting ? (
          <>
            <PostButton pv={pv} action="/desk/call/complete" label="desk.complete_transfer" look="primary" />
            <PostButton pv={pv} action="/desk/call/cancel" label="desk.cancel_transfer" look="button" />
          </>
        ) : call.held ? (
          <PostButton pv={pv} action="/desk/call/resume" label="desk.resume" look="primary" />
        ) : (
          <PostButton pv={pv} action="/desk/call/hold" label="desk.hold" look="button" />
        )}
        {call.muted ? (
          <PostButton pv={pv} action="/desk/call/unmute" label="desk.unmute" look="primary" />
        ) : (
          <PostButton pv={pv} action="/desk/call/mute" label="desk.mute" look="button" />
        )}
        {call.direction === 'inbound' && !call.placedByMe ? (
          <PostButton pv={pv} action="/desk/call/survey" label="desk.survey_invite" look="button" />
        ) : null}
        <PostButton
          pv={pv}
          action="/desk/call/hangup"
          label="desk.hangup"
          look="button"
          danger
          confirm={d.confirmClose ? t('desk.confirm_hangup') : undefined}
          id="hangup"
        />
      </div>
      {call.consulting ? null : (
        <form method="post" action="/desk/call/transfer" class="inline-form transfer-form" id="transfer-form">
          <input type="hidden" name="_csrf" value={pv.csrf} />
          <select name="target" aria-label={t('desk.transfer_target')}>
            <optgroup label={t('desk.agents')}>
              {d.targets.agents.map((a) => (
                <option value={`agent:${a.id}`}>{a.name}</option>
              ))}
            </optgroup>
            <optgroup label={t('desk.groups')}>
              {d.targets.groups.map((g) => (
                <option value={`group:${g.id}`}>{g.name}</option>
              ))}
            </optgroup>
            <option value="external">{t('desk.external_number')}</option>
          </select>
          <input
            type="tel"
            name="number"
            placeholder={t('desk.external_number')}
            aria-label={t('desk.external_number')}
          />
          <button name="mode" value="blind">
            {t('desk.blind_transfer')}
          </button>
          <button name="mode" value="consult">
            {t('desk.consult')}
          </button>
          <button name="mode" value="conference">
            {t('desk.conference')}
          </button>
        </form>
      )}
      {call.parties.length > 2 ? (
        <p class="parties" data-parties={call.parties.filter((p) => p.answered).length}>
          {t('desk.parties', { count: call.parties.filter((p) => p.answered).length })}
        </p>
      ) : null}
    </div>
  );
}

function NoteForm(props: { pv: PageView; d: CallPanelData }) {
  const { pv, d } = props;
  const { t } = pv;
  const n = d.noteCall;
  if (!n) return null;
  return (
    <form method="post" action={`/desk/notes/${n.callId}`} class="form note-form" id="note-form">
      <input type="hidden" name="_csrf" value={pv.csrf} />
      <h3>{t('desk.notes_for', { number: n.number, time: formatTime(n.startedAt, pv.locale) })}</h3>
      <div class="field">
        <label for="f-businessTypeId">{t('desk.business_type')}</label>
        <select id="f-businessTypeId" name="businessTypeId">
          <option value="">{t('common.none')}</option>
          {d.businessTypes.map((b) => (
            <option value={String(b.id)} selected={b.id === n.businessTypeId}>
              {businessTypeLabel(pv, b)}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="f-note">{t('desk.note')}</label>
        <textarea id="f-note" name="note" rows={3}>
          {n.note ?? ''}
        </textarea>
      </div>
      <div class="form-actions">
        <button type="submit">{t('desk.save_note')}</button>
      </div>
    </form>
  );
}

export function CallPanel(props: { pv: PageView; d: CallPanelData }) {
  const { pv, d } = props;
  const { t } = pv;
  const call = d.call;
  return (
    <div class="call-panel" data-call={call?.callId ?? ''} data-phase={call?.phase ?? 'idle'}>
      {call ? (
        <div class={`screen-pop ${call.phase}`} id="screen-pop" role="status">
          <h2>
            {call.phase === 'ringing' ? t('desk.incoming') : t('desk.on_call')}{' '}
            {call.since ? <Since pv={pv} since={call.since} /> : null}
            {call.held ? <span class="badge warn">{t('desk.held')}</span> : null}
            {call.muted ? <span class="badge warn">{t('desk.muted')}</span> : null}
          </h2>
          <ScreenPopFacts pv={pv} d={d} call={call} />
          <Controls pv={pv} d={d} call={call} />
        </div>
      ) : (
        <p class="hint" id="no-call">
          {t('desk.no_call')}
        </p>
      )}
      <NoteForm pv={pv} d={d} />
    </div>
  );
}

export interface QueueLine {
  groupId: number;
  name: string;
  waiting: number;
  longestSeconds: number;
  visible: boolean;
  serveEarly: boolean;
  callers: WaitingCaller[];
}

export function QueueBar(props: { pv: PageView; lines: QueueLine[] }) {
  const { pv, lines } = props;
  const { t } = pv;
  if (lines.length === 0) return <p class="hint">{t('desk.no_groups')}</p>;
  return (
    <div class="queue-bar">
      {lines.map((l) => (
        <div class="queue-line" data-group={l.groupId} data-waiting={l.waiting}>
          <strong>{l.name}</strong>{' '}
          <span class={`badge ${l.waiting > 0 ? 'warn' : 'ok'}`}>
            {t('desk.waiting', { count: l.waiting })}
          </span>{' '}
          {l.waiting > 0 ? (
            <span class="hint">{t('desk.longest_wait', { time: clock(l.longestSeconds) })}</span>
          ) : null}
          {l.visible && l.callers.length > 0 ? (
            <ol class="waiting-callers">
              {l.callers.map((w) => (
                <li data-key={w.key}>
                  <span>{w.kind === 'callback' ? t('desk.callback_request') : w.number}</span>
                  {w.vip ? <span class="badge warn">{t('desk.vip')}</span> : null}{' '}
                  <span class="hint">{clock(w.waitedSeconds)}</span>
                  {l.serveEarly && !w.offering ? (
                    <PostButton
                      pv={pv}
                      action={`/desk/queue/${encodeURIComponent(w.key)}/serve`}
                      label="desk.serve_early"
                    />
                  ) : null}
                </li>
              ))}
            </ol>
          ) : null}
        </div>
      ))}
    </div>
  );
}
