/**
 * Function permissions and data scopes hold in the domain layer, whatever route is used:
 * every GET route of the application is tried with the ids of another department's records
 * (and of call-centre settings a sales representative has no permission for), each parameter
 * filled with an id of the kind of record the route is about.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { eq } from 'drizzle-orm';
import { suite } from 'uvu';
import { reportKeys } from '../../cti/stats/reports.ts';
import * as assert from 'uvu/assert';
import { loadActor, recordScope } from '../../core/access/actor.ts';
import { createRole, parseRoleInput } from '../../core/access/roles.ts';
import { auditListing } from '../../core/audit/audit-log.ts';
import { createHotline, parseHotlineInput } from '../../cti/lines/hotlines.ts';
import { createIvr } from '../../cti/ivr/ivrs.ts';
import { listDepartments } from '../../core/org/departments.ts';
import {
  employeeListing,
  getEmployee,
  setEmployeesEnabled,
  updateEmployee,
  parseEmployeeInput,
} from '../../core/org/employees.ts';
import { DomainError, ForbiddenError, NotFoundError } from '../../core/errors.ts';
import { listQuery, pageOf } from '../../core/list-query.ts';
import { createNumber, createTrunk, parseNumberInput, parseTrunkInput } from '../../cti/lines/lines.ts';
import { CallLog } from '../../cti/call-log/log.ts';
import { recordingStoreIn } from '../../cti/calls/recorder.ts';
import { agentGroupMembers, agentGroups, departments, prompts, userRoles } from '../../db/schema.ts';
import { createApp } from '../../web/app.ts';
import { WebClient } from '../support/client.ts';
import { testDatabase, type TestDatabase } from '../support/db.ts';
import { rejects } from '../support/assert.ts';
import { buildCompany, type Company, password, roleId } from '../support/fixtures.ts';
import { type RunningApp, startApp } from '../support/server.ts';

const test = suite('data scopes');
let db: TestDatabase;
let app: RunningApp;
let company: Company;
const dataDir = mkdtempSync(join(tmpdir(), 'cc-data-scope-'));

/** The kinds of record a GET route's `:id` can name. */
type IdKind =
  | 'user'
  | 'department'
  | 'role'
  | 'call'
  | 'trunk'
  | 'number'
  | 'prompt'
  | 'ivr'
  | 'hotline'
  | 'group'
  | 'export'
  | 'report';

/** Parameters that name no record: every value is opened like a list page (not expected to be refused). */
const notRecords: ReadonlySet<IdKind> = new Set(['report']);

/** Which kind of record each parameterised GET route is about; a new one must be added here. */
const routeKinds: [prefix: string, kind: IdKind][] = [
  ['/system/employees/:id', 'user'],
  ['/system/departments/:id', 'department'],
  ['/system/roles/:id', 'role'],
  ['/calls/:id', 'call'],
  ['/callcenter/trunks/:id', 'trunk'],
  ['/callcenter/numbers/:id', 'number'],
  ['/callcenter/prompts/:id', 'prompt'],
  ['/callcenter/ivrs/:id', 'ivr'],
  ['/callcenter/hotlines/:id', 'hotline'],
  ['/callcenter/groups/:id', 'group'],
  ['/wallboard/groups/:id', 'group'],
  ['/exports/:id', 'export'],
  ['/reports/:key', 'report'],
];

/**
 * Records of Sales B (and call-centre settings): their ids by kind, and text that gives them away.
 * A role is not a department's record (its name is listed in role pickers); its page would give
 * away its Sales B members.
 */
let foreign: Record<IdKind, string[]>;
let secrets: string[];
/** A call of rep.a herself, which she may open. */
let ownCall: string;
const ownCallNumber = '13900003333';

/** Logs a finished outbound call placed by an agent, as the call engine would, with a recording. */
async function outboundCall(log: CallLog, agentId: number, to: string, recorded: boolean): Promise<string> {
  const callId = randomUUID();
  const at = new Date(Date.now() - 60_000);
  await log.append(
    callId,
    {
      type: 'call.started',
      data: {
        direction: 'outbound',
        from: '4008001234',
        to,
        trunkId: null,
        numberId: null,
        agentId,
        channel: `PJSIP/agent-${agentId}-00000001`,
      },
    },
    at,
  );
  if (recorded) {
    const file = `2025/01/01/${callId}.wav`;
    const path = join(recordingStoreIn(dataDir), file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, Buffer.from(`RIFF-not-really-${to}`));
    await log.append(
      callId,
      { type: 'recording.stored', data: { file, seconds: 30, parties: [] } },
      new Date(at.getTime() + 30_000),
    );
  }
  await log.append(
    callId,
    { type: 'call.ended', data: { by: 'caller', q850Cause: 16, sipCode: null } },
    new Date(at.getTime() + 31_000),
  );
  return callId;
}

