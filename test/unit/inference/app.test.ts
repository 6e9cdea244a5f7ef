/**
 * The operational surface of the inference app (fastify.inject, real bundled model): info,
 * health, readiness, model card, metrics (+ promtool), unknown routes and methods, load
 * shedding (and its start-up warm-up), draining, internal errors, request ids, security headers and the access log.
 */
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../services/inference/src/app.js';
import { readInferenceConfig } from '../../../services/inference/src/config.js';
import type { ServingModel } from '../../../services/inference/src/serving-model.js';
import { loadModel } from '../../../services/inference/src/model/index.js';
import { BUNDLED_MODEL_PATH } from '../../../shared/paths.js';
import { bundledModel, captureLogs, eventually, makeApp, promtoolCheck, sampleValue, SEED_SPAM, testEnv } from '../../helpers/inference.js';

t.test('GET / lists name, version and endpoints', async (t) => {
  const app = await makeApp();
  t.teardown(() => app.close());
  const res = await app.inject({ url: '/' });
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.equal(body.name, 'spam-detector-inference');
  t.match(body.version, /^\d+\.\d+\.\d+/);
  t.equal(body.model_version, (await bundledModel()).version);
  const paths = body.endpoints.map((e: { path: string }) => e.path);
  for (const p of ['/predict', '/invocations', '/feedback', '/health', '/ready', '/model', '/metrics']) t.ok(paths.includes(p), p);
});

t.test('GET /health and /ready', async (t) => {
  const app = await makeApp();
  t.teardown(() => app.close());
  const health = await app.inject({ url: '/health' });
  t.equal(health.statusCode, 200);
  t.match(health.json(), { status: 'ok', worker: '0', pid: process.pid });
  const ready = await app.inject({ url: '/ready' });
  t.equal(ready.statusCode, 200);
  t.match(ready.json(), { status: 'ready', model_version: String });
  t.equal((await app.inject({ method: 'HEAD', url: '/health' })).statusCode, 200);
});

t.test('GET /model: version, training metrics, features, text caps', async (t) => {
  const app = await makeApp({ MAX_TEXT_CHARS: '12345', MAX_BATCH_SIZE: '7' });
  t.teardown(() => app.close());
  const model = await bundledModel();
  const res = await app.inject({ url: '/model' });
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.equal(body.version, model.version);
  t.equal(body.max_text_chars, model.maxTextChars);
  t.same(body.request_limits, { max_text_chars: 12345, max_batch_size: 7, body_limit_bytes: 1048576 });
  t.same(body.card, JSON.parse(JSON.stringify(model.card)), 'the whole card');
  t.type(body.card.metrics.test.accuracy, 'number');
  t.ok(body.card.vocabularySize > 0 || body.card.hyperParameters, 'features are described');
  t.same(body.threshold, { value: model.threshold, source: 'model' }, 'the threshold in force: the model\'s');
  for (const domain of ['rawEmail', 'headerlessEmail', 'sms', 'short']) {
    t.equal(body.metrics_by_domain[domain].accuracy, model.card.metrics.domains[domain as 'sms']!.accuracy, `${domain} figures from the card`);
    t.type(body.metrics_by_domain[domain].ece, 'number');
  }
});

