/**
 * Every HTTP route of the inference service, listed once. From this list come:
 * - the `route` values of the events and of the exporter's metrics (EVENT_ROUTES in events.ts:
 *   these paths plus `unmatched`, in this order),
 * - the endpoint list of GET / (services/inference/src/routes/meta.ts),
 * - the boot check (services/inference/src/http/route-list.ts): the app fails to get ready,
 *   naming the route, when it registers a route missing here (its requests would be counted as
 *   `unmatched`) or lacks one listed here and switched on,
 * - the OpenAPI test's list of documented operations.
 * A new route: add it here, then register it.
 */

export interface RouteSpec {
  method: 'GET' | 'POST';
  path: string;
  /** One line for GET /'s endpoint list. */
  description: string;
  /** Registered only when switched on: OPENAPI_ENABLED, DOCS_UI_ENABLED (with the document), ADMIN_TOKEN. Absent: always. */
  when?: 'openapi' | 'docs-ui' | 'admin';
  /** Its sub-paths (the UI's static files) count as this route. */
  subtree?: boolean;
  /** Shown in GET /'s endpoint list (default true). */
  listed?: boolean;
}

export const INFERENCE_ROUTES = [
  { method: 'POST', path: '/predict', description: 'Classify {"text"} or a batch {"texts": [...]}' },
  { method: 'POST', path: '/invocations', description: 'MLflow-style scoring: {"inputs": [...]}' },
  { method: 'POST', path: '/feedback', description: 'True label of a recent prediction: {"id", "label"}' },
  { method: 'GET', path: '/', description: 'Service information and this list', listed: false },
  { method: 'GET', path: '/health', description: 'Liveness' },
  { method: 'GET', path: '/ready', description: 'Readiness: model loaded and not shedding load' },
  { method: 'GET', path: '/model', description: 'Model card' },
  { method: 'GET', path: '/model/report', description: 'Model evaluation report (HTML, SVG charts)' },
  { method: 'GET', path: '/metrics', description: 'Prometheus metrics' },
  { method: 'GET', path: '/openapi.json', description: 'OpenAPI 3 document', when: 'openapi' },
  { method: 'GET', path: '/docs', description: 'API documentation (Swagger UI)', when: 'docs-ui', subtree: true },
  { method: 'POST', path: '/admin/reload', description: 'Load a new model in every worker (bearer ADMIN_TOKEN)', when: 'admin', listed: false },
  { method: 'POST', path: '/admin/rollback', description: 'Serve the previous model again (bearer ADMIN_TOKEN)', when: 'admin', listed: false },
] as const satisfies readonly RouteSpec[];

export type InferenceRoutePath = (typeof INFERENCE_ROUTES)[number]['path'];

/** Which optional routes the service registers (from its configuration). */
export interface RouteSwitches {
  openapi: boolean;
  docsUi: boolean;
  admin: boolean;
}

/** The routes registered under these switches, in list order. */
export function enabledRoutes(switches: RouteSwitches, list: readonly RouteSpec[] = INFERENCE_ROUTES): RouteSpec[] {
  const on = { openapi: switches.openapi, 'docs-ui': switches.openapi && switches.docsUi, admin: switches.admin };
  return list.filter((r) => r.when === undefined || on[r.when]);
}
