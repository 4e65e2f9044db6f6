/**
 * The agent desk (坐席工作台): the agent's state, the call panel with the screen pop and the
 * controls (hold, mute, transfer, conference, survey, hang up with confirmation), the wrap-up
 * note with its business type, and the queue bar of the agent's groups with "serve early".
 * The page stays live over Server-Sent Events: when the agent's state, call or queues change,
 * the server sends the changed part again (htmx's SSE extension swaps it in).
 */
import { Hono } from 'hono';
import { requirePermission } from '../../core/access/actor.ts';
import { confirmClose, listBusinessTypes } from '../../cti/acd/acd-settings.ts';
import { listBreakReasons, setAutoAnswer, setOwnState, stateOf } from '../../cti/agents/agent-states.ts';
import { lastCallOf, saveCallNote, screenPop } from '../../cti/desk/screen-pop.ts';
import type { Ctx } from '../../core/context.ts';
import { DomainError } from '../../core/errors.ts';
import { normaliseNumber, toBool, toId } from '../../core/validate.ts';
import type { TransferTarget } from '../../cti/call-log/events.ts';
import type { CallEngine } from '../../cti/calls/engine.ts';
import { CallLog } from '../../cti/call-log/log.ts';
import { deskCall } from '../../cti/desk/view.ts';
import { type AppEnv, type C, ctxOf, engineOf } from '../env.ts';
import { act } from '../forms.ts';
import { readForm } from '../http.ts';
import { liveParts } from '../live.ts';
import type { MessageKey } from '../i18n/index.ts';
import { pageView, type PageView, renderPage } from '../views/page.tsx';
import { CallPanel, type CallPanelData, QueueBar, type QueueLine, StatePanel } from './fragments.tsx';

export const deskRoutes = new Hono<AppEnv>();

function requireEngine(c: C): CallEngine {
  const engine = engineOf(c);
  if (!engine) throw new DomainError('pbx_down');
  return engine;
}

async function stateData(ctx: Ctx) {
  return { state: await stateOf(ctx.db, ctx.actor.userId), reasons: await listBreakReasons(ctx.db) };
}

/** Cached per call: the screen pop is read once per call, not on every change of it. */
const pops = new Map<string, Awaited<ReturnType<typeof screenPop>>>();

async function callData(ctx: Ctx, engine: CallEngine | null): Promise<CallPanelData> {
  const me = ctx.actor.userId;
  const call = engine ? deskCall(engine, me) : null;
  let pop = call ? (pops.get(call.callId) ?? null) : null;
  if (call && !pop) {
    pop = await screenPop(ctx, call.callId, call.number);
    pops.set(call.callId, pop);
    if (pops.size > 500) pops.delete(pops.keys().next().value!);
  }
  const last = await lastCallOf(ctx.db, me);
  const { agents: names, groups } = engine?.floor.names() ?? { agents: new Map(), groups: new Map() };
  const noteCall =
    call && call.phase === 'talking'
      ? {
          callId: call.callId,
          number: call.number,
          startedAt: new Date(call.since ?? Date.now()),
          businessTypeId: null,
          note: null,
        }
      : last
        ? {
            callId: last.callId,
            number: last.direction === 'inbound' ? last.fromNumber : last.toNumber,
            startedAt: last.startedAt,
            businessTypeId: last.businessTypeId,
            note: last.note,
          }
        : null;
  return {
    call,
    pop,
    noteCall,
    names,
    groups,
    businessTypes: await listBusinessTypes(ctx.db),
    targets: {
      agents: [...names].filter(([id]) => id !== me).map(([id, name]) => ({ id, name })),
      groups: [...groups].map(([id, name]) => ({ id, name })),
    },
    confirmClose: await confirmClose(ctx.db),
  };
}

function queueData(ctx: Ctx, engine: CallEngine | null): QueueLine[] {
  if (!engine) return [];
  const me = ctx.actor.userId;
  const { floor } = engine;
  return floor.groupsOf(me).map((g) => {
    const now = floor.queueNow(g.id);
    return {
      groupId: g.id,
      name: g.name,
      waiting: now.waiting,
      longestSeconds: now.longestSeconds,
      visible: g.queueVisible,
      serveEarly: g.serveEarly,
      callers: g.queueVisible ? floor.waitingIn([g.id]) : [],
    };
  });
}

/** The three live parts as HTML. */
async function parts(ctx: Ctx, engine: CallEngine | null, pv: PageView) {
  const s = await stateData(ctx);
  const d = await callData(ctx, engine);
  const q = queueData(ctx, engine);
  return {
    state: (<StatePanel pv={pv} state={s.state} reasons={s.reasons} />).toString(),
    call: (<CallPanel pv={pv} d={d} />).toString(),
    queue: (<QueueBar pv={pv} lines={q} />).toString(),
  };
}

