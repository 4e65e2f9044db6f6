/**
 * Applies the database's telephony configuration to Asterisk: renders every file, writes the
 * ones that changed, and reloads only the modules those files belong to (through AMI), so an
 * agent added in the UI can register within seconds without a restart.
 */
import type { AmiClient } from '../cti/ami/client.ts';
import type { Db } from '../db/client.ts';
import { trunks } from '../db/schema.ts';
import { blockedAddresses } from './sip-blocks.ts';
import { listGroups } from '../cti/acd/agent-groups.ts';
import { promptVersion } from '../cti/media/prompts.ts';
import { type HoldPrompt, renderMoh, syncHoldMusic } from './config/moh.ts';
import { renderPjsip } from './config/pjsip.ts';
import { syncPrompts } from './prompt-sync.ts';
import { staticConfig } from './config/static-files.ts';
import { reloadTarget, writeConfigFiles } from './instance.ts';
import type { PbxInstance } from './layout.ts';
import { ensureAgentAccounts } from './sip-accounts.ts';

export class PbxConfigurator {
  private running: Promise<string[]> | null = null;
  private again = false;

  constructor(
    private readonly db: Db,
    private readonly instance: PbxInstance,
    private readonly ami: () => AmiClient | null,
    /** The prompt library to copy into the instance (data/prompts), when there is one. */
    private readonly promptLibrary: string | null = null,
  ) {}

  /** Writes the files only (before Asterisk starts). */
  async render(): Promise<string[]> {
    const agents = await ensureAgentAccounts(this.db);
    const trunkList = await this.db.select().from(trunks).orderBy(trunks.id);
    const blocked = await blockedAddresses(this.db);
    const holds = await this.holdPrompts();
    if (this.promptLibrary) {
      syncPrompts(this.promptLibrary, this.instance);
      syncHoldMusic(this.instance, this.promptLibrary, holds);
    }
    return writeConfigFiles(this.instance, {
      ...staticConfig(this.instance),
      'pjsip.conf': renderPjsip(this.instance, agents, trunkList, blocked),
      'musiconhold.conf': renderMoh(this.instance, this.promptLibrary ? holds : []),
    });
  }

  /** The prompts agent groups play to waiting callers, at their current versions. */
  private async holdPrompts(): Promise<HoldPrompt[]> {
    const ids = new Set(
      (await listGroups(this.db)).map((g) => g.queue.holdPromptId).filter((x) => x !== null),
    );
    const out: HoldPrompt[] = [];
    for (const promptId of ids) {
      const version = await promptVersion(this.db, promptId);
      if (version !== null) out.push({ promptId, version });
    }
    return out.sort((a, b) => a.promptId - b.promptId);
  }

  /** Renders, writes and reloads what changed. Calls made while one runs are folded into one more run. */
  apply(): Promise<string[]> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      const changed: string[] = [];
      do {
        this.again = false;
        const files = await this.render();
        changed.push(...files);
        const ami = this.ami();
        if (ami?.connected) {
          const modules = [
            ...new Set(files.map((f) => reloadTarget[f]).filter((m): m is string => m !== undefined)),
          ];
          for (const module of modules) await ami.action('Reload', { Module: module }, 10_000);
        }
      } while (this.again);
      return changed;
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }
}
