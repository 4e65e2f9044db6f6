/**
 * Live pages over Server-Sent Events: the page's parts are rendered again when the call engine,
 * the ACD (or, if asked, the domain) reports a change — gathered for a quarter of a second — and
 * at least every `refreshMs` for figures that move with time (waits, today's counts). Only parts
 * whose HTML changed are sent, each as an event named after the part (htmx `sse-swap`).
 */
import { streamSSE } from 'hono/streaming';
import type { CallEngine } from '../cti/calls/engine.ts';
import type { C } from './env.ts';

export function liveParts(
  c: C,
  engine: CallEngine | null,
  parts: () => Promise<Record<string, string>>,
  options: { refreshMs?: number; domainEvents?: boolean } = {},
): Response {
  const events = c.get('deps').events;
  return streamSSE(c, async (stream) => {
    const sent: Record<string, string> = {};
    let dirty = true;
    const mark = () => {
      dirty = true;
    };
    engine?.on('changed', mark);
    const unwatch = engine?.floor.watch(mark);
    if (options.domainEvents) events.on('event', mark);
    let closed = false;
    stream.onAbort(() => {
      closed = true;
    });
    const tick = 250;
    const refreshTicks = options.refreshMs ? Math.max(1, Math.round(options.refreshMs / tick)) : 0;
    try {
      let sinceRender = 0;
      let quiet = 0;
      while (!closed) {
        if (dirty || (refreshTicks && sinceRender >= refreshTicks)) {
          dirty = false;
          sinceRender = 0;
          for (const [event, html] of Object.entries(await parts())) {
            if (sent[event] === html) continue;
            sent[event] = html;
            quiet = 0;
            await stream.writeSSE({ event, data: html });
          }
        }
        await stream.sleep(tick);
        sinceRender++;
        if (++quiet >= 60) {
          quiet = 0;
          await stream.write(': keep-alive\n\n');
        }
      }
    } finally {
      engine?.off('changed', mark);
      unwatch?.();
      events.off('event', mark);
    }
  });
}
