/**
 * Turning what people upload (MP3, WAV of any rate/depth/channels, M4A/AAC, OGG/Opus, AMR) or
 * what espeak-ng speaks into what Asterisk plays well: 8 kHz mono 16-bit WAV, plus raw 16 kHz
 * signed linear (`.sln16`) for wideband phones. Files that are not audio, are silent, or are too
 * long are refused with a reason; nothing is written where a caller could hear it until both
 * files are complete.
 */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { promisify } from 'node:util';
import { mediaTools } from '../../config/settings.ts';

const run = promisify(execFile);

export const ffmpegPath = () => mediaTools().ffmpeg;
export const ffprobePath = () => mediaTools().ffprobe;

export type AudioProblem = 'audio_unreadable' | 'audio_silent' | 'audio_too_long' | 'audio_empty';

export class AudioRefused extends Error {
  constructor(
    readonly problem: AudioProblem,
    readonly detail = '',
  ) {
    super(`${problem}${detail ? `: ${detail}` : ''}`);
    this.name = 'AudioRefused';
  }
}

/** Whether the file holds an audio stream ffmpeg can decode, and its duration when known. */
async function probe(file: string): Promise<{ codec: string }> {
  try {
    const { stdout } = await run(
      ffprobePath(),
      ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', file],
      { timeout: 30_000 },
    );
    const codec = stdout.trim();
    if (!codec) throw new AudioRefused('audio_unreadable', 'no audio stream');
    return { codec };
  } catch (err) {
    if (err instanceof AudioRefused) throw err;
    throw new AudioRefused('audio_unreadable');
  }
}

/** The loudest sample in dBFS (ffmpeg volumedetect); -91 for digital silence. */
async function maxVolume(file: string): Promise<number> {
  const { stderr } = await run(
    ffmpegPath(),
    ['-hide_banner', '-nostats', '-i', file, '-af', 'volumedetect', '-f', 'null', '-'],
    {
      timeout: 60_000,
    },
  );
  const m = /max_volume:\s*(-?[\d.]+|-inf) dB/.exec(stderr);
  if (!m) return -91;
  return m[1] === '-inf' ? -91 : Number(m[1]);
}

export interface Converted {
  /** Length in milliseconds (from the samples written). */
  durationMs: number;
}

/**
 * Converts `source` into `wav8k` and `sln16` (both paths are written, then checked). Refuses
 * silence (loudest sample below `silentBelowDb`) and anything longer than `maxSeconds`.
 */
export async function convertPrompt(
  source: string,
  out: { wav8k: string; sln16: string },
  limits: { maxSeconds: number; silentBelowDb?: number },
): Promise<Converted> {
  await probe(source);
  const base = ['-hide_banner', '-v', 'error', '-y', '-i', source, '-map', '0:a:0', '-vn', '-ac', '1'];
  try {
    // One decode, two outputs: 8 kHz 16-bit WAV and raw 16 kHz signed linear.
    await run(
      ffmpegPath(),
      [
        ...base,
        '-t',
        String(limits.maxSeconds + 1),
        '-ar',
        '8000',
        '-c:a',
        'pcm_s16le',
        '-fflags',
        '+bitexact',
        '-flags:a',
        '+bitexact',
        '-f',
        'wav',
        out.wav8k,
        '-map',
        '0:a:0',
        '-ac',
        '1',
        '-t',
        String(limits.maxSeconds + 1),
        '-ar',
        '16000',
        '-c:a',
        'pcm_s16le',
        '-f',
        's16le',
        out.sln16,
      ],
      { timeout: 120_000 },
    );
  } catch (err) {
    throw new AudioRefused(
      'audio_unreadable',
      err instanceof Error ? err.message.split('\n').slice(-2).join(' ') : '',
    );
  }
  // Raw 16 kHz 16-bit mono: 32 bytes per millisecond, no header to guess.
  const durationMs = Math.round(statSync(out.sln16).size / 32);
  if (durationMs === 0) throw new AudioRefused('audio_empty');
  if (durationMs > limits.maxSeconds * 1000)
    throw new AudioRefused('audio_too_long', String(limits.maxSeconds));
  if ((await maxVolume(out.wav8k)) < (limits.silentBelowDb ?? -50)) throw new AudioRefused('audio_silent');
  return { durationMs };
}

export type TtsLanguage = 'en' | 'zh';
const voices: Record<TtsLanguage, string> = { en: 'en-us', zh: 'cmn' };

/** Speaks `text` with espeak-ng into a WAV file (then converted like an upload). */
export async function speak(text: string, language: TtsLanguage, wavOut: string): Promise<void> {
  await run(mediaTools().espeak, ['-v', voices[language], '-s', '150', '-w', wavOut, '--', text], {
    timeout: 60_000,
  });
}
