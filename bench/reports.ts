/**
 * Historical reports and the wallboard on a large history (issue 5/5, item 7): 1,000,000 calls
 * (about 10 M call events) over 100 days in PostgreSQL, and the time of every report over 30 days
 * and of the wallboard's refresh — against, in the same run, a plain SQL aggregate of the same
 * figures over the raw event table (the baseline).
 *
 *   node --import tsx bench/reports.ts
 *
 * How the history is made: the call events are generated in SQL (inbound calls through an IVR
 * into one of 10 groups' queues — answered with talk, survey and wrap-up notes, abandoned in the
 * queue or while ringing, or hung up in the IVR — and outbound calls by agents, answered or not);
 * agents' desk states (log-in, a break, log-out) for every day. Everything else comes from those
 * events through the product's own code: call records by the projection (cti/call-log/projection.ts),
 * call/agent/IVR facts by cti/stats/facts.ts, the rollups by cti/stats/rollups.ts (a full
 * rebuild, timed), agents' time by the statistics maintainer (timed). The database is kept as
 * `callcenter_bench_reports` and reused by the next run (BENCH_FRESH=1 makes it again).
 *
 * Measured: each report (cti/stats/reports.ts runReport, as the report pages call it) over the
 * last 30 full days, per day and (the service report) per hour and 15 minutes; the wallboard's
 * data (web/wallboard/board.ts boardOf, as each refresh reads it); the incremental cost of
 * counting newly ended calls. Each is run BENCH_RUNS times after a warm-up; the median is shown.
 * The baseline's totals are compared with the report's, so both count the same thing.
 *
 * Options: BENCH_CALLS=1000000, BENCH_DAYS=100, BENCH_AGENTS=100, BENCH_RUNS=5, BENCH_FRESH=0,
 * DATABASE_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres.
 */
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { type Actor, loadActor } from '../core/access/actor.ts';
import { createIvr } from '../cti/ivr/ivrs.ts';
import { callFacts } from '../cti/stats/facts.ts';
import { StatsMaintainer } from '../cti/stats/maintainer.ts';
import { type ReportKey, reportKeys, rowsOf, runReport } from '../cti/stats/reports.ts';
import { rebuildRollups } from '../cti/stats/rollups.ts';
import { statsRules } from '../cti/stats/rules.ts';
import type { Ctx } from '../core/context.ts';
import { readSetting, writeSetting } from '../core/settings.ts';
import type { CallEvent } from '../cti/call-log/events.ts';
import { projectCallRecord } from '../cti/call-log/projection.ts';
import { type Database, openDatabase } from '../db/client.ts';
import {
  agentGroupMembers,
  agentGroups,
  businessTypes,
  callRecords,
  ivrs,
  statsAgentFacts,
  statsCallFacts,
  statsIvrFacts,
  users,
} from '../db/schema.ts';
import { buildCompany } from '../test/support/fixtures.ts';
import { boardOf } from '../cti/stats/wallboard.ts';

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const opts = {
  calls: num('BENCH_CALLS', 1_000_000),
  days: num('BENCH_DAYS', 100),
  agents: num('BENCH_AGENTS', 100),
  groups: 10,
  runs: num('BENCH_RUNS', 5),
  fresh: process.env.BENCH_FRESH === '1',
};
const tz = 'Asia/Shanghai';
process.env.TIME_ZONE = tz;
const adminUrl = process.env.DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = 'callcenter_bench_reports';
const marker = JSON.stringify({ calls: opts.calls, days: opts.days, agents: opts.agents, v: 1 });

