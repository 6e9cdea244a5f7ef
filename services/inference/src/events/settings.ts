/**
 * The publisher's settings and their defaults, defined once: the publisher falls back on
 * PUBLISHER_DEFAULTS, and readPublisherSettings() reads the environment over them
 * (docs/channel.md):
 *   EVENTS_ENABLED            publish events at all (default true; off for A/B benchmarks)
 *   EVENTS_QUEUE_MAX_EVENTS   queue bound in events (default 20000)
 *   EVENTS_QUEUE_MAX_BYTES    queue bound in bytes (default 8 MiB)
 *   EVENTS_STATS_INTERVAL_MS  stats frame interval (default 5000)
 *   EVENTS_FLUSH_INTERVAL_MS  longest wait before queued events are written (default 50; 0: per tick)
 *   EVENTS_FLUSH_TIMEOUT_MS   bounded flush at shutdown (default 2000)
 */
import { readBool, readInt, type Env } from '../../../../shared/env.js';

export const PUBLISHER_DEFAULTS = {
  /** About 2 s of a busy worker. */
  queueMaxEvents: 20_000,
  queueMaxBytes: 8 * 1024 * 1024,
  /**
   * Largest single write (~430 events): large writes wake the exporter less, and staying under
   * the default socket buffer (208 KiB) avoids partial writes (measurements: docs/channel.md).
   */
  maxBatchBytes: 128 * 1024,
  /** Longest wait before queued events are written; 0: every event-loop turn. */
  flushIntervalMs: 50,
  statsIntervalMs: 5000,
  flushTimeoutMs: 2000,
  reconnectMinMs: 50,
  reconnectMaxMs: 2000,
} as const;

export interface PublisherSettings {
  enabled: boolean;
  queueMaxEvents: number;
  queueMaxBytes: number;
  statsIntervalMs: number;
  flushIntervalMs: number;
  flushTimeoutMs: number;
}

export function readPublisherSettings(env: Env = process.env): PublisherSettings {
  const d = PUBLISHER_DEFAULTS;
  return {
    enabled: readBool(env, 'EVENTS_ENABLED', true),
    queueMaxEvents: readInt(env, 'EVENTS_QUEUE_MAX_EVENTS', d.queueMaxEvents, 1, 10_000_000),
    queueMaxBytes: readInt(env, 'EVENTS_QUEUE_MAX_BYTES', d.queueMaxBytes, 64 * 1024, 1024 * 1024 * 1024),
    statsIntervalMs: readInt(env, 'EVENTS_STATS_INTERVAL_MS', d.statsIntervalMs, 50, 3_600_000),
    flushIntervalMs: readInt(env, 'EVENTS_FLUSH_INTERVAL_MS', d.flushIntervalMs, 0, 1000),
    flushTimeoutMs: readInt(env, 'EVENTS_FLUSH_TIMEOUT_MS', d.flushTimeoutMs, 0, 60_000),
  };
}