test.before(async () => {
  db = await testDatabase();
  company = await buildCompany(db.db);
  const { owner, people } = company;
  const log = new CallLog(db.db);
  const calls = [
    await outboundCall(log, people.repB, '13900001111', true),
    await outboundCall(log, people.supervisorB, '13900002222', false),
  ];
  ownCall = await outboundCall(log, people.repA, ownCallNumber, false);
  const role = await createRole(
    owner,
    parseRoleInput({
      name: 'Desk team',
      dataScope: 'self',
      permissions: ['desk:use'],
      memberIds: [String(people.repB), String(people.supervisorB)],
    }),
  );
  const trunk = await createTrunk(
    owner,
    parseTrunkInput({ name: 'Trunk SalesB', host: '192.0.2.1', qualify: 'no' }),
  );
  const number = await createNumber(
    owner,
    parseNumberInput({ number: '4008009999', trunkId: String(trunk), label: 'Line SalesB' }),
  );
  const ivr = await createIvr(owner, { name: 'IVR SalesB' });
  const hotline = await createHotline(
    owner,
    parseHotlineInput({
      name: 'Hotline SalesB',
      numberId: String(number),
      target: 'agent',
      userId: String(people.repB),
    }),
  );
  const [prompt] = await db.db
    .insert(prompts)
    .values({ name: 'Prompt SalesB', kind: 'tts', ttsText: 'Hello', version: 1, durationMs: 1000 })
    .returning({ id: prompts.id });
  const [group] = await db.db
    .insert(agentGroups)
    .values({ name: 'Group SalesB' })
    .returning({ id: agentGroups.id });
  await db.db.insert(agentGroupMembers).values({ groupId: group!.id, userId: people.repB });
  foreign = {
    user: [String(people.repB), String(people.supervisorB)],
    department: [String(company.salesB)],
    role: [String(role)],
    call: calls,
    trunk: [String(trunk)],
    number: [String(number)],
    prompt: [String(prompt!.id)],
    ivr: [String(ivr)],
    hotline: [String(hotline)],
    group: [String(group!.id)],
    export: [],
    report: [...reportKeys],
  };
  secrets = [
    'Bob RepB',
    'Sue SupervisorB',
    'rep.b',
    'sup.b',
    '13900001111',
    '13900002222',
    'Trunk SalesB',
    '4008009999',
    'Line SalesB',
    'IVR SalesB',
    'Hotline SalesB',
    'Prompt SalesB',
    'Group SalesB',
  ];
  app = await startApp(db.db, {
    settings: (s) => {
      s.dataDir = dataDir;
    },
  });
  // An export the owner started: its progress page and file are the owner's alone.
  const ownerWeb = new WebClient(app.url);
  await ownerWeb.login('owner', password);
  await ownerWeb.get('/system/employees');
  const started = await ownerWeb.post('/system/employees/export', { format: 'csv' });
  foreign.export = [/\/exports\/([\w-]+)/.exec(started.location ?? '')![1]!];
});
test.after(async () => {
  await app.close();
  await db.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * Every GET route of the app: those without parameters as they are, the others once for each
 * foreign record of the kind the route is about (`record` is true for these).
 */
function everyGetPath(): { path: string; record: boolean }[] {
  const routes = createApp(app.deps).routes.filter(
    (r) => r.method === 'GET' && !r.path.includes('*') && !r.path.startsWith('/static/'),
  );
  const paths = new Map<string, boolean>();
  for (const r of routes) {
    if (!r.path.includes(':')) {
      paths.set(r.path, false);
      continue;
    }
    const kind = routeKinds.find(([prefix]) => r.path.startsWith(prefix))?.[1];
    assert.ok(kind, `${r.path}: say in routeKinds which kind of record its parameter names`);
    assert.is(r.path.match(/:[a-zA-Z]+/g)?.length, 1, `${r.path}: one parameter expected`);
    for (const id of foreign[kind!])
      paths.set(r.path.replace(/:[a-zA-Z]+/, encodeURIComponent(id)), !notRecords.has(kind!));
  }
  return [...paths].map(([path, record]) => ({ path, record }));
}

/** Walks every GET route as a logged-in user: never a foreign record, and 403/404 on record pages. */
async function walk(web: WebClient, queries: string[]) {
  const paths = everyGetPath();
  assert.ok(paths.filter((p) => p.record).length >= routeKinds.length, 'every record route is tried');
  for (const { path, record } of paths) {
    for (const query of queries) {
      const r = await web.get(path + query);
      if (record) assert.ok(r.status === 403 || r.status === 404, `${path}${query} answered ${r.status}`);
      for (const secret of secrets)
        assert.not.ok(r.text.includes(secret), `${path}${query} (${r.status}) shows ${secret}`);
    }
  }
}

test('a sales representative cannot read another department’s records through any route', async () => {
  const web = new WebClient(app.url);
  await web.login('rep.a', password);
  // The call routes do reach records: her own call opens, with its number.
  const own = await web.get(`/calls/${ownCall}`);
  assert.is(own.status, 200);
  assert.match(own.text, ownCallNumber);
  const list = await web.get('/calls');
  assert.is(list.status, 200);
  assert.match(list.text, ownCallNumber);
  await walk(web, [
    '',
    `?f_department=${company.salesB}`,
    '?f_q=Bob',
    `?f_agent=${company.people.repB}`,
    '?f_q=1390000',
  ]);
  assert.is((await web.get('/system/employees')).status, 403, 'a sales rep holds no employees:view');
});

test('a sales manager sees their own department and below, never the other one — pages, filters and export', async () => {
  const web = new WebClient(app.url);
  await web.login('manager.a', password);
  const list = await web.get('/system/employees?size=100');
  assert.is(list.status, 200);
  for (const name of ['Mia Manager', 'Ray RepA', 'Rita TeamA1']) assert.match(list.text, name);
  const calls = await web.get(`/calls?f_agent=${company.people.repA}`);
  assert.match(calls.text, ownCallNumber, 'she sees her department’s calls');
  await walk(web, [`?f_department=${company.salesB}&size=100`, `?f_agent=${company.people.repB}&size=100`]);
  assert.is(
    (await web.get(`/system/employees/${company.people.repB}/edit`)).status,
    403,
    'a sales manager holds no employees:edit',
  );
});

test('domain calls refuse records outside the scope even when called directly', async () => {
  const manager = await company.ctx(company.people.managerA);
  await rejects(
    () => getEmployee(manager, company.people.repB),
    (e: unknown) => e instanceof NotFoundError,
  );
  const page = await pageOf(
    await employeeListing(manager, listQuery({ pageSize: 100 })),
    listQuery({ pageSize: 100 }),
  );
  assert.equal(page.rows.map((r) => r.username).sort(), ['manager.a', 'rep.a', 'rep.a1']);
  const rep = await company.ctx(company.people.repA);
  await rejects(
    () => employeeListing(rep, listQuery()),
    (e: unknown) => e instanceof ForbiddenError,
  );
  await rejects(
    () => setEmployeesEnabled(manager, [company.people.repA], false),
    (e: unknown) => e instanceof ForbiddenError,
  );
  const supervisor = await company.ctx(company.people.supervisorB);
  await rejects(
    () =>
      updateEmployee(
        supervisor,
        company.people.repB,
        parseEmployeeInput({ username: 'rep.b', name: 'Bob', departmentId: String(company.salesB) }),
      ),
    (e: unknown) => e instanceof ForbiddenError,
  );
  const depts = (await listDepartments(manager)).map((d) => d.name).sort();
  assert.equal(depts, ['Sales A', 'Team A1']);
  const audit = await pageOf(
    await auditListing(await company.ctx(company.people.admin), listQuery({ pageSize: 100 })),
    listQuery({ pageSize: 100 }),
  );
  assert.ok(audit.total > 0);
  await rejects(
    () => auditListing(manager, listQuery()),
    (e: unknown) => e instanceof ForbiddenError,
  );
});

test('several roles give the union of permissions with the widest scope per permission', async () => {
  await db.db
    .insert(userRoles)
    .values({ userId: company.people.repB, roleId: await roleId(db.db, 'supervisor') });
  const actor = (await loadActor(db.db, company.people.repB))!;
  assert.is(actor.grants.get('crm:create'), 'self', 'crm:create comes only from Sales representative');
  assert.is(actor.grants.get('crm:view'), 'department', 'crm:view is in both; the wider scope wins');
  assert.is(actor.grants.get('supervisor:monitor'), 'department');
  const scope = await recordScope(db.db, actor, 'employees:view');
  assert.ok(
    !scope.all &&
      scope.departmentIds.includes(company.salesB) &&
      !scope.departmentIds.includes(company.salesA),
  );
});

test('a department leader sees the departments they lead, whatever their role scope', async () => {
  await db.db
    .update(departments)
    .set({ leaderId: company.people.repA })
    .where(eq(departments.id, company.teamA1));
  await db.db.insert(userRoles).values({ userId: company.people.repA, roleId: await roleId(db.db, 'qa') });
  const rep = await company.ctx(company.people.repA);
  const rows = (
    await pageOf(await employeeListing(rep, listQuery({ pageSize: 100 })), listQuery({ pageSize: 100 }))
  ).rows.map((r) => r.username);
  assert.ok(rows.includes('rep.a1'));
  assert.not.ok(rows.includes('rep.b'));
});

test('a non-owner cannot grant the Owner role nor edit an owner', async () => {
  const admin = await company.ctx(company.people.admin);
  const ownerRole = await roleId(db.db, 'owner');
  await rejects(
    () =>
      updateEmployee(
        admin,
        company.people.repA,
        parseEmployeeInput({
          username: 'rep.a',
          name: 'Ray RepA',
          departmentId: String(company.salesA),
          roleIds: [String(ownerRole)],
        }),
      ),
    (e: unknown) => e instanceof DomainError && e.fields.roleIds === 'role_owner_only',
  );
  await rejects(
    () =>
      updateEmployee(
        admin,
        company.ownerId,
        parseEmployeeInput({
          username: 'owner',
          name: 'Hijacked',
          departmentId: String(company.rootId),
          roleIds: [],
        }),
      ),
    (e: unknown) => e instanceof DomainError && e.code === 'role_owner_only',
  );
});

test.run();
