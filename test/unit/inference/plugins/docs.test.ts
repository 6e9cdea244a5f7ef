/**
 * GET /openapi.json is a valid OpenAPI 3 document (checked by @apidevtools/swagger-parser)
 * covering every route with its schemas and error codes; /docs serves Swagger UI; both can be
 * switched off.
 */
import t from 'tap';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { OpenAPIV3 } from 'openapi-types';
import { ERROR_CODES } from '../../../../shared/error-codes.js';
import { INFERENCE_ROUTES } from '../../../../shared/routes.js';
import { makeApp } from '../../../helpers/inference.js';

t.test('the OpenAPI document is valid and complete', async (t) => {
  const app = await makeApp();
  t.teardown(() => app.close());
  const res = await app.inject({ url: '/openapi.json' });
  t.equal(res.statusCode, 200);
  const doc = res.json() as OpenAPIV3.Document;
  t.match(doc.openapi, /^3\./);

  // validate() dereferences in place: give it a copy.
  const validated = (await SwaggerParser.validate(structuredClone(doc) as never)) as OpenAPIV3.Document;
  t.ok(validated.paths, 'swagger-parser accepts the document');

  // Every always-on route of the list (the document and its UI are not operations of the API;
  // the admin routes are off without ADMIN_TOKEN).
  const expected = INFERENCE_ROUTES.filter((r) => !('when' in r)).map((r) => [r.path, r.method === 'GET' ? 'get' : 'post'] as const);
  t.ok(expected.length >= 9);
  for (const [path, method] of expected) {
    const op = doc.paths[path]?.[method];
    t.ok(op, `${method.toUpperCase()} ${path} is documented`);
    t.ok(op?.responses?.['200'], `${method.toUpperCase()} ${path} documents its 200`);
  }
  const predict = doc.paths['/predict']!.post!;
  t.ok(predict.requestBody, '/predict documents its body');
  for (const status of ['400', '413', '415', '503']) t.ok(predict.responses[status], `/predict documents ${status}`);
  for (const status of ['404', '409', '410']) t.ok(doc.paths['/feedback']!.post!.responses[status], `/feedback documents ${status}`);

  const schemas = doc.components?.schemas ?? {};
  t.ok(schemas.ErrorBody, 'ErrorBody is a named component');
  t.ok(schemas.Prediction, 'Prediction is a named component');
  const codes = ((schemas.ErrorBody as OpenAPIV3.SchemaObject).properties?.code as OpenAPIV3.SchemaObject).enum;
  t.same([...(codes ?? [])].sort(), Object.keys(ERROR_CODES).sort(), 'every error code is listed');
  for (const code of Object.keys(ERROR_CODES)) t.match(doc.info.description, code, `${code} is described`);
});

t.test('Swagger UI at /docs', async (t) => {
  const app = await makeApp();
  t.teardown(() => app.close());
  const res = await app.inject({ url: '/docs/' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /text\/html/);
  t.match(res.body, /swagger/i);
  t.match(res.headers['content-security-policy'], /script-src/, 'the UI gets its own policy');
});

t.test('OPENAPI_ENABLED=false and DOCS_UI_ENABLED=false switch them off', async (t) => {
  const noUi = await makeApp({ DOCS_UI_ENABLED: 'false' });
  t.teardown(() => noUi.close());
  t.equal((await noUi.inject({ url: '/openapi.json' })).statusCode, 200);
  t.equal((await noUi.inject({ url: '/docs/' })).statusCode, 404);

  const none = await makeApp({ OPENAPI_ENABLED: 'false' });
  t.teardown(() => none.close());
  t.equal((await none.inject({ url: '/openapi.json' })).statusCode, 404);
  t.equal((await none.inject({ url: '/docs/' })).statusCode, 404);
  const paths = (await none.inject({ url: '/' })).json().endpoints.map((e: { path: string }) => e.path);
  t.notOk(paths.includes('/openapi.json'));
  t.notOk(paths.includes('/docs'));
  // Predictions are unaffected.
  t.equal((await none.inject({ method: 'POST', url: '/predict', payload: { text: 'hello' } })).statusCode, 200);
});
