/**
 * The system's own prompts in each language (English and Mandarin), spoken by espeak-ng once
 * and kept next to the uploaded prompts (data/prompts/system-<lang>-<name>): what an IVR says
 * when a key is wrong or it is closed, what a queue says (position, estimated wait, the maximum
 * wait's keys, callbacks), the agent-number announcement, the transfer and conference notices,
 * and the satisfaction survey. Numbers are spoken from pieces (`numberMedia`), as IVRs do.
 * An admin's own prompt always wins where the settings offer one.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { convertPrompt, speak, type TtsLanguage } from './audio.ts';

const phrases = {
  invalid: ['That key is not valid. Please try again.', '您的按键有误，请重新输入。'],
  off_hours: [
    'We are closed now. Please call again during our service hours.',
    '现在是非服务时间，请在服务时间内再次来电。',
  ],
  blacklisted: ['Sorry, we cannot take your call.', '抱歉，暂时无法为您服务。'],
  goodbye: ['Thank you for calling. Goodbye.', '感谢您的来电，再见。'],
  queue_position: ['You are caller number', '您现在排在第'],
  queue_position_end: ['in the queue.', '位。'],
  queue_wait: ['Your estimated waiting time is', '预计等待时间'],
  queue_minutes: ['minutes.', '分钟。'],
  queue_less_minute: ['less than one minute.', '不到一分钟。'],
  max_wait: [
    'All our agents are still busy. To keep waiting, press 1. To be called back without losing your place in line, press 2. To hang up, press 0.',
    '客服人员仍在忙。继续等待请按1；保留排队位置、等待回电请按2；挂机请按0。',
  ],
  max_wait_no_callback: [
    'All our agents are still busy. To keep waiting, press 1. To hang up, press 0.',
    '客服人员仍在忙。继续等待请按1，挂机请按0。',
  ],
  callback_confirm: [
    'Thank you. We will call you back when it is your turn. Goodbye.',
    '好的，轮到您时我们会给您回电，再见。',
  ],
  callback_intro: [
    'Hello, this is the call back you asked for. An agent will be with you now.',
    '您好，这是您预约的回电，正在为您接通客服。',
  ],
  no_agents: [
    'Sorry, no agent can take your call now. Please call again later.',
    '抱歉，暂时没有客服可以接听，请稍后再拨。',
  ],
  agent_number: ['Agent number', '工号'],
  agent_serving: ['is now serving you.', '为您服务。'],
  transfer_wait: ['Please hold while your call is transferred.', '正在为您转接，请稍候。'],
  conference_invite: ['You are joining a conference call.', '您正在加入多方通话。'],
  survey_2: [
    'Please rate our service. If you are satisfied, press 1. If you are not satisfied, press 2.',
    '请对本次服务进行评价。满意请按1，不满意请按2。',
  ],
  survey_3: [
    'Please rate our service. Very satisfied, press 1. Satisfied, press 2. Not satisfied, press 3.',
    '请对本次服务进行评价。非常满意请按1，满意请按2，不满意请按3。',
  ],
  survey_4: [
    'Please rate our service. Very satisfied, press 1. Satisfied, press 2. Not satisfied, press 3. Very dissatisfied, press 4.',
    '请对本次服务进行评价。非常满意请按1，满意请按2，不满意请按3，非常不满意请按4。',
  ],
  survey_5: [
    'Please rate our service from 1 to 5. Very satisfied, press 1. Satisfied, press 2. Neutral, press 3. Not satisfied, press 4. Very dissatisfied, press 5.',
    '请对本次服务进行评价。非常满意请按1，满意请按2，一般请按3，不满意请按4，非常不满意请按5。',
  ],
  survey_thanks: ['Thank you for your rating. Goodbye.', '感谢您的评价，再见。'],
} as const;

export type SystemPrompt = keyof typeof phrases;

const englishNumbers: Record<string, string> = {
  ...Object.fromEntries(
    [
      'zero',
      'one',
      'two',
      'three',
      'four',
      'five',
      'six',
      'seven',
      'eight',
      'nine',
      'ten',
      'eleven',
      'twelve',
      'thirteen',
      'fourteen',
      'fifteen',
      'sixteen',
      'seventeen',
      'eighteen',
      'nineteen',
    ].map((w, i) => [String(i), w]),
  ),
  ...Object.fromEntries(
    ['twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'].map((w, i) => [
      String((i + 2) * 10),
      w,
    ]),
  ),
  hundred: 'hundred',
};
const chineseNumbers: Record<string, string> = {
  ...Object.fromEntries(
    ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十'].map((w, i) => [String(i), w]),
  ),
  hundred: '百',
};

type Piece = SystemPrompt | `num-${string}`;

function texts(lang: TtsLanguage): Record<Piece, string> {
  const i = lang === 'zh' ? 1 : 0;
  const out: Record<string, string> = {};
  for (const [name, pair] of Object.entries(phrases)) out[name] = pair[i];
  for (const [n, word] of Object.entries(lang === 'zh' ? chineseNumbers : englishNumbers))
    out[`num-${n}`] = word;
  return out as Record<Piece, string>;
}

export const languageOf = (lang: string): TtsLanguage => (lang === 'zh' ? 'zh' : 'en');

/** The file base name of a system prompt or number piece (without extension). */
export const systemPromptBase = (lang: string, name: Piece) => `system-${languageOf(lang)}-${name}`;

