/**
 * IVRs end to end against the real Asterisk: SIPp callers press keys (SIP INFO and RFC 4733)
 * through a three-level IVR to an agent's real phone, stay silent until the IVR hangs up, call
 * outside service hours and on a holiday (the clock is shifted), call from a blacklisted number,
 * and press a key that is not an option. The assertions read the event log, the call record
 * and the IVR reception log.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc, desc, eq } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createGroup } from '../../cti/acd/agent-groups.ts';
import { setOwnState } from '../../cti/agents/agent-states.ts';
import { addToList } from '../../cti/lines/caller-lists.ts';
import { createHotline, parseHotlineInput } from '../../cti/lines/hotlines.ts';
import { createIvr, saveIvr } from '../../cti/ivr/ivrs.ts';
import { loadRegions, regionOf } from '../../cti/lines/regions.ts';
import { createPrompt, parsePromptInput, type PromptStore } from '../../cti/media/prompts.ts';
import type { AriClient } from '../../cti/ari/client.ts';
import { CallEngine } from '../../cti/calls/engine.ts';
import type { ServiceHours } from '../../cti/ivr/hours.ts';
import { ensureSystemPrompts } from '../../cti/media/system-prompts.ts';
import type { IvrTree } from '../../cti/ivr/tree.ts';
import { keysOf, type IvrStep } from '../../cti/call-log/ivr-session.ts';
import { callEvents, callRecords, ivrSessions } from '../../db/schema.ts';
import { PbxConfigurator } from '../../pbx/configurator.ts';
import { inside, onHost } from '../../pbx/layout.ts';
import { promptsDirInside } from '../../pbx/prompt-sync.ts';
import { accountOf } from '../../pbx/sip-accounts.ts';
import { ariFor } from '../support/ari.ts';
import { logged } from '../support/assert.ts';
import { tone } from '../support/audio.ts';
import { Phone } from '../support/baresip.ts';
import { type CallerStep, ivrCaller, runSipp } from '../support/sipp.ts';
import { carrierLine, groupOf, type TelephonySetup, telephonySetup } from '../support/telephony.ts';
import { WebClient } from '../support/client.ts';
import { password } from '../support/fixtures.ts';
import { startApp } from '../support/server.ts';
import { timeZoneSetting } from '../../config/settings.ts';

const test = suite('IVR');
let setup: TelephonySetup;
let ari: AriClient;
let engine: CallEngine;
let carrierPort: number;
let ivrId: number;
let phone: Phone | null = null;
/** Shifts the engine's clock (service hours) without touching timers. */
let clockOffset = 0;
const work = mkdtempSync(join(tmpdir(), 'cc-ivr-'));
const store: PromptStore = { dir: join(work, 'prompts'), maxSeconds: 60, maxBytes: 5 * 1024 * 1024 };
const did = '4008002000';
const prompt = {} as Record<'main' | 'sales' | 'orders' | 'invalid' | 'closed' | 'info', number>;

