/**
 * The system's own prompts (invalid key, off hours, blacklisted, goodbye) in each IVR language,
 * spoken by espeak-ng once and kept next to the uploaded prompts (data/prompts/system-<lang>-<name>),
 * so an IVR without its own special prompts still tells the caller what happens.
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { convertPrompt, speak, type TtsLanguage } from '../../crm/prompts/audio.ts';
import type { SystemPrompt } from './runner.ts';

const texts: Record<TtsLanguage, Record<SystemPrompt, string>> = {
  en: {
    invalid: 'That key is not valid. Please try again.',
    off_hours: 'We are closed now. Please call again during our service hours.',
    blacklisted: 'Sorry, we cannot take your call.',
    goodbye: 'Thank you for calling. Goodbye.',
  },
  zh: {
    invalid: '您的按键有误，请重新输入。',
    off_hours: '现在是非服务时间，请在服务时间内再次来电。',
    blacklisted: '抱歉，暂时无法为您服务。',
    goodbye: '感谢您的来电，再见。',
  },
};

const language = (lang: string): TtsLanguage => (lang === 'zh' ? 'zh' : 'en');

/** The file base name of a system prompt (without extension). */
export const systemPromptBase = (lang: string, name: SystemPrompt) => `system-${language(lang)}-${name}`;

/** Speaks the system prompts that are missing from `dir`; quick when they all exist. */
export async function ensureSystemPrompts(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const lang of Object.keys(texts) as TtsLanguage[]) {
    for (const name of Object.keys(texts[lang]) as SystemPrompt[]) {
      const base = join(dir, systemPromptBase(lang, name));
      if (existsSync(`${base}.wav`) && existsSync(`${base}.sln16`)) continue;
      const scratch = mkdtempSync(join(dir, '.system-'));
      try {
        const spoken = join(scratch, 'tts.wav');
        await speak(texts[lang][name], lang, spoken);
        const out = { wav8k: join(scratch, 'out.wav'), sln16: join(scratch, 'out.sln16') };
        await convertPrompt(spoken, out, { maxSeconds: 60 });
        renameSync(out.sln16, `${base}.sln16`);
        renameSync(out.wav8k, `${base}.wav`);
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    }
  }
}
