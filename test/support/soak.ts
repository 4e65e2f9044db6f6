/**
 * A randomized soak of the call engine against the real Asterisk: SIPp callers come in through
 * a hotline → IVR (key 1) → a group's queue → baresip agents, with the survey after the call.
 * Every choice comes from one seeded generator, so a run is reproduced by its seed:
 *
 * - callers hang up at random moments: in the IVR before the key, or at any time after it (in
 *   the queue, while an agent rings, while talking, during the survey), or wait for the system;
 * - agents' phones answer after a random delay, reject (baresip's hangup: 486), or ring out;
 *   after answering they hang up first, wait for the caller, blind-transfer the caller back to
 *   the group, or invite a colleague into a conference (the desk API);
 * - optionally, the application restarts in the middle.
 *
 * During the run the invariant checker is asked every few seconds; afterwards, when everything
 * has ended: the checker again, one complete record per call SIPp placed, every agent ready
 * and free. Used by test/telephony/soak.test.ts (short) and bench/soak.ts (long).
 */
import { stateOf } from '../../cti/agents/agent-states.ts';
import { createHotline, parseHotlineInput } from '../../cti/lines/hotlines.ts';
import { createIvr, saveIvr } from '../../cti/ivr/ivrs.ts';
import { writeSetting } from '../../core/settings.ts';
import { alwaysOpen } from '../../cti/ivr/hours.ts';
import type { Violation } from '../../cti/calls/invariants.ts';
import type { CallCenter } from './call-center.ts';
import { carrierLine } from './telephony.ts';
import { patientCaller, runSipp } from './sipp.ts';

export interface SoakPlan {
  seed: number;
  /** Calls to place at most. */
  calls: number;
  /** Callers at once (each on its own carrier line). */
  concurrency: number;
  /** The run stops placing calls after this long (the calls in progress finish). */
  seconds: number;
  /** Restart the application after this many calls were placed (none when absent). */
  restartAfter?: number;
  log?: (line: string) => void;
}

export interface SoakResult {
  seed: number;
  placed: number;
  records: number;
  /** Calls whose record is missing, has no end or no disposition. */
  incomplete: string[];
  /** What the checker found during and after the run. */
  violations: Violation[];
  checks: number;
  /** Agents not ready and free at the end (with what they were). */
  stuckAgents: string[];
  seconds: number;
  callers: Record<string, number>;
  agents: Record<string, number>;
  dispositions: Record<string, number>;
}

/** A small seeded generator (mulberry32): the same seed, the same run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const between = (r: () => number, lo: number, hi: number) => Math.round(lo + r() * (hi - lo));

export interface SoakFloor {
  agents: number[];
  groupId: number;
  lines: { port: number; did: string }[];
}

/** The IVR, hotlines on `lines` carrier lines, the group with the survey, and the agents' phones. */
export async function soakFloor(cc: CallCenter, lines: number): Promise<SoakFloor> {
  const { company } = cc.setup;
  const p = company.people;
  const agents = [p.repA, p.repA1, p.repB];
  const groupId = await cc.hotlineToGroup('Soak', agents, { survey: true }, 8);
  await writeSetting(cc.setup.db.db, 'acd.survey', { levels: 3, promptId: null, thanksPromptId: null });
  const ivrId = await createIvr(company.owner, { name: 'Soak IVR' });
  await saveIvr(company.owner, ivrId, {
    name: 'Soak IVR',
    language: 'en',
    tree: {
      root: 'main',
      menus: [
        {
          id: 'main',
          name: 'Main',
          promptId: null,
          options: [{ key: '1', action: { type: 'group', groupId } }],
        },
      ],
      rules: [],
      silenceSeconds: 6,
      silenceRepeats: 1,
      digitTimeoutSeconds: 3,
      invalidPromptId: null,
      blacklistPromptId: null,
    },
    hours: alwaysOpen(),
  });
  const out: SoakFloor['lines'] = [];
  for (let i = 0; i < lines; i++) {
    const did = `40080177${String(i).padStart(2, '0')}`;
    const line = await carrierLine(company, did, `Soak ${did}`);
    await createHotline(
      company.owner,
      parseHotlineInput({
        name: `Soak ${did}`,
        numberId: String(line.numberId),
        target: 'ivr',
        ivrId: String(ivrId),
      }),
    );
    out.push({ port: line.port, did });
  }
  await cc.applyConfig();
  for (const id of agents) {
    await cc.phone(id, { autoAnswer: false });
    await cc.setState(id, 'ready');
  }
  return { agents, groupId, lines: out };
}

