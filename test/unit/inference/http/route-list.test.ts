/**
 * One route list (shared/routes.ts): the app registers exactly the listed routes its configuration
 * switches on, GET / and the event routes come from the list, and a route registered without
 * being listed (or listed and missing) fails the boot with an error naming it.
 */
import t from 'tap';
import { EVENT_ROUTES } from '../../../../shared/events.js';
import { INFERENCE_ROUTES, enabledRoutes, type RouteSpec } from '../../../../shared/routes.js';
import { routeListProblems } from '../../../../services/inference/src/http/route-list.js';
import { eventRoute } from '../../../../services/inference/src/events/plugin.js';
import { makeApp } from '../../../helpers/inference.js';

const TOKEN = 'a'.repeat(32);

t.test('the app boots under every switch combination and GET / lists the listed routes it serves', async (t) => {
  const combos: Array<[Record<string, string>, { openapi: boolean; docsUi: boolean; admin: boolean }]> = [
    [{}, { openapi: true, docsUi: true, admin: false }],
    [{ ADMIN_TOKEN: TOKEN }, { openapi: true, docsUi: true, admin: true }],
    [{ DOCS_UI_ENABLED: 'false' }, { openapi: true, docsUi: false, admin: false }],
    [{ OPENAPI_ENABLED: 'false', ADMIN_TOKEN: TOKEN }, { openapi: false, docsUi: false, admin: true }],
  ];
  for (const [env, switches] of combos) {
    const app = await makeApp(env);
    const listed = (await app.inject({ url: '/' })).json().endpoints as Array<{ method: string; path: string }>;
    const expected = enabledRoutes(switches).filter((r) => r.listed !== false);
    t.same(listed.map((e) => `${e.method} ${e.path}`), expected.map((r) => `${r.method} ${r.path}`), `GET / with ${JSON.stringify(env)}`);
    await app.close();
  }
});

t.test('a registered route missing from the list fails the boot, naming it', async (t) => {
  await t.rejects(
    makeApp({}, {}, (app) => {
      app.get('/status', async () => ({ ok: true }));
    }),
    /route GET \/status is registered but not in INFERENCE_ROUTES \(shared\/routes\.ts\): add it there, or its requests count as route="unmatched"/,
  );
  await t.rejects(
    makeApp({}, {}, (app) => {
      app.put('/model', async () => ({ ok: true }));
    }),
    /route PUT \/model is registered but not in INFERENCE_ROUTES/,
    'a listed path under another method is another route',
  );
});

t.test('routeListProblems: missing and unlisted routes, HEAD and subtrees', async (t) => {
  const list: RouteSpec[] = [
    { method: 'GET', path: '/health', description: 'x' },
    { method: 'POST', path: '/predict', description: 'x' },
    { method: 'GET', path: '/docs', description: 'x', subtree: true },
  ];
  const registered = [
    { method: 'GET', url: '/health' },
    { method: 'HEAD', url: '/health' },
    { method: 'POST', url: '/predict' },
    { method: 'GET', url: '/docs' },
    { method: 'GET', url: '/docs/static/index.html' },
    { method: 'HEAD', url: '/docs/*' },
  ];
  t.same(routeListProblems(registered, list), []);
  t.match(routeListProblems(registered.slice(1), list), [/route GET \/health is in INFERENCE_ROUTES/], 'HEAD alone is not the GET route');
  t.match(routeListProblems(registered.filter((r) => r.url !== '/health'), list), [/route GET \/health is in INFERENCE_ROUTES \(shared\/routes\.ts\) and switched on, but not registered/]);
  t.match(routeListProblems([...registered, { method: 'GET', url: '/healthz' }], list), [/route GET \/healthz is registered but not/]);
  t.match(routeListProblems([...registered, { method: 'GET', url: '/predict' }], list), [/route GET \/predict is registered but not/]);
});

t.test('the event routes are the list\'s paths and unmatched; sub-paths of a subtree count as it', async (t) => {
  t.same(EVENT_ROUTES, [...INFERENCE_ROUTES.map((r) => r.path), 'unmatched']);
  t.equal(eventRoute('/predict'), '/predict');
  t.equal(eventRoute('/docs/static/*'), '/docs');
  t.equal(eventRoute('/docsx'), 'unmatched');
  t.equal(eventRoute('/nope'), 'unmatched');
  t.equal(eventRoute(undefined), 'unmatched');
});
