/**
 * One serving process: load the model once, build the app, listen, announce readiness, and
 * drain on SIGTERM/SIGINT within a bounded grace period: answer with `Connection: close`, close
 * the listener after SHUTDOWN_LISTEN_DELAY_MS, finish in-flight requests, flush events, exit 0.
 * Used alone (WORKERS=1, pm2, systemd instances) or as a node:cluster worker.
 */
import { prepareCaptureDir } from './capture/writer.js';
import { readCaptureSettings, type CaptureSettings } from './capture/settings.js';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { InferenceConfig } from './config.js';
import { buildApp } from './app.js';
import { createLogger, flushLogger } from './logger.js';
import { createProcessRegistry } from './metrics.js';
import { createClusterLink, type ClusterLink } from './cluster/link.js';
import { loadModel } from './model/index.js';
import { cardAccuracy, cardDomainAccuracy, createEventPublisher, readPublisherSettings, type EventPublisher } from './events/index.js';
import { ModelHolder } from './model-holder.js';
import { cardReference } from '../../../shared/drift-reference.js';
import { clusterAdmin, localAdmin, type ModelAdmin } from './lifecycle/admin.js';
import { localParticipant } from './lifecycle/coordinator.js';
import { PINNED_MODEL_ENV, PINNED_SHADOW_ENV } from './cluster/messages.js';
import { launchWarnings } from '../../../shared/node-flags.js';

/**
 * After the listener closed, how often connections that are idle are closed: by then a served
 * request already carried `Connection: close`, so these are only sockets that never sent one.
 */
const REAP_INTERVAL_MS = 250;

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

  let models: ModelHolder;
  try {
    // A worker re-forked after a reload starts on the files the other workers serve (primary.ts).
    const pinnedModel = link ? process.env[PINNED_MODEL_ENV] : undefined;
    const pinnedShadow = link ? process.env[PINNED_SHADOW_ENV] : undefined;
    models = await ModelHolder.load(
      { model: config.modelPath, shadow: config.shadowModelPath },
      (path, role) => loadModel(path, role === 'current' ? { threshold: config.spamThreshold } : {}),
      pinnedModel ? { model: pinnedModel, shadow: pinnedShadow ?? config.shadowModelPath } : undefined,
    );
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    logger.fatal({ err }, message);
    process.stderr.write(`spam-detector inference: ${message}\n`);
    return exitWith(logger, 1);
  }
  const model = models.current;
  logger.info({ model_version: model.version, path: config.modelPath, shadow_model_version: models.shadow?.version }, 'model loaded');
  for (const w of launchWarnings('inference')) logger.warn({ missing: w.missing }, w.message);

  const events = readPublisherSettings(process.env);
  const publisher = events.enabled
    ? createEventPublisher({ socketPath: config.eventsSocket, workerId: config.workerId, model, loaded: models.loaded(), registry, log: logger, settings: events })
    : undefined;
  publisher?.start();
  models.onChange((loaded) => {
    const card = models.current.card;
    publisher?.setModels(loaded, cardAccuracy(card), cardReference(card), cardDomainAccuracy(card));
  });

  let admin: ModelAdmin;
  if (link) {
    const l = link;
    const participant = localParticipant(config.workerId, models);
    l.serveModelOps((op) => participant.run(op));
    // Two phases of up to reloadTimeoutMs each, plus the IPC.
    admin = clusterAdmin((action) => l.modelAction(action, 2 * config.reloadTimeoutMs + 5000));
  } else {
    admin = localAdmin(config.workerId, models, { timeoutMs: config.reloadTimeoutMs, registry, log: logger });
  }
  process.on('SIGHUP', () => {
    if (link) {
      // The primary coordinates every worker; one worker alone would serve another model than its peers.
      logger.warn('SIGHUP to a cluster worker is ignored: send it to the primary, which reloads every worker');
      return;
    }
    logger.info('SIGHUP: reloading the model');
    void admin.run('reload');
  });


  let capture: CaptureSettings | undefined;
  try {
    capture = readCaptureSettings(process.env);
    if (capture) prepareCaptureDir(capture.dir);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    logger.fatal({ err }, message);
    process.stderr.write(`spam-detector inference: ${message}\n`);
    return exitWith(logger, 1);
  }
  if (capture) logger.info({ dir: capture.dir, rate: capture.rate, max_bytes: capture.maxBytes, max_age_ms: capture.maxAgeMs }, 'capturing a sample of texts');

  const app = await buildApp({
    config,
    models,
    admin,
    logger,
    registry,
    ...(link ? { cluster: link } : {}),
    ...(publisher ? { publisher } : {}),
    ...(capture ? { capture } : {}),
  });
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
  // Launchers and supervisors wait for this line: not a batch window later.
  logger.flush();
  link?.notifyReady(url);

  installShutdown(app, models, logger, config, link, publisher, events.flushTimeoutMs);
}

function installShutdown(
  app: FastifyInstance,
  models: ModelHolder,
  logger: Logger,
  config: InferenceConfig,
  link: ClusterLink | undefined,
  publisher: EventPublisher | undefined,
  flushTimeoutMs: number,
): void {
  const graceMs = config.shutdownGraceMs;
  // Half the grace at most, so the requests accepted meanwhile still have time to finish.
  const listenDelayMs = Math.min(config.shutdownListenDelayMs, Math.floor(graceMs / 2));
  let stopping = false;
  const shutdown = async (reason: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason, grace_ms: graceMs, listen_delay_ms: listenDelayMs }, 'shutting down: draining in-flight requests');
    // From here every answer carries `Connection: close` (request-context) and /ready is 503:
    // a client on a kept-alive connection gets its request served, then reconnects elsewhere.
    // Closing idle keep-alive sockets now instead would race with a client reusing one (ECONNRESET).
    app.inference.lifecycle.draining = true;
    const deadline = setTimeout(() => {
      logger.error({ grace_ms: graceMs }, 'grace period over with requests still in flight; exiting');
      void exitWith(logger, 1);
    }, graceMs);
    if (listenDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, listenDelayMs));
    // server.close() stops the listener and closes the connections idle at that moment (by now
    // a busy client's connection has been closed after an answer); requests in flight finish.
    let settled = false;
    const closed = app.close().finally(() => (settled = true));
    // Fastify runs its preClose hooks before server.close(); the line tells when new connections
    // are refused (tests wait for it).
    while (app.server.listening && !settled) await new Promise((resolve) => setTimeout(resolve, 5));
    logger.info('listener closed');
    const reaper = setInterval(() => app.server.closeIdleConnections(), REAP_INTERVAL_MS);
    try {
      await closed;
    } catch (err) {
      logger.error({ err }, 'error while closing the server');
    }
    clearInterval(reaper);
    // After the server closed, so the last requests' events are in the queue: bounded flush.
    await publisher?.close(flushTimeoutMs);
    await models.releaseAll().catch((err: unknown) => logger.warn({ err }, 'model release failed'));
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
