/**
 * Keeps the ACD's pool (agents and groups in memory) in step with the database: loaded at start,
 * reloaded when a domain event says groups, employees or agents changed, and every half minute
 * (states changed where no event reached us: another process, a missed event); today's workload
 * starts again at midnight in the call centre's day.
 */
import type { DomainEvent, DomainEvents } from '../../core/events.ts';
import type { Db } from '../../db/client.ts';
import { startOfDay } from '../calls/directory.ts';
import { loadAgents, loadGroups, loadRegionRules, type RegionRule } from './loader.ts';
import type { AgentPool } from './pool.ts';

export interface PoolSyncHost {
  readonly db: Db;
  /** The call centre's time zone: where today's workload starts again. */
  readonly timeZone: string;
  now(): Date;
  say(line: string): void;
}

/** What the ACD does when the pool changed. */
export interface PoolSyncListener {
  /** An agent was (re)loaded. */
  agent(userId: number): void;
  /** Agents or groups changed after a domain event or the periodic reload. */
  changed(): void;
}

export class PoolSync {
  /** Region routing rules (loaded with the groups). */
  regionRules: RegionRule[] = [];
  private day = '';
  private dayTimer: NodeJS.Timeout | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;
  private readonly onDomainEvent = (e: DomainEvent) => void this.domainEvent(e);

  constructor(
    private readonly host: PoolSyncHost,
    private readonly pool: AgentPool,
    private readonly events: DomainEvents | undefined,
    private readonly listener: PoolSyncListener,
  ) {}

  async start(): Promise<void> {
    await this.reloadGroups();
    await this.reloadAgents();
    this.events?.on('event', this.onDomainEvent);
    this.day = startOfDay(this.host.now(), this.host.timeZone).toDateString();
    this.dayTimer = setInterval(() => this.checkDay(), 60_000);
    this.dayTimer.unref();
    this.refreshTimer = setInterval(
      () =>
        void this.reloadAgents()
          .then(() => this.listener.changed())
          .catch((err: Error) => this.host.say(`acd refresh: ${err.message}`)),
      30_000,
    );
    this.refreshTimer.unref();
  }

  stop(): void {
    this.events?.off('event', this.onDomainEvent);
    if (this.dayTimer) clearInterval(this.dayTimer);
    if (this.refreshTimer) clearInterval(this.refreshTimer);
  }

  private checkDay() {
    const day = startOfDay(this.host.now(), this.host.timeZone).toDateString();
    if (day === this.day) return;
    this.day = day;
    this.pool.newDay();
  }

  private async domainEvent(e: DomainEvent) {
    try {
      if (e.type === 'groups.changed') await this.reloadGroups();
      else if (e.type === 'employees.changed' || e.type === 'agents.changed')
        await this.reloadAgents(e.userIds);
      else return;
      this.listener.changed();
    } catch (err) {
      this.host.say(`acd reload (${e.type}): ${err instanceof Error ? err.message : err}`);
    }
  }

  /** Reloads the groups (members, queue settings) and the region rules. */
  async reloadGroups(): Promise<void> {
    const groups = await loadGroups(this.host.db);
    const ids = new Set(groups.map((g) => g.id));
    for (const id of [...this.pool.groups.keys()]) if (!ids.has(id)) this.pool.removeGroup(id);
    for (const g of groups) this.pool.setGroup(g);
    this.regionRules = await loadRegionRules(this.host.db);
  }

  /** Reloads agents (all, or some) from the database: accounts, states, workload. */
  async reloadAgents(userIds?: readonly number[]): Promise<void> {
    const loaded = await loadAgents(this.host.db, this.host.now(), this.host.timeZone, userIds);
    const seen = new Set(loaded.map((a) => a.userId));
    for (const id of userIds ?? [...this.pool.agents.keys()]) if (!seen.has(id)) this.pool.removeAgent(id);
    for (const a of loaded) {
      const known = this.pool.agents.get(a.userId);
      const agent = this.pool.setAgent(a);
      // A reservation survives a reload; a state the engine set ahead of the database too.
      if (known?.reservedFor && (a.state === 'ready' || a.state === 'ringing')) agent.state = known.state;
      this.listener.agent(a.userId);
    }
  }
}
