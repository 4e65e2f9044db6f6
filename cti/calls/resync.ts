/**
 * Resync after a restart or an ARI reconnect: the calls are rebuilt from the channels Asterisk
 * still has (their call id and role variables) and the event log. A bridged call goes on (joined
 * again in a new bridge when Asterisk does not list its own); callers waiting in a queue's
 * holding bridge go back in line at their place and agents' phones ringing for them are hung up
 * (the offer is made again); calls that ended while nobody listened are closed; channels of calls
 * nothing can resume are hung up, and a caller whose call was never logged still gets a record.
 */
import { normaliseNumber } from '../../core/validate.ts';
import { ctiTrace } from '../../config/settings.ts';
import type { Db } from '../../db/client.ts';
import type { Acd } from '../acd/acd.ts';
import { type AriClient, AriError } from '../ari/client.ts';
import type { Channel } from '../ari/generated.ts';
import { channelVar, trunkIdOfChannel } from '../asterisk.ts';
import type { CallEventBody } from '../call-log/events.ts';
import { type CallLog, eventsOf } from '../call-log/log.ts';
import { numberByDid, openCallIds } from './directory.ts';
import { lostEvents, queueState } from './reconstruct.ts';
import {
  type ActiveCall,
  blankCall,
  type Leg,
  legTargets,
  legUser,
  newLeg,
  type Role,
  restoredCall,
} from './model.ts';

const trace = ctiTrace();

/** What the resync needs from the call engine (a port: the engine fills it). */
export interface ResyncHost {
  readonly db: Db;
  readonly ari: AriClient;
  readonly app: string;
  readonly acd: Pick<Acd, 'adoptHoldingBridges' | 'restore'>;
  readonly log: CallLog;
  now(): Date;
  say(line: string): void;
  /** The calls the engine holds (a snapshot), whether it holds one, and taking one in. */
  calls(): ActiveCall[];
  hasCall(callId: string): boolean;
  adopt(call: ActiveCall): void;
  track(call: ActiveCall, leg: Leg): void;
  /** A channel of a call is gone (the engine's onGone). */
  channelGone(channelId: string, cause: number, sipCode: number | null, causeText: string): Promise<void>;
  append(call: ActiveCall, event: CallEventBody): Promise<void>;
  hangup(channelId: string, reason: 'normal'): Promise<void>;
  /** Hangs up the legs still ringing agents for a caller put back in line. */
  cancelOffers(call: ActiveCall): Promise<void>;
  endCall(call: ActiveCall, by: 'system', q850Cause: null, sipCode: null): Promise<void>;
  /** The recording Asterisk is writing for a call (its mixed file's name), if any. */
  recordingInProgress(callId: string): string | null;
}

/**
 * Rebuilds the calls from the channels Asterisk has (their CC_CALL_ID and CC_ROLE) and the
 * event log; calls that ended while nobody was listening are closed. Callers waiting in a
 * queue's holding bridge go back in line at their place; agents' phones that were ringing for
 * them are hung up (the offer is made again).
 */
