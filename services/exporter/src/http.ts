/**
 * The exporter's HTTP side: GET /metrics (Prometheus text) and GET /health. A scrape renders
 * state already aggregated in memory: its cost depends on the number of series (bounded), never
 * on the event rate, and it triggers no sampling. GET / is the landing page (http/landing.ts).
 */
import Fastify, { LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { landingPlugin } from './http/landing.js';
import { bearerChecker } from '../../../shared/bearer.js';

export interface HealthReport {
  status: 'ok';
  publishers: number;
  uptime_s: number;
}

export interface HttpOptions {
  /** METRICS_TOKEN: /metrics and the landing page (which shows the same figures) need it; /health never does. */
  metricsToken?: string | undefined;
}

export function buildHttp(registry: Registry, health: () => HealthReport, logger: Logger, opts: HttpOptions = {}) {
  const app = Fastify({
    loggerInstance: logger,
    // A scrape every few seconds is not worth two log lines each.
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
  });
  if (opts.metricsToken !== undefined) {
    const authorized = bearerChecker(opts.metricsToken);
    app.addHook('onRequest', (req, reply, done) => {
      const path = req.url.split('?', 1)[0];
      if (path === '/health' || authorized(req.headers.authorization)) {
        done();
        return;
      }
      void reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="spam-detector"')
        .send({ statusCode: 401, code: 'UNAUTHORIZED', error: 'Unauthorized', message: 'a valid bearer token is required' });
    });
  }
  app.get('/metrics', async (_req, reply) => {
    const body = await registry.metrics();
    return reply.type(registry.contentType).send(body);
  });
  app.get('/health', async () => health());
  app.register(landingPlugin, { registry, health });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ statusCode: 404, code: 'NOT_FOUND', error: 'Not Found', message: `route ${req.method} ${req.url} not found` }),
  );
  app.setErrorHandler((err: { statusCode?: number; message?: string }, _req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    const code = status === 500 ? 'INTERNAL_ERROR' : 'INVALID_REQUEST';
    return reply.code(status).send({ statusCode: status, code, error: status === 500 ? 'Internal Server Error' : 'Bad Request', message: status === 500 ? 'internal error' : (err.message ?? '') });
  });
  return app;
}
