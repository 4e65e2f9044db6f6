/**
 * The product under load: a database with the test company and `agents` more agents, a carrier
 * line whose number's hotline goes to an IVR (one menu, key 1 → the agent group "Bench",
 * longest idle first), the configuration rendered by the product's PbxConfigurator into a
 * bench Asterisk instance, and the call engine (with the ACD and the MixMonitor recorder)
 * listening to the same domain events the domain functions publish. Every agent is made
 * ready through setOwnState, as an agent at the desk does.
 */
import { timeZoneSetting } from '../../config/settings.ts';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Actor, loadActor } from '../../core/access/actor.ts';
import { setOwnState } from '../../cti/agents/agent-states.ts';
import { createGroup } from '../../cti/acd/agent-groups.ts';
import { createHotline, parseHotlineInput } from '../../cti/lines/hotlines.ts';
import { createIvr, loadIvr, saveIvr } from '../../cti/ivr/ivrs.ts';
import { loadRegions, regionOf } from '../../cti/lines/regions.ts';
import { createEmployee, parseEmployeeInput } from '../../core/org/employees.ts';
import { createPrompt, parsePromptInput, promptStoreIn } from '../../cti/media/prompts.ts';
import type { Ctx } from '../../core/context.ts';
import { DomainEvents } from '../../core/events.ts';
import { writeSetting } from '../../core/settings.ts';
import { AriClient } from '../../cti/ari/client.ts';
import { CallEngine } from '../../cti/calls/engine.ts';
import type { IvrTree } from '../../cti/ivr/tree.ts';
import { ensureSystemPrompts } from '../../cti/media/system-prompts.ts';
import { PbxConfigurator } from '../../pbx/configurator.ts';
import { renderPjsip } from '../../pbx/config/pjsip.ts';
import { inside, onHost, type PbxInstance } from '../../pbx/layout.ts';
import { promptsDirInside } from '../../pbx/prompt-sync.ts';
import { accountOf, ensureAgentAccounts } from '../../pbx/sip-accounts.ts';
import { sql } from 'drizzle-orm';
import { callEvents, trunks } from '../../db/schema.ts';
import { type TestDatabase, testDatabase } from '../../test/support/db.ts';
import { buildCompany, origin, password, roleId } from '../../test/support/fixtures.ts';
import { carrierLine, groupOf } from '../../test/support/telephony.ts';
import { type BenchPbx, benchInstance, startBenchPbx } from './pbx.ts';
import type { AgentAccountLine } from './scenarios.ts';

export interface SystemUnderTest {
  label: string;
  pbx: BenchPbx;
  /** The hotline number callers dial and the port the carrier's calls come from. */
  did: string;
  carrierPort: number;
  accounts: AgentAccountLine[];
  /** Whether no call is in progress and every agent is free again. */
  idle(): Promise<boolean>;
  close(): Promise<void>;
}

export interface Ours extends SystemUnderTest {
  /** The CTI's log lines, with the time each was written. */
  ctiLog: { at: number; line: string }[];
  /**
   * When each agent leg the CTI created (channels.create, args "leg") entered its Stasis app,
   * by channel name: to tell whether a refused dial (409 Channel not in Stasis) came first.
   */
  legStasisStarts: Map<string, number>;
  /** The product's pjsip.conf for another instance: the same agents and trunk (for the baseline). */
  pjsipFor(instance: PbxInstance): Promise<string>;
  /** Call events written so far (each is one transaction that also re-projects the call record). */
  eventCount(): Promise<number>;
  /** Where the recorder keeps finished recordings. */
  recordingStore: string;
  /** The menu prompt (8 kHz WAV), for the baseline to play the same sound. */
  promptWav: string;
  promptSln16: string;
}

export interface OursOptions {
  agents: number;
  dbMode: 'embedded' | 'postgres';
  /** The menu prompt: a tone of this many seconds (wav made by ffmpeg). */
  promptWav: (dir: string) => Uint8Array;
  ringSeconds: number;
  rtpSlot: number;
  /** Called with each CTI log line as it comes (besides keeping it). */
  onLog?: (line: string) => void;
  /** Progress messages during setup. */
  say: (line: string) => void;
}

export const oursDid = '4008009900';

export async function startOurs(o: OursOptions): Promise<Ours> {
  const cleanups: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of cleanups.reverse()) await c().catch((err: Error) => o.say(`cleanup: ${err.message}`));
    cleanups.length = 0;
  };
  try {
    return await setUp(o, cleanups, close);
  } catch (err) {
    await close();
    throw err;
  }
}