const t0 = performance.now();
const say = (line: string) =>
  console.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}`);

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

async function median(runs: number, fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push((await timed(fn)).ms);
  times.sort((a, b) => a - b);
  const mid = Math.floor(times.length / 2);
  return times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
}

// ── the database ────────────────────────────────────────────────────────────────
const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
const url = new URL(adminUrl);
url.pathname = `/${dbName}`;

async function openBench(): Promise<{ database: Database; reused: boolean }> {
  const exists = (await admin`select 1 from pg_database where datname = ${dbName}`).length > 0;
  if (exists && !opts.fresh) {
    const database = await openDatabase({ url: url.toString() });
    if (
      (await readSetting(database.db, 'bench.generated', '', (v): v is string => typeof v === 'string')) ===
        marker &&
      // The history ends now: reused on a later day it would miss today and the last 30 days.
      rowsOf(
        await database.db.execute(
          sql`select max(started_at) >= now() - interval '1 day' as fresh from call_records`,
        ),
      )[0]?.fresh === true
    )
      return { database, reused: true };
    await database.close();
  }
  await admin.unsafe(`drop database if exists ${dbName} with (force)`);
  await admin.unsafe(`create database ${dbName}`);
  return { database: await openDatabase({ url: url.toString() }), reused: false };
}

// ── the history ────────────────────────────────────────────────────────────────
/** A pseudo-random number in [0, 1) per call and draw, the same in every statement. */
const rnd = (k: number) => `((hashint8(i::bigint * 131 + ${k}) & 2147483647)::float8 / 2147483648.0)`;

async function generate(database: Database, raw: postgres.Sql) {
  const { db } = database;
  const company = await buildCompany(db);
  const owner = company.owner;
  // Agents and groups.
  await db.execute(sql`
    insert into users (username, name, department_id, password_hash, job_number)
    select 'agent' || g, 'Agent ' || lpad(g::text, 3, '0'), ${company.salesA}, 'x', (5000 + g)::text
    from generate_series(1, ${opts.agents}) g`);
  const agentIds = (
    await db
      .select({ id: users.id })
      .from(users)
      .where(sql`${users.username} like 'agent%'`)
      .orderBy(users.id)
  ).map((u) => u.id);
  const groupIds: number[] = [];
  for (let g = 0; g < opts.groups; g++) {
    const [row] = await db
      .insert(agentGroups)
      .values({ name: `Group ${g + 1}` })
      .returning({ id: agentGroups.id });
    groupIds.push(row!.id);
  }
  // Agent k is in group k mod 10.
  await db
    .insert(agentGroupMembers)
    .values(agentIds.map((userId, k) => ({ groupId: groupIds[k % opts.groups]!, userId })));
  const ivrId = await createIvr(owner, { name: 'Main' });
  const [ivr] = await db.select().from(ivrs).where(sql`${ivrs.id} = ${ivrId}`);
  const menu = (ivr!.tree as { menus: { id: string; name: string }[] }).menus[0]!;
  const business = (await db.select({ id: businessTypes.id }).from(businessTypes)).map((b) => b.id);
  const regions = [
    '北京',
    '上海',
    '广州',
    '深圳',
    '杭州',
    '南京',
    '成都',
    '武汉',
    '西安',
    '天津',
    '重庆',
    '苏州',
  ];

  const perGroup = Math.floor(opts.agents / opts.groups);
  const arr = (xs: readonly (number | string)[]) =>
    `array[${xs.map((x) => (typeof x === 'number' ? String(x) : `'${x}'`)).join(',')}]`;
  // Per call: its day (the last day is today, up to a few minutes ago), start, kind and draws.
  const callsCte = (lo: number, hi: number) => `
    with base as (
      select (date_trunc('day', now() at time zone '${tz}') at time zone '${tz}') as today
    ), c as (
      select i, 'c' || lpad(i::text, 8, '0') as call_id,
        floor((i - 1)::float8 * ${opts.days} / ${opts.calls})::int as day,
        ${rnd(1)} as r_kind, ${rnd(2)} as r_ivr, ${rnd(3)} as r_lost, ${rnd(4)} as r_survey, ${rnd(5)} as r_note,
        ${rnd(6)} as r_answer,
        1 + floor(${rnd(7)} * ${opts.groups})::int as gi,
        floor(${rnd(8)} * ${perGroup})::int as member,
        floor(power(${rnd(9)}, 2) * 120)::int as wait,
        20 + floor(${rnd(10)} * 400)::int as talk,
        '13' || lpad(floor(${rnd(11)} * 300000)::text, 9, '0') as caller,
        '139' || lpad(floor(${rnd(12)} * 100000000)::text, 8, '0') as callee,
        (${arr(regions)})[1 + floor(${rnd(13)} * ${regions.length})::int] as region,
        1 + floor(${rnd(14)} * 3)::int as score,
        (${arr(business)})[1 + floor(${rnd(15)} * ${business.length})::int] as business,
        5 + floor(${rnd(16)} * 20)::int as ring,
        ${rnd(17)} as r_time
      from generate_series(${lo}, ${hi}) i
    ), t as (
      select c.*,
        (${arr(groupIds)})[gi] as group_id,
        (${arr(agentIds)})[1 + (gi - 1) + ${opts.groups} * member] as agent_id,
        case when day = ${opts.days - 1}
          then base.today + (greatest(now() - base.today - interval '10 minutes', interval '1 minute')) * r_time
          else base.today - (${opts.days - 1} - day) * interval '1 day' + interval '8 hours' + interval '12 hours' * r_time
        end as t0
      from c, base
    )`;
  const ev = (seq: number, at: string, type: string, data: string) => `(${seq}, ${at}, '${type}', ${data})`;
  const s = (n: string) => `(t0 + make_interval(secs => ${n}))`;
  // Inbound calls that hung up in the IVR (8 %).
  const ivrHangups = (lo: number, hi: number) => `${callsCte(lo, hi)}
    insert into call_events (call_id, at, type, data)
    select call_id, e.at, e.type, e.data from t cross join lateral (values
      ${ev(1, 't0', 'call.started', `jsonb_build_object('direction','inbound','from',caller,'to','4008001000','trunkId',null,'numberId',null,'agentId',null,'channel','x')`)},
      ${ev(2, 't0', 'call.flags', `jsonb_build_object('region',region,'vip',false,'repeat',false)`)},
      ${ev(3, 't0', 'ivr.entered', `jsonb_build_object('ivrId',${ivrId},'name','Main','hotlineId',null,'from',caller,'region',region)`)},
      ${ev(4, s('1'), 'ivr.menu', `jsonb_build_object('menu','${menu.id}','name','${menu.name}')`)},
      ${ev(5, s('4 + ring'), 'ivr.left', `jsonb_build_object('outcome','caller_hung_up')`)},
      ${ev(6, s('4 + ring'), 'call.ended', `jsonb_build_object('by','caller','q850Cause',16,'sipCode',null)`)}
    ) as e(seq, at, type, data)
    where r_kind >= 0.15 and r_ivr < 0.08
    order by i, e.seq`;
  // Inbound calls through the IVR into a queue: answered, abandoned in the queue or while ringing.
  const queued = (lo: number, hi: number) => `${callsCte(lo, hi)}, q as (
      select t.*, case when r_lost < 0.10 then 'queue' when r_lost < 0.13 then 'ringing' else 'answered' end as fate from t
      where r_kind >= 0.15 and r_ivr >= 0.08
    )
    insert into call_events (call_id, at, type, data)
    select call_id, e.at, e.type, e.data from q cross join lateral (values
      ${ev(1, 't0', 'call.started', `jsonb_build_object('direction','inbound','from',caller,'to','4008001000','trunkId',null,'numberId',null,'agentId',null,'channel','x')`)},
      ${ev(2, 't0', 'call.flags', `jsonb_build_object('region',region,'vip',false,'repeat',false)`)},
      ${ev(3, 't0', 'ivr.entered', `jsonb_build_object('ivrId',${ivrId},'name','Main','hotlineId',null,'from',caller,'region',region)`)},
      ${ev(4, s('1'), 'ivr.menu', `jsonb_build_object('menu','${menu.id}','name','${menu.name}')`)},
      ${ev(5, s('4'), 'ivr.left', `jsonb_build_object('outcome','group')`)},
      ${ev(6, s('4'), 'queue.joined', `jsonb_build_object('groupId',group_id,'via','ivr','position',1,'vip',false,'since',to_char(${s('4')} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))`)},
      (7, case when fate = 'queue' then ${s('4 + wait')} else ${s('4 + wait')} end,
          case when fate = 'queue' then 'queue.left' else 'leg.dialing' end,
          case when fate = 'queue' then jsonb_build_object('groupId',group_id,'reason','abandoned','waitedSeconds',wait)
               else jsonb_build_object('leg','l','target',jsonb_build_object('kind','agent','userId',agent_id,'endpoint','a'),'groupId',group_id) end),
      (8, case fate when 'ringing' then ${s('4 + wait + ring')} when 'queue' then ${s('4 + wait')} else ${s('4 + wait + 6')} end,
          case fate when 'queue' then 'call.ended' when 'ringing' then 'queue.left' else 'leg.answered' end,
          case fate when 'queue' then jsonb_build_object('by','caller','q850Cause',16,'sipCode',null)
                    when 'ringing' then jsonb_build_object('groupId',group_id,'reason','abandoned','waitedSeconds',wait + ring)
                    else jsonb_build_object('leg','l','userId',agent_id) end),
      (9, case when fate = 'ringing' then ${s('4 + wait + ring')} else ${s('4 + wait + 6')} end,
          case fate when 'ringing' then 'leg.failed' when 'answered' then 'queue.left' end,
          case fate when 'ringing' then jsonb_build_object('leg','l','failure','cancelled','q850Cause',16,'sipCode',null)
                    else jsonb_build_object('groupId',group_id,'reason','answered','waitedSeconds',wait + 6) end),
      (10, ${s('4 + wait + ring')}, case when fate = 'ringing' then 'call.ended' end,
          jsonb_build_object('by','caller','q850Cause',16,'sipCode',null)),
      (11, ${s('10 + wait + talk')}, case when fate = 'answered' and r_note < 0.7 then 'call.note' end,
          jsonb_build_object('userId',agent_id,'businessTypeId',business,'note','')),
      (12, ${s('10 + wait + talk')}, case when fate = 'answered' and r_survey < 0.3 then 'survey.started' end,
          jsonb_build_object('levels',3)),
      (13, ${s('15 + wait + talk')}, case when fate = 'answered' and r_survey < 0.3 then 'survey.scored' end,
          jsonb_build_object('score',score,'levels',3)),
      (14, case when r_survey < 0.3 then ${s('16 + wait + talk')} else ${s('10 + wait + talk')} end,
          case when fate = 'answered' then 'call.ended' end,
          jsonb_build_object('by',case when r_survey < 0.3 then 'system' when r_answer < 0.5 then 'caller' else 'callee' end,'q850Cause',16,'sipCode',null))
    ) as e(seq, at, type, data)
    where e.type is not null
    order by i, e.seq`;
  // Outbound calls by agents (15 %): 60 % answered.
  const outbound = (lo: number, hi: number) => `${callsCte(lo, hi)}
    insert into call_events (call_id, at, type, data)
    select call_id, e.at, e.type, e.data from t cross join lateral (values
      ${ev(1, 't0', 'call.started', `jsonb_build_object('direction','outbound','from','4008001000','to',callee,'trunkId',null,'numberId',null,'agentId',agent_id,'channel','x')`)},
      ${ev(2, 't0', 'leg.dialing', `jsonb_build_object('leg','o','target',jsonb_build_object('kind','external','number',callee,'trunkId',1))`)},
      (3, ${s('ring')}, case when r_answer < 0.6 then 'leg.answered' else 'leg.failed' end,
          case when r_answer < 0.6 then jsonb_build_object('leg','o','userId',null)
               else jsonb_build_object('leg','o','failure','no_answer','q850Cause',19,'sipCode',480) end),
      (4, case when r_answer < 0.6 then ${s('ring + talk / 3')} else ${s('ring')} end, 'call.ended',
          case when r_answer < 0.6 then jsonb_build_object('by','callee','q850Cause',16,'sipCode',null)
               else jsonb_build_object('by','system','q850Cause',19,'sipCode',480) end)
    ) as e(seq, at, type, data)
    where r_kind < 0.15
    order by i, e.seq`;

  const chunk = 100_000;
  for (let lo = 1; lo <= opts.calls; lo += chunk) {
    const hi = Math.min(opts.calls, lo + chunk - 1);
    await raw.unsafe(ivrHangups(lo, hi));
    await raw.unsafe(queued(lo, hi));
    await raw.unsafe(outbound(lo, hi));
    say(`events of calls ${lo}–${hi} generated`);
  }
  // Agents' desk states: log in about 08:00, a 30-minute rest about 12:00, log out about 20:30.
  await raw.unsafe(`
    with base as (select (date_trunc('day', now() at time zone '${tz}') at time zone '${tz}') as today),
    d as (
      select u.id as user_id, base.today - (${opts.days - 1} - day) * interval '1 day' as day_start, day
      from users u, base, generate_series(0, ${opts.days - 2}) day where u.username like 'agent%'
    )
    insert into agent_state_events (user_id, at, state, reason)
    select user_id, at, state, reason from d cross join lateral (values
      (1, day_start + interval '7 hours 50 minutes' + (user_id % 20) * interval '1 minute', 'ready', ''),
      (2, day_start + interval '12 hours' + (user_id % 30) * interval '1 minute', 'break', 'rest'),
      (3, day_start + interval '12 hours 30 minutes' + (user_id % 30) * interval '1 minute', 'ready', ''),
      (4, day_start + interval '20 hours 30 minutes' + (user_id % 20) * interval '1 minute', 'logged_out', '')
    ) as e(seq, at, state, reason)
    order by day, user_id, seq`);
  return { owner };
}

/** Call records and facts from the events, by the product's projection and fact code, in batches. */
async function project(database: Database, raw: postgres.Sql) {
  const { db } = database;
  const batch = 5000;
  let records = 0;
  for (let lo = 1; lo <= opts.calls; lo += batch) {
    const from = `c${String(lo).padStart(8, '0')}`;
    const to = `c${String(Math.min(opts.calls, lo + batch - 1)).padStart(8, '0')}`;
    const rows = await raw<{ call_id: string; type: string; data: Record<string, unknown>; at: Date }[]>`
      select call_id, type, data, at from call_events where call_id >= ${from} and call_id <= ${to} order by call_id, id`;
    const byCall = new Map<string, CallEvent[]>();
    for (const r of rows) {
      const list = byCall.get(r.call_id) ?? [];
      list.push({ type: r.type, data: r.data, at: r.at } as CallEvent);
      byCall.set(r.call_id, list);
    }
    const recs = [];
    const calls = [];
    const agents = [];
    const ivr = [];
    for (const [callId, events] of byCall) {
      const record = projectCallRecord(callId, events);
      if (!record) continue;
      recs.push(record);
      const f = callFacts(record, events, new Map(), null);
      calls.push(f.call);
      agents.push(...f.agents);
      ivr.push(...f.ivr);
    }
    for (let i = 0; i < recs.length; i += 1000) await db.insert(callRecords).values(recs.slice(i, i + 1000));
    for (let i = 0; i < calls.length; i += 1500)
      await db.insert(statsCallFacts).values(calls.slice(i, i + 1500));
    for (let i = 0; i < agents.length; i += 2500)
      await db.insert(statsAgentFacts).values(agents.slice(i, i + 2500));
    for (let i = 0; i < ivr.length; i += 5000) await db.insert(statsIvrFacts).values(ivr.slice(i, i + 5000));
    records += recs.length;
    if ((lo - 1) % 100_000 === 0) say(`projected ${records} call records and their facts`);
  }
  // When each caller called next (first-call resolution), as the maintainer keeps it.
  await raw`
    update stats_call_facts f set next_call_at = n.next_at from (
      select call_id, lead(started_at) over (partition by customer_number order by started_at) as next_at
      from stats_call_facts where direction = 'inbound' and customer_number <> ''
    ) n where n.call_id = f.call_id and n.next_at is not null`;
  await raw`analyze`;
  return records;
}

// ── the baseline: plain SQL over the raw events ─────────────────────────────────
/** Per call, from its events in the range (a day either side for calls that cross it). */
const perCall = (from: string, to: string) => `
  with e as (
    select * from call_events where at >= '${from}'::timestamptz - interval '1 day' and at < '${to}'::timestamptz + interval '1 day'
  ), calls as (
    select call_id,
      min(at) filter (where type = 'call.started') as started,
      max(data->>'direction') filter (where type = 'call.started') as direction,
      max((data->>'agentId')::int) filter (where type = 'call.started') as placed_by,
      bool_or(type = 'queue.joined') as offered,
      max((data->>'groupId')::int) filter (where type = 'queue.joined') as group_id,
      max((data->>'userId')::int) filter (where type = 'leg.answered') as agent_id,
      bool_or(type = 'leg.answered') as answered,
      bool_or(type = 'leg.failed') as ring_failed,
      sum((data->>'waitedSeconds')::int) filter (where type = 'queue.left') as waited,
      bool_or(type = 'queue.left' and data->>'reason' = 'abandoned') as abandoned,
      bool_or(type = 'ivr.left' and data->>'outcome' = 'caller_hung_up') as ivr_hangup,
      min(at) filter (where type = 'leg.answered') as answered_at,
      max(at) filter (where type = 'call.ended') as ended_at,
      max((data->>'score')::int) filter (where type = 'survey.scored') as score,
      max(data->>'region') filter (where type = 'call.flags') as region,
      max(data->>'businessTypeId') filter (where type = 'call.note') as business
    from e group by call_id
  ), r as (select * from calls where started >= '${from}'::timestamptz and started < '${to}'::timestamptz)`;
const day = `date_trunc('day', started at time zone '${tz}')`;
const talk = `extract(epoch from ended_at - answered_at)`;

const baselines: Partial<Record<ReportKey, (from: string, to: string) => string>> = {
  service: (f, t) => `${perCall(f, t)}
    select ${day} as slot, count(*) filter (where offered) as offered, count(*) filter (where offered and answered) as answered,
      count(*) filter (where abandoned) as abandoned, count(*) filter (where abandoned and waited <= 5) as short,
      count(*) filter (where answered and offered and waited <= 20) as in_sl, avg(waited) filter (where answered and offered) as asa,
      max(waited) filter (where offered) as longest, avg(${talk}) filter (where answered and offered) as aht,
      count(*) filter (where direction = 'outbound') as out_attempts, count(*) filter (where direction = 'outbound' and answered) as out_connects
    from r group by 1 order by 1`,
  team: (f, t) => `${perCall(f, t)}
    select ${day} as slot, group_id, count(*) as offered, count(*) filter (where answered) as answered,
      count(*) filter (where abandoned) as abandoned, count(*) filter (where answered and waited <= 20) as in_sl, avg(${talk}) filter (where answered) as aht
    from r where offered group by 1, 2 order by 1, 2`,
  agent: (f, t) => `${perCall(f, t)}
    select ${day} as slot, coalesce(agent_id, placed_by) as agent, count(*) filter (where answered and direction = 'inbound') as answered,
      sum(${talk}) filter (where answered) as talk, count(*) filter (where direction = 'outbound') as out_attempts
    from r group by 1, 2 order by 1, 2`,
  agent_inbound: (f, t) => `${perCall(f, t)}
    select ${day} as slot, agent_id, count(*) filter (where answered) as answered, count(*) filter (where ring_failed) as no_answer,
      sum(${talk}) filter (where answered) as talk
    from r where direction = 'inbound' and agent_id is not null group by 1, 2 order by 1, 2`,
  agent_outbound: (f, t) => `${perCall(f, t)}
    select ${day} as slot, placed_by, count(*) as attempts, count(*) filter (where answered) as connects,
      sum(${talk}) filter (where answered) as talk, count(*) filter (where answered and ${talk} >= 10) as effective
    from r where direction = 'outbound' group by 1, 2 order by 1, 2`,
  satisfaction: (f, t) => `${perCall(f, t)}
    select ${day} as slot, agent_id, count(score) as rated, count(*) filter (where score = 1) as s1,
      count(*) filter (where score = 2) as s2, count(*) filter (where score = 3) as s3
    from r where answered group by 1, 2 order by 1, 2`,
  ivr: (f, t) => `
    select date_trunc('day', at at time zone '${tz}') as slot, data->>'ivrId' as ivr, type, data->>'menu' as menu, data->>'outcome' as outcome, count(*)
    from call_events where at >= '${f}' and at < '${t}' and type in ('ivr.entered', 'ivr.menu', 'ivr.left')
    group by 1, 2, 3, 4, 5 order by 1`,
  business: (f, t) => `${perCall(f, t)}
    select ${day} as slot, business, count(*) from r where answered and direction = 'inbound' group by 1, 2 order by 1, 3 desc`,
  callers: (f, t) => `${perCall(f, t)}
    select ${day} as slot, region, count(*) from r where direction = 'inbound' group by 1, 2 order by 1, 3 desc`,
  lost: (f, t) => `${perCall(f, t)}
    select ${day} as slot, count(*) filter (where offered) as offered, count(*) filter (where abandoned) as abandoned,
      count(*) filter (where abandoned and ring_failed) as ringing, count(*) filter (where ivr_hangup) as in_ivr,
      count(*) filter (where abandoned and waited <= 5) as short
    from r where direction = 'inbound' group by 1 order by 1`,
  attendance: (f, t) => `
    with s as (
      select user_id, at, state, reason, lead(at) over (partition by user_id order by id) as until
      from agent_state_events where at >= '${f}'::timestamptz - interval '1 day' and at < '${t}'
    )
    select user_id, date_trunc('day', at at time zone '${tz}') as day,
      min(at) filter (where state <> 'logged_out') as first_login, max(at) filter (where state = 'logged_out') as last_logout,
      sum(extract(epoch from until - at)) filter (where state <> 'logged_out') as online,
      sum(extract(epoch from until - at)) filter (where state = 'break') as break_time
    from s where at >= '${f}' group by 1, 2 order by 2, 1`,
};

const todayBaseline = (from: string) => `
  with calls as (
    select call_id, bool_or(type = 'queue.joined') as offered, bool_or(type = 'leg.answered') as answered,
      bool_or(type = 'queue.left' and data->>'reason' = 'abandoned') as abandoned,
      sum((data->>'waitedSeconds')::int) filter (where type = 'queue.left') as waited,
      max((data->>'groupId')::int) filter (where type = 'queue.joined') as group_id,
      bool_or(type = 'call.ended') as ended
    from call_events where at >= '${from}' group by call_id
  )
  select group_id, count(*) as offered, count(*) filter (where answered) as answered, count(*) filter (where abandoned) as abandoned,
    count(*) filter (where answered and waited <= 20) as in_sl
  from calls where offered and ended group by 1`;

// ── run ─────────────────────────────────────────────────────────────────────────
const { database, reused } = await openBench();
const raw = postgres(url.toString(), { max: 2, onnotice: () => {} });
const { db } = database;
let ownerId: number;
const buildFigures: string[] = [];
if (reused) {
  say(`reusing the history in ${dbName} (BENCH_FRESH=1 makes it again)`);
  const [owner] = await db.select({ id: users.id }).from(users).where(sql`${users.username} = 'owner'`);
  ownerId = owner!.id;
} else {
  say(
    `generating ${opts.calls.toLocaleString('en')} calls over ${opts.days} days, ${opts.agents} agents in ${opts.groups} groups`,
  );
  const gen = await timed(() => generate(database, raw));
  ownerId = gen.value.owner.actor.userId;
  const [{ n: events } = { n: 0 }] = await raw<{ n: number }[]>`select count(*)::int as n from call_events`;
  buildFigures.push(`events generated: ${events.toLocaleString('en')} in ${(gen.ms / 1000).toFixed(0)} s`);
  const proj = await timed(() => project(database, raw));
  buildFigures.push(
    `call records and facts by the product's projection: ${proj.value.toLocaleString('en')} calls in ${(proj.ms / 1000).toFixed(0)} s`,
  );
  const rebuild = await timed(async () => rebuildRollups(db, await statsRules(db), tz));
  buildFigures.push(`full rollup rebuild (as after a rules change): ${(rebuild.ms / 1000).toFixed(1)} s`);
  say(buildFigures.at(-1)!);
  const maintainer = new StatsMaintainer(db, tz, () => {});
  const agentTime = await timed(() => maintainer.runOnce());
  buildFigures.push(
    `agents' time per state by the maintainer: ${agentTime.value.toLocaleString('en')} state changes in ${(agentTime.ms / 1000).toFixed(1)} s`,
  );
  await raw`analyze`;
  await writeSetting(db, 'bench.generated', marker);
}
const owner: Ctx = {
  db,
  actor: (await loadActor(db, ownerId)) as Actor,
  timeZone: tz,
  ip: '127.0.0.1',
  userAgent: 'bench',
};

