/**
 * buildApp: the inference HTTP service around an already loaded model, without listening.
 * main.ts (and the tests) decide where it listens; this file only wires plugins.
 *
 * Plugin order matters for the root hooks: security headers, request context (outcome,
 * 404/405, drain), metrics, access log, load shedding, then the routes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { REPO_ROOT } from '../../../shared/paths.js';
import type { InferenceConfig } from './config.js';
import type { InferenceContext } from './context.js';
import type { ClusterLink } from './cluster/link.js';
import { FeedbackStore } from './feedback-store.js';
import { createIdSource, isSafeRequestId, type IdSource } from './ids.js';
import { lazyChildLoggerFactory } from './logger.js';
import { createProcessRegistry } from './metrics.js';
import { createPredictor } from './predictor.js';
import { CaptureWriter, registerCaptureMetrics } from './capture/writer.js';
import type { CaptureSettings } from './capture/settings.js';
import type { ServingModel } from './serving-model.js';
import { errorBodySchema, predictionSchema } from './http/schemas.js';
import { strictJsonPlugin } from './http/json-body.js';
import { checkRouteList, routeSwitches } from './http/route-list.js';
import { clientErrorHandler, connectRefusalPlugin, frameworkErrorHandler, lingerPlugin } from './http/protocol-errors.js';
import { requestContextPlugin } from './plugins/request-context.js';
import { errorsPlugin } from './plugins/errors.js';
import { securityHeadersPlugin } from './plugins/security.js';
import { metricsPlugin } from './plugins/metrics.js';
import { accessLogPlugin } from './plugins/access-log.js';
import { pressurePlugin } from './plugins/pressure.js';
import { docsPlugin } from './plugins/docs.js';
import { predictRoutes } from './routes/predict.js';
import { feedbackRoutes } from './routes/feedback.js';
import { metaRoutes } from './routes/meta.js';
import { metricsRoutes } from './routes/metrics.js';
import { modelReportRoutes } from './routes/model-report.js';
import { eventsPlugin, type EventPublisher } from './events/index.js';
import { adminRoutes } from './routes/admin.js';
import { ModelHolder } from './model-holder.js';
import { loadModel } from './model/index.js';
import { localAdmin, type ModelAdmin } from './lifecycle/admin.js';
import { ShadowRunner } from './shadow.js';
import { CanarySplit } from './canary.js';
import { counterFrom } from '../../../shared/metric-builders.js';
import { INFERENCE_METRICS } from '../../../shared/metrics.js';

/** Texts per shadow model call: small, so a shadow call never holds the event loop long. */
const SHADOW_BATCH_TEXTS = 16;

export interface AppDeps {
  config: InferenceConfig;
  /** The model to serve, when no holder is given (tests). */
  model?: ServingModel;
  /** Current, previous and shadow models (worker.ts loads them); built around `model` when absent. */
  models?: ModelHolder;
  /** Reload and rollback (cluster-wide in a node:cluster worker); this process alone when absent. */
  admin?: ModelAdmin;
  /** A pino logger (main.ts, or a test capturing lines); false or absent: no logging. */
  logger?: Logger | false;
  /** Defaults to a fresh registry with process metrics, labelled with the worker id. */
  registry?: Registry;
  /** Set in a node:cluster worker. */
  cluster?: ClusterLink;
  ids?: IdSource;
  /** Clock of the feedback TTL (tests). */
  now?: () => number;
  /** The channel to the exporter (events/): one event per finished request. Absent: no events. */
  publisher?: EventPublisher;
  /** Capture of scored texts (capture/, CAPTURE_DIR). Absent: off. */
  capture?: CaptureSettings;
}

/** Bound of the capture flush when the app closes (after the last request). */
const CAPTURE_FLUSH_TIMEOUT_MS = 2000;