t.test('SPAM_THRESHOLD: validated at start; /model and predictions follow it', async (t) => {
  for (const bad of ['0', '1', '1.5', '-0.2', 'abc', '0.5x', 'NaN']) {
    t.throws(() => readInferenceConfig(testEnv({ SPAM_THRESHOLD: bad })), { name: 'ConfigError', message: /SPAM_THRESHOLD must be a probability strictly between 0 and 1/ }, `refused: ${bad}`);
  }
  t.equal(readInferenceConfig(testEnv({ SPAM_THRESHOLD: '0.3' })).spamThreshold, 0.3);
  t.equal(readInferenceConfig(testEnv({})).spamThreshold, undefined, 'unset: the model decides');
  t.equal(readInferenceConfig(testEnv({ SPAM_THRESHOLD: '0.75' })).spamThreshold, 0.75);
  t.equal(readInferenceConfig(testEnv({ SPAM_THRESHOLD: '.5' })).spamThreshold, 0.5);
  // A text the model puts between 0.5 and 1: a threshold just below its probability makes it spam, just above ham.
  const base = await bundledModel();
  const candidates = ['Win a brand new car! Text WIN to 85233 now', 'CONGRATULATIONS! You won $1000000!', 'free entry win cash prize call now', 'Claim your prize'];
  const scored = Array.from((await base.predict(candidates)).spamProbabilities);
  const i = scored.findIndex((v) => v > 0.52 && v < 0.98);
  t.ok(i >= 0, `a text between 0.52 and 0.98: ${scored.map((v) => v.toFixed(3)).join(', ')}`);
  const text = candidates[i]!;
  const p = scored[i]!;
  for (const [threshold, label] of [[0.2, 'spam'], [0.5 + (p - 0.5) / 2, 'spam'], [p + (1 - p) / 2, 'ham']] as const) {
    const model = await loadModel(BUNDLED_MODEL_PATH, { threshold });
    const config = readInferenceConfig(testEnv({ SPAM_THRESHOLD: String(threshold) }));
    const app = await buildApp({ config, model });
    await app.ready();
    const info = (await app.inject({ url: '/model' })).json();
    t.same(info.threshold, { value: Math.fround(threshold), source: 'SPAM_THRESHOLD' }, `/model shows ${threshold} from SPAM_THRESHOLD`);
    const res = (await app.inject({ method: 'POST', url: '/predict', payload: { text } })).json();
    t.equal(res.prediction, label, `p = ${p.toFixed(4)} at threshold ${threshold.toFixed(4)}: ${label}`);
    t.equal(res.confidence, label === 'spam' ? res.probabilities.spam : res.probabilities.ham, 'confidence: the probability of the label given (below 0.5 for ham above 0.5)');
    await app.close();
    await model.release();
  }
});

t.test('unknown routes: 404 NOT_FOUND; wrong methods: 405 with Allow', async (t) => {
  const app = await makeApp();
  t.teardown(() => app.close());
  const nf = await app.inject({ url: '/nope?text=secret' });
  t.equal(nf.statusCode, 404);
  t.match(nf.json(), { statusCode: 404, code: 'NOT_FOUND', error: 'Not Found', message: String });
  // A bad body on an unknown route is still a 404 (answered before parsing).
  const nfBody = await app.inject({ method: 'POST', url: '/nope', payload: '{bad', headers: { 'content-type': 'application/json' } });
  t.equal(nfBody.json().code, 'NOT_FOUND');

  const cases: Array<[string, string, string]> = [
    ['GET', '/predict', 'POST'],
    ['PUT', '/predict', 'POST'],
    ['GET', '/invocations', 'POST'],
    ['GET', '/feedback', 'POST'],
    ['DELETE', '/health', 'GET, HEAD'],
    ['POST', '/metrics', 'GET, HEAD'],
    ['POST', '/', 'GET, HEAD'],
  ];
  for (const [method, url, allow] of cases) {
    const res = await app.inject({ method: method as 'GET', url, payload: method === 'GET' || method === 'DELETE' ? undefined : '{bad', headers: { 'content-type': 'application/json' } });
    t.equal(res.statusCode, 405, `${method} ${url}`);
    t.equal(res.json().code, 'METHOD_NOT_ALLOWED');
    t.equal(res.headers.allow, allow, `${method} ${url}: Allow`);
  }
});

