/**
 * The one logger (pino): every line has a time, a level, the component (`main`, `db`, `web`,
 * `http`, `pbx`, `cti`, `stats`, …) and, where there is one, the call id. JSON lines (for
 * journald, Docker and log shippers) when the output is not a terminal, readable text on a
 * terminal — `LOG_FORMAT` (`json`/`text`) and `LOG_LEVEL` override.
 * Text lines read `2026-12-03T16:16:38.123Z INFO  [cti] ready: … call=<id>`.
 */
import { pino, type Logger } from 'pino';

export type LogFormat = 'json' | 'text';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const levelNames: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** Writes pino's JSON lines as text: errors and warnings to stderr, the rest to stdout. */
const textStream = {
  write(line: string) {
    const { time, level, component, msg, callId, err } = JSON.parse(line) as {
      time: string;
      level: number;
      component?: string;
      msg?: string;
      callId?: string;
      err?: { stack?: string; message?: string };
    };
    const name = (levelNames[level] ?? String(level)).padEnd(5);
    const text = `${time} ${name} [${component ?? 'main'}] ${msg ?? ''}${callId && !msg?.includes(callId) ? ` call=${callId}` : ''}${
      err?.message && !msg?.includes(err.message) ? `: ${err.message}` : ''
    }\n`;
    (level >= 40 ? process.stderr : process.stdout).write(text);
  },
};

function create(format: LogFormat, level: LogLevel): Logger {
  const options = { level, base: null, timestamp: pino.stdTimeFunctions.isoTime };
  return format === 'json' ? pino(options, process.stdout) : pino(options, textStream);
}

let root: Logger = create(process.stdout.isTTY ? 'text' : 'json', 'info');

/** Sets the format and level (main.ts, from the settings); loggers made before follow. */
export function configureLogs(format: LogFormat | 'auto', level: LogLevel): void {
  root = create(format === 'auto' ? (process.stdout.isTTY ? 'text' : 'json') : format, level);
}

export interface ComponentLog {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** The shape older modules take (`log: (line) => void`): info lines. */
  line: (msg: string) => void;
}

/** Call ids are the only UUIDs the product makes (cti/calls/registry.ts). */
const callIdPattern = /\b[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\b/;

/**
 * The logger of one component; each line goes to the logger configured at the time. A line
 * that names a call (the CTI's `${call.id}: …`) carries its id as the `callId` field too.
 */
export function logOf(component: string): ComponentLog {
  const at =
    (level: LogLevel) =>
    (msg: string, fields: Record<string, unknown> = {}) =>
      root[level]({ component, ...fields }, msg);
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    line: (msg) => {
      const callId = callIdPattern.exec(msg)?.[0];
      at('info')(msg, callId ? { callId } : {});
    },
  };
}