/** The caller's script (SIPp XML) and what it does, for the tally. */
function callerScenario(r: () => number): { xml: string; kind: string } {
  if (r() < 0.12)
    return { kind: 'hangs up in the IVR', xml: patientCaller({ hangupAfterMs: between(r, 300, 2500) }) };
  // After the key: waits for the system's BYE up to `patience`, then rates and hangs up.
  const patience = between(r, 500, 20_000);
  const kind =
    patience < 4000
      ? 'hangs up early'
      : patience < 12_000
        ? 'hangs up mid-call'
        : 'patient (waits for the end)';
  return {
    kind,
    xml: patientCaller({
      keyAfterMs: between(r, 200, 1200),
      key: '1',
      patienceMs: patience,
      rating: String(between(r, 1, 3)),
      lastWaitMs: between(r, 500, 6000),
    }),
  };
}

/** Runs the soak on a prepared floor; resolves when every call has ended and the checks ran. */
export async function runSoak(cc: CallCenter, floor: SoakFloor, plan: SoakPlan): Promise<SoakResult> {
  const say = plan.log ?? (() => {});
  const r = seeded(plan.seed);
  const started = Date.now();
  const since = new Date(started - 1000);
  const result: SoakResult = {
    seed: plan.seed,
    placed: 0,
    records: 0,
    incomplete: [],
    violations: [],
    checks: 0,
    stuckAgents: [],
    seconds: 0,
    callers: {},
    agents: {},
    dispositions: {},
  };
  const tally = (m: Record<string, number>, k: string) => {
    m[k] = (m[k] ?? 0) + 1;
  };
  // Callers and each agent draw from their own sequence: the n-th caller, and an agent's n-th
  // call, do the same in every run of a seed, however the calls interleave.
  const stopAgents = driveAgents(cc, floor, plan.seed, (what) => tally(result.agents, what));
  const free = [...floor.lines];
  const running = new Set<Promise<void>>();
  let restarting: Promise<void> | null = null;
  const check = async (confirmMs: number) => {
    const report = await cc.engine.invariants.check({ confirmMs });
    result.checks++;
    for (const v of report.violations) {
      say(`violation: ${v.kind} ${v.subject} ${v.detail}`);
      // What the call's log says, to tell what happened.
      const callId = /^call (.+)$/.exec(v.subject)?.[1];
      if (callId) say(`  its log: ${(await cc.eventsOf(callId)).map((e) => e.type).join(' ')}`);
    }
    result.violations.push(...report.violations);
  };
  let nextCheck = Date.now() + 5000;
  while (result.placed < plan.calls && Date.now() - started < plan.seconds * 1000) {
    if (free.length === 0 || restarting) {
      await Promise.race([...running, new Promise((res) => setTimeout(res, 200))]);
      continue;
    }
    const line = free.shift()!;
    const { xml, kind } = callerScenario(r);
    tally(result.callers, kind);
    result.placed++;
    const run = runSipp({
      scenario: xml,
      port: line.port,
      remotePort: cc.setup.pbx.instance.ports.sip,
      service: line.did,
      callerNumber: `1390000${String(result.placed).padStart(4, '0')}`,
      timeoutSeconds: 120,
    });
    const p: Promise<void> = run.done.then((res) => {
      if (!res.messages.includes('INVITE sip:')) {
        result.placed--;
        say(`SIPp did not place its call: ${res.output.slice(-300)}`);
      }
      running.delete(p);
      free.push(line);
    });
    running.add(p);
    if (plan.restartAfter !== undefined && result.placed === plan.restartAfter) {
      say('restarting the application');
      restarting = cc.restartEngine().finally(() => (restarting = null));
    }
    await new Promise((res) => setTimeout(res, between(r, 50, 900)));
    if (Date.now() >= nextCheck && !restarting) {
      nextCheck = Date.now() + 5000;
      await check(3000);
    }
  }
  await Promise.all(running);
  if (restarting) await restarting;
  // Calls still in progress end (survey timeouts, agents' timers); then everything is quiet.
  await cc
    .until('every call ended', () => cc.engine.callIds().length === 0, 90_000)
    .catch((err: Error) => {
      say(err.message);
    });
  stopAgents();
  for (const phone of cc.phones.values()) phone.command('hangup');
  await new Promise((res) => setTimeout(res, 1500));
  await check(1500);
  const records = await cc.callsSince(since);
  result.records = records.length;
  for (const rec of records) {
    tally(result.dispositions, rec.disposition ?? 'none');
    if (!rec.endedAt || !rec.disposition) result.incomplete.push(rec.callId);
  }
  for (const id of floor.agents) {
    const pooled = cc.engine.acd.pool.agents.get(id);
    const desk = (await stateOf(cc.setup.db.db, id)).state;
    if (desk !== 'ready' || pooled?.state !== 'ready' || pooled.reservedFor !== null)
      result.stuckAgents.push(
        `agent ${id}: desk ${desk}, ACD ${pooled?.state} reserved ${pooled?.reservedFor}`,
      );
  }
  result.seconds = Math.round((Date.now() - started) / 1000);
  return result;
}

