/**
 * Wires the exporter's stages: listener -> parser -> mapper -> registry, plus the worker
 * registry, self-telemetry, host and process collectors and the HTTP server. main.ts runs it as a
 * process; tests and the ingest benchmark run it in-process.
 */
import { OSUtils } from 'node-os-utils';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { ChannelEvent, MalformedReason } from '../../../shared/events.js';
import { COLLECTOR_NAMES, createCollectors } from './collectors/index.js';
import { Sampler } from './collectors/sampler.js';
import { releaseWorkersCollector } from './collectors/workers.js';
import type { ExporterConfig } from './config.js';
import { buildHttp } from './http.js';
import { ChannelListener, type ChannelHandler } from './listener.js';
import { EventMapper } from './mapper.js';
import { WorkerRegistry } from './worker-registry.js';
import { DriftMonitor } from './drift/monitor.js';
import { DEFAULT_DRIFT_WINDOW_TEXTS } from './config.js';
import type { DriftReferenceChoice } from '../../../shared/drift-reference.js';
import { EventMetrics } from './registry/event-metrics.js';
import { VersionMetrics } from './registry/version-metrics.js';
import { Telemetry } from './telemetry/telemetry.js';

export interface Exporter {
  /** http://host:port of /metrics and /health. */
  url: string;
  registry: Registry;
  metrics: EventMetrics;
  telemetry: Telemetry;
  close(): Promise<void>;
}

/**
 * prom-client's default process metrics, minus the three gauges it names `_total`
 * (nodejs_active_*_total), which promtool rejects as gauges.
 */
export function registerProcessMetrics(registry: Registry): void {
  // Event-loop delay sampled every 100 ms, not prom-client's 10 ms: an idle exporter should not
  // wake 100 times a second to measure that it is idle.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }
}

/** The ingest path alone (no sockets, no HTTP): what a received frame costs. */
export function createIngest(registry: Registry, log?: Logger, opts: { driftWindowTexts?: number; driftReference?: DriftReferenceChoice } = {}) {
  const workers = new WorkerRegistry(log);
  const metrics = new EventMetrics(registry);
  const drift = new DriftMonitor(opts.driftWindowTexts ?? DEFAULT_DRIFT_WINDOW_TEXTS, {
    reference: opts.driftReference ?? 'all',
    onFallback(version, selected) {
      log?.warn({ model_version: version, drift_reference: selected }, `model ${version} has no "${selected}" drift reference (DRIFT_REFERENCE): its drift is compared with the reference over all its training texts`);
    },
  });
  const versions = new VersionMetrics(registry);
  workers.onHeldVersions = (held) => versions.setHeld(held);
  const mapper = new EventMapper(metrics, workers, drift, versions);
  workers.register(registry);
  drift.register(registry, () => workers.servedVersions());
  let connectionCount = (): number => workers.connected;
  const telemetry = new Telemetry(registry, () => connectionCount(), COLLECTOR_NAMES);
  let chunkMs = 0;
  const handler: ChannelHandler = {
    connected: (id) => workers.connect(id),
    disconnected: (id) => workers.disconnect(id),
    chunk(nowMs) {
      metrics.window.advance(nowMs);
      chunkMs = nowMs;
    },
    event(id: number, e: ChannelEvent) {
      telemetry.lastEventMs = chunkMs;
      telemetry.countReceived(e.type);
      mapper.apply(id, e);
    },
    malformed(_id: number, reason: MalformedReason) {
      telemetry.countMalformed(reason);
    },
  };
  return {
    workers,
    metrics,
    drift,
    versions,
    telemetry,
    handler,
    setConnectionCount(f: () => number) {
      connectionCount = f;
    },
  };
}

export async function startExporter(config: ExporterConfig, log: Logger): Promise<Exporter> {
  const registry = new Registry();
  registerProcessMetrics(registry);
  const ingest = createIngest(registry, log, { driftWindowTexts: config.driftWindowTexts, driftReference: config.driftReference });
  const listener = new ChannelListener({
    socketPath: config.eventsSocket,
    handler: ingest.handler,
    log,
    maxConnections: config.maxConnections,
    ackIntervalMs: config.ackIntervalMs,
  });
  ingest.setConnectionCount(() => listener.connectionCount);

  const os = new OSUtils({ cacheEnabled: false });
  const sampler = new Sampler(
    createCollectors({ registry, os, workers: ingest.workers, diskPath: config.diskPath }),
    config.sampleIntervalMs,
    {
      onError(collector, err) {
        ingest.telemetry.countCollectorError(collector);
        log.debug({ collector, err: err instanceof Error ? err.message : String(err) }, 'sample failed');
      },
    },
  );

  const started = Date.now();
  const http = buildHttp(
    registry,
    () => ({ status: 'ok', publishers: listener.connectionCount, uptime_s: (Date.now() - started) / 1000 }),
    log,
    { metricsToken: config.metricsToken },
  );

  await listener.listen();
  let url: string;
  try {
    await http.listen({ host: config.host, port: config.port });
    const addr = http.server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : config.port;
    url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  } catch (err) {
    await listener.close(0);
    throw err;
  }
  sampler.start();

  let closing: Promise<void> | undefined;
  return {
    url,
    registry,
    metrics: ingest.metrics,
    telemetry: ingest.telemetry,
    close() {
      closing ??= (async () => {
        // Most of the grace goes to letting workers that stop at the same time flush to us.
        const forceAfterMs = Math.min(config.shutdownGraceMs, 1000);
        await listener.close(forceAfterMs, Math.max(0, config.shutdownGraceMs - forceAfterMs - 500));
        await sampler.stop();
        releaseWorkersCollector();
        await http.close();
      })();
      return closing;
    },
  };
}
