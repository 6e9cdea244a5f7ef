/**
 * What the landing page shows, read from the same Prometheus registry /metrics renders, so the
 * page and a scrape taken at the same moment agree and the page needs no state of its own.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { EXPORTER_METRICS as M } from '../../../../shared/metrics.js';
import { REPO_ROOT } from '../../../../shared/paths.js';

export interface WorkerState {
  worker: string;
  up: boolean;
  ready: boolean;
  published: number | undefined;
  delivered: number | undefined;
  dropped: number | undefined;
  queued: number | undefined;
}

export interface LandingState {
  version: string;
  uptimeSeconds: number;
  publishersConnected: number;
  /** Frames received, by frame type (request, feedback, hello, stats). */
  received: Record<string, number>;
  receivedTotal: number;
  /** Frames the exporter rejected, by reason. */
  malformed: Record<string, number>;
  malformedTotal: number;
  /** Data events the workers report they dropped (sum of their latest books). */
  droppedByWorkers: number;
  /** Seconds since the last well-formed frame; undefined before the first. */
  lastEventAgeSeconds: number | undefined;
  modelVersions: string[];
  workers: WorkerState[];
}

let version: string | undefined;
/** The project's version (package.json), read once; the exporter ships with the project. */
export function exporterVersion(): string {
  if (version === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version?: unknown };
      version = typeof pkg.version === 'string' ? pkg.version : 'unknown';
    } catch {
      version = 'unknown';
    }
  }
  return version;
}

interface Row {
  labels: Record<string, string | number | undefined>;
  value: number;
}

async function rows(registry: Registry, name: string): Promise<Row[]> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return [];
  const snapshot = await metric.get();
  return snapshot.values.map((v) => ({ labels: v.labels as Row['labels'], value: v.value }));
}

async function byLabel(registry: Registry, name: string, label: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const r of await rows(registry, name)) {
    const key = String(r.labels[label] ?? '');
    out[key] = (out[key] ?? 0) + r.value;
  }
  return out;
}

const sum = (record: Record<string, number>): number => Object.values(record).reduce((a, b) => a + b, 0);

export async function readLandingState(
  registry: Registry,
  health: { publishers: number; uptime_s: number },
): Promise<LandingState> {
  const received = await byLabel(registry, M.eventsReceivedTotal.name, 'type');
  const malformed = await byLabel(registry, M.eventsMalformedTotal.name, 'reason');
  const age = (await rows(registry, M.lastEventAgeSeconds.name))[0]?.value;

  const perWorker = {
    up: await byLabel(registry, M.workerUp.name, 'worker'),
    ready: await byLabel(registry, M.workerReady.name, 'worker'),
    published: await byLabel(registry, M.publisherPublishedEvents.name, 'worker'),
    delivered: await byLabel(registry, M.publisherDeliveredEvents.name, 'worker'),
    dropped: await byLabel(registry, M.publisherDroppedEvents.name, 'worker'),
    queued: await byLabel(registry, M.publisherQueuedEvents.name, 'worker'),
  };
  const workers: WorkerState[] = Object.keys(perWorker.up)
    .sort()
    .map((worker) => ({
      worker,
      up: perWorker.up[worker] === 1,
      ready: perWorker.ready[worker] === 1,
      published: perWorker.published[worker],
      delivered: perWorker.delivered[worker],
      dropped: perWorker.dropped[worker],
      queued: perWorker.queued[worker],
    }));

  return {
    version: exporterVersion(),
    uptimeSeconds: health.uptime_s,
    publishersConnected: health.publishers,
    received,
    receivedTotal: sum(received),
    malformed,
    malformedTotal: sum(malformed),
    droppedByWorkers: sum(perWorker.dropped),
    // The gauge reports -1 before the first event.
    lastEventAgeSeconds: age === undefined || age < 0 ? undefined : age,
    modelVersions: Object.keys(await byLabel(registry, M.modelInfo.name, 'model_version')).sort(),
    workers,
  };
}
