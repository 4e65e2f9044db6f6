/**
 * `./run.sh backup` and `./run.sh restore` as an operator uses them: a data directory with an
 * owner, call records with recordings, a voice prompt and the PBX's secrets is served by a
 * running product; the backup is taken while it runs (the instance writes it, asked over its
 * control socket); it is restored into a new directory, where a second product starts on it and
 * the owner logs in; every record, the prompt's and the recordings' bytes are identical. A
 * restore refuses a directory that is not empty, a damaged file and a backup of a newer schema,
 * and leaves the directory empty.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { asc } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { walk } from '../../core/ops/archive.ts';
import { controlSocketIn } from '../../core/ops/control.ts';
import type { CallEventBody } from '../../cti/call-log/events.ts';
import { CallLog } from '../../cti/call-log/log.ts';
import { recordingParties, recordingStoreIn, storedRecording } from '../../cti/calls/recorder.ts';
import { createPrompt, parsePromptInput, promptStoreIn } from '../../cti/media/prompts.ts';
import { embeddedDatabaseIn, knownMigrations, openDatabase } from '../../db/client.ts';
import { callEvents, callRecords, prompts, promptVersions, users } from '../../db/schema.ts';
import { pbxInstanceFileIn } from '../../pbx/layout.ts';
import { tone } from '../support/audio.ts';
import { WebClient } from '../support/client.ts';
import { buildCompany, password } from '../support/fixtures.ts';
import { killProducts, startProduct, stopProduct } from '../support/product.ts';

const test = suite('backup and restore');
const work = mkdtempSync(join(tmpdir(), 'cc-backup-'));
const source = join(work, 'source');
const backupFile = join(work, 'out', 'cc.tar');
const promptLimits = { maxSeconds: 60, maxBytes: 10 << 20 };

test.after(() => {
  killProducts();
  rmSync(work, { recursive: true, force: true });
});

/** `./run.sh backup|restore …` with this DATA_DIR; its exit code and output. */
function runSh(args: string[], dataDir: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const proc = spawn('./run.sh', args, {
      env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 120_000);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** What must survive: rows of the tables that matter, and every kept file's SHA-256. */
async function contentsOf(dataDir: string) {
  const database = await openDatabase({ dataDir: embeddedDatabaseIn(dataDir) });
  try {
    const { db } = database;
    const files: Record<string, string> = {};
    for (const dir of ['prompts', 'recordings'])
      for (const f of walk(join(dataDir, dir)).files)
        files[`${dir}/${f}`] = createHash('sha256')
          .update(readFileSync(join(dataDir, dir, f)))
          .digest('hex');
    return {
      users: await db
        .select({ id: users.id, username: users.username, hash: users.passwordHash })
        .from(users)
        .orderBy(asc(users.id)),
      records: await db.select().from(callRecords).orderBy(asc(callRecords.callId)),
      events: await db.select().from(callEvents).orderBy(asc(callEvents.id)),
      prompts: await db.select().from(prompts).orderBy(asc(prompts.id)),
      promptVersions: await db.select().from(promptVersions).orderBy(asc(promptVersions.id)),
      files,
      pbx: readFileSync(pbxInstanceFileIn(dataDir), 'utf8'),
    };
  } finally {
    await database.close();
  }
}

/** An owner, two recorded calls and a prompt, made with the domain functions before the product starts. */
async function seed(dataDir: string): Promise<void> {
  const database = await openDatabase({ dataDir: embeddedDatabaseIn(dataDir) });
  try {
    const company = await buildCompany(database.db);
    const log = new CallLog(database.db);
    const store = recordingStoreIn(dataDir);
    for (const [i, callId] of ['backup-call-1', 'backup-call-2'].entries()) {
      const t0 = Date.now() - (i + 1) * 3600_000;
      const file = `2026/02/0${i + 1}/${callId}.wav`;
      const events: [number, CallEventBody][] = [
        [
          0,
          {
            type: 'call.started',
            data: {
              direction: 'inbound',
              from: `1380000000${i}`,
              to: '4001',
              trunkId: null,
              numberId: null,
              agentId: null,
              channel: 'PJSIP/x',
            },
          },
        ],
        [
          1,
          {
            type: 'leg.dialing',
            data: { leg: 'b1', target: { kind: 'agent', userId: 1, endpoint: '1001' } },
          },
        ],
        [5, { type: 'leg.answered', data: { leg: 'b1', userId: 1 } }],
        [65, { type: 'recording.stored', data: { file, seconds: 60, parties: ['caller', 'agent'] } }],
        [66, { type: 'call.ended', data: { by: 'caller', q850Cause: 16, sipCode: null } }],
      ];
      for (const [s, e] of events) await log.append(callId, e, new Date(t0 + s * 1000));
      for (const party of [undefined, ...recordingParties]) {
        const path = storedRecording(store, file, party);
        mkdirSync(dirname(path), { recursive: true });
        // Random bytes with a marker the damaged-copy test finds in the archive.
        writeFileSync(
          path,
          Buffer.concat([Buffer.from(`RIFF-${callId}-${party ?? 'mixed'}-`), randomBytes(40_000)]),
        );
      }
    }
    const sources = join(work, 'sources');
    mkdirSync(sources, { recursive: true });
    const bytes = tone(sources, 'welcome.wav', 1, ['-ar', '8000', '-ac', '1', '-c:a', 'pcm_s16le']);
    await createPrompt(
      company.owner,
      promptStoreIn(dataDir, promptLimits),
      parsePromptInput({ name: 'Welcome', kind: 'upload' }, { name: 'welcome.wav', bytes }),
    );
  } finally {
    await database.close();
  }
  // The PBX instance's ports and secrets (PBX_MODE=off here, so written as a managed PBX would).
  mkdirSync(dirname(pbxInstanceFileIn(dataDir)), { recursive: true });
  writeFileSync(
    pbxInstanceFileIn(dataDir),
    JSON.stringify({
      ports: { http: 41001, ami: 41002 },
      secrets: {
        ariUser: 'callcenter',
        ariPassword: 'a-secret',
        amiUser: 'callcenter',
        amiSecret: 'b-secret',
      },
    }),
  );
}

const restoredEntries = (dir: string) =>
  existsSync(dir) ? readdirSync(dir).filter((n) => n !== '.lock' && n !== '.instance') : [];

test('a running instance is backed up and restored elsewhere with every record, prompt and recording', async () => {
  await seed(source);
  const first = await startProduct({ DATA_DIR: source });
  const web = new WebClient(first.url);
  assert.is((await web.login('owner', password)).status, 303);
  assert.ok(existsSync(controlSocketIn(source)), 'the instance serves its control socket');

  mkdirSync(dirname(backupFile), { recursive: true });
  mkdirSync(join(source, '.backup-interrupted'), { recursive: true }); // as a killed backup leaves it
  // The backup is written while the product answers requests.
  const [backup] = await Promise.all([
    runSh(['backup', backupFile], source),
    (async () => {
      for (let i = 0; i < 5; i++) assert.is((await web.get('/calls')).status, 200);
    })(),
  ]);
  assert.is(backup.code, 0, backup.out);
  assert.match(backup.out, 'asking it for the backup');
  assert.match(backup.out, /2 prompt file\(s\), 6 recording file\(s\)/);
  assert.match(first.log(), `[backup] backup written to ${backupFile}`);
  assert.not.match(first.log(), 'ariPassword', 'no secret in the log');
  assert.equal(
    readdirSync(source).filter((n) => n.startsWith('.backup-')),
    [],
    'no staging folder is left, nor an interrupted one',
  );
  const again = await runSh(['backup', backupFile], source);
  assert.is(again.code, 1, 'an existing file is not overwritten');
  assert.match(again.out, 'exists already');
  await stopProduct(first.proc);
  assert.not.ok(existsSync(controlSocketIn(source)), 'the socket goes with the instance');
  // With no instance running the command takes the data directory itself.
  const offline = await runSh(['backup', join(work, 'out', 'offline.tar')], source);
  assert.is(offline.code, 0, offline.out);
  assert.not.match(offline.out, 'asking it');
  assert.match(offline.out, /2 prompt file\(s\), 6 recording file\(s\)/);

  const target = join(work, 'restored', 'data');
  const restore = await runSh(['restore', backupFile], target);
  assert.is(restore.code, 0, restore.out);
  assert.match(restore.out, 'Restored the backup');

  const second = await startProduct({ DATA_DIR: target });
  assert.match(second.log(), `schema at ${knownMigrations().at(-1)!.tag} (no migration needed)`);
  const there = new WebClient(second.url);
  assert.is((await there.login('owner', password)).status, 303, 'the owner logs in on the restored copy');
  assert.match((await there.get('/')).text, 'Welcome, Olivia');
  const calls = await there.get('/calls');
  assert.match(calls.text, '13800000000');
  assert.match(calls.text, '13800000001');
  await stopProduct(second.proc);

  const before = await contentsOf(source);
  const after = await contentsOf(target);
  assert.is(Object.keys(before.files).length, 8, 'two prompt files and six recordings');
  assert.equal(after.files, before.files, 'prompt and recording files are byte for byte the same');
  assert.equal(after.users, before.users);
  assert.equal(after.records, before.records);
  assert.is(after.records.length, 2);
  assert.equal(after.events, before.events);
  assert.equal(after.prompts, before.prompts);
  assert.equal(after.promptVersions, before.promptVersions);
  assert.is(after.pbx, before.pbx, "the PBX's ports and secrets");
});

test('a restore refuses a data directory that is not empty', async () => {
  const result = await runSh(['restore', backupFile], source);
  assert.is(result.code, 1);
  assert.match(result.out, 'is not empty');
  assert.ok(existsSync(join(source, 'db')), 'nothing was touched');
});

test('a restore refuses a damaged backup and leaves the directory empty', async () => {
  const bytes = readFileSync(backupFile);
  const at = bytes.indexOf('RIFF-backup-call-2-caller-');
  assert.ok(at > 0);
  bytes[at + 100] = bytes[at + 100]! ^ 0xff;
  const damaged = join(work, 'damaged.tar');
  writeFileSync(damaged, bytes);
  const target = join(work, 'damaged-target');
  const result = await runSh(['restore', damaged], target);
  assert.is(result.code, 1, result.out);
  assert.match(result.out, 'does not match its checksum');
  assert.equal(restoredEntries(target), []);
});

test('a restore refuses a backup made by a newer release', async () => {
  const unpacked = join(work, 'newer');
  mkdirSync(unpacked);
  await untar(backupFile, unpacked);
  const manifest = JSON.parse(readFileSync(join(unpacked, 'manifest.json'), 'utf8'));
  manifest.schema = '9999_from_the_future';
  manifest.version = '99.0.0';
  writeFileSync(join(unpacked, 'manifest.json'), JSON.stringify(manifest));
  const newer = join(work, 'newer.tar');
  await tar(['-cf', newer, '-C', unpacked, '.']);
  const target = join(work, 'newer-target');
  const result = await runSh(['restore', newer], target);
  assert.is(result.code, 1, result.out);
  assert.match(result.out, 'made by a newer release (99.0.0');
  assert.equal(restoredEntries(target), []);
});

const untar = (file: string, dir: string) => tar(['-xf', file, '-C', dir]);
function tar(args: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    spawn('tar', args, { stdio: 'ignore' }).on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`tar ${code}`)),
    ),
  );
}

test.run();
