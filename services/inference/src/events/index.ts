/**
 * The channel's wiring for a worker: create the publisher around the served model (version and
 * model-card accuracy go into hello frames) with the settings read by settings.ts, and register
 * its metrics in the process registry.
 */
import type { Registry } from 'prom-client';
import { cardReference } from '../../../../shared/drift-reference.js';
import { MODEL_DOMAINS, type ModelDomain } from '../../../../shared/events.js';
import { EventPublisher, type PublisherLogger } from './publisher.js';
import type { PublisherSettings } from './settings.js';

export { EventPublisher } from './publisher.js';
export { eventsPlugin, eventRoute } from './plugin.js';
export { PUBLISHER_DEFAULTS, readPublisherSettings, type PublisherSettings } from './settings.js';

/** Test-split accuracy from a model card (shared/model-card.ts), 0 when the card has none. */
export function cardAccuracy(card: object): number {
  const acc = (card as { metrics?: { test?: { accuracy?: unknown } } }).metrics?.test?.accuracy;
  return typeof acc === 'number' && acc >= 0 && acc <= 1 ? acc : 0;
}

/** Held-out accuracy per evaluation domain from a model card (schema 2); {} when it has none. */
export function cardDomainAccuracy(card: object): Partial<Record<ModelDomain, number>> {
  const domains = (card as { metrics?: { domains?: Record<string, { accuracy?: unknown }> } }).metrics?.domains ?? {};
  const out: Partial<Record<ModelDomain, number>> = {};
  for (const d of MODEL_DOMAINS) {
    const acc = domains[d]?.accuracy;
    if (typeof acc === 'number' && acc >= 0 && acc <= 1) out[d] = acc;
  }
  return out;
}

export interface CreatePublisherOptions {
  socketPath: string;
  workerId: string;
  model: { version: string; card: object };
  /** The models held at start (current, shadow), named in the first hello. */
  loaded?: { current: string; previous?: string | undefined; shadow?: string | undefined };
  registry: Registry;
  log: PublisherLogger;
  settings: PublisherSettings;
}

export function createEventPublisher(o: CreatePublisherOptions): EventPublisher {
  const publisher = new EventPublisher({
    socketPath: o.socketPath,
    identity: { worker: o.workerId, pid: process.pid },
    modelVersion: o.model.version,
    modelAccuracy: cardAccuracy(o.model.card),
    reference: cardReference(o.model.card),
    modelDomainAccuracy: cardDomainAccuracy(o.model.card),
    registry: o.registry,
    log: o.log,
    queueMaxEvents: o.settings.queueMaxEvents,
    queueMaxBytes: o.settings.queueMaxBytes,
    statsIntervalMs: o.settings.statsIntervalMs,
    flushIntervalMs: o.settings.flushIntervalMs,
  });
  if (o.loaded) publisher.setModels(o.loaded, cardAccuracy(o.model.card), cardReference(o.model.card));
  return publisher;
}