const counts = await raw<{ events: number; calls: number }[]>`
  select (select count(*) from call_events)::int as events, (select count(*) from call_records)::int as calls`;
say(
  `history: ${counts[0]!.calls.toLocaleString('en')} calls, ${counts[0]!.events.toLocaleString('en')} events`,
);

// The last 30 full days, local dates.
const dateOf = (d: Date) => new Intl.DateTimeFormat('sv-SE', { timeZone: tz }).format(d);
const toDate = dateOf(new Date(Date.now() - 86_400_000));
const fromDate = dateOf(new Date(Date.now() - 30 * 86_400_000));
const report = (key: ReportKey, granularity: 'day' | 'hour' | '15m' = 'day') =>
  runReport(
    owner,
    { report: key, from: fromDate, to: toDate, granularity, groupId: null, agentId: null, ivrId: null },
    tz,
  );
const range = (await report('service')).range;
const fromIso = range.from.toISOString();
const toIso = range.to.toISOString();

interface Line {
  what: string;
  ours: number;
  baseline: number | null;
  target: number;
  note?: string;
}
const lines: Line[] = [];
for (const key of reportKeys) {
  const grains: ('day' | 'hour' | '15m')[] = key === 'service' ? ['day', 'hour', '15m'] : ['day'];
  for (const g of grains) {
    const ours = await median(opts.runs, () => report(key, g));
    const base = baselines[key];
    const baseline =
      base && g === 'day'
        ? await median(Math.min(2, opts.runs), () => raw.unsafe(base(fromIso, toIso)))
        : null;
    lines.push({ what: `${key} (30 days by ${g === '15m' ? '15 min' : g})`, ours, baseline, target: 1000 });
    say(
      `${lines.at(-1)!.what}: ${ours.toFixed(1)} ms${baseline ? ` (baseline ${baseline.toFixed(0)} ms)` : ''}`,
    );
  }
}

