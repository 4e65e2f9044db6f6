/**
 * The voice prompt library with the real ffmpeg and espeak-ng: every accepted upload format
 * becomes 8 kHz WAV + 16 kHz sln16 of the source's length (within 50 ms); TTS in English and
 * Mandarin; new versions on replacement; refused files (not audio, silent, too long, too large,
 * empty) leave nothing behind; a prompt an IVR uses cannot be deleted.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createCategory,
  createPrompt,
  deletePrompt,
  parsePromptInput,
  promptFile,
  type PromptStore,
  promptHistory,
  updatePrompt,
} from '../../crm/prompts/prompts.ts';
import { DomainError, ValidationError } from '../../crm/shared/errors.ts';
import { ivrPromptRefs, ivrs, prompts } from '../../db/schema.ts';
import { rejects } from '../support/assert.ts';
import { amr, silence, tone } from '../support/audio.ts';
import { type TestDatabase, testDatabase } from '../support/db.ts';
import { WebClient } from '../support/client.ts';
import { buildCompany, type Company, password } from '../support/fixtures.ts';
import { startApp } from '../support/server.ts';

const test = suite('voice prompts');
let db: TestDatabase;
let company: Company;
const work = mkdtempSync(join(tmpdir(), 'cc-prompts-'));
const sources = join(work, 'sources');
const store: PromptStore = { dir: join(work, 'store'), maxSeconds: 5, maxBytes: 2 * 1024 * 1024 };

test.before(async () => {
  db = await testDatabase();
  company = await buildCompany(db.db);
  mkdirSync(sources, { recursive: true });
});
test.after(async () => {
  await db.close();
  rmSync(work, { recursive: true, force: true });
});

const upload = (name: string, bytes: Uint8Array) =>
  parsePromptInput({ name, kind: 'upload' }, { name: `${name}.bin`, bytes });

/** The length of a stored version from its 16 kHz raw file, in ms. */
const storedMs = (id: number, version: number) => statSync(promptFile(store, id, version, 'sln16')).size / 32;

const formats: [string, string, number, string[]][] = [
  ['MP3', 'a.mp3', 2.5, ['-c:a', 'libmp3lame', '-b:a', '64k']],
  ['WAV 44.1 kHz stereo 24-bit', 'b.wav', 2.5, ['-ar', '44100', '-ac', '2', '-c:a', 'pcm_s24le']],
  ['WAV 8 kHz mono 16-bit', 'c.wav', 1.2, ['-ar', '8000', '-ac', '1', '-c:a', 'pcm_s16le']],
  ['M4A/AAC', 'd.m4a', 2.5, ['-c:a', 'aac', '-b:a', '64k']],
  ['OGG/Opus', 'e.ogg', 2.5, ['-c:a', 'libopus', '-b:a', '32k']],
];

test('every accepted format becomes a playable prompt of the source’s length', async () => {
  for (const [label, file, seconds, args] of formats) {
    const id = await createPrompt(company.owner, store, upload(label, tone(sources, file, seconds, args)));
    const ms = storedMs(id, 1);
    assert.ok(Math.abs(ms - seconds * 1000) <= 50, `${label}: ${ms} ms for ${seconds * 1000} ms`);
    const wav = statSync(promptFile(store, id, 1, 'wav')).size;
    assert.ok(Math.abs((wav - 44) / 16 - seconds * 1000) <= 50, `${label}: 8 kHz file length`);
    const [row] = await db.db.select().from(prompts).where(eq(prompts.id, id));
    assert.is(row!.durationMs, Math.round(ms));
  }
  const id = await createPrompt(company.owner, store, upload('AMR', amr(sources, 100)));
  assert.ok(Math.abs(storedMs(id, 1) - 2000) <= 50, `AMR: ${storedMs(id, 1)} ms`);
});

test('text to speech in English and Mandarin; the text is kept for regeneration', async () => {
  const category = await createCategory(company.owner, 'Welcome');
  const en = await createPrompt(
    company.owner,
    store,
    parsePromptInput(
      {
        name: 'Welcome EN',
        kind: 'tts',
        ttsText: 'Welcome to Acme. Press one for sales.',
        ttsLanguage: 'en',
        categoryId: String(category),
      },
      null,
    ),
  );
  const zh = await createPrompt(
    company.owner,
    store,
    parsePromptInput(
      { name: 'Welcome ZH', kind: 'tts', ttsText: '欢迎致电，销售请按一。', ttsLanguage: 'zh' },
      null,
    ),
  );
  for (const id of [en, zh]) assert.ok(storedMs(id, 1) > 1000, `speech of prompt ${id}`);
  const [row] = await db.db.select().from(prompts).where(eq(prompts.id, en));
  assert.is(row!.ttsText, 'Welcome to Acme. Press one for sales.');
  assert.is(row!.categoryId, category);
});

