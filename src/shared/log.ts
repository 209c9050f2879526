/**
 * The controller's and the proxy's logs. On a terminal they are readable lines
 * (time, level, name, message, then the fields); anywhere else, one JSON
 * object a line for log shippers. CUTOVER_LOG_FORMAT=json|pretty overrides the
 * choice, CUTOVER_LOG_LEVEL the level (default info). Secrets never reach a
 * line in either format: see REDACT_PATHS.
 */
import { createRequire } from 'node:module';
import { isatty } from 'node:tty';
import { pino, type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

export type { Logger };

export type LogFormat = 'json' | 'pretty';

/**
 * Keys whose values never reach a log line: bearer tokens, Authorization
 * headers, passwords, database URLs, environment maps (a revision's env
 * holds its secrets) and webhook signing secrets, at the top of a log object
 * and up to two levels down.
 */
const SECRET_KEYS = ['token', 'authorization', 'password', 'databaseUrl', 'DATABASE_URL', 'env', 'secret'];
export const REDACT_PATHS = [...SECRET_KEYS, ...SECRET_KEYS.map((k) => `*.${k}`), ...SECRET_KEYS.map((k) => `*.*.${k}`)];

export function createLogger(name: string, opts: { level?: string; destination?: number | string; format?: LogFormat } = {}): Logger {
  const level = opts.level ?? process.env.CUTOVER_LOG_LEVEL ?? 'info';
  const dest = opts.destination ?? 2;
  const format = opts.format ?? logFormat(dest);
  const redact = { paths: REDACT_PATHS, censor: '[redacted]' };
  if (format === 'json') return pino({ name, level, redact }, pino.destination({ dest, sync: true }));
  // A terminal has no use for this process's pid and hostname on every line.
  return pino({ name, level, redact, base: {} }, prettyStream(dest));
}

/** pretty for a terminal, json otherwise, unless CUTOVER_LOG_FORMAT says which. */
export function logFormat(dest: number | string, env: NodeJS.ProcessEnv = process.env): LogFormat {
  const wanted = env.CUTOVER_LOG_FORMAT;
  if (wanted === 'json' || wanted === 'pretty') return wanted;
  return typeof dest === 'number' && isatty(dest) ? 'pretty' : 'json';
}

/** pino-pretty, loaded only when a terminal reads the log (it costs start-up time, and a log file wants JSON). */
function prettyStream(dest: number | string): DestinationStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  return pretty({
    destination: dest,
    sync: true,
    colorize: typeof dest === 'number' && isatty(dest) && !process.env.NO_COLOR,
    translateTime: 'SYS:HH:MM:ss.l',
    singleLine: true,
    // pino-pretty would show a logged `pid` (an instance's or the proxy's) in the header as if it were this process's; it goes after the message instead.
    ignore: 'pid,hostname',
    messageFormat: (log, messageKey) => `${String(log[messageKey] ?? '')}${log.pid !== undefined ? ` (pid ${String(log.pid)})` : ''}`,
  });
}

/** A logger that drops everything: for tests and library use without output. */
export const silentLogger: Logger = pino({ level: 'silent' });