let serviceVersion: string | undefined;
function readServiceVersion(): string {
  if (serviceVersion === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version?: unknown };
      serviceVersion = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
    } catch {
      serviceVersion = '0.0.0';
    }
  }
  return serviceVersion;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  if (!deps.models && !deps.model) throw new Error('buildApp needs a model or a model holder');
  const models =
    deps.models ??
    new ModelHolder({ model: config.modelPath, shadow: config.shadowModelPath }, (path, role) => loadModel(path, role === 'current' ? { threshold: config.spamThreshold } : {}), { current: deps.model!, currentPath: config.modelPath });
  const ids = deps.ids ?? createIdSource(config.workerId);
  const registry = deps.registry ?? createProcessRegistry(config.workerId);

  const app = Fastify({
    ...(deps.logger
      ? // eslint-disable-next-line no-restricted-syntax -- pino's Logger is Fastify's logger at runtime; the lazy factory returns one (logger.ts)
        { loggerInstance: deps.logger as unknown as FastifyBaseLogger, childLoggerFactory: lazyChildLoggerFactory as unknown as FastifyServerOptions['childLoggerFactory'] }
      : { logger: false }),
    // The access-log plugin writes one line per request instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return isSafeRequestId(given) ? given : ids.requestId();
    },
    bodyLimit: config.bodyLimitBytes,
    // Off: once the listener closed, requests still arriving on open connections are served (with
    // `Connection: close`, request-context), not refused; only /ready says SHUTTING_DOWN.
    return503OnClosing: false,
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    // Answers before any hook (unparsable HTTP, undecodable URL) in the one error shape.
    clientErrorHandler,
    frameworkErrors: frameworkErrorHandler,
    http: {
      // Node answers a Host-less HTTP/1.1 request with an empty 400; request-context answers it instead.
      requireHostHeader: false,
      // Node checks request timeouts every 30 s by default, so a client stalling in its headers was
      // cut 0-30 s late (a 1 s REQUEST_TIMEOUT_MS after up to 31 s): check at a quarter of the timeout.
      ...(config.requestTimeoutMs > 0 ? { connectionsCheckingInterval: Math.min(30_000, Math.max(250, Math.floor(config.requestTimeoutMs / 4))) } : {}),
    },
    ajv: {
      customOptions: {
        // A number is not a text: never coerce.
        coerceTypes: false,
      },
    },
  });

  const captureCounters = registerCaptureMetrics(registry);
  const capture = deps.capture
    ? new CaptureWriter(deps.capture, { worker: config.workerId, counters: captureCounters, log: app.log })
    : undefined;

  const admin =
    deps.admin ??
    localAdmin(config.workerId, models, { timeoutMs: config.reloadTimeoutMs, registry, log: deps.logger ? deps.logger : undefined });
  const canary = new CanarySplit(config.canaryPercent, models, (message) => app.log.warn(message));
  const context: InferenceContext = {
    config,
    get model() {
      return models.current;
    },
    models,
    canary,
    admin,
    ids,
    capture,
    store: new FeedbackStore({
      maxEntries: config.feedbackMaxEntries,
      ttlMs: config.feedbackTtlSeconds * 1000,
      keyOf: (id) => ids.predictionKey(id),
      ...(deps.now ? { now: deps.now } : {}),
    }),
    lifecycle: { draining: false },
    cluster: deps.cluster,
    serviceVersion: readServiceVersion(),
  };
  app.decorate('inference', context);
  // Before any route: every route registered from here on is checked against shared/routes.ts at ready.
  checkRouteList(app, routeSwitches(config));
  await app.register(connectRefusalPlugin);
  await app.register(strictJsonPlugin);
  await app.register(lingerPlugin);
  app.addSchema(errorBodySchema);
  app.addSchema(predictionSchema);

  // Security headers first: every answer carries them, even those request-context sends itself.
  await app.register(securityHeadersPlugin);
  await app.register(requestContextPlugin);
  await app.register(errorsPlugin);
  await app.register(metricsPlugin, { registry });
  await app.register(accessLogPlugin);
  await app.register(pressurePlugin);
  if (deps.publisher) await app.register(eventsPlugin, { publisher: deps.publisher });
  await app.register(docsPlugin);

  await app.register(metaRoutes);
  await app.register(metricsRoutes);
  await app.register(modelReportRoutes);
  const publisher = deps.publisher;
  const shadowDropped = counterFrom(INFERENCE_METRICS.shadowDroppedTextsTotal, registry);
  // Every reason present from the start (at 0), so rate() sees the first drop and panels have data.
  for (const reason of ['queue_full', 'no_model', 'error']) shadowDropped.inc({ reason }, 0);
  const shadow = new ShadowRunner(models, context.store, {
    maxQueueTexts: config.shadowQueueMaxTexts,
    batchTexts: SHADOW_BATCH_TEXTS,
    dropped: shadowDropped,
    sink: publisher ? (version, results) => publisher.publishShadow(version, results) : undefined,
  });
  await app.register(predictRoutes, {
    predictor: createPredictor(models, ids, context.store, {
      coalesceMaxTexts: config.coalesceMaxTexts,
      capture,
      shadow,
      canary,
      canaryAnswered: counterFrom(INFERENCE_METRICS.canaryRequestsTotal, registry),
    }),
  });
  await app.register(feedbackRoutes);
  if (config.adminToken) await app.register(adminRoutes, { token: config.adminToken });

  if (capture) {
    capture.start();
    // onClose runs once the server has closed: the last requests' texts are in the queue.
    app.addHook('onClose', async () => capture.close(CAPTURE_FLUSH_TIMEOUT_MS));
  }

  return app;
}