test('replacing the sound makes a new version; the old files stay; renaming alone does not', async () => {
  const id = await createPrompt(company.owner, store, upload('Menu', tone(sources, 'm1.wav', 1, [])));
  await updatePrompt(company.owner, store, id, upload('Menu', tone(sources, 'm2.wav', 2, [])));
  await updatePrompt(company.owner, store, id, parsePromptInput({ name: 'Main menu', kind: 'upload' }, null));
  const [row] = await db.db.select().from(prompts).where(eq(prompts.id, id));
  assert.is(row!.version, 2);
  assert.is(row!.name, 'Main menu');
  assert.ok(existsSync(promptFile(store, id, 1, 'wav')) && existsSync(promptFile(store, id, 2, 'wav')));
  assert.ok(Math.abs(storedMs(id, 2) - 2000) <= 50);
  const history = await promptHistory(company.owner, id);
  assert.equal(
    history.map((h) => h.v.version),
    [2, 1],
  );
  assert.is(history[0]!.by, 'Olivia Owner');
});

test('bad files are refused with a reason and leave nothing behind', async () => {
  const before = readdirSync(store.dir).sort();
  const count = (await db.db.select().from(prompts)).length;
  const refused = async (input: ReturnType<typeof upload>, field: string, code: string) =>
    rejects(
      () => createPrompt(company.owner, store, input),
      (e) => e instanceof ValidationError && e.fields[field] === code,
    );
  await refused(
    upload('Text', new TextEncoder().encode('this is not audio at all')),
    'file',
    'audio_unreadable',
  );
  await refused(upload('Quiet', silence(sources, 2)), 'file', 'audio_silent');
  await refused(upload('Long', tone(sources, 'long.wav', 6, [])), 'file', 'audio_too_long');
  await refused(upload('Huge', new Uint8Array(store.maxBytes + 1)), 'file', 'upload_too_large');
  await refused(parsePromptInput({ name: 'Nothing', kind: 'upload' }, null), 'file', 'upload_missing');
  await refused(
    upload('Truncated', tone(sources, 'cut.mp3', 2, ['-c:a', 'libmp3lame']).slice(0, 40)),
    'file',
    'audio_unreadable',
  );
  assert.equal(readdirSync(store.dir).sort(), before, 'no files or scratch directories left');
  assert.is((await db.db.select().from(prompts)).length, count, 'no rows left');
});

test('a prompt an IVR uses cannot be deleted; the refusal names the IVR', async () => {
  const id = await createPrompt(company.owner, store, upload('Used', tone(sources, 'u.wav', 1, [])));
  const [ivr] = await db.db.insert(ivrs).values({ name: 'Main IVR', tree: {}, hours: {} }).returning();
  await db.db.insert(ivrPromptRefs).values({ ivrId: ivr!.id, promptId: id });
  await rejects(
    () => deletePrompt(company.owner, store, id),
    (e) => e instanceof DomainError && e.code === 'prompt_in_use' && e.params.users === 'Main IVR',
  );
  await db.db.delete(ivrPromptRefs);
  await deletePrompt(company.owner, store, id);
  assert.not.ok(existsSync(promptFile(store, id, 1, 'wav')));
});

test('over the web: upload with a player and versions, refusal shown next to the file field', async () => {
  const app = await startApp(db.db, {
    settings: (st) => {
      st.dataDir = join(work, 'web-data');
    },
  });
  try {
    const web = new WebClient(app.url);
    await web.login('admin', password);
    await web.get('/callcenter/prompts/new');
    const bad = new FormData();
    bad.set('name', 'Broken');
    bad.set('kind', 'upload');
    bad.set('file', new Blob(['not audio'], { type: 'audio/mpeg' }), 'broken.mp3');
    const refused = await web.postMultipart('/callcenter/prompts/new', bad);
    assert.is(refused.status, 422);
    assert.match(refused.text, 'This file is not audio that can be read');
    assert.match(refused.text, 'value="Broken"');

    const good = new FormData();
    good.set('name', 'Greeting');
    good.set('kind', 'upload');
    good.set(
      'file',
      new Blob([Buffer.from(tone(sources, 'g.mp3', 1.5, ['-c:a', 'libmp3lame']))], { type: 'audio/mpeg' }),
      'greeting.mp3',
    );
    assert.is((await web.postMultipart('/callcenter/prompts/new', good)).status, 303);
    const list = await web.get('/callcenter/prompts?f_q=Greeting');
    assert.match(list.text, 'Greeting');
    assert.match(list.text, '0:02');
    const id = /\/callcenter\/prompts\/(\d+)\/audio/.exec(list.text)![1];
    const audio = await fetch(`${app.url}/callcenter/prompts/${id}/audio`, {
      headers: { cookie: web.cookieHeader(), range: 'bytes=0-43' },
    });
    assert.is(audio.status, 206);
    assert.is(Buffer.from(await audio.arrayBuffer()).toString('ascii', 0, 4), 'RIFF');
    const edit = await web.get(`/callcenter/prompts/${id}/edit`);
    assert.match(edit.text, 'data-version="1"');
  } finally {
    await app.close();
  }
});

test.run();
