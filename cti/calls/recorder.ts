/**
 * Call recording: Asterisk's MixMonitor writes, in one pass and in step, the mixed
 * conversation (for listening) and one file per party (what the caller said, what the agent
 * said; for QA analysis). MixMonitor runs inside Asterisk, so a recording continues through a
 * restart of this application. When the call ends the files are moved from the PBX instance
 * into the data directory: recordings/YYYY/MM/DD/<call id>{,-caller,-agent}.wav.
 */
import {
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  closeSync,
  renameSync,
  copyFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { AmiClient } from '../ami/client.ts';

export interface RecordingPaths {
  /** The PBX instance's recordings directory as Asterisk sees it. */
  inside: string;
  /** The same directory as this process sees it. */
  onHost: string;
  /** Where finished recordings are kept (under the data directory). */
  store: string;
}

export const recordingParties = ['caller', 'agent'] as const;
export type RecordingParty = (typeof recordingParties)[number];

/** Where finished recordings are kept under the data directory. */
export const recordingStoreIn = (dataDir: string) => join(dataDir, 'recordings');

/** The absolute path of a stored recording (relative path as in the call record), mixed or one party. */
export function storedRecording(store: string, file: string, party?: RecordingParty): string {
  const mixed = join(store, file);
  return party ? mixed.replace(/\.wav$/, `-${party}.wav`) : mixed;
}
const fileName = (callId: string, party?: string) => `${callId}${party ? `-${party}` : ''}.wav`;

export class Recorder {
  constructor(
    private readonly paths: RecordingPaths,
    private readonly ami: () => AmiClient | null,
  ) {}

  /** Starts recording the call on the given channel (the caller's); returns the mixed file's name. */
  async start(channelName: string, callId: string): Promise<string> {
    const ami = this.ami();
    if (!ami?.connected) throw new Error('AMI is not connected');
    const inside = (party?: string) => join(this.paths.inside, fileName(callId, party));
    await ami.action('MixMonitor', {
      Channel: channelName,
      File: inside(),
      // r(): what the channel receives from its caller side = the caller's voice; t(): what it is sent = the agent's.
      Options: `r(${inside('caller')})t(${inside('agent')})`,
    });
    return fileName(callId);
  }

  /** The mixed file's name when Asterisk is recording the call (its file exists), else null. */
  inProgress(callId: string): string | null {
    return existsSync(join(this.paths.onHost, fileName(callId))) ? fileName(callId) : null;
  }

  /**
   * Moves a finished call's files into the store once Asterisk has closed them. Returns the
   * mixed file's path relative to the store and its length, or null if nothing was recorded.
   */
  async finish(
    callId: string,
    startedAt: Date,
  ): Promise<{ file: string; seconds: number; parties: string[] } | null> {
    const source = (party?: string) => join(this.paths.onHost, fileName(callId, party));
    if (!existsSync(source())) return null;
    await waitUntilClosed(source());
    const day = startedAt.toISOString().slice(0, 10).split('-');
    const relDir = join(...day);
    mkdirSync(join(this.paths.store, relDir), { recursive: true });
    const parties: string[] = [];
    for (const party of [undefined, ...recordingParties]) {
      if (!existsSync(source(party))) continue;
      moveFile(source(party), join(this.paths.store, relDir, fileName(callId, party)));
      if (party) parties.push(party);
    }
    const file = join(relDir, fileName(callId));
    return { file, seconds: wavSeconds(join(this.paths.store, file)), parties };
  }

  /** The absolute path of a stored recording (relative path as in the call record). */
  pathOf(file: string, party?: RecordingParty): string {
    return storedRecording(this.paths.store, file, party);
  }
}

function moveFile(from: string, to: string) {
  mkdirSync(dirname(to), { recursive: true });
  try {
    renameSync(from, to);
  } catch {
    copyFileSync(from, to); // across file systems (the PBX tree may live elsewhere)
    rmSync(from);
  }
}

/** MixMonitor writes the WAV header's sizes when it closes the file; wait for that (or for the size to settle). */
async function waitUntilClosed(file: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  let lastSize = -1;
  while (Date.now() < deadline) {
    const size = statSync(file).size;
    if (size > 44 && wavDataBytes(file) === size - 44) return;
    if (size === lastSize && size > 0) return;
    lastSize = size;
    await new Promise((r) => setTimeout(r, 250));
  }
}

function readHeader(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(44);
    readSync(fd, buf, 0, 44, 0);
    return buf;
  } finally {
    closeSync(fd);
  }
}

function wavDataBytes(file: string): number {
  const h = readHeader(file);
  return h.toString('ascii', 36, 40) === 'data' ? h.readUInt32LE(40) : -1;
}

/** The length of a PCM WAV file in seconds (from its byte rate and the data actually present). */
export function wavSeconds(file: string): number {
  const h = readHeader(file);
  const byteRate = h.readUInt32LE(28) || 16000;
  const bytes = Math.max(0, statSync(file).size - 44);
  return Math.round((bytes / byteRate) * 10) / 10;
}
