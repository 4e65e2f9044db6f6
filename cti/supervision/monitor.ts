/**
 * Supervisors listen to, whisper to, or barge into an agent's call (班长工作台, 3.9.1) with ARI
 * snoop channels: the supervisor's own phone rings, and once answered it is bridged with a
 * snoop on the agent's channel that hears both sides; whispering speaks into the agent's ear
 * only, barging to both parties. Every session is a row of the monitoring log (监控记录, 3.9.2)
 * from start to end. Sessions end when either phone hangs up or the call ends; after an
 * application restart leftover monitoring channels are hung up and their rows closed.
 */
import { eq, isNull } from 'drizzle-orm';
import { inScope, recordScope } from '../../core/access/actor.ts';
import type { Ctx } from '../../core/context.ts';
import { DomainError, NotFoundError } from '../../core/errors.ts';
import { type MonitorAction, monitoringLog, users } from '../../db/schema.ts';
import type { AriEvent } from '../ari/generated.ts';
import { channelVar, channelVars, type StasisKind } from '../asterisk.ts';
import type { Db } from '../../db/client.ts';
import type { AriClient } from '../ari/client.ts';
import { agentById } from '../calls/directory.ts';
import type { ActiveCall, Leg } from '../calls/model.ts';

/** What monitoring needs from the call engine (a port: the engine fills it). */
export interface MonitorHost {
  readonly db: Db;
  readonly ari: AriClient;
  /** The Stasis application the snoop and the supervisor's phone enter. */
  readonly app: string;
  callOfAgent(userId: number): { call: ActiveCall; leg: Leg } | null;
  hangup(channelId: string, reason: 'normal'): Promise<void>;
  inStasis(channelId: string, ms?: number): Promise<void>;
  now(): Date;
}

export type MonitorMode = Extract<MonitorAction, 'listen' | 'whisper' | 'barge'>;

/** What the snoop hears and where the supervisor's voice goes, per mode. */
const whisperOf: Record<MonitorMode, 'none' | 'out' | 'both'> = {
  listen: 'none',
  whisper: 'out',
  barge: 'both',
};

interface Session {
  id: number;
  supervisorId: number;
  agentId: number;
  callId: string;
  mode: MonitorMode;
  snoop: string;
  phone: string;
  bridgeId: string;
  ended: boolean;
}

export class Monitor {
  private readonly sessions = new Map<number, Session>();
  private readonly byChannel = new Map<string, Session>();
  private readonly onEvent = (e: AriEvent) => void this.event(e).catch(() => {});

  constructor(private readonly engine: MonitorHost) {}

  async start(): Promise<void> {
    this.engine.ari.on('event', this.onEvent);
    // Sessions cut off by a restart: their channels are hung up and their rows closed.
    for (const ch of await this.engine.ari.call('channels.list', {}))
      if (channelVar(ch, 'role') === 'monitor' || ch.name.startsWith('Snoop/'))
        await this.engine.hangup(ch.id, 'normal').catch(() => {});
    await this.engine.db
      .update(monitoringLog)
      .set({ endedAt: this.engine.now() })
      .where(isNull(monitoringLog.endedAt));
  }

  stop(): void {
    this.engine.ari.off('event', this.onEvent);
  }

  /** Whether a channel is a monitoring session's (a snoop or the supervisor's phone). */
  owns(channelId: string): boolean {
    return this.byChannel.has(channelId);
  }

