import { pino, type Logger } from 'pino';

export type { Logger };

/** Keys whose values never reach a log line, wherever they appear. */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'password',
  '*.password',
  'databaseUrl',
  '*.databaseUrl',
  'env',
  '*.env',
  'secret',
  '*.secret',
];

export function createLogger(name: string, opts: { level?: string; destination?: number | string } = {}): Logger {
  const level = opts.level ?? process.env.CUTOVER_LOG_LEVEL ?? 'info';
  const dest = pino.destination({ dest: opts.destination ?? 2, sync: true });
  return pino({ name, level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, dest);
}

/** A logger that drops everything: for tests and library use without output. */
export const silentLogger: Logger = pino({ level: 'silent' });
