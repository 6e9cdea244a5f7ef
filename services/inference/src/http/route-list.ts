/**
 * The boot check of the route list (shared/routes.ts): every route the app registers must be in
 * the list, and every listed route its configuration switches on must be registered. Checked when
 * the app gets ready, so a mismatch fails the start with an error naming each route; otherwise a
 * route missing from the list would have its requests counted as route="unmatched".
 */
import type { FastifyInstance } from 'fastify';
import { INFERENCE_ROUTES, enabledRoutes, type RouteSpec, type RouteSwitches } from '../../../../shared/routes.js';
import type { InferenceConfig } from '../config.js';

export interface RegisteredRoute {
  method: string;
  url: string;
}

export function routeSwitches(config: InferenceConfig): RouteSwitches {
  return { openapi: config.openapiEnabled, docsUi: config.docsUiEnabled, admin: config.adminToken !== undefined };
}

function covers(spec: RouteSpec, r: RegisteredRoute): boolean {
  const samePath = r.url === spec.path || (spec.subtree === true && r.url.startsWith(`${spec.path}/`));
  // Fastify adds HEAD to every GET route; a subtree (static files) may register HEAD itself.
  return samePath && (r.method === spec.method || (r.method === 'HEAD' && spec.method === 'GET'));
}

/** What disagrees between the registered routes and the enabled part of the list; empty when they agree. */
export function routeListProblems(registered: readonly RegisteredRoute[], enabled: readonly RouteSpec[]): string[] {
  const problems: string[] = [];
  for (const r of registered) {
    if (!enabled.some((spec) => covers(spec, r))) {
      problems.push(`route ${r.method} ${r.url} is registered but not in INFERENCE_ROUTES (shared/routes.ts): add it there, or its requests count as route="unmatched"`);
    }
  }
  for (const spec of enabled) {
    if (!registered.some((r) => covers(spec, r) && r.method !== 'HEAD')) {
      problems.push(`route ${spec.method} ${spec.path} is in INFERENCE_ROUTES (shared/routes.ts) and switched on, but not registered`);
    }
  }
  return problems;
}

/** Call before registering any route: collects the routes as they are registered and checks them when the app gets ready. */
export function checkRouteList(app: FastifyInstance, switches: RouteSwitches, list: readonly RouteSpec[] = INFERENCE_ROUTES): void {
  const registered: RegisteredRoute[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) registered.push({ method, url: route.url ?? route.path });
  });
  app.addHook('onReady', async () => {
    const problems = routeListProblems(registered, enabledRoutes(switches, list));
    if (problems.length > 0) throw new Error(`the inference routes disagree with their list:\n- ${problems.join('\n- ')}`);
  });
}
