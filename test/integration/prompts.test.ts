/**
 * The voice prompt library with the real ffmpeg and espeak-ng: every accepted upload format
 * becomes 8 kHz WAV + 16 kHz sln16 of the source's length (within 50 ms); TTS in English and
 * Mandarin; new versions on replacement; refused files (not audio, silent, too long, too large,
 * empty) leave nothing behind, also when the upload is over the HTTP body limit; a TTS prompt
 * is spoken again as a new version; a prompt an IVR or an agent group uses cannot be deleted.
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
  regeneratePrompt,
  updatePrompt,
} from '../../cti/media/prompts.ts';
import { acdSettings, saveAcdSettings } from '../../cti/acd/acd-settings.ts';
import { DomainError, ValidationError } from '../../core/errors.ts';
import { agentGroups, groupPromptRefs, ivrPromptRefs, ivrs, prompts } from '../../db/schema.ts';
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
  // A playlist posing as audio would make ffmpeg read other files on the server (here another
  // upload's sound): refused at the probe, whatever the segment's container.
  tone(sources, 'someone-elses.aac', 2, ['-c:a', 'aac', '-f', 'adts']);
  const playlist = `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:2,\n${join(sources, 'someone-elses.aac')}\n#EXT-X-ENDLIST\n`;
  await refused(upload('Playlist', new TextEncoder().encode(playlist)), 'file', 'audio_unreadable');
  const concat = `ffconcat version 1.0\nfile '${join(sources, 'someone-elses.aac')}'\n`;
  await refused(upload('Concat', new TextEncoder().encode(concat)), 'file', 'audio_unreadable');
  assert.equal(readdirSync(store.dir).sort(), before, 'no files or scratch directories left');
  assert.is((await db.db.select().from(prompts)).length, count, 'no rows left');
});

test('a prompt an IVR or an agent group uses cannot be deleted; the refusal names them', async () => {
  const id = await createPrompt(company.owner, store, upload('Used', tone(sources, 'u.wav', 1, [])));
  const [ivr] = await db.db.insert(ivrs).values({ name: 'Main IVR', tree: {}, hours: {} }).returning();
  const [group] = await db.db.insert(agentGroups).values({ name: 'Support group' }).returning();
  await db.db.insert(ivrPromptRefs).values({ ivrId: ivr!.id, promptId: id });
  await db.db.insert(groupPromptRefs).values({ groupId: group!.id, promptId: id });
  const refusedFor = (users: string) =>
    rejects(
      () => deletePrompt(company.owner, store, id),
      (e) => e instanceof DomainError && e.code === 'prompt_in_use' && e.params.users === users,
    );
  await refusedFor('Main IVR, Support group');
  await db.db.delete(ivrPromptRefs);
  // The group alone still keeps it.
  await refusedFor('Support group');
  await db.db.delete(groupPromptRefs);
  // The satisfaction survey's prompt is in use too.
  const settings = await acdSettings(db.db);
  await saveAcdSettings(company.owner, { ...settings, surveyThanksPromptId: id });
  await rejects(
    () => deletePrompt(company.owner, store, id),
    (e) => e instanceof DomainError && e.code === 'prompt_in_survey',
  );
  await saveAcdSettings(company.owner, settings);
  await deletePrompt(company.owner, store, id);
  assert.not.ok(existsSync(promptFile(store, id, 1, 'wav')));
});

test('a TTS prompt is spoken again from its stored text as a new version; an upload cannot be', async () => {
  const id = await createPrompt(
    company.owner,
    store,
    parsePromptInput(
      { name: 'Hours', kind: 'tts', ttsText: 'We are open from nine to six.', ttsLanguage: 'en' },
      null,
    ),
  );
  assert.is(await regeneratePrompt(company.owner, store, id), 2);
  const [row] = await db.db.select().from(prompts).where(eq(prompts.id, id));
  assert.is(row!.version, 2);
  assert.is(row!.ttsText, 'We are open from nine to six.');
  assert.ok(existsSync(promptFile(store, id, 1, 'wav')), 'the old version stays');
  assert.ok(storedMs(id, 2) > 1000, 'the new version is speech');
  const history = await promptHistory(company.owner, id);
  assert.equal(
    history.map((h) => [h.v.version, h.v.kind, h.v.ttsText]),
    [
      [2, 'tts', 'We are open from nine to six.'],
      [1, 'tts', 'We are open from nine to six.'],
    ],
  );
  const recording = await createPrompt(
    company.owner,
    store,
    upload('Recorded', tone(sources, 'r.wav', 1, [])),
  );
  await rejects(
    () => regeneratePrompt(company.owner, store, recording),
    (e) => e instanceof DomainError && e.code === 'invalid_choice',
  );
  await rejects(
    async () => regeneratePrompt(await company.ctx(company.people.repA), store, id),
    (e) => e instanceof DomainError && e.code === 'forbidden',
  );
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

test('over the web: regenerate a TTS prompt; an upload over the body limit gets the form error before it is read', async () => {
  const app = await startApp(db.db, {
    settings: (st) => {
      st.dataDir = join(work, 'web-limit');
      st.prompts = { maxSeconds: 5, maxBytes: 128 * 1024 };
    },
  });
  try {
    const web = new WebClient(app.url);
    await web.login('admin', password);
    await web.get('/callcenter/prompts/new');
    const tts = new FormData();
    tts.set('name', 'Spoken');
    tts.set('kind', 'tts');
    tts.set('ttsText', 'Thank you for calling.');
    tts.set('ttsLanguage', 'en');
    assert.is((await web.postMultipart('/callcenter/prompts/new', tts)).status, 303);
    const id = /\/callcenter\/prompts\/(\d+)\/edit">Spoken/.exec(
      (await web.get('/callcenter/prompts')).text,
    )![1];
    const page = await web.get(`/callcenter/prompts/${id}/edit`);
    assert.match(page.text, `action="/callcenter/prompts/${id}/regenerate"`);
    assert.match(page.text, 'Speak the text again');
    const again = await web.post(`/callcenter/prompts/${id}/regenerate`, {});
    assert.is(again.status, 303);
    assert.is(again.location, `/callcenter/prompts/${id}/edit`);
    const after = await web.follow(again);
    assert.match(after.text, 'The text was spoken again as a new version.');
    assert.match(after.text, 'data-version="2"');

    const rows = (await db.db.select().from(prompts)).length;
    const huge = new FormData();
    huge.set('name', 'Too big');
    huge.set('kind', 'upload');
    // Past the limit plus the room for the other fields: refused by its length.
    huge.set('file', new Blob([new Uint8Array(512 * 1024)], { type: 'audio/wav' }), 'big.wav');
    const refused = await web.postMultipart('/callcenter/prompts/new', huge);
    assert.is(refused.status, 422);
    assert.match(refused.text, 'The file is too large (at most 0.1 MB).');
    assert.match(refused.text, 'data-field="file"');
    // The same without a Content-Length (a chunked body).
    const encoded = new Response(huge);
    const chunked = await fetch(`${app.url}/callcenter/prompts/new`, {
      method: 'POST',
      headers: {
        cookie: web.cookieHeader(),
        'content-type': encoded.headers.get('content-type')!,
        'x-csrf-token': web.csrf,
      },
      body: encoded.body,
      duplex: 'half',
    } as RequestInit);
    assert.is(chunked.status, 422);
    assert.match(await chunked.text(), 'The file is too large (at most 0.1 MB).');
    // Just over the file limit but within the room for the form: the domain's check, same message.
    const over = new FormData();
    over.set('name', 'Slightly big');
    over.set('kind', 'upload');
    over.set('file', new Blob([new Uint8Array(128 * 1024 + 10)], { type: 'audio/wav' }), 'over.wav');
    const domain = await web.postMultipart('/callcenter/prompts/new', over);
    assert.is(domain.status, 422);
    assert.match(domain.text, 'The file is too large (at most 0.1 MB).');
    assert.match(domain.text, 'value="Slightly big"');
    // Replacing a prompt's recording: the same refusal on its edit page.
    const replace = new FormData();
    replace.set('name', 'Spoken');
    replace.set('kind', 'upload');
    replace.set('file', new Blob([new Uint8Array(512 * 1024)], { type: 'audio/wav' }), 'big.wav');
    const edit = await web.postMultipart(`/callcenter/prompts/${id}/edit`, replace);
    assert.is(edit.status, 422);
    assert.match(edit.text, 'The file is too large (at most 0.1 MB).');
    assert.match(edit.text, 'data-version="2"');
    assert.is((await db.db.select().from(prompts)).length, rows, 'nothing stored');
  } finally {
    await app.close();
  }
});

test.run();