// Do both count the same? The service report's totals against the baseline's.
const ours = await report('service');
const base = rowsOf(await db.execute(sql.raw(baselines.service!(fromIso, toIso))));
const sum = (k: string) => base.reduce((a, r) => a + Number(r[k] ?? 0), 0);
const agree = [
  ['offered', ours.totals.offered, sum('offered')],
  ['answered', ours.totals.answered, sum('answered')],
  ['abandoned', ours.totals.abandoned, sum('abandoned')],
  ['short abandons', ours.totals.short_abandoned, sum('short')],
  ['outbound attempts', ours.totals.out_attempts, sum('out_attempts')],
] as const;

// The latest 1,000 calls marked for recounting (as calls are after they end or change): the
// wallboard reads them as possibly uncounted, and the maintainer's incremental path counts them.
const [markedRow] = await raw<
  { marked: number }[]
>`with m as (insert into stats_dirty (call_id) select call_id from call_records order by started_at desc limit 1000 on conflict do nothing returning 1) select count(*)::int as marked from m`;
const marked = markedRow?.marked ?? 0;

// The wallboard's refresh: today's figures per group and the floor.
const todayStart = new Date(`${dateOf(new Date())}T00:00:00+08:00`).toISOString();
const wallboard = await median(Math.max(opts.runs, 20), () => boardOf(owner, null, null, new Date(), tz));
const wallboardBase = await median(Math.min(5, opts.runs), () => raw.unsafe(todayBaseline(todayStart)));
lines.push({
  what: 'wallboard refresh (today, every group)',
  ours: wallboard,
  baseline: wallboardBase,
  target: 50,
});

