/**
 * GET /metrics. Under node:cluster a scrape reaches one worker; that worker asks the primary,
 * which aggregates every worker's registry (prom-client AggregatorRegistry) and adds its own.
 * Series carry a `worker` label, so nothing is summed across workers. If the primary does not
 * answer in time the worker serves its own registry and says so (x-metrics-scope: worker).
 */
import type { FastifyPluginAsync } from 'fastify';
import { requireBearerToken } from '../http/bearer-auth.js';
import { errorResponses } from '../http/schemas.js';

export interface MetricsRouteOptions {
  /** How long a worker waits for the cluster-wide aggregation before serving its own metrics. */
  clusterTimeoutMs?: number;
}

const passThrough = (): undefined => undefined;

export const metricsRoutes: FastifyPluginAsync<MetricsRouteOptions> = async (app, opts) => {
  const { cluster, config } = app.inference;
  const clusterTimeoutMs = opts.clusterTimeoutMs ?? 3000;
  app.get(
    '/metrics',
    {
      config: { pressureHandler: passThrough },
      onRequest: config.metricsToken ? [requireBearerToken(config.metricsToken)] : [],
      schema: {
        summary: 'Prometheus metrics',
        description:
          'Prometheus text exposition: process and Node.js runtime metrics and HTTP request duration by route pattern, ' +
          'method and status code, each series labelled with its `worker`. Under WORKERS > 1 it holds every worker. ' +
          'Needs `Authorization: Bearer <METRICS_TOKEN>` when METRICS_TOKEN is set.',
        tags: ['operations'],
        produces: ['text/plain'],
        response: {
          200: { description: 'Prometheus text format 0.0.4', type: 'string' },
          ...errorResponses(401),
        },
      },
    },
    async (request, reply) => {
      reply.type(app.metricsRegistry.contentType);
      if (cluster) {
        try {
          return await cluster.aggregatedMetrics(clusterTimeoutMs);
        } catch (err) {
          request.log.warn({ err }, 'cluster metrics unavailable, serving this worker only');
          reply.header('x-metrics-scope', 'worker');
        }
      }
      return app.metricsRegistry.metrics();
    },
  );
};
