/**
 * Agents' SIP accounts come from the database: a real baresip phone registers with digest auth
 * against the real Asterisk; an agent added in the UI can register seconds later without a
 * restart; a disabled agent's phone is refused; a wrong password is refused.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { AmiClient } from '../../cti/ami/client.ts';
import { createEmployee, parseEmployeeInput, setEmployeesEnabled } from '../../core/org/employees.ts';
import type { PbxConfigurator } from '../../pbx/configurator.ts';
import { accountOf } from '../../pbx/sip-accounts.ts';
import { logged } from '../support/assert.ts';
import { Phone } from '../support/baresip.ts';
import type { TestDatabase } from '../support/db.ts';
import { type Company, roleId } from '../support/fixtures.ts';
import type { TestPbx } from '../support/pbx.ts';
import { type TelephonySetup, telephonySetup } from '../support/telephony.ts';

const test = suite('agent phones');
let db: TestDatabase;
let company: Company;
let pbx: TestPbx;
let ami: AmiClient;
let config: PbxConfigurator;
const phones: Phone[] = [];

let setup: TelephonySetup;

test.before(
  logged(async () => {
    setup = await telephonySetup();
    ({ db, company, pbx, ami, configurator: config } = setup);
  }),
);
test.after(async () => {
  for (const p of phones) await p.stop();
  await setup?.close();
});

async function phoneFor(userId: number, password?: string) {
  const account = await accountOf(db.db, userId);
  assert.ok(account, `user ${userId} has a SIP account`);
  const phone = await Phone.start({
    username: account!.username,
    password: password ?? account!.password,
    registrar: pbx.instance.ports.sip,
  });
  phones.push(phone);
  return { phone, account: account! };
}

test('every agent gets an account with a strong password; the job number is the SIP username', async () => {
  const account = await accountOf(db.db, company.people.repA);
  assert.is(account?.username, '2002');
  assert.ok((account?.password.length ?? 0) >= 24);
  const endpoints = await ami.action('PJSIPShowEndpoints');
  const names = endpoints.events.map((e) => e.ObjectName);
  assert.ok(names.includes('2002'));
  const qa = await createEmployee(
    company.owner,
    parseEmployeeInput({
      username: 'qa.only',
      name: 'Quinn QA',
      jobNumber: '9100',
      departmentId: String(company.salesA),
      roleIds: [String(await roleId(db.db, 'qa'))],
    }),
  );
  await config.apply();
  assert.is(
    await accountOf(db.db, qa.id),
    null,
    'a QA inspector does not work the desk, so gets no SIP account',
  );
});

test('a real phone registers with digest auth', async () => {
  const { phone, account } = await phoneFor(company.people.repA);
  await phone.waitFor('REGISTER_OK');
  const contacts = await ami.action('PJSIPShowContacts');
  assert.ok(
    contacts.events.some((e) => e.Endpoint === account.username && e.UserAgent?.startsWith('baresip')),
    JSON.stringify(contacts.events),
  );
});

test('a wrong password is refused', async () => {
  const { phone } = await phoneFor(company.people.repB, 'wrong-password');
  await phone.waitFor('REGISTER_FAIL');
});

test('an agent added in the UI can register within seconds, without restarting Asterisk', async () => {
  const pid = pbx.process.health().pid;
  const created = await createEmployee(
    company.owner,
    parseEmployeeInput({
      username: 'new.agent',
      name: 'New Agent',
      jobNumber: '7001',
      departmentId: String(company.salesA),
      roleIds: [String(await roleId(db.db, 'agent'))],
    }),
  );
  const started = Date.now();
  const changed = await config.apply();
  assert.equal(changed, ['pjsip.conf']);
  const { phone } = await phoneFor(created.id);
  await phone.waitFor('REGISTER_OK');
  const seconds = (Date.now() - started) / 1000;
  assert.ok(seconds < 5, `registered after ${seconds} s`);
  assert.is(pbx.process.health().pid, pid, 'same Asterisk process');
});

test('a disabled agent’s phone can no longer register', async () => {
  await setEmployeesEnabled(company.owner, [company.people.repA1], false);
  await config.apply();
  const endpoints = await ami.action('PJSIPShowEndpoints');
  assert.not.ok(endpoints.events.some((e) => e.ObjectName === '2003'));
  const { phone } = await phoneFor(company.people.repA1);
  await phone.waitFor('REGISTER_FAIL');
});

test.run();
