/**
 * The channel's wiring for a worker: read the publisher's settings, create it around the served
 * model (version and model-card accuracy go into hello frames), register its metrics in the
 * process registry. Settings (docs/channel.md):
 *   EVENTS_ENABLED            publish events at all (default true; off for A/B benchmarks)
 *   EVENTS_QUEUE_MAX_EVENTS   queue bound in events (default 20000)
 *   EVENTS_QUEUE_MAX_BYTES    queue bound in bytes (default 8 MiB)
 *   EVENTS_STATS_INTERVAL_MS  stats frame interval (default 5000)
 *   EVENTS_FLUSH_INTERVAL_MS  longest wait before queued events are written (default 50; 0: per tick)
 *   EVENTS_FLUSH_TIMEOUT_MS   bounded flush at shutdown (default 2000)
 */
import type { Registry } from 'prom-client';
import { readBool, readInt, type Env } from '../../../../shared/env.js';
import { EventPublisher, type PublisherLogger } from './publisher.js';

export { EventPublisher } from './publisher.js';
export { eventsPlugin, eventRoute } from './plugin.js';

export interface PublisherSettings {
  enabled: boolean;
  queueMaxEvents: number;
  queueMaxBytes: number;
  statsIntervalMs: number;
  flushIntervalMs: number;
  flushTimeoutMs: number;
}

export function readPublisherSettings(env: Env = process.env): PublisherSettings {
  return {
    enabled: readBool(env, 'EVENTS_ENABLED', true),
    queueMaxEvents: readInt(env, 'EVENTS_QUEUE_MAX_EVENTS', 20_000, 1, 10_000_000),
    queueMaxBytes: readInt(env, 'EVENTS_QUEUE_MAX_BYTES', 8 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024),
    statsIntervalMs: readInt(env, 'EVENTS_STATS_INTERVAL_MS', 5000, 50, 3_600_000),
    flushIntervalMs: readInt(env, 'EVENTS_FLUSH_INTERVAL_MS', 50, 0, 1000),
    flushTimeoutMs: readInt(env, 'EVENTS_FLUSH_TIMEOUT_MS', 2000, 0, 60_000),
  };
}

/** Test-split accuracy from a model card (shared/model-card.ts), 0 when the card has none. */
export function cardAccuracy(card: object): number {
  const acc = (card as { metrics?: { test?: { accuracy?: unknown } } }).metrics?.test?.accuracy;
  return typeof acc === 'number' && acc >= 0 && acc <= 1 ? acc : 0;
}

export interface CreatePublisherOptions {
  socketPath: string;
  workerId: string;
  model: { version: string; card: object };
  registry: Registry;
  log: PublisherLogger;
  settings: PublisherSettings;
}

export function createEventPublisher(o: CreatePublisherOptions): EventPublisher {
  return new EventPublisher({
    socketPath: o.socketPath,
    identity: { worker: o.workerId, pid: process.pid },
    modelVersion: o.model.version,
    modelAccuracy: cardAccuracy(o.model.card),
    registry: o.registry,
    log: o.log,
    queueMaxEvents: o.settings.queueMaxEvents,
    queueMaxBytes: o.settings.queueMaxBytes,
    statsIntervalMs: o.settings.statsIntervalMs,
    flushIntervalMs: o.settings.flushIntervalMs,
  });
}
