/**
 * What most telephony tests start from: a database with the test company, a real Asterisk, an
 * AMI connection, and the company's configuration applied. close() stops and removes it all.
 */
import { defaultQueueSettings, type QueueSettings } from '../../cti/acd/queue-settings.ts';
import { existsSync, readFileSync } from 'node:fs';
import type { AmiClient } from '../../cti/ami/client.ts';
import { onHost } from '../../pbx/layout.ts';
import { createGroup, type GroupInput } from '../../cti/acd/agent-groups.ts';
import { createHotline, parseHotlineInput } from '../../cti/lines/hotlines.ts';
import { PbxConfigurator } from '../../pbx/configurator.ts';
import { type TestDatabase, testDatabase } from './db.ts';
import { buildCompany, type Company } from './fixtures.ts';
import { freeUdpPort, startTestPbx, type TestPbx } from './pbx.ts';
import { createNumber, createTrunk, parseNumberInput, parseTrunkInput } from '../../cti/lines/lines.ts';

export interface TelephonySetup {
  db: TestDatabase;
  company: Company;
  pbx: TestPbx;
  ami: AmiClient;
  configurator: PbxConfigurator;
  close(): Promise<void>;
}

export async function telephonySetup(): Promise<TelephonySetup> {
  const db = await testDatabase();
  const company = await buildCompany(db.db);
  const pbx = await startTestPbx();
  const ami = await pbx.ami();
  const configurator = new PbxConfigurator(db.db, pbx.instance, () => ami);
  await configurator.apply();
  return {
    db,
    company,
    pbx,
    ami,
    configurator,
    close: async () => {
      await pbx.close();
      await db.close();
    },
  };
}

/**
 * The test carrier: a trunk identified by 127.0.0.1 and a free port (where SIPp callers send
 * from), not probed, with one number on it (routed straight to `routeUserId` when given).
 * Returns the port and the number's id.
 */
export async function carrierLine(
  company: Company,
  number: string,
  name = 'Carrier',
  routeUserId: number | null = null,
): Promise<{ port: number; trunkId: number; numberId: number }> {
  const port = await freeUdpPort();
  const trunkId = await createTrunk(
    company.owner,
    parseTrunkInput({ name, host: '127.0.0.1', port: String(port), qualify: 'no' }),
  );
  const numberId = await createNumber(
    company.owner,
    parseNumberInput({
      number,
      trunkId: String(trunkId),
      ...(routeUserId === null ? {} : { routeUserId: String(routeUserId) }),
    }),
  );
  return { port, trunkId, numberId };
}

/** A group's input for createGroup: members at level 0 and the default queue settings, changed by `queue`. */
export function groupOf(
  name: string,
  memberIds: number[],
  queue: Partial<QueueSettings> = {},
  ringSeconds = 20,
): GroupInput {
  return {
    name,
    ringSeconds,
    leaderId: null,
    members: memberIds.map((userId) => ({ userId, penalty: 0 })),
    queue: { ...defaultQueueSettings(), ...queue },
  };
}

/** An agent group of these members, and a hotline on the carrier line's number that leads to it. */
export async function groupWithHotline(
  company: Company,
  numberId: number,
  name: string,
  memberIds: number[],
): Promise<number> {
  const groupId = await createGroup(company.owner, groupOf(name, memberIds));
  await createHotline(
    company.owner,
    parseHotlineInput({
      name: `${name} line`,
      numberId: String(numberId),
      target: 'group',
      groupId: String(groupId),
    }),
  );
  return groupId;
}

/**
 * What Asterisk sends and receives over SIP, from its own log (PJSIP logger into a log channel
 * added for the test): start it, do something, then read the messages.
 */
export async function sipTrace(
  setup: TelephonySetup,
): Promise<{ messages(): string; stop(): Promise<void> }> {
  const file = onHost(setup.pbx.instance, 'log', 'sip-trace.log');
  await setup.ami.action('Command', { Command: 'logger add channel sip-trace.log verbose' });
  await setup.ami.action('Command', { Command: 'pjsip set logger on' });
  const read = () => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  return {
    messages: read,
    async stop() {
      await setup.ami.action('Command', { Command: 'pjsip set logger off' });
      await setup.ami.action('Command', { Command: 'logger remove channel sip-trace.log' });
    },
  };
}