async function setUp(
  o: OursOptions,
  cleanups: (() => Promise<void>)[],
  close: () => Promise<void>,
): Promise<Ours> {
  const dataDir = mkdtempSync(join(tmpdir(), 'acd-bench-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const db: TestDatabase = await testDatabase(o.dbMode);
  cleanups.push(() => db.close());
  const company = await buildCompany(db.db);
  const { owner } = company;
  const line = await carrierLine(company, oursDid, 'Bench carrier');

  o.say(`creating ${o.agents} agents (each password is hashed with scrypt)`);
  const rep = await roleId(db.db, 'sales_rep');
  const agentIds: number[] = [];
  // Four at a time: the password hashing (scrypt) runs in libuv's thread pool.
  for (let from = 1; from <= o.agents; from += 4) {
    const batch = Array.from({ length: Math.min(4, o.agents - from + 1) }, (_, k) => from + k);
    const created = await Promise.all(
      batch.map((i) =>
        createEmployee(
          owner,
          parseEmployeeInput({
            username: `bench.agent${i}`,
            name: `Bench Agent ${i}`,
            departmentId: String(company.salesA),
            roleIds: [String(rep)],
            jobNumber: String(6000 + i),
            password,
          }),
        ),
      ),
    );
    agentIds.push(...created.map((c) => c.id));
  }

  const store = promptStoreIn(dataDir, { maxBytes: 10_000_000, maxSeconds: 300 });
  const seed = join('test-output', 'system-prompts');
  await ensureSystemPrompts(store.dir, existsSync(seed) ? seed : undefined);
  const promptId = await createPrompt(
    owner,
    store,
    parsePromptInput(
      { name: 'Bench menu', kind: 'upload' },
      { name: 'menu.wav', bytes: o.promptWav(dataDir) },
    ),
  );
  const groupId = await createGroup(
    owner,
    groupOf('Bench', agentIds, { strategies: ['longest_idle'] }, o.ringSeconds),
  );
  const ivrId = await createIvr(owner, { name: 'Bench IVR' });
  const tree: IvrTree = {
    root: 'main',
    menus: [
      {
        id: 'main',
        name: 'Welcome',
        promptId,
        options: [{ key: '1', action: { type: 'group', groupId } }],
      },
    ],
    rules: [],
    silenceSeconds: 5,
    silenceRepeats: 1,
    digitTimeoutSeconds: 3,
    invalidPromptId: null,
    blacklistPromptId: null,
  };
  const hours = (await loadIvr(db.db, ivrId))!.hours;
  await saveIvr(owner, ivrId, { name: 'Bench IVR', language: 'en', tree, hours });
  await createHotline(
    owner,
    parseHotlineInput({
      name: 'Bench hotline',
      numberId: String(line.numberId),
      target: 'ivr',
      ivrId: String(ivrId),
    }),
  );
  // Agents are ready again as soon as a call ends (app_queue's wrapuptime = 0).
  await writeSetting(db.db, 'desk.wrap_up_seconds', 0);

  const instance = await benchInstance('ours', o.rtpSlot);
  let pbx: BenchPbx | null = null;
  const configurator = new PbxConfigurator(db.db, instance, () => pbx?.ami ?? null, store.dir);
  await configurator.render();
  pbx = await startBenchPbx(instance);
  const started = pbx;
  cleanups.push(() => started.close());

  const events = new DomainEvents();
  events.on('event', (e) => {
    if (e.type === 'groups.changed' || e.type === 'employees.changed') void configurator.apply();
  });
  const ctiLog: { at: number; line: string }[] = [];
  const ari = new AriClient({
    baseUrl: `http://127.0.0.1:${instance.ports.http}/ari`,
    username: instance.secrets.ariUser,
    password: instance.secrets.ariPassword,
    app: instance.app,
    reconnect: { minDelayMs: 100, maxDelayMs: 1000 },
  });
  cleanups.push(() => ari.close());
  const legStasisStarts = new Map<string, number>();
  ari.on('event', (e) => {
    if (e.type === 'StasisStart' && e.args[0] === 'leg') legStasisStarts.set(e.channel.name, Date.now());
  });
  const regions = loadRegions('/nonexistent');
  const engine = new CallEngine({
    db: db.db,
    timeZone: timeZoneSetting(),
    ari,
    ami: () => started.ami,
    app: instance.app,
    recordings: {
      inside: inside(instance, 'recordings'),
      onHost: onHost(instance, 'recordings'),
      store: join(dataDir, 'recordings'),
    },
    prompts: { inside: promptsDirInside(instance) },
    holdPromptClasses: true,
    regionOf: (n) => regionOf(regions, n),
    ringSeconds: o.ringSeconds,
    events,
    log: (line) => {
      ctiLog.push({ at: Date.now(), line });
      o.onLog?.(line);
    },
  });
  await engine.start();
  cleanups.push(() => engine.stop());

  o.say('agents log in to the desk (ready)');
  const ctx = async (userId: number): Promise<Ctx> => ({
    db: db.db,
    actor: (await loadActor(db.db, userId)) as Actor,
    timeZone: timeZoneSetting(),
    ...origin,
    events,
  });
  for (const id of agentIds) await setOwnState(await ctx(id), 'ready');
  const deadline = Date.now() + 20_000;
  while (agentIds.some((id) => engine.acd.pool.agents.get(id)?.state !== 'ready')) {
    if (Date.now() > deadline) throw new Error('the ACD did not see every agent ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  const accounts: AgentAccountLine[] = [];
  for (const id of agentIds) accounts.push((await accountOf(db.db, id))!);
  const promptBase = join(store.dir, `p${promptId}-v1`);

  return {
    label: 'ours',
    pbx: started,
    did: oursDid,
    carrierPort: line.port,
    accounts,
    ctiLog,
    legStasisStarts,
    recordingStore: join(dataDir, 'recordings'),
    eventCount: async () => {
      await engine.log.flush();
      const [row] = await db.db.select({ n: sql<number>`count(*)` }).from(callEvents);
      return Number(row?.n ?? 0);
    },
    pjsipFor: async (other) =>
      renderPjsip(
        other,
        await ensureAgentAccounts(db.db),
        await db.db.select().from(trunks).orderBy(trunks.id),
      ),
    promptWav: `${promptBase}.wav`,
    promptSln16: `${promptBase}.sln16`,
    async idle() {
      await engine.log.flush();
      return (
        engine.callIds().length === 0 &&
        agentIds.every((id) => engine.acd.pool.agents.get(id)?.state === 'ready')
      );
    },
    close,
  };
}