export async function resync(host: ResyncHost): Promise<void> {
  const { ari } = host;
  // What this process logged is in the database before the log is read back (a call that
  // ended a moment ago must not look open; the journal writes behind call control).
  await host.log.flush(5_000);
  const channels = await ari.call('channels.list', {});
  const bridges = await ari.call('bridges.list', {});
  await host.acd.adoptHoldingBridges(bridges);
  const live = new Set(channels.map((c) => c.id));
  const byCall = new Map<string, Channel[]>();
  for (const ch of channels) {
    const id = channelVar(ch, 'callId');
    if (!id) continue;
    byCall.set(id, [...(byCall.get(id) ?? []), ch]);
  }
  // Calls we knew whose channels went away while we were not listening.
  for (const call of host.calls()) {
    for (const leg of [...call.legs.values()]) {
      if (live.has(leg.channel)) continue;
      await host.channelGone(leg.channel, 16, null, 'gone while disconnected');
    }
  }
  let resumed = 0;
  const queued: { call: ActiveCall; groupId: number; since: Date; joined: Date; order: number }[] = [];
  for (const [callId, listed] of byCall) {
    if (host.hasCall(callId)) continue;
    const events = await eventsOf(host.db, callId);
    const started = events.find((e) => e.type === 'call.started');
    if (started?.type !== 'call.started' || events.some((e) => e.type === 'call.ended')) {
      // A call that never got logged as started (the application died while setting it up)
      // or that already ended: nothing can resume it, so its channels go. An inbound caller
      // who was never logged still gets a record: the call happened.
      const caller = listed.find((c) => channelVar(c, 'role') === 'caller');
      if (!started && caller) await recordUnstarted(host, callId, caller);
      for (const ch of listed)
        if (channelVar(ch, 'role') !== 'monitor')
          await host
            .hangup(ch.id, 'normal')
            .catch((err: Error) => host.say(`hanging up ${ch.name}: ${err.message}`));
      continue;
    }
    const call = restoredCall(callId, events, host.now());
    const mixing = bridges.filter((b) => b.bridge_type !== 'holding');
    call.bridgeId = mixing.find((b) => b.channels.some((c) => listed.some((ch) => ch.id === c)))?.id ?? null;
    // Its channels' (and bridge's) events from now on. A channel hung up since the listing is
    // gone already (Asterisk: 422) and is left out, as if it had not been listed: one caller
    // hanging up during the rebuild must not stop the rebuild of the other calls.
    const gone = await subscribe(host, [
      ...listed.map((c) => `channel:${c.id}`),
      ...(call.bridgeId ? [`bridge:${call.bridgeId}`] : []),
    ]);
    if (gone.size > 0) host.say(`resync ${callId}: ${[...gone].join(' ')} gone since listed`);
    if (call.bridgeId && gone.has(`bridge:${call.bridgeId}`)) call.bridgeId = null;
    const chans = listed.filter((c) => !gone.has(`channel:${c.id}`));
    host.adopt(call);
    const targets = legTargets(events);
    for (const ch of chans) {
      const role = (channelVar(ch, 'role') as Role) || 'callee';
      if (role === 'caller') call.caller = ch.id;
      const known = targets.get(ch.id);
      const leg = newLeg(ch.id, ch.name, role, known?.target ?? null);
      leg.answered = ch.state === 'Up';
      if (known?.groupId != null) leg.offer = { groupId: known.groupId };
      host.track(call, leg);
      // An agent whose phone is up in the call is on it, whether or not the log got to say so
      // (the application died between the answer and its entry): their part ends with the call.
      const userId = legUser(leg);
      if (userId !== null && leg.answered && !call.agentsOnCall.includes(userId)) {
        call.agentsOnCall.push(userId);
        call.agentSince.set(userId, host.now().getTime());
      }
    }
    // What a crash lost of the log (the last milliseconds before it), from what Asterisk shows.
    const seen = chans.flatMap((c) => {
      const leg = call.legs.get(c.id);
      return leg ? [{ leg, up: c.state === 'Up' }] : [];
    });
    const lost = lostEvents(events, seen, call.bridgeId, host.now());
    const recording = call.recording ? null : host.recordingInProgress(call.id);
    if (recording) {
      call.recording = true;
      lost.push({ type: 'recording.started', data: { file: recording } });
    }
    for (const e of lost) await host.append(call, e);
    await host.append(call, {
      type: 'cti.resumed',
      data: {
        channels: chans.map((c) => c.id),
        ...(lost.length > 0 ? { reconstructed: lost.map((e) => e.type) } : {}),
      },
    });
    resumed++;
    if (trace)
      host.say(
        `resync ${call.id}: ${chans.map((c) => `${c.id}/${c.state}/${channelVar(c, 'role')}`).join(' ')} bridge ${call.bridgeId} of ${bridges.length}`,
      );
    // A caller still in a queue: back in line after the others who joined before them.
    const waiting = queueState(events);
    const callerUp = chans.some((c) => c.id === call.caller && c.state === 'Up');
    // An agent who answered for it (the log may not have said so yet) takes the caller instead.
    const answeredFor = seen.some((s) => s.up && s.leg.role === 'callee');
    if (waiting && callerUp && !call.bridgeId && !answeredFor) {
      await host.cancelOffers(call);
      queued.push({ call, ...waiting });
      continue;
    }
    // A bridged call whose bridge Asterisk did not list (seen right after an app restart) is
    // joined again in a new bridge; a call that was never bridged cannot be resumed half-way.
    // So is a caller whose agent answered just before the crash, before the bridge was made.
    const wasBridged = events.some((e) => e.type === 'call.bridged');
    const up = chans.filter((c) => c.state === 'Up');
    if (!call.bridgeId && up.length >= 2 && (wasBridged || (callerUp && answeredFor))) {
      call.bridgeId = await rebridge(host, call.id, up).catch((err: Error) => {
        host.say(`re-bridging ${call.id} failed: ${err.message}`);
        return null;
      });
      if (call.bridgeId && !wasBridged)
        await host.append(call, { type: 'call.bridged', data: { bridgeId: call.bridgeId } });
    }
    if (!call.bridgeId || chans.length < 2) {
      await host.endCall(call, 'system', null, null);
      continue;
    }
    // Whoever was out of the bridge (an agent holding) comes back: the hold is over.
    const bridge = bridges.find((b) => b.id === call.bridgeId);
    const outside = up.filter((c) => bridge && !bridge.channels.includes(c.id)).map((c) => c.id);
    if (outside.length > 0) {
      await ari.call('bridges.stopMoh', { bridgeId: call.bridgeId }).catch(() => {});
      await ari
        .call('bridges.addChannel', { bridgeId: call.bridgeId, channel: outside.join(',') })
        .catch(() => {});
    }
  }
  for (const q of queued.sort(
    (a, b) => a.since.getTime() - b.since.getTime() || a.joined.getTime() - b.joined.getTime(),
  ))
    await host.acd.restore(q.call, q.groupId, q.since, q.joined);
  // Calls the log still has open but Asterisk no longer has.
  for (const callId of await openCallIds(host.db)) {
    if (host.hasCall(callId) || byCall.has(callId)) continue;
    const call = restoredCall(callId, await eventsOf(host.db, callId), host.now());
    host.adopt(call);
    await host.endCall(call, 'system', null, null);
  }
  if (resumed > 0) host.say(`resumed ${resumed} call(s) in progress`);
}

