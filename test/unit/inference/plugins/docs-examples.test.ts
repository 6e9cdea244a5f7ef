/**
 * Every documented error response of the OpenAPI document carries one named example per error
 * code it stands for, each a valid ErrorBody of that code and status (what /docs shows).
 */
import t from 'tap';
import type { OpenAPIV3 } from 'openapi-types';
import { ERROR_CODES, type ErrorCode } from '../../../../shared/error-codes.js';
import { makeApp } from '../../../helpers/inference.js';

t.test('each error status documents an example per code', async (t) => {
  const app = await makeApp();
  t.teardown(() => app.close());
  const doc = (await app.inject({ url: '/openapi.json' })).json() as OpenAPIV3.Document;
  let checked = 0;
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of ['get', 'post'] as const) {
      const op = item?.[method];
      if (!op) continue;
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        const media = (response as OpenAPIV3.ResponseObject).content?.['application/json'];
        const examples = media?.examples ?? {};
        const codes = Object.keys(examples);
        t.ok(codes.length > 0, `${method.toUpperCase()} ${path} ${status}: has examples (${codes.join(', ')})`);
        for (const [code, ex] of Object.entries(examples)) {
          const value = (ex as OpenAPIV3.ExampleObject).value as Record<string, unknown>;
          t.match(value, { statusCode: Number(status), code, message: ERROR_CODES[code as ErrorCode].message, error: String });
        }
        checked++;
      }
    }
  }
  t.ok(checked >= 10, `${checked} error responses checked`);

  // A shared status lists every code it stands for.
  const tooLarge = (doc.paths['/predict']!.post!.responses['413'] as OpenAPIV3.ResponseObject).content!['application/json']!.examples!;
  t.same(Object.keys(tooLarge).sort(), ['BATCH_TOO_LARGE', 'BODY_TOO_LARGE', 'TEXT_TOO_LONG']);
});