test.before(
  logged(async () => {
    setup = await telephonySetup();
    const { company, db } = setup;
    const line = await carrierLine(company, did);
    carrierPort = line.port;
    const { numberId } = line;
    const sources = join(work, 'sources');
    mkdirSync(sources, { recursive: true });
    const tonePrompt = async (name: string, seconds: number) =>
      createPrompt(
        company.owner,
        store,
        parsePromptInput(
          { name, kind: 'upload' },
          { name: `${name}.wav`, bytes: tone(sources, `${name}.wav`, seconds, []) },
        ),
      );
    prompt.main = await createPrompt(
      company.owner,
      store,
      parsePromptInput(
        { name: 'main', kind: 'tts', ttsText: 'Welcome. For sales press one.', ttsLanguage: 'en' },
        null,
      ),
    );
    prompt.sales = await tonePrompt('sales', 0.8);
    prompt.orders = await tonePrompt('orders', 0.8);
    prompt.invalid = await tonePrompt('invalid', 1.5);
    prompt.closed = await tonePrompt('closed', 0.6);
    prompt.info = await tonePrompt('info', 0.6);
    await ensureSystemPrompts(store.dir);
    const group = await createGroup(company.owner, groupOf('Sales', [company.people.repB], {}, 15));
    const tree: IvrTree = {
      root: 'main',
      menus: [
        {
          id: 'main',
          name: 'Welcome',
          promptId: prompt.main,
          options: [
            { key: '1', action: { type: 'menu', menu: 'sales' } },
            { key: '9', action: { type: 'play_hangup', promptId: prompt.info } },
            {
              key: '5',
              action: {
                type: 'collect',
                variable: 'order_no',
                promptId: null,
                maxDigits: 6,
                next: { type: 'play_hangup', promptId: prompt.info },
              },
            },
          ],
        },
        {
          id: 'sales',
          name: 'Sales',
          promptId: prompt.sales,
          options: [
            { key: '2', action: { type: 'menu', menu: 'orders' } },
            { key: '3', action: { type: 'group', groupId: group } },
            { key: '*', action: { type: 'back' } },
          ],
        },
        {
          id: 'orders',
          name: 'Orders',
          promptId: prompt.orders,
          options: [{ key: '1', action: { type: 'agent', userId: company.people.repA } }],
        },
      ],
      rules: [
        { prefix: '0755', action: { type: 'menu', menu: 'orders' } },
        { vip: true, action: { type: 'agent', userId: company.people.repA } },
      ],
      silenceSeconds: 1,
      silenceRepeats: 2,
      digitTimeoutSeconds: 3,
      invalidPromptId: prompt.invalid,
      blacklistPromptId: null,
    };
    const hours: ServiceHours = {
      timeZone: 'Asia/Shanghai',
      weekly: [1, 2, 3, 4, 5].map((day) => ({ day, from: '09:00', to: '18:00' })),
      exceptions: [{ date: '2026-10-01', name: 'National Day', ranges: [] }],
      offHoursPromptId: prompt.closed,
      offHoursAction: { type: 'hangup' },
    };
    ivrId = await createIvr(company.owner, { name: 'Hotline IVR' });
    await saveIvr(company.owner, ivrId, { name: 'Hotline IVR', language: 'en', tree, hours });
    await createHotline(
      company.owner,
      parseHotlineInput({
        name: 'Service hotline',
        numberId: String(numberId),
        target: 'ivr',
        ivrId: String(ivrId),
      }),
    );
    await new PbxConfigurator(db.db, setup.pbx.instance, () => setup.ami, store.dir).apply();
    const regions = loadRegions(work);
    ari = ariFor(setup.pbx.instance);
    engine = new CallEngine({
      db: db.db,
      timeZone: timeZoneSetting(),
      ari,
      ami: () => setup.ami,
      app: setup.pbx.instance.app,
      recordings: {
        inside: inside(setup.pbx.instance, 'recordings'),
        onHost: onHost(setup.pbx.instance, 'recordings'),
        store: join(work, 'recordings'),
      },
      prompts: { inside: promptsDirInside(setup.pbx.instance) },
      regionOf: (n) => regionOf(regions, n),
      now: () => new Date(Date.now() + clockOffset),
      ringSeconds: 10,
      log: process.env.CTI_LOG ? (l) => console.log(`[cti] ${l}`) : () => {},
    });
    await engine.start();
  }),
);
test.after(async () => {
  await engine?.stop();
  await ari?.close();
  await phone?.stop();
  await setup?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Sets the engine's clock to a moment (real time keeps running from there). */
const clockAt = (iso: string) => {
  clockOffset = new Date(iso).getTime() - Date.now();
};
// A Wednesday at 10:00 in Shanghai: in service.
const open = '2026-09-30T02:00:00Z';

async function call(steps: CallerStep[], until: 'hangup' | 'bye', from = '13900139000') {
  const run = await runSipp({
    scenario: ivrCaller(steps, until),
    port: carrierPort,
    remotePort: setup.pbx.instance.ports.sip,
    service: did,
    callerNumber: from,
  }).done;
  const deadline = Date.now() + 10_000;
  for (;;) {
    await engine.log.flush();
    // The newest IVR call in log order (entered_at follows the shifted clock).
    const [last] = await setup.db.db
      .select({ callId: callEvents.callId })
      .from(callEvents)
      .where(eq(callEvents.type, 'ivr.entered'))
      .orderBy(desc(callEvents.id))
      .limit(1);
    const [session] = last
      ? await setup.db.db.select().from(ivrSessions).where(eq(ivrSessions.callId, last.callId))
      : [];
    const [record] = session
      ? await setup.db.db.select().from(callRecords).where(eq(callRecords.callId, session.callId))
      : [];
    if (session && record?.endedAt && session.outcome !== 'in_progress') return { run, session, record };
    if (Date.now() > deadline) throw new Error(`IVR call not finished: ${run.output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const eventsOf = async (callId: string) =>
  setup.db.db.select().from(callEvents).where(eq(callEvents.callId, callId)).orderBy(asc(callEvents.id));

test('keys by SIP INFO and RFC 4733 lead through three levels to an agent; the log shows the exact path', async () => {
  clockAt(open);
  const { company, db } = setup;
  const account = (await accountOf(db.db, company.people.repA))!;
  phone = await Phone.start({
    username: account.username,
    password: account.password,
    registrar: setup.pbx.instance.ports.sip,
  });
  await phone.waitFor('REGISTER_OK');
  const { run, session, record } = await call(
    [
      { pause: 800 },
      { info: '1' },
      { pause: 400 },
      { rfc2833: '2' },
      { pause: 400 },
      { info: '1' },
      { pause: 4000 },
    ],
    'hangup',
    '02150001234',
  );
  assert.is(run.code, 0, run.output);
  assert.is(keysOf(session.path as IvrStep[]), '1 → 2 → 1');
  assert.equal(
    (session.path as IvrStep[]).filter((s) => s.name).map((s) => s.menu),
    ['main', 'sales', 'orders'],
  );
  assert.is(session.outcome, 'agent');
  assert.is(session.region, '上海');
  assert.is(record.disposition, 'answered');
  assert.is(record.agentId, company.people.repA);
  // Barge-in: the first key came while the welcome prompt was still playing.
  const events = await eventsOf(record.callId);
  const firstMenu = events.find((e) => e.type === 'ivr.menu')!;
  const firstKey = events.find((e) => e.type === 'ivr.key')!;
  assert.ok(firstKey.at.getTime() - firstMenu.at.getTime() < 1800, 'the key interrupted the welcome prompt');
});

test('silence re-plays the menu and hangs up after the configured repeats', async () => {
  clockAt(open);
  const { run, session, record } = await call([], 'bye');
  assert.is(run.code, 0, run.output);
  const path = session.path as IvrStep[];
  assert.is(path.filter((s) => s.name).length, 3, 'played three times (silenceRepeats = 2)');
  assert.is(path.filter((s) => s.note === 'silence').length, 3);
  assert.is(session.outcome, 'timeout');
  assert.is(record.disposition, 'ended_in_ivr');
  assert.is(record.reason, 'timeout');
});

test('outside service hours and on a holiday the caller hears the off-hours prompt and is not routed', async () => {
  clockAt('2026-10-03T03:00:00Z'); // Saturday 11:00 in Shanghai
  const weekend = await call([], 'bye');
  assert.is(weekend.session.outcome, 'off_hours');
  assert.equal(
    (weekend.session.path as IvrStep[]).map((s) => s.note),
    ['off_hours'],
  );
  clockAt('2026-10-01T03:00:00Z'); // Thursday, National Day
  const holiday = await call([], 'bye');
  assert.is(holiday.session.outcome, 'off_hours');
  assert.equal(
    (holiday.session.path as IvrStep[]).map((s) => s.note),
    ['off_hours:National Day'],
  );
  clockAt('2026-09-30T11:00:00Z'); // Wednesday 19:00: after hours
  assert.is((await call([], 'bye')).session.outcome, 'off_hours');
  for (const c of [weekend, holiday]) {
    const types = (await eventsOf(c.record.callId)).map((e) => e.type);
    assert.not.ok(types.includes('ivr.menu') || types.includes('leg.dialing'));
  }
});

test('a blacklisted caller never reaches an agent', async () => {
  clockAt(open);
  await addToList(setup.company.owner, 'blacklist', { number: '13700137000', reason: 'abusive' });
  const { run, session, record } = await call([{ pause: 500 }, { info: '1' }], 'bye', '13700137000');
  assert.is(run.code, 0, run.output);
  assert.is(session.outcome, 'blacklisted');
  assert.is(record.disposition, 'ended_in_ivr');
  const types = (await eventsOf(record.callId)).map((e) => e.type);
  assert.not.ok(types.includes('leg.dialing') || types.includes('ivr.menu'));
});

test('a key that is not an option plays the invalid-key prompt and the menu again', async () => {
  clockAt(open);
  const { session, record } = await call(
    [{ pause: 300 }, { info: '7' }, { pause: 2600 }, { info: '9' }],
    'bye',
  );
  const path = session.path as IvrStep[];
  assert.ok(path.some((s) => s.key === '7' && s.note === 'invalid'));
  assert.is(session.outcome, 'play_hangup');
  const events = await eventsOf(record.callId);
  const invalid = events.find((e) => e.type === 'ivr.invalid')!;
  const again = events.find((e) => e.type === 'ivr.menu' && e.id > invalid.id)!;
  const gap = again.at.getTime() - invalid.at.getTime();
  assert.ok(gap >= 1400, `the 1.5 s invalid-key prompt played before the menu again (${gap} ms)`);
});

test('digits collected into a variable are logged with the call', async () => {
  clockAt(open);
  const { session } = await call(
    [
      { pause: 300 },
      { info: '5' },
      { pause: 200 },
      { info: '1' },
      { info: '2' },
      { rfc2833: '3' },
      { info: '4' },
      { info: '#' },
    ],
    'bye',
  );
  assert.equal(session.collected, { order_no: '1234' });
  assert.is(session.outcome, 'play_hangup');
});

test('a key for an agent group rings its members; the one who answers takes the call', async () => {
  clockAt(open);
  const { company, db } = setup;
  const account = (await accountOf(db.db, company.people.repB))!;
  // Groups offer calls to logged-in, ready members only.
  await setOwnState(await company.ctx(company.people.repB), 'ready');
  const other = await Phone.start({
    username: account.username,
    password: account.password,
    registrar: setup.pbx.instance.ports.sip,
  });
  try {
    await other.waitFor('REGISTER_OK');
    const { session, record } = await call(
      [{ pause: 300 }, { info: '1' }, { pause: 300 }, { info: '3' }, { pause: 3000 }],
      'hangup',
    );
    assert.is(session.outcome, 'group');
    assert.is(record.disposition, 'answered');
    assert.is(record.agentId, company.people.repB);
  } finally {
    await other.stop();
  }
});

test('a caller rule sends callers by number prefix straight to a menu', async () => {
  clockAt(open);
  const { session } = await call([{ pause: 300 }, { info: '1' }, { pause: 3000 }], 'hangup', '075588886666');
  const path = session.path as IvrStep[];
  assert.is(path[0]!.note, 'rule:1');
  assert.is(path[1]!.menu, 'orders');
  assert.is(session.outcome, 'agent');
  assert.is(session.region, '广东 深圳');
});

test('a VIP caller is routed by the VIP rule straight to the agent', async () => {
  clockAt(open);
  await addToList(setup.company.owner, 'vip', { number: '13600136000', reason: 'Key account' });
  const { session, record } = await call([{ pause: 3000 }], 'hangup', '13600136000');
  assert.is((session.path as IvrStep[])[0]!.note, 'rule:2');
  assert.is(session.outcome, 'agent');
  assert.is(record.agentId, setup.company.people.repA);
});

test('the IVR reception log page lists each call with region, keys and result, filterable', async () => {
  const app = await startApp(setup.db.db);
  try {
    const web = new WebClient(app.url);
    await web.login('admin', password);
    const all = await web.get('/calls/ivr');
    assert.is(all.status, 200);
    const shanghai = await web.get('/calls/ivr?f_q=02150001234');
    assert.match(shanghai.text, '1 → 2 → 1');
    assert.match(shanghai.text, '上海');
    assert.match(shanghai.text, 'to an agent');
    const blocked = await web.get('/calls/ivr?f_outcome=blacklisted');
    assert.match(blocked.text, '13700137000');
    assert.not.match(blocked.text, '02150001234');
    const csv = await web.get('/calls/ivr/export.csv?f_outcome=off_hours');
    assert.is(csv.text.trim().split('\r\n').length, 4, 'header and three off-hours calls');
  } finally {
    await app.close();
  }
});

test.run();
