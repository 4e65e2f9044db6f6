/**
 * What most telephony tests start from: a database with the test company, a real Asterisk, an
 * AMI connection, and the company's configuration applied. close() stops and removes it all.
 */
import type { AmiClient } from '../../cti/ami/client.ts';
import { PbxConfigurator } from '../../pbx/configurator.ts';
import { type TestDatabase, testDatabase } from './db.ts';
import { buildCompany, type Company } from './fixtures.ts';
import { startTestPbx, type TestPbx } from './pbx.ts';

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
