/**
 * The queues' holding bridges: one per agent group (named `queue-<group id>`), playing the
 * group's music or hold prompt, made when first needed, where the group's callers wait; found
 * again by name after a restart of the application.
 */
import type { AriClient } from '../ari/client.ts';
import type { ActiveCall } from '../calls/model.ts';
import type { AgentPool, PoolGroup } from './pool.ts';

const bridgeName = (groupId: number) => `queue-${groupId}`;
const groupOfBridge = (name: string): number | null => {
  const m = /^queue-(\d+)$/.exec(name);
  return m ? Number(m[1]) : null;
};

export class HoldingBridges {
  private readonly byGroup = new Map<number, string>();

  constructor(
    private readonly ari: AriClient,
    /** The Stasis application (to subscribe to bridges found after a restart). */
    private readonly app: string,
    /** The music-on-hold class that plays a prompt in a loop (null: the default music). */
    private readonly mohClass: (promptId: number | null) => string,
    private readonly pool: AgentPool,
  ) {}

  /** The group's holding bridge, created when first needed. */
  private async of(group: PoolGroup): Promise<string> {
    const known = this.byGroup.get(group.id);
    if (known) return known;
    const bridge = await this.ari.call('bridges.create', { type: 'holding', name: bridgeName(group.id) });
    this.byGroup.set(group.id, bridge.id);
    await this.ari.call('bridges.startMoh', {
      bridgeId: bridge.id,
      mohClass: this.mohClass(group.settings.holdPromptId),
    });
    return bridge.id;
  }

  /** Answers the caller and moves them out of the call's bridge into the group's holding bridge. */
  async enter(call: ActiveCall, group: PoolGroup): Promise<void> {
    const { ari } = this;
    const channel = call.caller!;
    await ari.call('channels.answer', { channelId: channel }).catch(() => {});
    if (call.bridgeId) {
      await ari.call('bridges.removeChannel', { bridgeId: call.bridgeId, channel }).catch(() => {});
    }
    let bridgeId = await this.of(group);
    try {
      await ari.call('bridges.addChannel', { bridgeId, channel });
    } catch {
      // The bridge went away (Asterisk restarted): make a new one.
      this.byGroup.delete(group.id);
      bridgeId = await this.of(group);
      await ari.call('bridges.addChannel', { bridgeId, channel }).catch(() => {});
    }
    call.holdingBridgeId = bridgeId;
  }

  /** Holding bridges left from before a restart are used again (the engine passes Asterisk's bridges). */
  async adopt(bridges: readonly { id: string; name: string; channels: string[] }[]): Promise<void> {
    for (const b of bridges) {
      const groupId = groupOfBridge(b.name);
      if (groupId === null) continue;
      if (this.byGroup.has(groupId) || !this.pool.groups.has(groupId)) {
        if (b.channels.length === 0)
          await this.ari.call('bridges.destroy', { bridgeId: b.id }).catch(() => {});
        continue;
      }
      this.byGroup.set(groupId, b.id);
      await this.ari.call('applications.subscribe', {
        applicationName: this.app,
        eventSource: [`bridge:${b.id}`],
      });
    }
  }
}