// Counting newly ended calls as they come (the maintainer's incremental path).
const incremental = await timed(() => new StatsMaintainer(db, tz, () => {}).runOnce());

console.log('');
console.log(
  `Reports over ${fromDate} – ${toDate} (30 days) on ${counts[0]!.calls.toLocaleString('en')} calls / ${counts[0]!.events.toLocaleString('en')} events, PostgreSQL; ours: median of ${opts.runs} runs, baseline: of ${Math.min(2, opts.runs)} (reports) and ${Math.min(5, opts.runs)} (wallboard)`,
);
for (const f of buildFigures) console.log(`  ${f}`);
console.log('');
console.log(
  `${'figure'.padEnd(42)} ${'ours ms'.padStart(9)} ${'baseline ms'.padStart(12)} ${'ours/baseline'.padStart(14)}  target`,
);
for (const l of lines)
  console.log(
    `${l.what.padEnd(42)} ${l.ours.toFixed(1).padStart(9)} ${(l.baseline === null ? '—' : l.baseline.toFixed(0)).padStart(12)} ${(l.baseline === null ? '—' : (l.ours / l.baseline).toFixed(4)).padStart(14)}  ${l.ours < l.target ? 'met' : 'MISSED'} (< ${l.target} ms)`,
  );
console.log('');
console.log(
  `service totals, report vs raw events: ${agree.map(([k, a, b]) => `${k} ${a}/${b}`).join(', ')} — ${agree.every(([, a, b]) => a === b) ? 'agree' : 'DIFFER'}`,
);
console.log(
  `incremental: ${marked.toLocaleString('en')} ended calls recounted in ${incremental.ms.toFixed(0)} ms (${(incremental.ms / marked).toFixed(2)} ms per call)`,
);
const worst = Math.max(...lines.filter((l) => l.target === 1000).map((l) => l.ours));
console.log(
  `slowest report ${worst.toFixed(1)} ms (target < 1000 ms); wallboard ${wallboard.toFixed(1)} ms (target < 50 ms)`,
);

await raw.end();
await database.close();
await admin.end();
