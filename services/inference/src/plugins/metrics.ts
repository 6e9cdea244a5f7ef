/**
 * The process registry (decorated as `metricsRegistry`), the per-request HTTP duration
 * histogram and the readiness/model gauges. Route labels are route patterns ("unmatched" for
 * unknown URLs), never raw URLs, so the label set stays bounded. GET /metrics is
 * routes/metrics.ts.
 */
import fp from 'fastify-plugin';
import type { Registry } from 'prom-client';
import { INFERENCE_METRICS } from '../../../../shared/metrics.js';
import { gaugeFrom } from '../../../../shared/metric-builders.js';
import { HistogramVec, OPEN } from '../../../../shared/metric-vectors.js';
import { readiness } from '../readiness.js';
import { MODEL_ROLES } from '../model-holder.js';
import { routeOf } from '../outcome.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** This process's registry: plugins register their metrics here (shared/metric-builders.ts). */
    metricsRegistry: Registry;
  }
}

const LABEL_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'CONNECT']);

export interface MetricsPluginOptions {
  registry: Registry;
}

export const metricsPlugin = fp<MetricsPluginOptions>(
  async (app, opts) => {
    const { registry } = opts;
    app.decorate('metricsRegistry', registry);

    // A typed-array histogram (shared/metric-vectors.ts): prom-client's observe hashes the label
    // object on every call, a visible share of a request (docs/benchmarks.md#the-cuts). Series
    // are added on first use; route patterns, the methods below and status codes are bounded.
    const duration = new HistogramVec(INFERENCE_METRICS.httpRequestDurationSeconds, OPEN, 'none').registerIn(registry);
    const series = new Map<string, number>();
    app.addHook('onResponse', (request, reply, done) => {
      const route = routeOf(request) ?? 'unmatched';
      const status = reply.statusCode;
      // Node accepts ~35 methods (WebDAV, PURGE, ...): the label keeps the usual ones, as the events do.
      const method = LABEL_METHODS.has(request.method) ? request.method : 'OTHER';
      const key = `${route} ${method} ${status}`;
      let index = series.get(key);
      if (index === undefined) {
        index = duration.addSeries({ route, method, status_code: String(status) });
        series.set(key, index);
      }
      duration.observe(index, reply.elapsedTime / 1000);
      done();
    });

    const { models } = app.inference;
    // Read at scrape: a reload changes them.
    gaugeFrom(INFERENCE_METRICS.inferenceModelInfo, registry, function collect() {
      this.reset();
      this.set({ model_version: models.current.version }, 1);
    });
    gaugeFrom(INFERENCE_METRICS.inferenceModelLoadedInfo, registry, function collect() {
      this.reset();
      const loaded = models.loaded();
      for (const role of MODEL_ROLES) {
        const version = loaded[role];
        if (version !== undefined) this.set({ model_version: version, role }, 1);
      }
    });
    gaugeFrom(INFERENCE_METRICS.ready, registry, function collect() {
      this.set(readiness(app).ready ? 1 : 0);
    });

  },
  { name: 'metrics', fastify: '5.x', decorators: { fastify: ['inference'] } },
);
