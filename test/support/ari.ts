/** ARI helpers for tests: a client for a test PBX, and waiting for a particular event. */
import { AriClient } from '../../cti/ari/client.ts';
import type { AriEvent, AriEventType } from '../../cti/ari/generated.ts';
import type { PbxInstance } from '../../pbx/layout.ts';

export function ariFor(instance: PbxInstance): AriClient {
  return new AriClient({
    baseUrl: `http://127.0.0.1:${instance.ports.http}/ari`,
    username: instance.secrets.ariUser,
    password: instance.secrets.ariPassword,
    app: instance.app,
    reconnect: { minDelayMs: 100, maxDelayMs: 1000 },
  });
}

/** Resolves with the first event of a type (matching `where`) seen after the call. */
export function nextEvent<T extends AriEventType>(
  ari: AriClient,
  type: T,
  where: (e: Extract<AriEvent, { type: T }>) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<Extract<AriEvent, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ari.off('event', listener);
      reject(new Error(`no ${type} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (e: AriEvent) => {
      if (e.type === type && where(e as Extract<AriEvent, { type: T }>)) {
        clearTimeout(timer);
        ari.off('event', listener);
        resolve(e as Extract<AriEvent, { type: T }>);
      }
    };
    ari.on('event', listener);
  });
}