t.test('/metrics: runtime and HTTP metrics, route patterns only, promtool clean', async (t) => {
  const app = await makeApp();
  t.teardown(() => app.close());
  await app.inject({ method: 'POST', url: '/predict', payload: { text: SEED_SPAM } });
  await app.inject({ method: 'POST', url: '/predict', payload: { text: '' } });
  await app.inject({ url: '/some/raw/url-123?x=1' });
  await app.inject({ method: 'GET', url: '/predict' });
  const res = await app.inject({ url: '/metrics' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/plain/);
  const text = res.body;
  t.match(text, /process_cpu_seconds_total\{worker="0"\}/);
  t.match(text, /nodejs_heap_size_used_bytes/);
  const count = (route: string, method: string, status: string): number | undefined =>
    sampleValue(text, 'http_request_duration_seconds_count', { route, method, status_code: status, worker: '0' });
  t.equal(count('/predict', 'POST', '200'), 1);
  t.equal(count('/predict', 'POST', '400'), 1);
  t.equal(count('unmatched', 'GET', '404'), 1);
  t.equal(count('unmatched', 'GET', '405'), 1, 'a wrong method matched no route');
  t.notMatch(text, /url-123/, 'raw URLs never become labels');
  t.equal(sampleValue(text, 'spam_detector_ready', { worker: '0' }), 1);
  t.equal(sampleValue(text, 'spam_detector_inference_model_info', { model_version: (await bundledModel()).version }), 1);
  t.equal(sampleValue(text, 'spam_detector_load_shed_total'), 0);
  for (const line of text.split('\n')) {
    const m = /^# TYPE (\S+) gauge$/.exec(line);
    if (m) t.notOk(m[1]!.endsWith('_total'), `gauge ${m[1]} must not end in _total`);
  }
  const check = promtoolCheck(text);
  t.equal(check.status, 0, `promtool check metrics: ${check.output}`);
});

t.test('METRICS_TOKEN protects /metrics only', async (t) => {
  const token = 'metrics-token-0123456789';
  const app = await makeApp({ METRICS_TOKEN: token });
  t.teardown(() => app.close());
  const none = await app.inject({ url: '/metrics' });
  t.equal(none.statusCode, 401);
  t.equal(none.json().code, 'UNAUTHORIZED');
  t.equal((await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${token}x` } })).statusCode, 401);
  t.equal((await app.inject({ url: '/metrics', headers: { authorization: token } })).statusCode, 401, 'scheme required');
  t.equal((await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${token}` } })).statusCode, 200);
  t.equal((await app.inject({ url: '/health' })).statusCode, 200);
});

t.test('under pressure: 503 OVERLOADED with Retry-After, counted; health, ready and metrics still answer', async (t) => {
  const app = await makeApp({ PRESSURE_MAX_HEAP_USED_BYTES: '1', PRESSURE_SAMPLE_INTERVAL_MS: '10', PRESSURE_RETRY_AFTER_SECONDS: '7' });
  t.teardown(() => app.close());
  t.ok(await eventually(async () => (await app.inject({ url: '/ready' })).statusCode === 503), 'becomes not ready');
  const ready = await app.inject({ url: '/ready' });
  t.equal(ready.json().code, 'OVERLOADED');
  const res = await app.inject({ method: 'POST', url: '/predict', payload: { text: SEED_SPAM } });
  t.equal(res.statusCode, 503);
  t.equal(res.json().code, 'OVERLOADED');
  t.equal(res.headers['retry-after'], '7');
  t.equal((await app.inject({ method: 'POST', url: '/feedback', payload: { id: 'x', label: 'spam' } })).json().code, 'OVERLOADED');
  t.equal((await app.inject({ url: '/health' })).statusCode, 200);
  const metrics = await app.inject({ url: '/metrics' });
  t.equal(metrics.statusCode, 200);
  t.equal(sampleValue(metrics.body, 'spam_detector_load_shed_total'), 2);
  t.equal(sampleValue(metrics.body, 'spam_detector_ready'), 0);
});

t.test('draining: requests still served, every answer with Connection: close; /ready 503 SHUTTING_DOWN', async (t) => {
  const app = await makeApp();
  t.teardown(() => app.close());
  const before = await app.inject({ method: 'POST', url: '/predict', payload: { text: SEED_SPAM } });
  t.not(before.headers.connection, 'close', 'not draining: the connection is kept');
  app.inference.lifecycle.draining = true;
  const res = await app.inject({ method: 'POST', url: '/predict', payload: { text: SEED_SPAM } });
  t.equal(res.statusCode, 200, 'a request on a kept-alive connection is served');
  t.equal(res.json().prediction, 'spam');
  t.equal(res.headers.connection, 'close', 'and its connection closed after the answer');
  const ready = await app.inject({ url: '/ready' });
  t.equal(ready.statusCode, 503);
  t.equal(ready.json().code, 'SHUTTING_DOWN');
  t.equal(ready.headers.connection, 'close');
  const bad = await app.inject({ method: 'POST', url: '/predict', payload: { text: 1 } });
  t.equal(bad.statusCode, 400, 'errors are still the usual ones');
  t.equal(bad.headers.connection, 'close');
  t.equal((await app.inject({ url: '/health' })).statusCode, 200);
  t.equal((await app.inject({ url: '/metrics' })).statusCode, 200);
});

