/**
 * The supervisor workbench (班长工作台, 3.9.1): live over Server-Sent Events, the queues (waiting
 * now, longest wait, agents staffed and free, today's offered/answered/abandoned and service
 * level) and the agents in the supervisor's scope (state and time in it, the caller they talk
 * to, their groups), with listen / whisper / barge and forcing an agent's state. The monitoring
 * log (监控记录, 3.9.2) lists every such action.
 */
import { Hono } from 'hono';
import { can, requirePermission } from '../../core/access/actor.ts';
import { forceState, listBreakReasons } from '../../cti/agents/agent-states.ts';
import {
  monitorActions,
  type MonitoringRow,
  monitoringListing,
  requireWorkbench,
} from '../../cti/supervision/floor.ts';
import type { Ctx } from '../../core/context.ts';
import { DomainError } from '../../core/errors.ts';
import { toId } from '../../core/validate.ts';
import type { CallEngine } from '../../cti/calls/engine.ts';
import type { MonitorMode } from '../../cti/supervision/monitor.ts';
import { type Floor, workbenchFloor } from '../../cti/supervision/workbench.ts';
import { Since } from '../desk/fragments.tsx';
import { type AppEnv, type C, ctxOf, engineOf } from '../env.ts';
import { act } from '../forms.ts';
import { idParam, readForm } from '../http.ts';
import { liveParts } from '../live.ts';
import type { MessageKey } from '../i18n/index.ts';
import { DataTable, exportRoutes, loadTable, type TableSpec } from '../table.tsx';
import { formatDuration, formatTime } from '../views/format.ts';
import { PostButton } from '../views/form.tsx';
import { pageView, type PageView, renderPage } from '../views/page.tsx';

export const supervisorRoutes = new Hono<AppEnv>();

const percent = (v: number | null) => (v === null ? '—' : `${Math.round(v * 100)}%`);