  /** Starts listening, whispering or barging on an agent's call; the supervisor's phone rings. */
  async begin(ctx: Ctx, agentId: number, mode: MonitorMode): Promise<number> {
    const scope = await recordScope(ctx.db, ctx.actor, 'supervisor:monitor');
    const [agentRow] = await ctx.db.select().from(users).where(eq(users.id, agentId));
    if (!agentRow || !inScope(scope, agentRow.id, agentRow.departmentId)) throw new NotFoundError();
    if (agentId === ctx.actor.userId) throw new DomainError('not_allowed');
    const found = this.engine.callOfAgent(agentId);
    if (!found?.leg.answered || found.call.ended) throw new DomainError('not_on_call');
    const supervisorPhone = await agentById(ctx.db, ctx.actor.userId);
    if (!supervisorPhone) throw new DomainError('agent_unknown');
    const { ari, app } = this.engine;
    const [row] = await ctx.db
      .insert(monitoringLog)
      .values({
        supervisorId: ctx.actor.userId,
        agentId,
        callId: found.call.id,
        action: mode,
        detail: found.call.callerId,
        startedAt: this.engine.now(),
      })
      .returning({ id: monitoringLog.id });
    const id = row!.id;
    const snoop = await ari.call('channels.snoopChannel', {
      channelId: found.leg.channel,
      app,
      appArgs: 'snoop' satisfies StasisKind,
      spy: 'both',
      whisper: whisperOf[mode],
    });
    const bridge = await ari.call('bridges.create', { type: 'mixing', name: `monitor-${id}` });
    // The snoop can be bridged once it entered the application (before that: 422).
    await this.engine.inStasis(snoop.id);
    await ari.call('bridges.addChannel', { bridgeId: bridge.id, channel: snoop.id });
    const phone = await ari.call('channels.create', {
      endpoint: `PJSIP/${supervisorPhone.endpoint}`,
      app,
      appArgs: 'leg' satisfies StasisKind,
      variables: {
        [channelVars.callId]: `monitor-${id}`,
        [channelVars.role]: 'monitor',
        'CONNECTEDLINE(num)': found.call.callerId,
        'CONNECTEDLINE(name)': mode,
      },
    });
    const session: Session = {
      id,
      supervisorId: ctx.actor.userId,
      agentId,
      callId: found.call.id,
      mode,
      snoop: snoop.id,
      phone: phone.id,
      bridgeId: bridge.id,
      ended: false,
    };
    this.sessions.set(id, session);
    this.byChannel.set(snoop.id, session);
    this.byChannel.set(phone.id, session);
    await this.engine.inStasis(phone.id);
    await ari.call('channels.dial', { channelId: phone.id, timeout: 30 });
    return id;
  }

  /** Ends a session (the supervisor's phone and the snoop are hung up). */
  async end(ctx: Ctx, id: number): Promise<void> {
    const session = this.sessions.get(id);
    if (!session || session.supervisorId !== ctx.actor.userId) throw new NotFoundError();
    await this.close(session);
  }

  /** The supervisor's sessions running now. */
  sessionsOf(supervisorId: number): { id: number; agentId: number; mode: MonitorMode; callId: string }[] {
    return [...this.sessions.values()]
      .filter((s) => s.supervisorId === supervisorId && !s.ended)
      .map((s) => ({ id: s.id, agentId: s.agentId, mode: s.mode, callId: s.callId }));
  }

  private async close(session: Session) {
    if (session.ended) return;
    session.ended = true;
    this.sessions.delete(session.id);
    this.byChannel.delete(session.snoop);
    this.byChannel.delete(session.phone);
    for (const channel of [session.phone, session.snoop])
      await this.engine.hangup(channel, 'normal').catch(() => {});
    await this.engine.ari.call('bridges.destroy', { bridgeId: session.bridgeId }).catch(() => {});
    await this.engine.db
      .update(monitoringLog)
      .set({ endedAt: this.engine.now() })
      .where(eq(monitoringLog.id, session.id));
  }

  private async event(e: AriEvent) {
    if (e.type === 'ChannelStateChange') {
      const session = this.byChannel.get(e.channel.id);
      if (session && e.channel.id === session.phone && e.channel.state === 'Up')
        await this.engine.ari.call('bridges.addChannel', {
          bridgeId: session.bridgeId,
          channel: session.phone,
        });
    } else if (
      e.type === 'ChannelDestroyed' ||
      (e.type === 'StasisEnd' && e.channel.name.startsWith('Snoop/'))
    ) {
      const session = this.byChannel.get(e.channel.id);
      if (session) await this.close(session);
    }
  }
}
