/**
 * The routing configuration a call is set up with, served from memory: numbers by DID, trunks,
 * hotlines, IVRs, prompt versions, the caller lists and the repeat-caller window. Each look-up
 * is read from the database once and kept until the database announces a change of one of its
 * tables (a statement trigger NOTIFYs `cc_config` with the table's name, migration 0014), so a
 * change made anywhere — this process, a test, another tool — is seen at once, and no event of
 * the domain has to be remembered. While listening is not established (start, or the
 * connection to PostgreSQL lost and regained), every look-up goes to the database and
 * everything kept is dropped when listening starts again.
 *
 * Counting rules (the repeat caller's recent calls, the number's call caps) are not cached.
 */
import type { Db } from '../../db/client.ts';
import { listen } from '../../db/notify.ts';
import { repeatCallerHours } from '../acd/acd-settings.ts';
import { type Ivr, loadIvr } from '../ivr/ivrs.ts';
import { isBlacklisted, isVip } from '../lines/caller-lists.ts';
import { type Hotline, hotlineOfNumber } from '../lines/hotlines.ts';
import { promptVersion } from '../media/prompts.ts';
import { numberByDid, type PhoneNumber, type Trunk, trunkById } from './directory.ts';

export const configChannel = 'cc_config';

interface Entry {
  tables: readonly string[];
  value: Promise<unknown>;
}

export class ConfigCache {
  private readonly entries = new Map<string, Entry>();
  private listening = false;
  private stopListening: (() => Promise<void>) | null = null;
  /** Look-ups answered from memory, and read from the database (tests, metrics). */
  readonly counts = { hits: 0, reads: 0 };

  constructor(
    private readonly db: Db,
    private readonly say: (line: string) => void = () => {},
  ) {}

  async start(): Promise<void> {
    try {
      this.stopListening = await listen(
        this.db,
        configChannel,
        (table) => this.changed(table),
        () => {
          this.entries.clear();
          this.listening = true;
        },
      );
    } catch (err) {
      this.say(`routing look-ups go to the database: cannot listen for changes (${(err as Error).message})`);
    }
  }

  async stop(): Promise<void> {
    this.listening = false;
    this.entries.clear();
    await this.stopListening?.().catch(() => {});
    this.stopListening = null;
  }

  private changed(table: string) {
    for (const [key, entry] of this.entries) if (entry.tables.includes(table)) this.entries.delete(key);
  }

  private get<T>(key: string, tables: readonly string[], load: () => Promise<T>): Promise<T> {
    if (!this.listening) {
      this.counts.reads++;
      return load();
    }
    const kept = this.entries.get(key);
    if (kept) {
      this.counts.hits++;
      return kept.value as Promise<T>;
    }
    this.counts.reads++;
    const value = load();
    const entry = { tables, value };
    this.entries.set(key, entry);
    value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return value;
  }

  numberByDid(did: string): Promise<PhoneNumber | null> {
    return this.get(`number:${did}`, ['phone_numbers'], () => numberByDid(this.db, did));
  }

  trunkById(id: number): Promise<Trunk | null> {
    return this.get(`trunk:${id}`, ['trunks'], () => trunkById(this.db, id));
  }

  hotlineOfNumber(numberId: number): Promise<Hotline | null> {
    return this.get(`hotline:${numberId}`, ['hotlines'], () => hotlineOfNumber(this.db, numberId));
  }

  ivr(id: number): Promise<Ivr | null> {
    return this.get(`ivr:${id}`, ['ivrs'], () => loadIvr(this.db, id));
  }

  promptVersion(id: number): Promise<number | null> {
    return this.get(`prompt:${id}`, ['prompts'], () => promptVersion(this.db, id));
  }

  isVip(number: string): Promise<boolean> {
    return this.get(`vip:${number}`, ['vip_callers'], () => isVip(this.db, number));
  }

  isBlacklisted(number: string): Promise<boolean> {
    return this.get(`blacklist:${number}`, ['blacklist'], () => isBlacklisted(this.db, number));
  }

  repeatCallerHours(): Promise<number> {
    return this.get('setting:repeat_hours', ['settings'], () => repeatCallerHours(this.db));
  }
}
