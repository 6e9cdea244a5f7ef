/**
 * The events plugin: every finished request becomes ONE request event on the channel (and a
 * feedback event when POST /feedback accepted ground truth), built from `request.outcome`, which
 * the handlers fill (outcome.ts). Handlers never talk to the channel; the publisher never blocks
 * a request (events/publisher.ts).
 *
 * It also feeds the publisher's periodic stats frames: open connections, requests in flight and
 * readiness of this worker.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import fp from 'fastify-plugin';
import { EVENT_ROUTES, type EventRoute } from '../../../../shared/events.js';
import { INFERENCE_ROUTES } from '../../../../shared/routes.js';
import { readiness } from '../readiness.js';
import { routeOf } from '../outcome.js';
import type { EventPublisher } from './publisher.js';

export interface EventsPluginOptions {
  publisher: EventPublisher;
}

const KNOWN_ROUTES = new Set<string>(EVENT_ROUTES);
/** Routes whose sub-paths count as themselves (the docs UI's static files count as /docs). */
const SUBTREES = INFERENCE_ROUTES.filter((r) => 'subtree' in r && r.subtree).map((r) => r.path);

/** Route pattern -> the closed set of event routes (shared/routes.ts). */
export function eventRoute(pattern: string | undefined): EventRoute {
  if (pattern === undefined) return 'unmatched';
  if (KNOWN_ROUTES.has(pattern)) return pattern as EventRoute;
  return SUBTREES.find((path) => pattern.startsWith(`${path}/`)) ?? 'unmatched';
}

export const eventsPlugin = fp<EventsPluginOptions>(
  async (app, { publisher }) => {
    const routeCache = new Map<string | undefined, EventRoute>();
    let connections = 0;
    let inFlight = 0;

    // Counted on the raw server so requests refused before Fastify's hooks (404s, draining)
    // and requests whose client went away are paired exactly.
    const onConnection = (socket: NodeJS.EventEmitter): void => {
      connections++;
      socket.once('close', () => connections--);
    };
    const requestDone = (): void => {
      inFlight--;
    };
    const onRequest = (_req: IncomingMessage, res: ServerResponse): void => {
      inFlight++;
      res.once('close', requestDone);
    };
    app.server.on('connection', onConnection);
    app.server.on('request', onRequest);
    app.addHook('onClose', (_app, done) => {
      app.server.off('connection', onConnection);
      app.server.off('request', onRequest);
      done();
    });

    publisher.setStatsSource(() => ({
      activeConnections: Math.max(0, connections),
      inFlightRequests: Math.max(0, inFlight),
      ready: readiness(app).ready,
    }));

    app.addHook('onResponse', (request, reply, done) => {
      const pattern = routeOf(request);
      let route = routeCache.get(pattern);
      if (route === undefined) {
        route = eventRoute(pattern);
        // Patterns come from registered routes: a bounded set.
        routeCache.set(pattern, route);
      }
      const o = request.outcome ?? {};
      publisher.publishRequest({
        route,
        method: request.method,
        status: reply.statusCode,
        errorCode: o.errorCode,
        latencySeconds: reply.elapsedTime / 1000,
        inferenceSeconds: o.inferenceSeconds,
        batchSize: o.batchSize,
        predictions: o.predictions,
        modelVersion: o.modelVersion,
      });
      if (o.feedback !== undefined) publisher.publishFeedback(o.feedback.predicted, o.feedback.actual, o.feedback);
      done();
    });
  },
  { name: 'events', fastify: '5.x', dependencies: ['request-context'], decorators: { fastify: ['inference'], request: ['outcome'] } },
);
