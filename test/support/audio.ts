/** Audio files in the formats people upload, made with ffmpeg for tests (and an AMR-NB file by hand). */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A tone of `seconds` in the given container/codec; returns the file's bytes. */
export function tone(dir: string, name: string, seconds: number, codecArgs: string[]): Uint8Array {
  const file = join(dir, name);
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
    ...codecArgs,
    file,
  ]);
  return readFileSync(file);
}

/** Digital silence as a WAV file. */
export function silence(dir: string, seconds: number): Uint8Array {
  const file = join(dir, 'silence.wav');
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `anullsrc=r=8000:cl=mono`,
    '-t',
    String(seconds),
    file,
  ]);
  return readFileSync(file);
}

/**
 * An AMR-NB file (ffmpeg here decodes AMR but cannot encode it): the `#!AMR` magic and 12.2 kbit/s
 * frames of 20 ms with random payload, which decodes to noise of exactly `frames` × 20 ms.
 */
export function amr(dir: string, frames: number): Uint8Array {
  const file = join(dir, 'voice.amr');
  const body = Buffer.concat(
    Array.from({ length: frames }, () => Buffer.concat([Buffer.from([0x3c]), randomBytes(31)])),
  );
  writeFileSync(file, Buffer.concat([Buffer.from('#!AMR\n'), body]));
  return readFileSync(file);
}

/**
 * The mean volume in dB of a stretch of an audio file (digital silence is about -91 dB); with
 * `hz`, only of a narrow band around that frequency (one phone's tone among others).
 */
export function meanVolume(file: string, fromSeconds = 0, seconds = 3, hz?: number): number {
  const filter = hz ? `bandpass=f=${hz}:width_type=h:w=60,volumedetect` : 'volumedetect';
  const out = spawnSync(
    'ffmpeg',
    [
      '-hide_banner',
      '-ss',
      String(fromSeconds),
      '-t',
      String(seconds),
      '-i',
      file,
      '-af',
      filter,
      '-f',
      'null',
      '-',
    ],
    { encoding: 'utf8' },
  );
  return Number(/mean_volume: (-?[\d.]+) dB/.exec(out.stderr)?.[1] ?? Number.NaN);
}
