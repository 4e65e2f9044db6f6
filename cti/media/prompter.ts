/**
 * Talking to one caller over ARI: play prompts (a key can interrupt them: barge-in) and take
 * the keys they press (RFC 4733 or SIP INFO, as ChannelDtmfReceived). The engine feeds it the
 * channel's events. Used by the IVR, the queue's maximum-wait menu and the survey.
 */
import type { AriClient } from '../ari/client.ts';
import type { AriEvent } from '../ari/generated.ts';

/** The caller hung up while we were waiting for them. */
export class CallerGone extends Error {
  constructor() {
    super('caller gone');
    this.name = 'CallerGone';
  }
}

let playbackSeq = 0;

export class Prompter {
  private readonly digits: string[] = [];
  private wake: (() => void) | null = null;
  private playing: { id: string; done: () => void; bargeIn: boolean } | null = null;
  private lastKey: { digit: string; at: number } | null = null;
  private interrupted = false;
  gone = false;

  constructor(
    private readonly ari: AriClient,
    readonly channelId: string,
  ) {}

  /** Events of the caller's channel, fed by the engine. */
  onEvent(e: AriEvent): void {
    if (e.type === 'ChannelDtmfReceived') {
      // The end of the same key reported again before a new press of it could even have lasted
      // that long is a duplicate (seen with RFC 4733 events), not a second press.
      const now = Date.now();
      if (this.lastKey?.digit === e.digit && now - this.lastKey.at < e.duration_ms) return;
      this.lastKey = { digit: e.digit, at: now };
      this.digits.push(e.digit);
      if (this.playing?.bargeIn) this.stopPlayback();
      this.wake?.();
    } else if (e.type === 'PlaybackFinished' && this.playing?.id === e.playback.id) {
      this.playing.done();
    }
  }

  /** The caller hung up: whatever the prompter waits for ends. */
  abort(): void {
    this.gone = true;
    this.playing?.done();
    this.wake?.();
  }

  /** Stops what is playing now (the waiting play() resolves). */
  stopPlayback(): void {
    if (this.playing)
      void this.ari.call('playbacks.stop', { playbackId: this.playing.id }).catch(() => this.playing?.done());
  }

  /** Stops what is playing and makes a pending nextDigit() give up (null) at once. */
  interrupt(): void {
    this.stopPlayback();
    if (this.wake) {
      this.interrupted = true;
      this.wake();
    }
  }

  get isPlaying(): boolean {
    return this.playing !== null;
  }

  clearDigits(): void {
    this.digits.length = 0;
  }

  get pendingDigits(): number {
    return this.digits.length;
  }

  /**
   * Plays media in order. With `bargeIn` a key stops it at once (and is kept for nextDigit);
   * without, keys pressed meanwhile are dropped.
   */
  async play(media: string[], bargeIn: boolean): Promise<void> {
    if (media.length === 0) return;
    if (this.gone) throw new CallerGone();
    if (bargeIn && this.digits.length > 0) return;
    const playbackId = `pl-${this.channelId}-${++playbackSeq}`;
    const finished = new Promise<void>((resolve) => {
      this.playing = { id: playbackId, done: resolve, bargeIn };
    });
    try {
      await this.ari.call('channels.play', { channelId: this.channelId, media, playbackId });
    } catch (err) {
      this.playing = null;
      if (this.gone) throw new CallerGone();
      throw err;
    }
    await finished;
    this.playing = null;
    if (this.gone) throw new CallerGone();
    if (!bargeIn) this.digits.length = 0;
  }

  /** The next key pressed (possibly during the last prompt), or null after `timeoutMs` of silence. */
  async nextDigit(timeoutMs: number): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.digits.length === 0) {
      if (this.gone) throw new CallerGone();
      if (this.interrupted) {
        this.interrupted = false;
        return null;
      }
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
    return this.digits.shift()!;
  }
}
