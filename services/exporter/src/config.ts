/**
 * Exporter configuration, read once from the environment (docs/channel.md and docs/metrics.md
 * describe the variables). A bad value fails the start with a message naming the variable.
 */
import { readChoice, readInt, readLogLevel, readPort, readString, type Env, type LogLevel } from '../../../shared/env.js';
import { DRIFT_REFERENCE_CHOICES, type DriftReferenceChoice } from '../../../shared/drift-reference.js';
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
  /** Most recent texts per model version over which drift (PSI) is computed. */
  driftWindowTexts: number;
  /** The part of each model's drift reference the live texts are compared with: all, or one kind of message. */
  driftReference: DriftReferenceChoice;
}

/**
 * Default drift window: with ~20 reference bins, PSI of an unchanged distribution over n texts is
 * about (bins - 1) / n from sampling alone (~0.01 at 2000), far under the 0.1 warning band,
 * while the window still turns over in minutes at a few texts per second.
 */
export const DEFAULT_DRIFT_WINDOW_TEXTS = 2000;

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
    // 50 texts at least: below that, sampling noise alone crosses the PSI bands.
    driftWindowTexts: readInt(env, 'DRIFT_WINDOW_TEXTS', DEFAULT_DRIFT_WINDOW_TEXTS, 50, 1_000_000),
    driftReference: readChoice(env, 'DRIFT_REFERENCE', DRIFT_REFERENCE_CHOICES, 'all'),
  };
}
