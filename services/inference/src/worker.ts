/**
 * One serving process: load the model once, build the app, listen, announce readiness, and
 * drain on SIGTERM/SIGINT (stop accepting, finish in-flight requests, exit 0) within a bounded
 * grace period. Used alone (WORKERS=1, pm2, systemd instances) or as a node:cluster worker.
 */
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { InferenceConfig } from './config.js';
import { buildApp } from './app.js';
import { createLogger, flushLogger } from './logger.js';
import { createProcessRegistry } from './metrics.js';
import { createClusterLink, type ClusterLink } from './cluster/link.js';
import { loadModel } from './model/index.js';
import { createEventPublisher, readPublisherSettings, type EventPublisher } from './events/index.js';
import type { ServingModel } from './serving-model.js';

/** How often idle keep-alive connections are reaped while draining. */
const REAP_INTERVAL_MS = 50;

async function exitWith(logger: Logger, code: number): Promise<never> {
  await flushLogger(logger);
  process.exit(code);
}

export async function runWorker(config: InferenceConfig, opts: { clustered: boolean }): Promise<void> {
  const logger = createLogger({ logLevel: config.logLevel, workerId: config.workerId });
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    void exitWith(logger, 1);
  });
  process.on('unhandledRejection', (err) => {
    logger.fatal({ err }, 'unhandled rejection');
    void exitWith(logger, 1);
  });

  const registry = createProcessRegistry(config.workerId);
  let link: ClusterLink | undefined;
  if (opts.clustered) {
    // Answer the primary's metric requests from the start, also while the model loads, so a
    // starting worker never stalls a scrape of the others.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([registry]);
    link = createClusterLink();
  }

  let model: ServingModel;
  try {
    model = await loadModel(config.modelPath);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    logger.fatal({ err }, message);
    process.stderr.write(`spam-detector inference: ${message}\n`);
    return exitWith(logger, 1);
  }
  logger.info({ model_version: model.version, path: config.modelPath }, 'model loaded');

  const events = readPublisherSettings(process.env);
  const publisher = events.enabled
    ? createEventPublisher({ socketPath: config.eventsSocket, workerId: config.workerId, model, registry, log: logger, settings: events })
    : undefined;
  publisher?.start();

  const app = await buildApp({ config, model, logger, registry, ...(link ? { cluster: link } : {}), ...(publisher ? { publisher } : {}) });
  let url: string;
  try {
    url = await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    const message = `cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`;
    logger.fatal({ err }, message);
    process.stderr.write(`spam-detector inference: ${message}\n`);
    return exitWith(logger, 1);
  }
  logger.info({ url, model_version: model.version }, opts.clustered ? 'worker ready' : 'ready');
  link?.notifyReady(url);

  installShutdown(app, model, logger, config.shutdownGraceMs, link, publisher, events.flushTimeoutMs);
}

function installShutdown(
  app: FastifyInstance,
  model: ServingModel,
  logger: Logger,
  graceMs: number,
  link: ClusterLink | undefined,
  publisher: EventPublisher | undefined,
  flushTimeoutMs: number,
): void {
  let stopping = false;
  const shutdown = async (reason: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason, grace_ms: graceMs }, 'shutting down: draining in-flight requests');
    app.inference.lifecycle.draining = true;
    const deadline = setTimeout(() => {
      logger.error({ grace_ms: graceMs }, 'grace period over with requests still in flight; exiting');
      void exitWith(logger, 1);
    }, graceMs);
    // A keep-alive connection whose request just finished is idle: close it so the server can.
    const reaper = setInterval(() => app.server.closeIdleConnections(), REAP_INTERVAL_MS);
    try {
      await app.close();
    } catch (err) {
      logger.error({ err }, 'error while closing the server');
    }
    clearInterval(reaper);
    // After the server closed, so the last requests' events are in the queue: bounded flush.
    await publisher?.close(flushTimeoutMs);
    await model.release?.().catch((err: unknown) => logger.warn({ err }, 'model release failed'));
    link?.close();
    clearTimeout(deadline);
    logger.info('stopped');
    await exitWith(logger, 0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // A cluster worker whose primary is gone must not linger as an orphan.
  if (link) process.on('disconnect', () => void shutdown('primary disconnected'));
}
