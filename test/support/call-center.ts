/**
 * A working call center for ACD and desk tests: the test company, a real Asterisk with the
 * configuration applied, the carrier line with a hotline number, the call engine (with the
 * ACD) listening to the same domain events as the domain functions the test calls, and
 * baresip phones for agents. close() stops it all.
 */
import { assertReplayAgrees } from './replay.ts';
import { timeZoneSetting } from '../../config/settings.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc } from 'drizzle-orm';
import { type Actor, loadActor } from '../../core/access/actor.ts';
import { listBreakReasons, setOwnState, stateOf } from '../../cti/agents/agent-states.ts';
import { createGroup, updateGroup } from '../../cti/acd/agent-groups.ts';
import { createHotline, parseHotlineInput } from '../../cti/lines/hotlines.ts';
import { loadRegions, regionOf } from '../../cti/lines/regions.ts';
import { promptStoreIn } from '../../cti/media/prompts.ts';
import type { Ctx } from '../../core/context.ts';
import { DomainError } from '../../core/errors.ts';
import { DomainEvents } from '../../core/events.ts';
import { writeSetting } from '../../core/settings.ts';
import type { QueueSettings } from '../../cti/acd/queue-settings.ts';
import type { AriClient } from '../../cti/ari/client.ts';
import { CallEngine } from '../../cti/calls/engine.ts';
import type { CallEvent } from '../../cti/call-log/events.ts';
import { eventsOf } from '../../cti/call-log/log.ts';
import { ensureSystemPrompts } from '../../cti/media/system-prompts.ts';
import { type AgentState, callRecords } from '../../db/schema.ts';
import { PbxConfigurator } from '../../pbx/configurator.ts';
import { inside, onHost } from '../../pbx/layout.ts';
import { promptsDirInside } from '../../pbx/prompt-sync.ts';
import { accountOf } from '../../pbx/sip-accounts.ts';
import { ariFor } from './ari.ts';
import { origin } from './fixtures.ts';
import { Phone } from './baresip.ts';
import { carrierLine, groupOf, type TelephonySetup, telephonySetup } from './telephony.ts';

/** System prompts spoken once per machine and copied into each test's prompt library. */
export const sharedSystemPrompts = join('test-output', 'system-prompts');

/** A carrier line: SIPp callers send from its port (the trunk knows them by it), dialling its number. */
export interface CarrierLine {
  port: number;
  trunkId: number;
  numberId: number;
  did: string;
}

export interface CallCenter {
  setup: TelephonySetup;
  events: DomainEvents;
  engine: CallEngine;
  ari: AriClient;
  /** Three lines, each with a hotline to the first group made: callers can call at the same time. */
  lines: CarrierLine[];
  carrierPort: number;
  numberId: number;
  trunkId: number;
  did: string;
  /** A domain context for a user that announces changes to the engine. */
  ctx(userId: number): Promise<Ctx>;
  /** Starts (or restarts) an agent's registered baresip phone. */
  phone(userId: number, options?: { autoAnswer?: boolean; tone?: number; record?: string }): Promise<Phone>;
  phones: Map<number, Phone>;
  setState(userId: number, state: 'ready' | 'break' | 'logged_out'): Promise<void>;
  /** Creates a group; the first one made gets the hotlines of every line. */
  hotlineToGroup(
    name: string,
    memberIds: number[],
    queue?: Partial<QueueSettings>,
    ringSeconds?: number,
  ): Promise<number>;
  /** Changes a group (members at level 0 unless `levels` says) and waits until the ACD has it. */
  updateQueue(
    groupId: number,
    name: string,
    memberIds: number[],
    queue: Partial<QueueSettings>,
    ringSeconds?: number,
    levels?: Record<number, number>,
  ): Promise<void>;
  /** Renders and applies Asterisk's configuration again (after adding trunks or numbers). */
  applyConfig(): Promise<void>;
  /** A new engine on a new ARI connection (after stopping the old one): an application restart. */
  restartEngine(): Promise<void>;
  stateOf(userId: number): AgentState | undefined;
  eventsOf(callId: string): Promise<CallEvent[]>;
  /** The call records started after `since`, oldest first. */
  callsSince(since: Date): Promise<(typeof callRecords.$inferSelect)[]>;
  /** Waits until `check` passes (polling), or fails with its last error. */
  until<T>(
    what: string,
    check: () => Promise<T | null | undefined | false> | T | null | undefined | false,
    timeoutMs?: number,
  ): Promise<T>;
  close(): Promise<void>;
}