deskRoutes.get('/', async (c) => {
  const ctx = ctxOf(c);
  requirePermission(ctx.actor, 'desk:use');
  const t = c.get('t');
  const engine = engineOf(c);
  const html = await parts(ctx, engine, pageView(c));
  const confirm = await confirmClose(ctx.db);
  const raw = (s: string) => <div dangerouslySetInnerHTML={{ __html: s }} />;
  return renderPage(c, { title: t('agent.title') }, (pv) => (
    <div class="desk" hx-ext="sse" sse-connect="/desk/live" id="desk" data-confirm-close={String(confirm)}>
      <section class="panel">
        <h1>{t('agent.title')}</h1>
        {engine ? null : <p class="form-error">{t('err.pbx_down')}</p>}
        <div id="agent-state" sse-swap="state">
          {raw(html.state)}
        </div>
      </section>
      <section class="panel">
        <div id="desk-call" sse-swap="call">
          {raw(html.call)}
        </div>
      </section>
      <section class="panel">
        <h2>{t('desk.queues')}</h2>
        <div id="desk-queue" sse-swap="queue">
          {raw(html.queue)}
        </div>
      </section>
      <p class="hint">{pv.t('desk.live_hint')}</p>
    </div>
  ));
});

/**
 * The live stream: whenever something the agent sees may have changed (their state, any call,
 * their queues), the parts are rendered again and those that differ are sent. Changes are
 * gathered for a quarter of a second; a comment every 15 s keeps proxies from closing it.
 */
deskRoutes.get('/live', (c) => {
  const ctx = ctxOf(c);
  requirePermission(ctx.actor, 'desk:use');
  const engine = engineOf(c);
  const pv = pageView(c);
  return liveParts(c, engine, (now) => parts(now, engine, pv), {
    domainEvents: true,
    guard: (now) => requirePermission(now.actor, 'desk:use'),
  });
});

for (const target of ['ready', 'break', 'logged_out'] as const) {
  deskRoutes.post(`/state/${target}`, async (c) => {
    const raw = await readForm(c);
    return act(c, '/desk', () => setOwnState(ctxOf(c), target, toId(raw.reasonId)), {
      key: `agent.now.${target}` as MessageKey,
      kind: 'ok',
    });
  });
}

const simple: Record<string, (e: CallEngine, ctx: Ctx) => Promise<void>> = {
  hold: (e, ctx) => e.desk.hold(ctx),
  resume: (e, ctx) => e.desk.resume(ctx),
  mute: (e, ctx) => e.desk.mute(ctx, true),
  unmute: (e, ctx) => e.desk.mute(ctx, false),
  hangup: (e, ctx) => e.desk.hangup(ctx),
  survey: (e, ctx) => e.desk.inviteSurvey(ctx),
  complete: (e, ctx) => e.desk.completeTransfer(ctx),
  cancel: (e, ctx) => e.desk.cancelTransfer(ctx),
};

for (const [name, run] of Object.entries(simple)) {
  deskRoutes.post(`/call/${name}`, (c) =>
    act(c, '/desk', () => run(requireEngine(c), ctxOf(c)), {
      key: `desk.done.${name}` as MessageKey,
      kind: 'ok',
    }),
  );
}

/** The transfer form's target: `agent:<id>`, `group:<id>`, or `external` with a number. */
export function parseTarget(raw: Record<string, unknown>): TransferTarget {
  const target = String(raw.target ?? '');
  const [kind, id] = target.split(':');
  if (kind === 'agent' && toId(id)) return { kind: 'agent', userId: toId(id)! };
  if (kind === 'group' && toId(id)) return { kind: 'group', groupId: toId(id)! };
  if (kind === 'external') return { kind: 'external', number: normaliseNumber(String(raw.number ?? '')) };
  throw new DomainError('invalid_choice');
}

deskRoutes.post('/call/transfer', async (c) => {
  const raw = await readForm(c);
  const mode = String(raw.mode ?? 'blind');
  return act(
    c,
    '/desk',
    async () => {
      const engine = requireEngine(c);
      const target = parseTarget(raw);
      const ctx = ctxOf(c);
      if (mode === 'consult') await engine.desk.consult(ctx, target);
      else if (mode === 'conference') await engine.desk.conference(ctx, target);
      else await engine.desk.blindTransfer(ctx, target);
    },
    {
      key: `desk.done.${mode === 'consult' ? 'consult' : mode === 'conference' ? 'conference' : 'transfer'}` as MessageKey,
      kind: 'ok',
    },
  );
});

deskRoutes.post('/notes/:callId', async (c) => {
  const raw = await readForm(c);
  const callId = c.req.param('callId');
  return act(
    c,
    '/desk',
    () =>
      saveCallNote(ctxOf(c), engineOf(c)?.log ?? new CallLog(c.get('deps').db), callId, {
        businessTypeId: raw.businessTypeId,
        note: raw.note,
      }),
    { key: 'desk.note_saved', kind: 'ok' },
  );
});

deskRoutes.post('/queue/:key/serve', (c) =>
  act(
    c,
    '/desk',
    async () => {
      const ctx = ctxOf(c);
      requirePermission(ctx.actor, 'desk:use');
      const outcome = requireEngine(c).serveEarly(ctx.actor.userId, c.req.param('key'));
      if (outcome !== 'ok') throw new DomainError(outcome);
    },
    { key: 'desk.done.serve', kind: 'ok' },
  ),
);

deskRoutes.post('/auto-answer', async (c) => {
  const raw = await readForm(c);
  return act(c, '/desk/phone', () => setAutoAnswer(ctxOf(c), toBool(raw.autoAnswer)), {
    key: 'common.saved',
    kind: 'ok',
  });
});
