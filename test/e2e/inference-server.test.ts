/**
 * The compiled service over a real socket (dist/services/inference/src/main.js, port 0): the
 * seed example with curl's request, the ready line, graceful shutdown (kept-alive clients served
 * with Connection: close, listener closed, a request in flight answered),
 * and start-up failures (invalid configuration, bad model) with clear messages.
 */
import t from 'tap';
import { Agent, request as httpRequest } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runToExit, spawnService } from '../helpers/spawn.js';
import { SEED_SPAM, TEST_EVENTS_SOCKET, promtoolCheck } from '../helpers/inference.js';

const MAIN = 'dist/services/inference/src/main.js';
const BASE_ENV = { INFERENCE_PORT: '0', HOST: '127.0.0.1', WORKERS: '1', EVENTS_SOCKET: TEST_EVENTS_SOCKET, LOG_LEVEL: 'info', NODE_ENV: 'production', PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0' };

t.test('serves the seed example over a socket and stops cleanly', async (t) => {
  const svc = await spawnService(MAIN, { env: BASE_ENV });
  t.teardown(() => svc.stop('SIGKILL'));
  t.match(svc.url, /^http:\/\/127\.0\.0\.1:\d+$/);

  const res = await fetch(`${svc.url}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: SEED_SPAM }),
  });
  t.equal(res.status, 200);
  const body = (await res.json()) as { prediction: string };
  t.equal(body.prediction, 'spam');

  const bad = await fetch(`${svc.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
  t.equal(bad.status, 400);
  t.equal(((await bad.json()) as { code: string }).code, 'INVALID_JSON');

  const metrics = await (await fetch(`${svc.url}/metrics`)).text();
  const check = promtoolCheck(metrics);
  t.equal(check.status, 0, `promtool: ${check.output}`);

  const access = await svc.waitForRecord((r) => r.msg === 'request' && r.route === '/predict' && r.status === 200);
  t.match(access, { label: 'spam', text_length: SEED_SPAM.length, worker: '0' });
  t.notOk(svc.stdout.some((l) => l.includes('CONGRATULATIONS')), 'the text is never logged');

  const exit = await svc.stop('SIGTERM');
  t.same(exit, { code: 0, signal: null });
  t.ok(svc.records().some((r) => r.msg === 'stopped'));
});

/**
 * Starts a POST /predict whose body is held back: with `Expect: 100-continue` the server
 * answers "100 Continue" once it has the headers, so the request is provably in flight.
 */
function inFlightPredict(url: string): { continued: Promise<void>; finish: () => void; response: Promise<{ status: number; body: string }> } {
  const payload = JSON.stringify({ text: SEED_SPAM });
  const target = new URL('/predict', url);
  let onContinue!: () => void;
  const continued = new Promise<void>((r) => (onContinue = r));
  const req = httpRequest({
    host: target.hostname,
    port: target.port,
    path: target.pathname,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), expect: '100-continue' },
  });
  req.on('continue', onContinue);
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
  req.flushHeaders();
  return { continued, finish: () => req.end(payload), response };
}

/** One request through `agent`; whether it went over a reused (kept-alive) socket. */
function agentRequest(
  agent: Agent,
  url: string,
  method: string,
  body?: string,
): Promise<{ status: number; connection: string | undefined; body: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    const req = httpRequest(url, { method, agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

t.test('SIGTERM: kept-alive clients served with Connection: close, then the listener closes, in-flight completes, exit 0', async (t) => {
  const svc = await spawnService(MAIN, { env: { ...BASE_ENV, SHUTDOWN_LISTEN_DELAY_MS: '1000' } });
  t.teardown(() => svc.stop('SIGKILL'));
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const payload = JSON.stringify({ text: SEED_SPAM });

  const first = await agentRequest(agent, `${svc.url}/predict`, 'POST', payload);
  t.equal(first.status, 200);
  t.not(first.connection, 'close', 'before the drain the connection is kept alive');

  const flight = inFlightPredict(svc.url);
  await flight.continued;
  svc.child.kill('SIGTERM');
  await svc.waitForRecord((r) => r.msg === 'shutting down: draining in-flight requests');

  // A client reusing its connection opened before the drain is served, and told to reconnect.
  const during = await agentRequest(agent, `${svc.url}/predict`, 'POST', payload);
  t.ok(during.reused, 'the request went over the connection opened before the drain');
  t.equal(during.status, 200, 'served during the drain');
  t.equal((JSON.parse(during.body) as { prediction: string }).prediction, 'spam');
  t.equal(during.connection, 'close', 'with Connection: close');

  // Once the listener is closed a new connection is refused (or reset if the kernel had queued
  // it just before); it never gets an answer.
  await svc.waitForRecord((r) => r.msg === 'listener closed');
  const late = await fetch(`${svc.url}/health`).then(
    (r) => `status ${r.status}`,
    (err: Error & { cause?: { code?: string } }) => err.cause?.code ?? err.message,
  );
  t.match(late, /ECONNREFUSED|ECONNRESET|UND_ERR_SOCKET/, `a new connection after the listener closed: ${late}`);

  flight.finish();
  const res = await flight.response;
  t.equal(res.status, 200, 'the in-flight request was answered');
  t.equal((JSON.parse(res.body) as { prediction: string }).prediction, 'spam');
  const exit = await svc.exited;
  t.same(exit, { code: 0, signal: null }, 'exit 0 within the grace');
  t.notOk(svc.records().some((r) => r.msg === 'grace period over with requests still in flight; exiting'));
});

t.test('SIGINT stops it too', async (t) => {
  const svc = await spawnService(MAIN, { env: BASE_ENV });
  t.teardown(() => svc.stop('SIGKILL'));
  t.same(await svc.stop('SIGINT'), { code: 0, signal: null });
});

t.test('the grace period is bounded: a request that never finishes does not block exit', async (t) => {
  const svc = await spawnService(MAIN, { env: { ...BASE_ENV, SHUTDOWN_GRACE_MS: '300' } });
  t.teardown(() => svc.stop('SIGKILL'));
  const flight = inFlightPredict(svc.url);
  flight.response.catch(() => {}); // the connection is cut at exit
  await flight.continued;
  const exit = await svc.stop('SIGTERM', 10_000);
  t.equal(exit.code, 1, 'exits (non-zero: it had to abandon a request)');
  t.ok(svc.records().some((r) => r.msg === 'grace period over with requests still in flight; exiting'));
});

t.test('invalid configuration: non-zero exit naming the variable', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ INFERENCE_PORT: 'abc' }, /INFERENCE_PORT must be an integer/],
    [{ INFERENCE_PORT: '70000' }, /INFERENCE_PORT must be between 0 and 65535/],
    [{ WORKERS: '0' }, /WORKERS must be between 1 and 64/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    [{ MAX_BATCH_SIZE: '-1' }, /MAX_BATCH_SIZE must be between/],
    [{ PRESSURE_MAX_EVENT_LOOP_UTILIZATION: '2' }, /PRESSURE_MAX_EVENT_LOOP_UTILIZATION must be between 0 and 1/],
    [{ METRICS_TOKEN: 'short' }, /METRICS_TOKEN must be 16-256/],
    [{ SPAM_THRESHOLD: '1.2' }, /SPAM_THRESHOLD must be a probability strictly between 0 and 1 \(e.g. 0.7\), got "1.2"/],
    [{ WORKER_ID: 'a b' }, /WORKER_ID must be 1-32 characters/],
    [{ DOCS_UI_ENABLED: 'maybe' }, /DOCS_UI_ENABLED must be true or false/],
  ];
  for (const [env, message] of cases) {
    const r = await runToExit(MAIN, { env: { ...BASE_ENV, ...env }, timeoutMs: 15_000 });
    t.not(r.code, 0, `${JSON.stringify(env)}: non-zero exit`);
    t.notOk(r.timedOut);
    t.match(r.stderr.join('\n'), message, `${JSON.stringify(env)}: stderr says why`);
    t.match(r.stderr.join('\n'), /invalid configuration/);
    t.notMatch(r.stderr.join('\n'), /\n\s+at /, 'no stack trace');
  }
});

t.test('a missing or broken model: non-zero exit with a clear message', async (t) => {
  const dir = t.testdir({ 'garbage.onnx': 'this is not an onnx file' });
  const missing = join(dir, 'nope.onnx');
  const empty = join(dir, 'empty.onnx');
  writeFileSync(empty, '');
  const cases: Array<[string, RegExp]> = [
    [missing, new RegExp(`cannot load model ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: file not found`)],
    [empty, /cannot load model .*empty\.onnx: the file is empty/],
    [join(dir, 'garbage.onnx'), /cannot load model .*garbage\.onnx/],
    [dir, /cannot load model .*: not a regular file/],
  ];
  for (const [path, message] of cases) {
    const r = await runToExit(MAIN, { env: { ...BASE_ENV, MODEL_PATH: path }, timeoutMs: 20_000 });
    t.equal(r.code, 1, `${path}: exit 1`);
    t.match(r.stderr.join('\n'), message, `${path}: stderr`);
    t.ok(r.stdout.some((l) => l.includes('"level":60')), `${path}: a fatal JSON log line`);
    t.notOk(r.stdout.some((l) => l.includes('"msg":"ready"')), 'never ready');
  }
});

t.test('a port already in use: non-zero exit with a clear message', async (t) => {
  const first = await spawnService(MAIN, { env: BASE_ENV });
  t.teardown(() => first.stop('SIGKILL'));
  const r = await runToExit(MAIN, { env: { ...BASE_ENV, INFERENCE_PORT: String(first.port) }, timeoutMs: 20_000 });
  t.equal(r.code, 1);
  t.match(r.stderr.join('\n'), /cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
  await first.stop('SIGTERM');
});
