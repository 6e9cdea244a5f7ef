/** The publisher's options, its snapshot and the interfaces it is given (publisher.ts). */
import type { Registry } from 'prom-client';
import type { DriftReference } from '../../../../shared/drift-reference.js';
import type { DropReason, ModelDomain, PublisherBooks, PublisherIdentity } from '../../../../shared/events.js';

export interface PublisherLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface WorkerStats {
  activeConnections: number;
  inFlightRequests: number;
  ready: boolean;
}

/** Every bound and interval defaults to PUBLISHER_DEFAULTS (settings.ts). */
export interface PublisherOptions {
  socketPath: string;
  identity: PublisherIdentity;
  modelVersion?: string;
  modelAccuracy?: number;
  /** The served model's drift reference, sent in every hello (shared/drift-reference.ts). */
  reference?: DriftReference | undefined;
  /** Per-domain held-out accuracy from the card, sent in the hello (spam_detector_model_domain_accuracy). */
  modelDomainAccuracy?: Partial<Record<ModelDomain, number>>;
  /** Where the channel metrics (INFERENCE_METRICS events*) are registered, e.g. the /metrics registry. */
  registry?: Registry;
  log?: PublisherLogger;
  queueMaxEvents?: number;
  queueMaxBytes?: number;
  maxBatchBytes?: number;
  flushIntervalMs?: number;
  statsIntervalMs?: number;
  /** Source of the stats frames' gauges; the events plugin provides it. */
  stats?: () => WorkerStats;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

export interface PublisherSnapshot extends PublisherBooks {
  sent: number;
  dropped: Record<DropReason, number>;
  connected: boolean;
  /** Data lines written to the current connection and not yet acknowledged. */
  inFlight: number;
  /** Bytes handed to the socket that the kernel has not taken yet (bounded by one batch). */
  socketBufferedBytes: number;
}
