/**
 * A trunk in registration mode against a real registrar (SIPp playing the carrier): Asterisk
 * registers with digest credentials from the trunk form, with a line parameter so the
 * carrier's calls can be told apart; the status shows Registered, or Rejected when the
 * carrier refuses the credentials.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createTrunk, parseTrunkInput } from '../../cti/lines/lines.ts';
import type { AmiClient } from '../../cti/ami/client.ts';
import type { PbxConfigurator } from '../../pbx/configurator.ts';
import { logged } from '../support/assert.ts';
import type { Company } from '../support/fixtures.ts';
import { freeSipPort } from '../support/pbx.ts';
import { registrar, runSipp } from '../support/sipp.ts';
import { type TelephonySetup, telephonySetup } from '../support/telephony.ts';

const test = suite('registration trunk');
let company: Company;
let ami: AmiClient;
let configurator: PbxConfigurator;

let setup: TelephonySetup;

test.before(
  logged(async () => {
    setup = await telephonySetup();
    ({ company, ami, configurator } = setup);
  }),
);
test.after(async () => {
  await setup?.close();
});

/** Outbound registration states as the PBX status page reads them, by trunk endpoint. */
async function registrationStates(): Promise<Map<string, string>> {
  const { events } = await ami.action('PJSIPShowRegistrationsOutbound', {}, 3000);
  return new Map(events.filter((e) => e.ObjectName).map((e) => [e.ObjectName!, e.Status ?? '']));
}

async function registerTrunk(name: string, password: string, carrierPassword: string) {
  const port = await freeSipPort();
  const carrier = runSipp({ scenario: registrar('acme', carrierPassword), port, timeoutSeconds: 15 });
  await new Promise((r) => setTimeout(r, 300));
  const id = await createTrunk(
    company.owner,
    parseTrunkInput({
      name,
      host: '127.0.0.1',
      port: String(port),
      authMode: 'register',
      username: 'acme',
      password,
      qualify: 'no',
    }),
  );
  await configurator.apply();
  return { id, run: await carrier.done };
}

async function stateOf(id: number, expected: string) {
  const deadline = Date.now() + 5000;
  let state = '';
  while (Date.now() < deadline) {
    state = (await registrationStates()).get(`trunk-${id}`) ?? '';
    if (state === expected) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return state;
}

test('with the right credentials the trunk registers, with a line parameter in its Contact', async () => {
  const { id, run } = await registerTrunk('Carrier A', 'secret-1', 'secret-1');
  assert.is(run.code, 0, run.output);
  assert.match(run.messages, 'Authorization: Digest username="acme"');
  assert.match(run.messages, /Contact: <sip:acme@[^>]*;line=\w+>/);
  assert.is(await stateOf(id, 'Registered'), 'Registered');
});

test('credentials the carrier refuses leave the trunk Rejected (shown as such, not retried every minute)', async () => {
  const { id, run } = await registerTrunk('Carrier B', 'wrong', 'secret-2');
  assert.is(run.code, 0, run.output);
  assert.match(run.messages, 'SIP/2.0 403 Forbidden');
  assert.is(await stateOf(id, 'Rejected'), 'Rejected');
});

test.run();
