/**
 * The wallboard (大屏监控): the floor, or one group, in large type for a wall screen — callers
 * waiting, the longest wait, agents by state, today's service level and abandon rate — with tiles
 * that turn amber or red at the thresholds set next to the statistics rules. It follows the call
 * engine live over SSE (within a second of a change) and refreshes every second for the waits.
 */
import { Hono } from 'hono';
import { requirePermission } from '../../core/access/actor.ts';
import type { Level } from '../../cti/stats/wallboard-thresholds.ts';
import type { Ctx } from '../../core/context.ts';
import { toId } from '../../core/validate.ts';
import type { CallEngine } from '../../cti/calls/engine.ts';
import { type AppEnv, type C, ctxOf, engineOf } from '../env.ts';
import type { MessageKey, T } from '../i18n/index.ts';
import { liveParts } from '../live.ts';
import { formatValue } from '../reports/format.ts';
import { formatDuration } from '../views/format.ts';
import { renderPage } from '../views/page.tsx';
import { type Board, type BoardFigures, boardOf, boardStates } from '../../cti/stats/wallboard.ts';

export const wallboardRoutes = new Hono<AppEnv>();

function Tile(props: { name: string; label: string; value: string; level?: Level; big?: boolean }) {
  return (
    <div
      class={`wb-tile ${props.level ?? 'ok'}${props.big ? ' big' : ''}`}
      data-tile={props.name}
      data-level={props.level ?? 'ok'}
    >
      <span class="wb-value">{props.value}</span>
      <span class="wb-label">{props.label}</span>
    </div>
  );
}

const pct = (v: number | null) => formatValue('percent', v, 'en', 'UTC');

function Tiles(props: { t: T; f: BoardFigures; slSeconds: number }) {
  const { t, f } = props;
  return (
    <div class="wb-tiles">
      <Tile
        name="waiting"
        big
        label={t('wallboard.waiting')}
        value={String(f.waiting)}
        level={f.levels.waiting}
      />
      <Tile
        name="longest"
        big
        label={t('wallboard.longest_wait')}
        value={formatDuration(f.longestSeconds)}
        level={f.levels.longest}
      />
      <Tile
        name="service_level"
        big
        label={t('wallboard.service_level', { seconds: props.slSeconds })}
        value={pct(f.today.serviceLevel)}
        level={f.levels.serviceLevel}
      />
      <Tile
        name="abandon_rate"
        big
        label={t('wallboard.abandon_rate')}
        value={pct(f.today.abandonRate)}
        level={f.levels.abandonRate}
      />
      <Tile name="offered" label={t('wallboard.offered')} value={String(f.today.offered)} />
      <Tile name="answered" label={t('wallboard.answered')} value={String(f.today.answered)} />
      <Tile name="abandoned" label={t('wallboard.abandoned')} value={String(f.today.abandoned)} />
      <Tile name="logged_in" label={t('wallboard.logged_in')} value={String(f.loggedIn)} />
      {boardStates.map((s) => (
        <Tile name={`agents_${s}`} label={t(`agent.state.${s}` as MessageKey)} value={String(f.agents[s])} />
      ))}
    </div>
  );
}

function BoardView(props: { t: T; b: Board }) {
  const { t, b } = props;
  return (
    <div class="wb-board">
      <Tiles t={t} f={b} slSeconds={b.slSeconds} />
      {b.groups.length > 0 ? (
        <table class="wb-groups">
          <thead>
            <tr>
              <th>{t('report.col.group')}</th>
              <th>{t('wallboard.waiting')}</th>
              <th>{t('wallboard.longest_wait')}</th>
              <th>{t('agent.state.ready')}</th>
              <th>{t('wallboard.logged_in')}</th>
              <th>{t('wallboard.service_level', { seconds: b.slSeconds })}</th>
              <th>{t('wallboard.abandon_rate')}</th>
            </tr>
          </thead>
          <tbody>
            {b.groups.map((g) => (
              <tr data-group={g.id}>
                <td>
                  <a href={`/wallboard/groups/${g.id}`}>{g.name}</a>
                </td>
                <td class={g.levels.waiting} data-col="waiting">
                  {g.waiting}
                </td>
                <td class={g.levels.longest}>{formatDuration(g.longestSeconds)}</td>
                <td>{g.agents.ready}</td>
                <td>{g.loggedIn}</td>
                <td class={g.levels.serviceLevel}>{pct(g.today.serviceLevel)}</td>
                <td class={g.levels.abandonRate}>{pct(g.today.abandonRate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}

async function boardHtml(ctx: Ctx, engine: CallEngine | null, groupId: number | null, t: T): Promise<string> {
  return (await (
    <BoardView t={t} b={await boardOf(ctx, engine?.floor ?? null, groupId)} />
  ).toString()) as string;
}

async function page(c: C, groupId: number | null) {
  const ctx = ctxOf(c);
  requirePermission(ctx.actor, 'supervisor:view');
  const t = c.get('t');
  const engine = engineOf(c);
  const board = await boardOf(ctx, engine?.floor ?? null, groupId);
  const title = board.group ? t('wallboard.group_title', { name: board.group.name }) : t('wallboard.title');
  const live = `/wallboard/live${groupId ? `?group=${groupId}` : ''}`;
  return renderPage(c, { title, bare: true }, () => (
    <section class="wallboard" hx-ext="sse" sse-connect={live} id="wallboard">
      <header class="wb-head">
        <h1>{title}</h1>
        <nav>
          {board.group ? <a href="/wallboard">{t('wallboard.title')}</a> : null}{' '}
          <a href="/supervisor">{t('nav.workbench')}</a> <a href="/reports">{t('report.title')}</a>
        </nav>
      </header>
      {engine ? null : <p class="form-error">{t('err.pbx_down')}</p>}
      <div sse-swap="board" id="board">
        <BoardView t={t} b={board} />
      </div>
    </section>
  ));
}

wallboardRoutes.get('/', (c) => page(c, null));
wallboardRoutes.get('/groups/:id', (c) => page(c, toId(c.req.param('id')) ?? -1));

wallboardRoutes.get('/live', (c) => {
  const ctx = ctxOf(c);
  requirePermission(ctx.actor, 'supervisor:view');
  const engine = engineOf(c);
  const groupId = toId(c.req.query('group'));
  const t = c.get('t');
  return liveParts(c, engine, async (now) => ({ board: await boardHtml(now, engine, groupId, t) }), {
    refreshMs: 1000,
    guard: (now) => requirePermission(now.actor, 'supervisor:view'),
  });
});