/**
 * Requests sent while the app reports pressure (a busy spin first keeps the event loop's
 * utilization up): the statuses of those that were sent under pressure, at most `tries`.
 */
async function underPressureStatuses(app: FastifyInstance, tries = 20): Promise<Array<[number, string | undefined]>> {
  const seen: Array<[number, string | undefined]> = [];
  for (let i = 0; i < tries && seen.length < 3; i++) {
    const spinUntil = Date.now() + 30;
    while (Date.now() < spinUntil) {
      // busy on purpose: the event loop is what is measured
    }
    await new Promise((r) => setTimeout(r, 15));
    if (!app.isUnderPressure()) continue;
    const res = await app.inject({ method: 'POST', url: '/predict', payload: { text: SEED_SPAM } });
    seen.push([res.statusCode, res.statusCode === 200 ? undefined : (res.json() as { code: string }).code]);
  }
  return seen;
}

t.test('warm-up: event-loop figures do not shed during PRESSURE_WARMUP_MS, memory limits do', async (t) => {
  // Any utilization is over 1e-9: only the warm-up can let a request through.
  const busy = { PRESSURE_MAX_EVENT_LOOP_UTILIZATION: '0.000000001', PRESSURE_SAMPLE_INTERVAL_MS: '10' };
  const warm = await makeApp({ ...busy, PRESSURE_WARMUP_MS: '600000' });
  t.teardown(() => warm.close());
  const warmSeen = await underPressureStatuses(warm);
  t.ok(warmSeen.length > 0, 'requests were sent while the loop was over the limit');
  t.same(warmSeen.filter(([status]) => status !== 200), [], `all served while warming up: ${JSON.stringify(warmSeen)}`);

  const cold = await makeApp({ ...busy, PRESSURE_WARMUP_MS: '0' });
  t.teardown(() => cold.close());
  const coldSeen = await underPressureStatuses(cold);
  t.ok(coldSeen.some(([status, code]) => status === 503 && code === 'OVERLOADED'), `no warm-up: shed (${JSON.stringify(coldSeen)})`);

  const heavy = await makeApp({ PRESSURE_MAX_HEAP_USED_BYTES: '1', PRESSURE_SAMPLE_INTERVAL_MS: '10', PRESSURE_WARMUP_MS: '600000' });
  t.teardown(() => heavy.close());
  t.ok(await eventually(async () => heavy.isUnderPressure()), 'the heap is over the limit');
  const heap = await heavy.inject({ method: 'POST', url: '/predict', payload: { text: SEED_SPAM } });
  t.equal(heap.statusCode, 503, 'the heap limit sheds during the warm-up');
  t.equal(heap.json().code, 'OVERLOADED');
});

t.test('a failing model: 500 INTERNAL_ERROR without details; the stack goes to the log', async (t) => {
  const real = await bundledModel();
  const broken: ServingModel = {
    version: real.version,
    card: real.card,
    maxTextChars: real.maxTextChars,
    predict: async () => {
      throw new Error('onnxruntime exploded at /secret/path');
    },
  };
  const logs = captureLogs();
  const app = await buildApp({ config: readInferenceConfig(testEnv()), model: broken, logger: logs.logger });
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'POST', url: '/predict', payload: { text: SEED_SPAM } });
  t.equal(res.statusCode, 500);
  t.same(Object.keys(res.json()).sort(), ['code', 'error', 'message', 'requestId', 'statusCode']);
  t.equal(res.json().code, 'INTERNAL_ERROR');
  t.notMatch(res.body, /exploded|secret|at /);
  const err = logs.lines.find((l) => l.msg === 'request failed');
  t.ok(err, 'logged');
  t.match((err?.err as { stack?: string })?.stack, /onnxruntime exploded/);
});

