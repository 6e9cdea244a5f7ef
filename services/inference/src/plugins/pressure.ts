/**
 * Load shedding with @fastify/under-pressure: above the configured event-loop delay,
 * event-loop utilization, heap or RSS, requests get 503 OVERLOADED with Retry-After and are
 * counted in spam_detector_load_shed_total. /health, /ready and /metrics are exempt (route
 * config `pressureHandler`): readiness reports the pressure instead, and scrapes keep working.
 * For PRESSURE_WARMUP_MS after the server listens, event-loop delay and utilization do not shed:
 * the first samples measure the start-up itself (model load, JIT of the first requests), and a
 * worker just started by a rolling reload would otherwise refuse its first requests. Heap and
 * RSS limits apply from the start.
 */
import fp from 'fastify-plugin';
import underPressure, { type FastifyUnderPressureOptions } from '@fastify/under-pressure';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { INFERENCE_METRICS } from '../../../../shared/metrics.js';
import { counterFrom } from '../../../../shared/metric-builders.js';
import { errorBody } from '../http/errors.js';

export const pressurePlugin = fp(
  async (app) => {
    const { pressure } = app.inference.config;
    const shed = counterFrom(INFERENCE_METRICS.loadShedTotal, app.metricsRegistry);
    const retryAfter = String(pressure.retryAfterSeconds);
    // Counted from registration (an app served by inject never listens), restarted at listen.
    let warmUntil = performance.now() + pressure.warmupMs;
    app.addHook('onListen', (done) => {
      warmUntil = performance.now() + pressure.warmupMs;
      done();
    });
    const warmingUp = (type: string): boolean =>
      (type === 'eventLoopDelay' || type === 'eventLoopUtilization') && performance.now() < warmUntil;

    // under-pressure sends a non-null return value as the reply and stops the request there
    // (its handlePressure); its typings only say void, hence the cast.
    // A null return lets the request through.
    const onPressure = (request: FastifyRequest, reply: FastifyReply, type: string): object | null => {
      if (warmingUp(type)) return null;
      shed.inc();
      request.outcome.errorCode = 'OVERLOADED';
      reply.code(503).header('retry-after', retryAfter);
      return errorBody('OVERLOADED', `service is under pressure (${type}), retry later`, request.id);
    };

    await app.register(underPressure, {
      maxEventLoopDelay: pressure.maxEventLoopDelayMs,
      maxEventLoopUtilization: pressure.maxEventLoopUtilization,
      eventLoopUtilizationMode: 'interval',
      maxHeapUsedBytes: pressure.maxHeapUsedBytes,
      maxRssBytes: pressure.maxRssBytes,
      sampleInterval: pressure.sampleIntervalMs,
      retryAfter: pressure.retryAfterSeconds,
      // eslint-disable-next-line no-restricted-syntax -- the typings say void; the plugin sends a non-null return (comment above)
      pressureHandler: onPressure as unknown as FastifyUnderPressureOptions['pressureHandler'],
    });
  },
  {
    name: 'pressure',
    fastify: '5.x',
    dependencies: ['request-context', 'metrics'],
    decorators: { fastify: ['inference', 'metricsRegistry'], request: ['outcome'] },
  },
);
