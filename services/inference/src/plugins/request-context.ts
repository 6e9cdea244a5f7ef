/**
 * Per-request state and the answers that must come before anything else runs: the outcome
 * record (read by the access log and the events plugin), the x-request-id echo, unknown routes
 * and wrong methods (answered before the body is parsed, so a bad body on a wrong route still
 * gets 404/405), and `Connection: close` on every answer while draining.
 */
import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestOutcome } from '../outcome.js';
import { sendError } from '../http/errors.js';

/** Methods per route path, collected as routes are added, for 405 + Allow. */
class RouteMethods {
  private readonly exact = new Map<string, Set<string>>();
  private readonly prefixes: Array<[string, Set<string>]> = [];

  add(url: string, methods: string | string[]): void {
    const list = Array.isArray(methods) ? methods : [methods];
    let set: Set<string>;
    if (url.endsWith('*')) {
      const prefix = url.slice(0, -1);
      const found = this.prefixes.find(([p]) => p === prefix);
      set = found ? found[1] : new Set();
      if (!found) this.prefixes.push([prefix, set]);
    } else {
      const key = normalizePath(url);
      set = this.exact.get(key) ?? new Set();
      this.exact.set(key, set);
    }
    for (const m of list) set.add(m.toUpperCase());
    if (set.has('GET')) set.add('HEAD');
  }

  allowed(path: string): string | undefined {
    const set = this.exact.get(normalizePath(path)) ?? this.prefixes.find(([p]) => path.startsWith(p))?.[1];
    return set ? [...set].sort().join(', ') : undefined;
  }
}

function normalizePath(path: string): string {
  const collapsed = path.replace(/\/{2,}/g, '/');
  return collapsed.length > 1 && collapsed.endsWith('/') ? collapsed.slice(0, -1) : collapsed;
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export const requestContextPlugin = fp(
  async (app) => {
    const { lifecycle } = app.inference;
    const routes = new RouteMethods();
    app.addHook('onRoute', (route) => routes.add(route.url, route.method));

    // Set per request by the onRequest hook below; null only on the shared prototype.
    // eslint-disable-next-line no-restricted-syntax -- Fastify wants the decorator's initial value of the property's type
    app.decorateRequest('outcome', null as unknown as RequestOutcome);

    const notFound = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
      const allowed = routes.allowed(pathOf(request.url));
      if (allowed !== undefined) {
        reply.header('allow', allowed);
        return sendError(request, reply, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed here; allowed: ${allowed}`);
      }
      return sendError(request, reply, 'NOT_FOUND');
    };

    app.addHook('onRequest', (request, reply, done) => {
      request.outcome = { route: request.routeOptions.url };
      reply.header('x-request-id', request.id);
      // RFC 9112: an HTTP/1.1 request without Host is a 400 (app.ts turns off Node's bodiless one).
      if (request.headers.host === undefined && request.raw.httpVersion === '1.1') {
        sendError(request, reply, 'INVALID_REQUEST', 'the Host header is required');
        return;
      }
      if (request.is404) {
        notFound(request, reply);
        return;
      }
      done();
    });

    // While draining, requests are still served (refusing them would fail a client whose
    // kept-alive connection was opened before the drain), but each answer closes its connection,
    // so the client's next request opens a new one, which reaches a live worker. Decided at send
    // time, so a request that began before the drain is covered too.
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (lifecycle.draining) reply.header('connection', 'close');
      done(null, payload);
    });

    // Reached only if a 404 slips past the hook above (e.g. a route-less HEAD); same answer.
    app.setNotFoundHandler((request, reply) => notFound(request, reply));
  },
  { name: 'request-context', fastify: '5.x', decorators: { fastify: ['inference'] } },
);
