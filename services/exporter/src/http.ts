/**
 * The exporter's HTTP side: GET /metrics (Prometheus text) and GET /health. A scrape renders
 * state already aggregated in memory: its cost depends on the number of series (bounded), never
 * on the event rate, and it triggers no sampling. GET / is the landing page (http/landing.ts).
 */
import Fastify, { LogController, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { landingPlugin } from './http/landing.js';
import { BEARER_CHALLENGE, bearerChecker } from '../../../shared/bearer.js';
import { ERROR_CODES, errorBody, type ErrorCode } from '../../../shared/error-codes.js';

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
    // Fastify's default answer to a URL that does not decode quotes the URL back.
    frameworkErrors: (_err, _req, reply) => {
      void sendError(reply, 'INVALID_REQUEST', 'the URL is not valid');
    },
  });
  if (opts.metricsToken !== undefined) {
    const authorized = bearerChecker(opts.metricsToken);
    app.addHook('onRequest', (req, reply, done) => {
      const path = req.url.split('?', 1)[0];
      if (path === '/health' || authorized(req.headers.authorization)) {
        done();
        return;
      }
      void sendError(reply.header('www-authenticate', BEARER_CHALLENGE), 'UNAUTHORIZED');
    });
  }
  app.get('/metrics', async (_req, reply) => {
    const body = await registry.metrics();
    return reply.type(registry.contentType).send(body);
  });
  app.get('/health', async () => health());
  app.register(landingPlugin, { registry, health });
  app.setNotFoundHandler((_req, reply) => sendError(reply, 'NOT_FOUND'));
  // Fastify's own errors (a URL that does not decode, a body on a GET) carry messages that can
  // quote the request: answer with the catalogue's message instead.
  app.setErrorHandler((err: { statusCode?: number }, req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error({ err }, 'exporter HTTP handler failed');
    const code = codeForStatus(status);
    return sendError(reply, code, code === 'INVALID_REQUEST' ? 'the request is not valid' : undefined);
  });
  return app;
}

const CODE_BY_STATUS: ReadonlyMap<number, ErrorCode> = new Map([
  [401, 'UNAUTHORIZED'],
  [404, 'NOT_FOUND'],
  [405, 'METHOD_NOT_ALLOWED'],
  [408, 'REQUEST_TIMEOUT'],
  [413, 'BODY_TOO_LARGE'],
  [415, 'UNSUPPORTED_MEDIA_TYPE'],
  [431, 'HEADERS_TOO_LARGE'],
  [500, 'INTERNAL_ERROR'],
]);

function codeForStatus(status: number): ErrorCode {
  return CODE_BY_STATUS.get(status) ?? 'INVALID_REQUEST';
}

function sendError(reply: FastifyReply, code: ErrorCode, message?: string): FastifyReply {
  return reply.code(ERROR_CODES[code].status).send(errorBody(code, message));
}
