/**
 * GET /model/report serves the report that sits beside the served model (read at start), with a
 * policy that lets its inline styles apply and nothing load; a model without a report answers
 * 404 NOT_FOUND in the error shape; the route is in the OpenAPI document.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { reportPathFor } from '../../../../services/inference/src/routes/model-report.js';
import { makeApp } from '../../../helpers/inference.js';

const dir = mkdtempSync(join(tmpdir(), 'model-report-test-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('the report path is the model path with .onnx replaced', async (t) => {
  t.equal(reportPathFor('/m/spam-classifier.onnx'), '/m/spam-classifier.report.html');
  t.equal(reportPathFor('/m/Model.ONNX'), '/m/Model.report.html');
  t.equal(reportPathFor('/m/model'), '/m/model.report.html');
});

t.test('serves the report beside MODEL_PATH as HTML', async (t) => {
  const html = '<!doctype html><title>r</title><style>svg{width:10px}</style><svg><rect width="5" height="5"/></svg>';
  writeFileSync(join(dir, 'with.report.html'), html);
  const app = await makeApp({ MODEL_PATH: join(dir, 'with.onnx') });
  t.teardown(() => app.close());
  const res = await app.inject({ url: '/model/report' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/html; charset=utf-8/);
  t.equal(res.body, html, 'the file, unchanged');
  const csp = String(res.headers['content-security-policy']);
  t.match(csp, /default-src 'none'/);
  t.match(csp, /style-src 'unsafe-inline'/);
  t.notMatch(csp, /script-src/, 'no scripts');
  t.equal(res.headers['x-content-type-options'], 'nosniff', 'the security headers stay');
});

t.test('a model without a report: 404 NOT_FOUND in the error shape', async (t) => {
  const app = await makeApp({ MODEL_PATH: join(dir, 'without.onnx') });
  t.teardown(() => app.close());
  const res = await app.inject({ url: '/model/report' });
  t.equal(res.statusCode, 404);
  t.match(res.json(), { statusCode: 404, code: 'NOT_FOUND', message: /no evaluation report/ });
});

t.test('documented in the OpenAPI document and listed by GET /', async (t) => {
  const app = await makeApp({ MODEL_PATH: join(dir, 'without.onnx') });
  t.teardown(() => app.close());
  const doc = (await app.inject({ url: '/openapi.json' })).json();
  const op = doc.paths['/model/report']?.get;
  t.ok(op, 'GET /model/report is documented');
  t.ok(op?.responses?.['200']?.content?.['text/html'], '200 is text/html');
  t.ok(op?.responses?.['404'], '404 is documented');
  const paths = (await app.inject({ url: '/' })).json().endpoints.map((e: { path: string }) => e.path);
  t.ok(paths.includes('/model/report'), 'GET / lists it');
});