function QueuesTable(props: { pv: PageView; f: Floor }) {
  const { pv, f } = props;
  const { t } = pv;
  return (
    <table class="data wallboard-queues" id="queues">
      <thead>
        <tr>
          <th>{t('sup.group')}</th>
          <th>{t('sup.waiting')}</th>
          <th>{t('sup.longest_wait')}</th>
          <th>{t('sup.staffed')}</th>
          <th>{t('sup.free')}</th>
          <th>{t('sup.offered_today')}</th>
          <th>{t('sup.answered_today')}</th>
          <th>{t('sup.abandoned_today')}</th>
          <th>{t('sup.service_level', { seconds: f.slSeconds })}</th>
        </tr>
      </thead>
      <tbody>
        {f.queues.map((q) => (
          <tr data-group={q.id}>
            <td>{q.name}</td>
            <td class={q.waiting > 0 ? 'warn' : ''} data-waiting={q.waiting}>
              {q.waiting}
            </td>
            <td>{formatDuration(q.longestSeconds)}</td>
            <td>{q.staffed}</td>
            <td>{q.free}</td>
            <td>{q.offered}</td>
            <td>{q.answered}</td>
            <td>{q.abandoned}</td>
            <td>{percent(q.serviceLevel)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AgentsTable(props: {
  pv: PageView;
  f: Floor;
  reasons: { id: number; builtinKey: string | null; name: string }[];
}) {
  const { pv, f, reasons } = props;
  const { t } = pv;
  const monitor = pv.actor ? can(pv.actor, 'supervisor:monitor') : false;
  const force = pv.actor ? can(pv.actor, 'supervisor:force_state') : false;
  return (
    <table class="data" id="agents">
      <thead>
        <tr>
          <th>{t('sup.agent')}</th>
          <th>{t('sup.state')}</th>
          <th>{t('sup.in_state')}</th>
          <th>{t('sup.caller')}</th>
          <th>{t('sup.groups')}</th>
          <th>{t('common.actions')}</th>
        </tr>
      </thead>
      <tbody>
        {f.agents.map((a) => {
          // Forcing an agent whose phone rings or who is on a call ends that first: asked before.
          const busy = a.call !== null || a.state === 'ringing' || a.state === 'on_call';
          return (
            <tr data-agent={a.id} data-state={a.state}>
              <td>
                {a.name} {a.jobNumber ? <span class="hint">{a.jobNumber}</span> : null}
              </td>
              <td>
                <span class={`badge state-${a.state}`}>{t(`agent.state.${a.state}` as MessageKey)}</span>
              </td>
              <td>{a.state !== 'logged_out' && a.since ? <Since pv={pv} since={a.since} /> : ''}</td>
              <td>
                {a.call ? (
                  <>
                    {a.call.number} {a.call.since ? <Since pv={pv} since={a.call.since} /> : null}
                  </>
                ) : (
                  ''
                )}
              </td>
              <td>{a.groups.join(', ')}</td>
              <td class="actions">
                {monitor && a.call
                  ? (['listen', 'whisper', 'barge'] as const).map((mode) => (
                      <PostButton
                        pv={pv}
                        action={`/supervisor/agents/${a.id}/monitor`}
                        label={`sup.${mode}` as MessageKey}
                        fields={{ mode }}
                      />
                    ))
                  : null}
                {force ? (
                  <>
                    {a.state !== 'ready' ? (
                      <PostButton
                        pv={pv}
                        action={`/supervisor/agents/${a.id}/state`}
                        label="sup.force_ready"
                        fields={{ target: 'ready' }}
                        confirm={busy ? t('sup.confirm_force_busy', { name: a.name }) : undefined}
                      />
                    ) : null}
                    {a.state !== 'break' && reasons[0] ? (
                      <PostButton
                        pv={pv}
                        action={`/supervisor/agents/${a.id}/state`}
                        label="sup.force_break"
                        fields={{ target: 'break', reasonId: String(reasons[0].id) }}
                        confirm={busy ? t('sup.confirm_force_busy', { name: a.name }) : undefined}
                      />
                    ) : null}
                    {a.state !== 'logged_out' ? (
                      <PostButton
                        pv={pv}
                        action={`/supervisor/agents/${a.id}/state`}
                        label="sup.force_logout"
                        fields={{ target: 'logged_out' }}
                        confirm={
                          busy
                            ? t('sup.confirm_force_busy', { name: a.name })
                            : t('sup.confirm_logout', { name: a.name })
                        }
                      />
                    ) : null}
                  </>
                ) : null}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Sessions(props: { pv: PageView; f: Floor }) {
  const { pv, f } = props;
  const { t } = pv;
  if (f.sessions.length === 0) return <p class="hint">{t('sup.no_sessions')}</p>;
  const names = new Map(f.agents.map((a) => [a.id, a.name]));
  return (
    <ul class="sessions">
      {f.sessions.map((s) => (
        <li data-session={s.id}>
          {t(`sup.${s.mode}` as MessageKey)} · {names.get(s.agentId) ?? ''}{' '}
          <PostButton
            pv={pv}
            action={`/supervisor/sessions/${s.id}/end`}
            label="sup.end_session"
            look="button"
          />
        </li>
      ))}
    </ul>
  );
}

async function parts(ctx: Ctx, engine: CallEngine | null, pv: PageView) {
  const f = await workbenchFloor(ctx, engine);
  const reasons = await listBreakReasons(ctx.db);
  return {
    queues: (<QueuesTable pv={pv} f={f} />).toString(),
    agents: (<AgentsTable pv={pv} f={f} reasons={reasons} />).toString(),
    sessions: (<Sessions pv={pv} f={f} />).toString(),
  };
}

supervisorRoutes.get('/', async (c) => {
  const ctx = ctxOf(c);
  requireWorkbench(ctx);
  const t = c.get('t');
  const engine = engineOf(c);
  const html = await parts(ctx, engine, pageView(c));
  const raw = (s: string) => <div dangerouslySetInnerHTML={{ __html: s }} />;
  return renderPage(c, { title: t('sup.title') }, () => (
    <div class="workbench" hx-ext="sse" sse-connect="/supervisor/live" id="workbench">
      <section class="panel">
        <h1>{t('sup.title')}</h1>
        {engine ? null : <p class="form-error">{t('err.pbx_down')}</p>}
        <h2>{t('sup.queues')}</h2>
        <div sse-swap="queues">{raw(html.queues)}</div>
      </section>
      <section class="panel">
        <h2>{t('sup.my_sessions')}</h2>
        <div sse-swap="sessions">{raw(html.sessions)}</div>
      </section>
      <section class="panel">
        <h2>{t('sup.agents')}</h2>
        <div sse-swap="agents">{raw(html.agents)}</div>
      </section>
    </div>
  ));
});

/** Live: the three parts again when they change. */
supervisorRoutes.get('/live', (c) => {
  const ctx = ctxOf(c);
  requireWorkbench(ctx);
  const engine = engineOf(c);
  const pv = pageView(c);
  // Today's figures move with every call: read again at least every second.
  return liveParts(c, engine, (now) => parts(now, engine, pv), { refreshMs: 1000, guard: requireWorkbench });
});

supervisorRoutes.post('/agents/:id/monitor', async (c) => {
  const id = idParam(c);
  const raw = await readForm(c);
  const mode = String(raw.mode) as MonitorMode;
  return act(
    c,
    '/supervisor',
    async () => {
      if (!['listen', 'whisper', 'barge'].includes(mode)) throw new DomainError('invalid_choice');
      const engine = engineOf(c);
      if (!engine) throw new DomainError('pbx_down');
      await engine.monitor.begin(ctxOf(c), id, mode);
    },
    { key: 'sup.monitor_started', kind: 'ok' },
  );
});

supervisorRoutes.post('/sessions/:id/end', (c) =>
  act(
    c,
    '/supervisor',
    async () => {
      const engine = engineOf(c);
      if (!engine) throw new DomainError('pbx_down');
      await engine.monitor.end(ctxOf(c), idParam(c));
    },
    { key: 'sup.monitor_ended', kind: 'ok' },
  ),
);

supervisorRoutes.post('/agents/:id/state', async (c) => {
  const id = idParam(c);
  const raw = await readForm(c);
  const target = String(raw.target);
  return act(
    c,
    '/supervisor',
    async () => {
      if (target !== 'ready' && target !== 'break' && target !== 'logged_out')
        throw new DomainError('invalid_choice');
      const engine = engineOf(c);
      await forceState(
        ctxOf(c),
        id,
        target,
        toId(raw.reasonId),
        engine ? (agentId, state) => engine.releaseAgent(agentId, state) : undefined,
      );
    },
    { key: 'sup.state_forced', kind: 'ok' },
  );
});

// ── monitoring log ──────────────────────────────────────────────────────────
const actionLabel = (a: string) => `sup.action.${a}` as MessageKey;

function logSpec(c: C): TableSpec<MonitoringRow> {
  const t = c.get('t');
  return {
    id: 'monitoring-log',
    filters: [
      { key: 'q', label: 'common.search', kind: 'text' },
      {
        key: 'action',
        label: 'sup.action',
        kind: 'select',
        options: monitorActions.map((a) => ({ value: a, label: t(actionLabel(a)) })),
      },
      { key: 'from', label: 'call.from_date', kind: 'date' },
      { key: 'to', label: 'call.to_date', kind: 'date' },
    ],
    columns: [
      {
        key: 'startedAt',
        label: 'sup.started',
        sort: 'startedAt',
        cell: (r, pv) => formatTime(r.l.startedAt, pv.locale),
        csv: (r) => r.l.startedAt,
      },
      { key: 'supervisor', label: 'sup.supervisor', cell: (r) => r.supervisorName },
      { key: 'agent', label: 'sup.agent', cell: (r) => r.agentName },
      { key: 'action', label: 'sup.action', cell: (r, pv) => pv.t(actionLabel(r.l.action)) },
      {
        key: 'detail',
        label: 'sup.detail',
        cell: (r) =>
          r.l.callId ? <a href={`/calls/${encodeURIComponent(r.l.callId)}`}>{r.l.detail}</a> : r.l.detail,
        csv: (r) => r.l.detail,
      },
      {
        key: 'duration',
        label: 'sup.duration',
        cell: (r) =>
          r.l.endedAt ? formatDuration((r.l.endedAt.getTime() - r.l.startedAt.getTime()) / 1000) : '',
      },
    ],
    exportPermission: 'supervisor:view',
  };
}

supervisorRoutes.get('/log', async (c) => {
  const ctx = ctxOf(c);
  requirePermission(ctx.actor, 'supervisor:view');
  const t = c.get('t');
  const data = await loadTable(c, logSpec(c), '/supervisor/log', (q) => monitoringListing(ctx, q));
  return renderPage(c, { title: t('sup.log_title') }, (pv) => (
    <section class="panel">
      <h1>{t('sup.log_title')}</h1>
      <DataTable pv={pv} data={data} />
    </section>
  ));
});

const logExports = new Hono<AppEnv>();
exportRoutes(logExports, logSpec, (c, q) => monitoringListing(ctxOf(c), q));
supervisorRoutes.route('/log', logExports);
