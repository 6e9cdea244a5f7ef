/**
 * Exporter configuration, read once from the environment (docs/channel.md and docs/metrics.md
 * describe the variables). A bad value fails the start with a message naming the variable.
 */
import { readInt, readLogLevel, readPort, readString, type Env, type LogLevel } from '../../../shared/env.js';
import { defaultEventsSocket } from '../../../shared/paths.js';
import { readBearerToken } from '../../../shared/bearer.js';

export interface ExporterConfig {
  host: string;
  port: number;
  eventsSocket: string;
  logLevel: LogLevel;
  /** Any path on the filesystem whose usage is reported. */
  diskPath: string;
  /** Interval of host and worker-process sampling. */
  sampleIntervalMs: number;
  maxConnections: number;
  ackIntervalMs: number;
  /** How long shutdown waits for publishers and the HTTP server before forcing them closed. */
  shutdownGraceMs: number;
  /** When set, GET /metrics and the landing page need `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
}

export function readExporterConfig(env: Env = process.env): ExporterConfig {
  return {
    host: readString(env, 'HOST', '127.0.0.1'),
    port: readPort(env, 'EXPORTER_PORT', 8000),
    eventsSocket: readString(env, 'EVENTS_SOCKET', defaultEventsSocket(env)),
    logLevel: readLogLevel(env),
    diskPath: readString(env, 'DISK_PATH', '/'),
    sampleIntervalMs: readInt(env, 'SAMPLE_INTERVAL_MS', 5000, 100, 3_600_000),
    maxConnections: readInt(env, 'EXPORTER_MAX_CONNECTIONS', 256, 1, 65_536),
    ackIntervalMs: readInt(env, 'EVENTS_ACK_INTERVAL_MS', 100, 1, 10_000),
    shutdownGraceMs: readInt(env, 'SHUTDOWN_GRACE_MS', 5000, 0, 60_000),
    metricsToken: readBearerToken(env, 'METRICS_TOKEN'),
  };
}