export async function callCenter(options: { random?: () => number } = {}): Promise<CallCenter> {
  const setup = await telephonySetup();
  const { db, company } = setup;
  const events = new DomainEvents();
  const lines: CarrierLine[] = [];
  for (const did of ['4008009000', '4008009001', '4008009002'])
    lines.push({ ...(await carrierLine(company, did, `Carrier ${did}`)), did });
  const line = lines[0]!;
  const regions = loadRegions('/nonexistent');
  const dataDir = mkdtempSync(join(tmpdir(), 'cc-center-'));
  const library = promptStoreIn(dataDir, { maxBytes: 10_000_000, maxSeconds: 300 }).dir;
  await ensureSystemPrompts(sharedSystemPrompts);
  await ensureSystemPrompts(library, sharedSystemPrompts);
  const configurator = new PbxConfigurator(db.db, setup.pbx.instance, () => setup.ami, library);
  await configurator.apply();
  events.on('event', (e) => {
    if (e.type === 'groups.changed' || e.type === 'employees.changed') void configurator.apply();
  });
  const ctx = async (userId: number): Promise<Ctx> => ({
    db: db.db,
    actor: (await loadActor(db.db, userId)) as Actor,
    timeZone: timeZoneSetting(),
    ...origin,
    events,
  });
  const owner = await ctx(company.ownerId);
  const phones = new Map<number, Phone>();
  let hotlineMade = false;
  const makeEngine = () => {
    const ari = ariFor(setup.pbx.instance);
    const engine = new CallEngine({
      db: db.db,
      timeZone: timeZoneSetting(),
      ari,
      ami: () => setup.ami,
      app: setup.pbx.instance.app,
      recordings: {
        inside: inside(setup.pbx.instance, 'recordings'),
        onHost: onHost(setup.pbx.instance, 'recordings'),
        store: join(dataDir, 'recordings'),
      },
      prompts: { inside: promptsDirInside(setup.pbx.instance) },
      holdPromptClasses: true,
      regionOf: (n) => regionOf(regions, n),
      ringSeconds: 15,
      events,
      random: options.random,
      log: process.env.CTI_LOG ? (l) => console.log(`[cti] ${l}`) : () => {},
    });
    return { ari, engine };
  };
  let current = makeEngine();
  await current.engine.start();
  const center: CallCenter = {
    setup,
    events,
    get engine() {
      return current.engine;
    },
    get ari() {
      return current.ari;
    },
    lines,
    carrierPort: line.port,
    numberId: line.numberId,
    trunkId: line.trunkId,
    did: line.did,
    ctx,
    phones,
    async phone(userId, o = {}) {
      await phones.get(userId)?.stop();
      const account = (await accountOf(db.db, userId))!;
      const p = await Phone.start({
        username: account.username,
        password: account.password,
        registrar: setup.pbx.instance.ports.sip,
        autoAnswer: o.autoAnswer ?? true,
        tone: o.tone,
        record: o.record,
      });
      phones.set(userId, p);
      await p.waitFor('REGISTER_OK');
      return p;
    },
    async setState(userId, state) {
      const c = await ctx(userId);
      const [reason] = await listBreakReasons(db.db);
      // An agent whose last call is still being hung up is busy for a moment: try again then.
      await center.until(`agent ${userId} free to change state`, async () => {
        try {
          await setOwnState(c, state, state === 'break' ? reason!.id : null);
          return true;
        } catch (err) {
          if (err instanceof DomainError && err.code === 'agent_busy') return false;
          throw err;
        }
      });
      // The engine hears of it through the domain events; wait until its pool shows it.
      // A ready agent may be offered a waiting call at once.
      const seen = state === 'ready' ? ['ready', 'ringing', 'on_call', 'wrap_up'] : [state];
      await center.until(`agent ${userId} ${state}`, async () => {
        if (seen.includes(center.stateOf(userId) ?? '')) return true;
        throw new Error(`pool: ${center.stateOf(userId)}, desk: ${(await stateOf(db.db, userId)).state}`);
      });
    },
    async hotlineToGroup(name, memberIds, queue = {}, ringSeconds = 20) {
      const groupId = await createGroup(owner, groupOf(name, memberIds, queue, ringSeconds));
      if (!hotlineMade) {
        for (const l of lines)
          await createHotline(
            owner,
            parseHotlineInput({
              name: `Line ${l.did}`,
              numberId: String(l.numberId),
              target: 'group',
              groupId: String(groupId),
            }),
          );
        hotlineMade = true;
      }
      await center.until('group loaded', () => current.engine.acd.pool.groups.has(groupId));
      return groupId;
    },
    async updateQueue(groupId, name, memberIds, queue, ringSeconds = 20, levels = {}) {
      const input = groupOf(name, memberIds, queue, ringSeconds);
      input.members = input.members.map((m) => ({ ...m, penalty: levels[m.userId] ?? 0 }));
      await updateGroup(owner, groupId, input);
      await current.engine.acd.reloadGroups();
    },
    async applyConfig() {
      await configurator.apply();
    },
    async restartEngine() {
      await current.engine.stop();
      await current.ari.close();
      current = makeEngine();
      await current.engine.start();
    },
    stateOf: (userId) => current.engine.acd.pool.agents.get(userId)?.state,
    eventsOf: async (callId) => {
      await current.engine.log.flush();
      return eventsOf(db.db, callId);
    },
    async callsSince(since) {
      await current.engine.log.flush();
      const rows = await db.db.select().from(callRecords).orderBy(asc(callRecords.startedAt));
      return rows.filter((r) => r.startedAt >= since);
    },
    async until(what, check, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let last: unknown = null;
      for (;;) {
        try {
          const v = await check();
          if (v) return v as never;
        } catch (err) {
          last = err;
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async close() {
      await current.engine.stop();
      await current.ari.close();
      // Whatever the test did, the records written batch by batch agree with a full replay.
      await assertReplayAgrees(db.db);
      for (const p of phones.values()) await p.stop();
      await setup.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  // Wrap-up 0 unless a test sets it: agents are ready again at once.
  await writeSetting(db.db, 'desk.wrap_up_seconds', 0);
  return center;
}

/** The system prompts a product started on `dataDir` would speak at its first start, copied in. */
export async function seedSystemPrompts(dataDir: string): Promise<void> {
  await ensureSystemPrompts(sharedSystemPrompts);
  await ensureSystemPrompts(
    promptStoreIn(dataDir, { maxBytes: 10_000_000, maxSeconds: 300 }).dir,
    sharedSystemPrompts,
  );
}
