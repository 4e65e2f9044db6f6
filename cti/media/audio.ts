/**
 * Turning what people upload (MP3, WAV of any rate/depth/channels, M4A/AAC, OGG/Opus, AMR) or
 * what espeak-ng speaks into what Asterisk plays well: 8 kHz mono 16-bit WAV, plus raw 16 kHz
 * signed linear (`.sln16`) for wideband phones. Files that are not audio, are silent, or are too
 * long are refused with a reason; nothing is written where a caller could hear it until both
 * files are complete.
 *
 * Input policy: an upload is read only as one of the accepted audio containers, from the file
 * itself — ffprobe and ffmpeg get `-protocol_whitelist file` and `-format_whitelist` of those
 * containers, so a playlist (HLS, concat) posing as audio cannot make them read other files on
 * the server; it is refused as unreadable at the probe.
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

/** The demuxers an upload may be read with: MP3, WAV, M4A/AAC, OGG/Opus, AMR, FLAC, WebM. */
export const acceptedContainers = ['mp3', 'wav', 'mov', 'aac', 'ogg', 'amr', 'flac', 'matroska'] as const;

/** Options before `-i` for a file someone uploaded: only the file itself, only audio containers. */
const uploadInput = ['-protocol_whitelist', 'file', '-format_whitelist', acceptedContainers.join(',')];

/** The container and the codec of the file's first audio stream, or a refusal. */
async function probe(file: string): Promise<{ codec: string; container: string }> {
  try {
    const { stdout } = await run(
      ffprobePath(),
      [
        '-v',
        'error',
        ...uploadInput,
        '-select_streams',
        'a:0',
        '-show_entries',
        'stream=codec_name:format=format_name',
        '-of',
        'json',
        file,
      ],
      { timeout: 30_000 },
    );
    const found = JSON.parse(stdout) as {
      streams?: { codec_name?: string }[];
      format?: { format_name?: string };
    };
    const codec = found.streams?.[0]?.codec_name ?? '';
    const container = found.format?.format_name?.split(',')[0] ?? '';
    if (!(acceptedContainers as readonly string[]).includes(container))
      throw new AudioRefused('audio_unreadable', `not an accepted audio file (${container || 'unknown'})`);
    if (!codec) throw new AudioRefused('audio_unreadable', 'no audio stream');
    return { codec, container };
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
  const { container } = await probe(source);
  // Read with the container the probe found (and nothing else), from the file only.
  const base = [
    ...['-hide_banner', '-v', 'error', '-y', ...uploadInput, '-f', container, '-i', source],
    ...['-map', '0:a:0', '-vn', '-ac', '1'],
  ];
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