t.test('request ids: a sane x-request-id is kept, anything else replaced', async (t) => {
  const app = await makeApp();
  t.teardown(() => app.close());
  const kept = await app.inject({ url: '/health', headers: { 'x-request-id': 'abc-123.DEF:9' } });
  t.equal(kept.headers['x-request-id'], 'abc-123.DEF:9');
  const bad = await app.inject({ url: '/nope', headers: { 'x-request-id': 'has spaces <script>' } });
  t.not(bad.headers['x-request-id'], 'has spaces <script>');
  t.equal(bad.json().requestId, bad.headers['x-request-id']);
  const long = await app.inject({ url: '/health', headers: { 'x-request-id': 'a'.repeat(65) } });
  t.not(long.headers['x-request-id'], 'a'.repeat(65));
  const a = await app.inject({ url: '/health' });
  const b = await app.inject({ url: '/health' });
  t.not(a.headers['x-request-id'], b.headers['x-request-id'], 'generated ids are unique');
});

t.test('security headers on JSON answers', async (t) => {
  const app = await makeApp();
  t.teardown(() => app.close());
  for (const res of [await app.inject({ url: '/health' }), await app.inject({ url: '/nope' })]) {
    t.equal(res.headers['x-content-type-options'], 'nosniff');
    t.match(res.headers['content-security-policy'], /default-src 'none'/);
    t.equal(res.headers['x-frame-options'], 'DENY');
    t.equal(res.headers['cross-origin-resource-policy'], 'same-origin');
    t.equal(res.headers['referrer-policy'], 'no-referrer');
    t.notOk(res.headers['strict-transport-security'], 'no HSTS on plain HTTP');
  }
});

t.test('access log: one line per request, labels and lengths, never the text', async (t) => {
  const logs = captureLogs();
  const config = readInferenceConfig(testEnv({ LOG_TEXT_HASH: 'true' }));
  const app = await buildApp({ config, model: await bundledModel(), logger: logs.logger });
  t.teardown(() => app.close());
  const secret = `${SEED_SPAM} my card number is 4111-1111-1111-1111`;
  await app.inject({ method: 'POST', url: '/predict', payload: { text: secret }, headers: { authorization: 'Bearer hunter2-password' } });
  await app.inject({ method: 'POST', url: '/predict', payload: { texts: [secret, 'hello there friend'] } });
  await app.inject({ method: 'POST', url: '/predict', payload: { text: 5 } });
  await app.inject({ method: 'POST', url: '/predict', payload: `{"text": "${secret}"`, headers: { 'content-type': 'application/json' } });
  await app.inject({ url: `/nope?q=${encodeURIComponent(secret)}` });
  await new Promise((r) => setImmediate(r));

  const access = logs.lines.filter((l) => l.msg === 'request');
  t.equal(access.length, 5, 'exactly one access line per request');
  t.match(access[0], { route: '/predict', method: 'POST', status: 200, label: /^(spam|ham)$/, text_length: secret.length, model_version: String, ms: Number, reqId: String });
  t.match(access[0]!.text_sha256, [/^[0-9a-f]{12}$/]);
  t.match(access[1], { status: 200, batch_size: 2, labels: Array, text_lengths: [secret.length, 18] });
  t.match(access[2], { status: 400, code: 'INVALID_TEXT' });
  t.match(access[3], { status: 400, code: 'INVALID_JSON' });
  t.match(access[4], { status: 404, route: 'unmatched', path: '/nope' });
  const all = logs.raw.join('\n');
  t.notMatch(all, /4111/, 'the text never reaches the log');
  t.notMatch(all, /hunter2/, 'nor the authorization header');
});

t.test('LOG_LEVEL=warn: no access lines', async (t) => {
  const logs = captureLogs();
  logs.logger.level = 'warn';
  const app = await buildApp({ config: readInferenceConfig(testEnv()), model: await bundledModel(), logger: logs.logger });
  t.teardown(() => app.close());
  await app.inject({ method: 'POST', url: '/predict', payload: { text: SEED_SPAM } });
  t.equal(logs.lines.filter((l) => l.msg === 'request').length, 0);
});
