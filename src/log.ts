import { createRequire } from 'node:module';
import { destination, pino, type Logger } from 'pino';
import type Pretty from 'pino-pretty';

export type LogFormat = 'json' | 'pretty';
export type { Logger };

export interface LogOptions {
  readonly level: string;
  /** Default: pretty on a terminal, JSON lines otherwise. */
  readonly format?: LogFormat;
}

/** Logs go to stderr; stdout is kept for the command's own output (plans, status). */
export function createLogger(options: LogOptions): Logger {
  const format = options.format ?? (process.stderr.isTTY ? 'pretty' : 'json');
  if (format === 'pretty') {
    // Loaded only when asked for: it is the heaviest module netrecon has.
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof Pretty;
    return pino({ level: options.level, base: undefined }, pretty({ destination: 2, sync: true, colorize: process.stderr.isTTY }));
  }
  return pino({ level: options.level, base: { pid: process.pid } }, destination({ dest: 2, sync: true }));
}
