/**
 * The exporter's landing page (GET /) in-process: the state it shows comes from the same
 * registry /metrics renders, every value is escaped (even ones the parser would never let
 * through), the scrape snippet uses the Host the browser used only when it is a plain host, and
 * /metrics and /health are what they were.
 */
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { ChannelEvent } from '../../../../shared/events.js';
import { createIngest } from '../../../../services/exporter/src/exporter.js';
import { buildHttp } from '../../../../services/exporter/src/http.js';
import { exporterVersion } from '../../../../services/exporter/src/http/landing-state.js';
import { scrapeConfig } from '../../../../services/exporter/src/http/landing-page.js';

const BOOKS = { published_events: 12, delivered_events: 9, dropped_events: 3, queued_events: 0 };

function setup() {
  const registry = new Registry();
  const ingest = createIngest(registry);
  const app = buildHttp(registry, () => ({ status: 'ok', publishers: ingest.workers.connected, uptime_s: 75.5 }), pino({ level: 'silent' }));
  return { registry, ingest, app };
}

/** The text content of the element carrying data-testid="id" (the page's markup is flat). */
function cell(page: string, id: string): string | undefined {
  const m = new RegExp(`data-testid="${id}">([\\s\\S]*?)</(?:td|span|pre)>`).exec(page);
  return m?.[1]?.replace(/<[^>]*>/g, '').trim();
}

function rawGet(port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host }, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout'))).on('error', reject).end();
  });
}

t.test('before any worker: zeros, "never", no workers, links and version', async (t) => {
  const { app } = setup();
  t.teardown(() => app.close());
  const res = await app.inject({ url: '/', headers: { host: 'exporter.example:8000' } });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/html; charset=utf-8/);
  t.match(res.headers['content-security-policy'], /default-src 'none'/);
  t.equal(cell(res.body, 'version'), `v${exporterVersion()}`);
  t.equal(cell(res.body, 'publishers-connected'), '0');
  t.equal(cell(res.body, 'events-received'), '0');
  t.equal(cell(res.body, 'events-malformed'), '0');
  t.equal(cell(res.body, 'events-dropped'), '0');
  t.equal(cell(res.body, 'last-event'), 'never');
  t.equal(cell(res.body, 'uptime'), '1 min 15 s');
  t.match(res.body, 'No worker has connected yet.');
  t.match(res.body, '<a href="metrics">');
  t.match(res.body, '<a href="health">');
  t.equal(cell(res.body, 'scrape-config'), scrapeConfig('exporter.example:8000').replaceAll("'", '&#39;'));
});

t.test('state follows the channel: publishers, events by type, malformed, dropped, last event', async (t) => {
  const { app, ingest } = setup();
  t.teardown(() => app.close());
  const h = ingest.handler;
  const now = Date.now();
  h.connected(1);
  h.chunk(now);
  h.event(1, { v: 1, type: 'hello', ts: now, worker: '0', pid: 4242, model_version: 'm-2026.1', model_accuracy: 0.99, ...BOOKS });
  for (let i = 0; i < 3; i++) {
    h.event(1, { v: 1, type: 'request', ts: now, worker: '0', pid: 4242, route: '/predict', method: 'POST', status: 200, latency_s: 0.001, model_version: 'm-2026.1' } as ChannelEvent);
  }
  h.malformed(1, 'invalid_json');
  h.malformed(1, 'invalid_json');

  const res = await app.inject({ url: '/' });
  const page = res.body;
  t.equal(cell(page, 'publishers-connected'), '1');
  t.equal(cell(page, 'events-received'), '4', 'hello + 3 requests');
  t.match(page, 'request: 3');
  t.match(page, 'hello: 1');
  t.equal(cell(page, 'events-malformed'), '2');
  t.match(page, 'invalid_json: 2');
  t.equal(cell(page, 'events-dropped'), '3', "the worker's reported books");
  t.match(cell(page, 'last-event') ?? '', /^\d+\.\d s ago$/);
  t.equal(cell(page, 'model-versions'), 'm-2026.1');
  t.match(page, /<tr data-worker="0">[\s\S]*?connected[\s\S]*?>12<[\s\S]*?>9<[\s\S]*?>3</);

  // The page and /metrics read one registry: the same numbers.
  const metrics = (await app.inject({ url: '/metrics' })).body;
  t.match(metrics, 'spam_detector_exporter_events_received_total{type="request"} 3');
  t.match(metrics, 'spam_detector_exporter_events_malformed_total{reason="invalid_json"} 2');
});

t.test('every rendered value is escaped, and an odd Host header is not copied into the snippet', async (t) => {
  const { app, ingest } = setup();
  t.teardown(() => app.close());
  const evil = '<script>alert(1)</script>';
  const now = Date.now();
  ingest.handler.connected(1);
  ingest.handler.chunk(now);
  // The parser rejects such ids; the page must not rely on that.
  ingest.handler.event(1, { v: 1, type: 'hello', ts: now, worker: evil, pid: 1, model_version: `"'${evil}`, model_accuracy: 0.9, ...BOOKS });

  // Over a real socket: node:http sends the Host header as given, and the fallback needs a port.
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const body = await rawGet(port, `x'"><img src=x onerror=alert(1)>`);
  t.notMatch(body, '<script>alert');
  t.notMatch(body, '<img');
  t.match(body, '&lt;script&gt;alert(1)&lt;/script&gt;');
  t.match(body, `data-worker="&lt;script&gt;`);
  t.equal(cell(body, 'model-versions'), `&quot;&#39;&lt;script&gt;alert(1)&lt;/script&gt;`);
  t.match(cell(body, 'scrape-config') ?? '', `targets: [&#39;127.0.0.1:${port}&#39;]`, 'falls back to the local address');
});

t.test('/metrics and /health are unchanged', async (t) => {
  const { app, registry } = setup();
  t.teardown(() => app.close());
  const metrics = await app.inject({ url: '/metrics' });
  t.equal(metrics.statusCode, 200);
  t.equal(metrics.headers['content-type'], registry.contentType);
  t.match(metrics.body, '# TYPE spam_detector_exporter_publishers_connected gauge');
  const health = await app.inject({ url: '/health' });
  t.same(health.json(), { status: 'ok', publishers: 0, uptime_s: 75.5 });
  const missing = await app.inject({ url: '/nope/<script>?q=secret' });
  t.equal(missing.statusCode, 404);
  t.same(missing.json(), { statusCode: 404, code: 'NOT_FOUND', error: 'Not Found', message: 'route not found' }, '404: catalogued, the URL not echoed');
  const badUrl = await app.inject({ url: '/metrics/%ff<script>' });
  t.same(badUrl.json(), { statusCode: 400, code: 'INVALID_REQUEST', error: 'Bad Request', message: 'the URL is not valid' }, 'an undecodable URL: 400 INVALID_REQUEST, not echoed');
});