/**
 * The agents' hands: each incoming call is answered after a random delay, rejected or left to
 * ring out; an answered call is hung up after a while, left to the caller, transferred back to
 * the group or turned into a conference with a colleague. Returns a function that stops it.
 */
function driveAgents(
  cc: CallCenter,
  floor: SoakFloor,
  seed: number,
  did: (what: string) => void,
): () => void {
  const stops: (() => void)[] = [];
  for (const userId of floor.agents) {
    const r = seeded(seed * 31 + userId);
    const phone = cc.phones.get(userId)!;
    let timers: NodeJS.Timeout[] = [];
    const later = (ms: number, fn: () => void) => timers.push(setTimeout(fn, ms));
    const clear = () => {
      for (const t of timers) clearTimeout(t);
      timers = [];
    };
    const onEvent = (e: { type: string }) => {
      if (e.type === 'CALL_INCOMING') {
        clear();
        const x = r();
        if (x < 0.55) {
          did('answers');
          later(between(r, 200, 2500), () => phone.command('accept'));
        } else if (x < 0.75) {
          did('rejects');
          later(between(r, 200, 2000), () => phone.command('hangup'));
        } else did('lets it ring out');
      } else if (e.type === 'CALL_ESTABLISHED') {
        clear();
        const x = r();
        const talk = between(r, 1000, 8000);
        if (x < 0.5) {
          did('hangs up first');
          later(talk, () => phone.command('hangup'));
        } else if (x < 0.62) {
          did('transfers to the group');
          later(
            talk / 3,
            () => void desk(cc, userId, 'transfer', floor, r).catch(() => did('transfer refused')),
          );
        } else if (x < 0.74) {
          did('invites a colleague');
          later(
            talk / 3,
            () => void desk(cc, userId, 'conference', floor, r).catch(() => did('conference refused')),
          );
          later(talk, () => phone.command('hangup'));
        } else did('waits for the caller');
      } else if (e.type === 'CALL_CLOSED') clear();
    };
    phone.on('event', onEvent);
    stops.push(() => {
      clear();
      phone.off('event', onEvent);
    });
  }
  return () => {
    for (const s of stops) s();
  };
}

async function desk(
  cc: CallCenter,
  userId: number,
  action: 'transfer' | 'conference',
  floor: SoakFloor,
  r: () => number,
): Promise<void> {
  const ctx = await cc.ctx(userId);
  if (action === 'transfer')
    return cc.engine.desk.blindTransfer(ctx, { kind: 'group', groupId: floor.groupId });
  const others = floor.agents.filter((id) => id !== userId);
  const other = others[Math.floor(r() * others.length)]!;
  return cc.engine.desk.conference(ctx, { kind: 'agent', userId: other });
}
