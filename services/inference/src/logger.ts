/**
 * The process logger: pino JSON on stdout (pretty only on an interactive terminal outside
 * production). Lines are batched: written once 4 KiB have gathered or 50 ms have passed, so a
 * busy worker makes one write(2) per many access-log lines instead of one per line (the write
 * per line was the largest single cost of the access log: docs/benchmarks.md#the-cuts). Writes to
 * a pipe or terminal (journald, docker, pm2, a shell) are asynchronous, so a slow reader never
 * blocks the event loop; stdout redirected to a regular file is written synchronously, as Node
 * writes process.stdout to a file: a write into the page cache costs less than handing each batch
 * to libuv's threadpool and back (docs/benchmarks.md#the-cuts-second-round-2026-12-05-quiet-machine).
 * pino flushes what is buffered when the process exits or fails; a SIGKILL loses at most that window. Redaction is defence in depth: the code never logs
 * bodies or raw texts, and these paths catch it if someone does.
 */
import { fstatSync } from 'node:fs';
import { pino, type ChildLoggerOptions, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { LogLevel } from '../../../shared/env.js';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.body',
  'headers.authorization',
  'authorization',
  'body',
  'text',
  'texts',
  'inputs',
  '*.text',
  '*.texts',
  '*.inputs',
  '*.body',
];

export interface LoggerSettings {
  logLevel: LogLevel;
  workerId: string;
  /** Extra base fields, e.g. the role of a cluster primary. */
  base?: Record<string, unknown>;
}

export function loggerOptions(settings: LoggerSettings): LoggerOptions {
  return {
    level: settings.logLevel,
    base: { pid: process.pid, worker: settings.workerId, ...settings.base },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
}

/** Bytes of log lines gathered before a write (sonic-boom's minLength). */
export const LOG_BATCH_BYTES = 4096;
/** Longest a line waits in that buffer. */
export const LOG_FLUSH_INTERVAL_MS = 50;

/** Whether `fd` is a regular file (stdout redirected to one): then log writes are synchronous. */
export function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

/** `destination` is for tests (capture the lines); otherwise stdout. */
export function createLogger(settings: LoggerSettings, destination?: DestinationStream): Logger {
  const options = loggerOptions(settings);
  if (destination) return pino(options, destination);
  if (process.stdout.isTTY && process.env.NODE_ENV !== 'production') {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  // pm2's cluster mode captures a worker's output by wrapping process.stdout.write; a direct
  // fd-1 writer bypasses that and lands in pm2's daemon log instead of `pm2 logs <app>`.
  if (process.env.pm_id !== undefined) return pino(options, process.stdout);
  const sync = isRegularFile(1);
  const stream = pino.destination({ dest: 1, sync, minLength: LOG_BATCH_BYTES, periodicFlush: LOG_FLUSH_INTERVAL_MS });
  // pino flushes an asynchronous destination at exit itself, a synchronous one not: its lines
  // still in the batch would be lost on process.exit().
  if (sync) {
    process.once('exit', () => {
      try {
        stream.flushSync();
      } catch {
        // Already closed: nothing left to write.
      }
    });
  }
  return pino(options, stream);
}

/** Flush buffered log lines (async destination) before the process exits on purpose. */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    try {
      logger.flush(() => resolve());
    } catch {
      resolve();
    }
  });
}

type LogMethod = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * request.log, created only when a request logs. Fastify gives every request a child logger bound
 * to its id; pino's child() serialises its bindings up front, a visible share of a busy worker's
 * time (docs/benchmarks.md#the-cuts), and most requests never log through it (the access line has
 * its own logger). This stands in for the child and makes it on the first call at an enabled
 * level; calls at a disabled level stay no-ops, as pino's are. Same lines, same bindings.
 */
export class LazyChildLogger {
  private real: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Record<string, unknown>,
  ) {}

  private get logger(): Logger {
    return (this.real ??= this.parent.child(this.bindings));
  }

  private write(level: LogMethod, args: unknown[]): void {
    if (this.real === undefined && !this.parent.isLevelEnabled(level)) return;
    (this.logger[level] as (...a: unknown[]) => void)(...args);
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(): void {}

  child(bindings: Record<string, unknown>, options?: ChildLoggerOptions): Logger {
    return this.logger.child(bindings, options);
  }

  get level(): string {
    return this.real?.level ?? this.parent.level;
  }
  set level(value: string) {
    this.logger.level = value;
  }

  isLevelEnabled(level: string): boolean {
    return (this.real ?? this.parent).isLevelEnabled(level);
  }
}

/**
 * Fastify's childLoggerFactory: a LazyChildLogger, unless the route asks for its own level or
 * serializers (then pino's child at once, as Fastify's default does).
 */
export function lazyChildLoggerFactory(logger: Logger, bindings: Record<string, unknown>, opts: ChildLoggerOptions): Logger {
  if (Object.keys(opts).length > 0) return logger.child(bindings, opts);
  // eslint-disable-next-line no-restricted-syntax -- LazyChildLogger has every method a request logger is called with
  return new LazyChildLogger(logger, bindings) as unknown as Logger;
}
