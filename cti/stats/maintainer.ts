/**
 * Keeps the statistics current while the call centre runs (started by main.ts; tests call
 * `runOnce`):
 *
 * - calls marked dirty (their call ended, or something about them changed afterwards) get their
 *   facts recomputed; the rollups lose the old facts' counts and gain the new ones in the same
 *   transaction; when a customer calls again, their previous call becomes dirty too (its
 *   first-call resolution changed);
 * - agents' state changes since the last run are turned into seconds per state and bucket
 *   (closing the interval that each change ends), first log-in and last log-out per day, and a
 *   wrap-up that ends makes its call dirty (its handle time changed);
 * - a change of the statistics rules rebuilds every rollup from the facts.
 */
import { logOf } from '../../core/ops/log.ts';
import { and, asc, eq, gt, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import {
  agentStateEvents,
  statsAgentFacts,
  statsCallFacts,
  statsDirty,
  statsIvrFacts,
} from '../../db/schema.ts';
import { readSetting, writeSetting } from '../../core/settings.ts';
import { markDirty } from '../call-log/changed-calls.ts';
import { type Facts, factsOf } from './facts.ts';
import { applyFacts, bucketSql, rebuildRollups } from './rollups.ts';
import { type StatsRules, statsRules } from './rules.ts';

const batch = 200;

export class StatsMaintainer {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private rulesSeen: string | null = null;

  constructor(
    private readonly db: Db,
    private readonly tz: string,
    private readonly log: (line: string) => void = logOf('stats').line,
  ) {}

  /** Runs every `everyMs` until stopped. */
  start(everyMs = 500): void {
    const tick = () => {
      this.timer = setTimeout(() => {
        void this.runOnce()
          .catch((err: Error) => this.log(`failed: ${err.message}`))
          .finally(tick);
      }, everyMs);
      this.timer.unref();
    };
    tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Does everything pending; returns how many calls and agent changes it counted. */
  runOnce(): Promise<number> {
    this.running ??= this.work().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async work(): Promise<number> {
    const rules = await statsRules(this.db);
    const key = JSON.stringify(rules);
    if (this.rulesSeen === null)
      this.rulesSeen = await readSetting(this.db, 'stats.rules_applied', key, isString);
    if (this.rulesSeen !== key) {
      this.log('statistics rules changed: recounting history');
      await rebuildRollups(this.db, rules, this.tz);
      await writeSetting(this.db, 'stats.rules_applied', key);
      this.rulesSeen = key;
    }
    let done = 0;
    for (;;) {
      const n = (await this.agentChanges()) + (await this.dirtyCalls(rules));
      done += n;
      if (n === 0) return done;
    }
  }

  /** Recounts a batch of dirty calls. */
  private async dirtyCalls(rules: StatsRules): Promise<number> {
    const dirty = await this.db.select().from(statsDirty).orderBy(asc(statsDirty.at)).limit(batch);
    if (dirty.length === 0) return 0;
    const ids = dirty.map((d) => d.callId);
    const facts: Facts[] = [];
    for (const id of ids) {
      const f = await factsOf(this.db, id);
      if (f) facts.push(f);
    }
    await this.db.transaction(async (tx) => {
      await applyFacts(tx, ids, -1, rules, this.tz);
      await tx.delete(statsCallFacts).where(inArray(statsCallFacts.callId, ids));
      await tx.delete(statsAgentFacts).where(inArray(statsAgentFacts.callId, ids));
      await tx.delete(statsIvrFacts).where(inArray(statsIvrFacts.callId, ids));
      if (facts.length > 0) {
        await tx.insert(statsCallFacts).values(facts.map((f) => f.call));
        const agents = facts.flatMap((f) => f.agents);
        if (agents.length > 0) await tx.insert(statsAgentFacts).values(agents);
        const ivr = facts.flatMap((f) => f.ivr);
        if (ivr.length > 0) await tx.insert(statsIvrFacts).values(ivr);
      }
      await applyFacts(tx, ids, 1, rules, this.tz);
      // Only what was picked, unless it was marked again meanwhile.
      for (const d of dirty)
        await tx
          .delete(statsDirty)
          .where(and(eq(statsDirty.callId, d.callId), lt(statsDirty.at, new Date(d.at.getTime() + 1))));
      // The customer's previous call learns that they called again.
      const previous: string[] = [];
      for (const f of facts) {
        const c = f.call;
        if (c.direction !== 'inbound' || !c.customerNumber) continue;
        const rows = await tx
          .select({ callId: statsCallFacts.callId })
          .from(statsCallFacts)
          .where(
            and(
              eq(statsCallFacts.customerNumber, c.customerNumber),
              eq(statsCallFacts.direction, 'inbound'),
              lt(statsCallFacts.startedAt, c.startedAt),
              or(isNull(statsCallFacts.nextCallAt), gt(statsCallFacts.nextCallAt, c.startedAt)),
            ),
          );
        previous.push(...rows.map((r) => r.callId));
      }
      await markDirty(tx, previous);
    });
    return dirty.length;
  }

  /** Turns agents' state changes since the last run into time per state, and attendance. */
  private async agentChanges(): Promise<number> {
    const cursor = await readSetting(this.db, 'stats.agent_cursor', 0, isNumber);
    // The previous state of the same agent, by hand-qualified subqueries (drizzle leaves the
    // table name off columns in a one-table select).
    const rows = await this.db
      .select({
        id: agentStateEvents.id,
        userId: agentStateEvents.userId,
        at: agentStateEvents.at,
        state: agentStateEvents.state,
        prevState: sql<
          string | null
        >`(select p.state from agent_state_events p where p.user_id = agent_state_events.user_id and p.id < agent_state_events.id order by p.id desc limit 1)`,
        prevReason: sql<
          string | null
        >`(select p.reason from agent_state_events p where p.user_id = agent_state_events.user_id and p.id < agent_state_events.id order by p.id desc limit 1)`,
        prevAt: sql<
          string | null
        >`(select p.at from agent_state_events p where p.user_id = agent_state_events.user_id and p.id < agent_state_events.id order by p.id desc limit 1)`,
      })
      .from(agentStateEvents)
      .where(gt(agentStateEvents.id, cursor))
      .orderBy(asc(agentStateEvents.id))
      .limit(batch);
    if (rows.length === 0) return 0;
    await this.db.transaction(async (tx) => {
      const wrapCalls: string[] = [];
      for (const r of rows) {
        const loggedIn = r.state !== 'logged_out';
        const wasLoggedIn = r.prevState !== null && r.prevState !== 'logged_out';
        if (r.prevState && r.prevAt) {
          await addStateTime(
            tx,
            this.tz,
            r.userId,
            r.prevState,
            r.prevReason ?? '',
            new Date(r.prevAt),
            r.at,
          );
          if (r.prevState === 'wrap_up' && r.prevReason) wrapCalls.push(r.prevReason);
        }
        const day = bucketSql('day', sql`${r.at.toISOString()}::timestamptz`, this.tz);
        if (loggedIn && !wasLoggedIn)
          await tx.execute(sql`
            insert into stats_attendance (day, agent_id, first_login) values (${day}, ${r.userId}, ${r.at.toISOString()}::timestamptz)
            on conflict (day, agent_id) do update set first_login = least(coalesce(stats_attendance.first_login, excluded.first_login), excluded.first_login)`);
        if (!loggedIn && wasLoggedIn)
          await tx.execute(sql`
            insert into stats_attendance (day, agent_id, last_logout) values (${day}, ${r.userId}, ${r.at.toISOString()}::timestamptz)
            on conflict (day, agent_id) do update set last_logout = greatest(coalesce(stats_attendance.last_logout, excluded.last_logout), excluded.last_logout)`);
      }
      await markDirty(tx, [...new Set(wrapCalls)]);
      await writeSetting(tx, 'stats.agent_cursor', rows[rows.length - 1]!.id);
    });
    return rows.length;
  }

  /** Recounts everything now (after the rules changed). */
  async rebuild(rules?: StatsRules): Promise<void> {
    await this.stop();
    const r = rules ?? (await statsRules(this.db));
    await rebuildRollups(this.db, r, this.tz);
    await writeSetting(this.db, 'stats.rules_applied', JSON.stringify(r));
    this.rulesSeen = JSON.stringify(r);
  }
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number';

/**
 * Adds the seconds of one state interval to every 15-minute, hour and day bucket it spans
 * (15-minute pieces, each within one local hour and day).
 */
async function addStateTime(
  db: Db,
  tz: string,
  userId: number,
  state: string,
  reason: string,
  fromAt: Date,
  toAt: Date,
) {
  if (toAt <= fromAt) return;
  // Raw SQL parameters go as text: the drivers convert dates only for typed columns.
  const from = fromAt.toISOString();
  const to = toAt.toISOString();
  for (const grain of ['15m', 'hour', 'day'] as const) {
    const bucket = bucketSql(grain, sql.raw('p.piece'), tz);
    await db.execute(sql`
      insert into stats_agent_time (grain, bucket, agent_id, state, reason, seconds)
      select ${grain}, ${bucket}, ${userId}, ${state}, ${reason},
             sum(extract(epoch from least(p.piece + interval '15 minutes', ${to}::timestamptz) - greatest(p.piece, ${from}::timestamptz)))
      from generate_series(date_bin('15 minutes', ${from}::timestamptz, timestamptz '2000-01-01 00:00:00+00'), ${to}::timestamptz, interval '15 minutes') as p(piece)
      where p.piece < ${to}::timestamptz
      group by 2
      on conflict (grain, bucket, agent_id, state, reason) do update set seconds = stats_agent_time.seconds + excluded.seconds`);
  }
}