/**
 * Subscribes the application to the event sources; returns those Asterisk no longer has (a
 * channel hung up, a bridge destroyed since they were listed: 422), which are left out.
 */
async function subscribe(host: ResyncHost, sources: string[]): Promise<Set<string>> {
  const gone = new Set<string>();
  const one = (eventSource: string[]) =>
    host.ari.call('applications.subscribe', { applicationName: host.app, eventSource });
  try {
    await one(sources);
  } catch (err) {
    if (!(err instanceof AriError && err.status === 422)) throw err;
    // Which of them is gone: one at a time (those that exist get subscribed).
    for (const source of sources)
      await one([source]).catch((e: Error) => {
        if (!(e instanceof AriError && e.status === 422)) throw e;
        gone.add(source);
      });
  }
  return gone;
}

/** Logs the start and end of a call found after a restart that its log never started. */
async function recordUnstarted(host: ResyncHost, callId: string, caller: Channel): Promise<void> {
  const trunkId = trunkIdOfChannel(caller.name);
  const exten = caller.dialplan?.exten ?? '';
  const number = trunkId !== null ? await numberByDid(host.db, exten) : null;
  const call = blankCall(callId, trunkId !== null ? 'inbound' : 'outbound', new Date(caller.creationtime));
  Object.assign(call, {
    trunkId,
    numberId: number?.id ?? null,
    callerId: normaliseNumber(caller.caller.number),
  });
  // Logged when the channel was made, so the record starts when the call did.
  await host.log.append(
    call.id,
    {
      type: 'call.started',
      data: {
        direction: call.direction,
        from: call.callerId,
        to: normaliseNumber(exten),
        trunkId,
        numberId: call.numberId,
        agentId: null,
        channel: caller.name,
      },
    },
    call.startedAt,
  );
  await host.append(call, { type: 'call.ended', data: { by: 'system', q850Cause: null, sipCode: null } });
}

/** Puts the channels of a call in a new mixing bridge; returns its id. */
async function rebridge(host: ResyncHost, callId: string, chans: Channel[]): Promise<string> {
  const { ari, app } = host;
  const bridge = await ari.call('bridges.create', { type: 'mixing', name: `call-${callId}` });
  await ari.call('bridges.addChannel', { bridgeId: bridge.id, channel: chans.map((c) => c.id).join(',') });
  await ari.call('applications.subscribe', { applicationName: app, eventSource: [`bridge:${bridge.id}`] });
  host.say(`call ${callId}: joined again in a new bridge`);
  return bridge.id;
}
