/**
 * Listening, downloading and exporting reach calls within the scope of the permission actually
 * used (issue 3/8, finding 15), not that of calls:view: a role that views and listens to every
 * call but downloads and exports only its own cannot download or export another department's.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createRole, parseRoleInput } from '../../core/access/roles.ts';
import type { Ctx } from '../../core/context.ts';
import { NotFoundError } from '../../core/errors.ts';
import { listQuery, pageOf } from '../../core/list-query.ts';
import { callListing, recordingFor } from '../../cti/call-log/call-records.ts';
import type { CallEventBody } from '../../cti/call-log/events.ts';
import { CallLog } from '../../cti/call-log/log.ts';
import { userRoles } from '../../db/schema.ts';
import { type TestDatabase, testDatabase } from '../support/db.ts';
import { buildCompany, type Company } from '../support/fixtures.ts';

const test = suite('recording scopes');
let db: TestDatabase;
let company: Company;
let reader: Ctx;
const callId = 'scope-call-b';

test.before(async () => {
  db = await testDatabase();
  company = await buildCompany(db.db);
  const { repA, repB } = company.people;
  const role = await createRole(
    company.owner,
    parseRoleInput({ name: 'Listener', dataScope: 'all', permissions: ['calls:view', 'calls:listen'] }),
  );
  const own = await createRole(
    company.owner,
    parseRoleInput({
      name: 'Own downloads',
      dataScope: 'self',
      permissions: ['calls:download', 'calls:export'],
    }),
  );
  await db.db.insert(userRoles).values([
    { userId: repA, roleId: role },
    { userId: repA, roleId: own },
  ]);
  reader = await company.ctx(repA);
  // A call Bob (Sales B) answered, with its recording.
  const events: CallEventBody[] = [
    {
      type: 'call.started',
      data: {
        direction: 'inbound',
        from: '13800000009',
        to: '01012345678',
        trunkId: null,
        numberId: null,
        agentId: null,
        channel: 'PJSIP/x',
      },
    },
    { type: 'leg.dialing', data: { leg: 'b1', target: { kind: 'agent', userId: repB, endpoint: '3001' } } },
    { type: 'leg.answered', data: { leg: 'b1', userId: repB } },
    { type: 'recording.stored', data: { file: '2026/12/03/scope-call-b.wav', seconds: 30, parties: [] } },
    { type: 'call.ended', data: { by: 'caller', q850Cause: 16, sipCode: null } },
  ];
  const log = new CallLog(db.db);
  for (const e of events) await log.append(callId, e);
});
test.after(async () => {
  await db?.close();
});

test('viewing and listening reach the call; downloading and exporting, scoped to their own calls, do not', async () => {
  const q = listQuery({ pageSize: 100 });
  const viewed = (await pageOf(await callListing(reader, q), q)).rows;
  assert.ok(
    viewed.some((r) => r.callId === callId),
    'listed for viewing',
  );
  assert.is((await recordingFor(reader, callId, 'listen')).file, '2026/12/03/scope-call-b.wav');
  let refused: unknown = null;
  await recordingFor(reader, callId, 'download').catch((err: unknown) => {
    refused = err;
  });
  assert.ok(refused instanceof NotFoundError, 'download outside the download scope');
  const exported = (await pageOf(await callListing(reader, q, 'all', 'calls:export'), q)).rows;
  assert.not.ok(
    exported.some((r) => r.callId === callId),
    'not in the export',
  );
});

test.run();
