/**
 * Agent states decide who is offered a call, against the real Asterisk: in a group with an agent
 * on break and one ready, only the ready one rings; after the call that agent is in wrap-up and
 * nobody is offered the next call; auto-ready makes them ready again after the wrap-up time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc, desc, eq } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { breakReasons, callEvents, callRecords } from '../../db/schema.ts';
import { setOwnState, stateOf } from '../../crm/desk/agent-states.ts';
import { writeSetting } from '../../crm/shared/settings.ts';
import { createGroup } from '../../crm/ivr/agent-groups.ts';
import { createHotline, parseHotlineInput } from '../../crm/ivr/hotlines.ts';
import type { AriClient } from '../../cti/ari/client.ts';
import { CallEngine } from '../../cti/calls/engine.ts';
import { inside, onHost } from '../../pbx/layout.ts';
import { accountOf } from '../../pbx/sip-accounts.ts';
import { ariFor } from '../support/ari.ts';
import { logged } from '../support/assert.ts';
import { Phone } from '../support/baresip.ts';
import { answeredCall, refusedCall, runSipp } from '../support/sipp.ts';
import { carrierLine, groupOf, type TelephonySetup, telephonySetup } from '../support/telephony.ts';

const test = suite('agent states and calls');
let setup: TelephonySetup;
let ari: AriClient;
let engine: CallEngine;
let carrierPort: number;
const phones: Phone[] = [];
const work = mkdtempSync(join(tmpdir(), 'cc-states-'));
const did = '4008004000';

test.before(
  logged(async () => {
    setup = await telephonySetup();
    const { company, db } = setup;
    const line = await carrierLine(company, did);
    carrierPort = line.port;
    const { numberId } = line;
    const group = await createGroup(
      company.owner,
      groupOf('Service', [company.people.repA, company.people.repB], {}, 10),
    );
    await createHotline(
      company.owner,
      parseHotlineInput({
        name: 'Service',
        numberId: String(numberId),
        target: 'group',
        groupId: String(group),
      }),
    );
    await writeSetting(db.db, 'desk.wrap_up_seconds', 2);
    await setup.configurator.apply();
    for (const userId of [company.people.repA, company.people.repB]) {
      const account = (await accountOf(db.db, userId))!;
      const phone = await Phone.start({
        username: account.username,
        password: account.password,
        registrar: setup.pbx.instance.ports.sip,
      });
      await phone.waitFor('REGISTER_OK');
      phones.push(phone);
    }
    const repA = await company.ctx(company.people.repA);
    await setOwnState(repA, 'ready');
    const [rest] = await db.db.select().from(breakReasons).where(eq(breakReasons.builtinKey, 'rest'));
    await setOwnState(repA, 'break', rest!.id);
    await setOwnState(await company.ctx(company.people.repB), 'ready');
    ari = ariFor(setup.pbx.instance);
    engine = new CallEngine({
      db: db.db,
      ari,
      ami: () => setup.ami,
      app: setup.pbx.instance.app,
      recordings: {
        inside: inside(setup.pbx.instance, 'recordings'),
        onHost: onHost(setup.pbx.instance, 'recordings'),
        store: join(work, 'rec'),
      },
      log: process.env.CTI_LOG ? (l) => console.log(`[cti] ${l}`) : () => {},
    });
    await engine.start();
  }),
);
test.after(async () => {
  await engine?.stop();
  await ari?.close();
  for (const p of phones) await p.stop();
  await setup?.close();
  rmSync(work, { recursive: true, force: true });
});

/** The newest call, once it has ended (the caller's SIPp may finish before the engine logs the end). */
async function lastCall() {
  const deadline = Date.now() + 10_000;
  for (;;) {
    await engine.log.flush();
    const [r] = await setup.db.db.select().from(callRecords).orderBy(desc(callRecords.startedAt)).limit(1);
    if (r?.endedAt) return r;
    if (Date.now() > deadline) throw new Error(`call not ended: ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

const dialled = async (callId: string) =>
  (
    await setup.db.db
      .select()
      .from(callEvents)
      .where(eq(callEvents.callId, callId))
      .orderBy(asc(callEvents.id))
  )
    .filter((e) => e.type === 'leg.dialing')
    .map((e) => (e.data as { target: { userId?: number } }).target.userId);

test('only the ready agent is offered the call; afterwards they are in wrap-up, then ready by themselves', async () => {
  const { company, db } = setup;
  const run = await runSipp({
    scenario: answeredCall(2000),
    port: carrierPort,
    remotePort: setup.pbx.instance.ports.sip,
    service: did,
  }).done;
  assert.is(run.code, 0, run.output);
  const first = await lastCall();
  assert.is(first.disposition, 'answered');
  assert.is(first.agentId, company.people.repB);
  assert.equal(await dialled(first.callId), [company.people.repB], 'the agent on break never rang');
  assert.is((await stateOf(db.db, company.people.repA)).state, 'break');
  assert.is((await stateOf(db.db, company.people.repB)).state, 'wrap_up');

  // During wrap-up nobody in the group is ready: the caller is told no one is available.
  const second = await runSipp({
    scenario: refusedCall(480),
    port: carrierPort,
    remotePort: setup.pbx.instance.ports.sip,
    service: did,
  }).done;
  assert.is(second.code, 0, second.output);
  assert.equal(await dialled((await lastCall()).callId), []);

  await new Promise((r) => setTimeout(r, 2500));
  assert.is((await stateOf(db.db, company.people.repB)).state, 'ready', 'auto-ready after the wrap-up time');
});

test.run();