/** The pieces that speak a number from 0 to 999 (larger numbers are read digit by digit). */
export function numberPieces(lang: string, n: number): Piece[] {
  const num = (x: number | 'hundred') => `num-${x}` as Piece;
  if (!Number.isInteger(n) || n < 0 || n > 999) return digitPieces(String(Math.max(0, Math.round(n))));
  if (languageOf(lang) === 'zh') {
    if (n <= 10) return [num(n)];
    if (n < 20) return [num(10), num(n - 10)];
    if (n < 100) return [num(Math.floor(n / 10)), num(10), ...(n % 10 ? [num(n % 10)] : [])];
    const rest = n % 100;
    const head = [num(Math.floor(n / 100)), num('hundred')];
    if (rest === 0) return head;
    if (rest < 10) return [...head, num(0), num(rest)];
    return [...head, num(Math.floor(rest / 10)), num(10), ...(rest % 10 ? [num(rest % 10)] : [])];
  }
  if (n < 20) return [num(n)];
  if (n < 100) return [num(Math.floor(n / 10) * 10), ...(n % 10 ? [num(n % 10)] : [])];
  const rest = n % 100;
  return [num(Math.floor(n / 100)), num('hundred'), ...(rest ? numberPieces(lang, rest) : [])];
}

/** Digit by digit (a job number). */
export function digitPieces(digits: string): Piece[] {
  return [...digits].filter((d) => /\d/.test(d)).map((d) => `num-${d}` as Piece);
}

/** `sound:` URIs of pieces in a directory as Asterisk sees it. */
export const pieceMedia = (dirInside: string, lang: string, pieces: Piece[]) =>
  pieces.map((p) => `sound:${dirInside}/${systemPromptBase(lang, p)}`);

async function generate(dir: string, lang: TtsLanguage, name: Piece, text: string) {
  const base = join(dir, systemPromptBase(lang, name));
  if (existsSync(`${base}.wav`) && existsSync(`${base}.sln16`)) return;
  const scratch = mkdtempSync(join(dir, '.system-'));
  try {
    const spoken = join(scratch, 'tts.wav');
    await speak(text, lang, spoken);
    const out = { wav8k: join(scratch, 'out.wav'), sln16: join(scratch, 'out.sln16') };
    await convertPrompt(spoken, out, { maxSeconds: 60 });
    renameSync(out.sln16, `${base}.sln16`);
    renameSync(out.wav8k, `${base}.wav`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Speaks the system prompts that are missing from `dir` (a few at a time); quick when they all
 * exist. With `seed`, files already spoken there are copied instead (tests share one set).
 */
export async function ensureSystemPrompts(dir: string, seed?: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const work: (() => Promise<void>)[] = [];
  for (const lang of ['en', 'zh'] as const) {
    for (const [name, text] of Object.entries(texts(lang)) as [Piece, string][]) {
      const base = systemPromptBase(lang, name);
      if (seed && existsSync(join(seed, `${base}.wav`)) && existsSync(join(seed, `${base}.sln16`))) {
        for (const ext of ['sln16', 'wav'])
          if (!existsSync(join(dir, `${base}.${ext}`)))
            copyFileSync(join(seed, `${base}.${ext}`), join(dir, `${base}.${ext}`));
        continue;
      }
      work.push(() => generate(dir, lang, name, text));
    }
  }
  const workers = Array.from({ length: 4 }, async () => {
    for (let job = work.shift(); job; job = work.shift()) await job();
  });
  await Promise.all(workers);
}
