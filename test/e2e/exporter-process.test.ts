/**
 * The compiled exporter as a process: its socket (private directory, owner-only mode, stale
 * file removed, a live one respected), its counting from hand-written frames (exact values,
 * closed label sets with fallbacks, histogram buckets, feedback matrix, model accuracy, worker
 * gauges), its self-telemetry, surviving garbage, a lint-clean /metrics, /health, and a clean
 * SIGTERM.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { EventEncoder } from '../../shared/event-encode.js';
import { parseMetrics, scratchDir, sumOf, waitFor } from '../helpers/channel.js';
import { runToExit, spawnService, type SpawnedService } from '../helpers/spawn.js';

const EXPORTER = 'dist/services/exporter/src/main.js';
const dir = scratchDir('exporter-test-');
const BOOKS = { published_events: 0, delivered_events: 0, dropped_events: 0, queued_events: 0 };

function env(socketPath: string, extra: Record<string, string> = {}): Record<string, string> {
  return { EVENTS_SOCKET: socketPath, EXPORTER_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', SAMPLE_INTERVAL_MS: '200', ...extra };
}

async function scrape(svc: SpawnedService): Promise<{ text: string; m: Map<string, number> }> {
  const res = await fetch(`${svc.url}/metrics`);
  const text = await res.text();
  return { text, m: parseMetrics(text) };
}

interface Client {
  socket: Socket;
  acked(): number;
  send(s: string | Buffer): void;
  close(): Promise<void>;
}

async function client(socketPath: string): Promise<Client> {
  const socket = createConnection(socketPath);
  await new Promise<void>((res, rej) => {
    socket.once('connect', res);
    socket.once('error', rej);
  });
  let acked = 0;
  let buf = '';
  socket.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const f = JSON.parse(buf.slice(0, nl)) as { type: string; received: number };
      buf = buf.slice(nl + 1);
      if (f.type === 'ack') acked = f.received;
    }
  });
  socket.on('error', () => undefined);
  return {
    socket,
    acked: () => acked,
    send: (s) => socket.write(s),
    close: () =>
      new Promise<void>((res) => {
        socket.once('close', () => res());
        socket.end();
      }),
  };
}

t.test('socket: private directory, owner-only socket, stale file removed, live exporter respected', async (t) => {
  const socketPath = join(dir, 'perm', 'run', 'events.sock');
  // A stale socket file, as a SIGKILLed exporter leaves it.
  mkdirSync(join(dir, 'perm', 'run'), { recursive: true, mode: 0o700 });
  const stale = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  t.equal(stale.signal, 'SIGKILL');
  t.ok(statSync(socketPath).isSocket(), 'a stale socket file is in place');

  const svc = await spawnService(EXPORTER, { env: env(socketPath) });
  t.equal(statSync(join(dir, 'perm', 'run')).mode & 0o777, 0o700, 'directory 0700');
  t.equal(statSync(socketPath).mode & 0o777, 0o600, 'socket 0600');
  const health = await fetch(`${svc.url}/health`);
  t.equal(health.status, 200);
  t.match(await health.json(), { status: 'ok', publishers: 0 });
  const missing = await fetch(`${svc.url}/nope`);
  t.equal(missing.status, 404);
  t.match(await missing.json(), { statusCode: 404, code: 'NOT_FOUND' });

  // A second exporter on the same live socket refuses instead of stealing it.
  const second = await runToExit(EXPORTER, { env: env(socketPath), timeoutMs: 20_000 });
  t.equal(second.code, 1, 'second exporter exits 1');
  t.match(second.stdout.join('\n'), /another exporter is listening/);

  const stopped = await svc.stop('SIGTERM');
  t.same(stopped, { code: 0, signal: null }, 'SIGTERM: clean exit');
  t.notOk(existsSync(socketPath), 'socket file removed on shutdown');
});

t.test('socket: refuses a directory others can write to', async (t) => {
  const open = join(dir, 'open');
  mkdirSync(open, { mode: 0o700 });
  chmodSync(open, 0o777);
  const r = await runToExit(EXPORTER, { env: env(join(open, 'events.sock')), timeoutMs: 20_000 });
  t.equal(r.code, 1);
  t.match(r.stdout.join('\n'), /writable by group or others/);
});

t.test('counting, label fallbacks, model and worker gauges, telemetry, garbage, promtool', async (t) => {
  const socketPath = join(dir, 'count', 'events.sock');
  const svc = await spawnService(EXPORTER, { env: env(socketPath) });
  t.teardown(() => svc.stop());
  t.equal(statSync(join(dir, 'count')).mode & 0o777, 0o700, 'the exporter creates its directory 0700');

  // Worker "7" is this test process, so the process collector has a real pid to sample.
  const enc = new EventEncoder({ worker: '7', pid: process.pid }, 'model-a');
  const c = await client(socketPath);
  let lines = 0;
  const send = (s: string): void => {
    // Empty lines are skipped, not frames: acks do not count them.
    lines += s.split('\n').filter((l) => l !== '').length;
    c.send(s);
  };
  send(enc.hello(0.9321, BOOKS, Date.now(), { sms: 0.991, rawEmail: 0.9934 }));
  send(enc.stats({ activeConnections: 3, inFlightRequests: 1, ready: true, published_events: 12, delivered_events: 9, dropped_events: 2, queued_events: 1 }));
  const pred = (label: 'spam' | 'ham', confidence: number, text_length: number) => ({ label, confidence, text_length });
  // 3 single predictions, one batch of 4, 2 client errors, one 503, on the prediction routes.
  send(enc.request({ route: '/predict', method: 'POST', status: 200, latencySeconds: 0.0007, inferenceSeconds: 0.0002, batchSize: 1, predictions: [pred('spam', 0.97, 10)] }));
  send(enc.request({ route: '/predict', method: 'POST', status: 200, latencySeconds: 0.004, inferenceSeconds: 0.0015, batchSize: 1, predictions: [pred('ham', 0.55, 300)] }));
  send(enc.request({ route: '/invocations', method: 'POST', status: 200, latencySeconds: 0.02, inferenceSeconds: 0.003, batchSize: 1, predictions: [pred('ham', 0.91, 5000)] }));
  send(enc.request({ route: '/predict', method: 'POST', status: 200, latencySeconds: 0.03, inferenceSeconds: 0.01, batchSize: 4, predictions: [pred('spam', 0.99, 1), pred('spam', 0.6, 2), pred('ham', 0.8, 3), pred('ham', 0.999, 4)] }));
  send(enc.request({ route: '/predict', method: 'POST', status: 400, errorCode: 'EMPTY_TEXT', latencySeconds: 0.0003 }));
  send(enc.request({ route: '/invocations', method: 'POST', status: 413, errorCode: 'BATCH_TOO_LARGE', latencySeconds: 0.0004 }));
  send(enc.request({ route: '/predict', method: 'POST', status: 503, errorCode: 'OVERLOADED', latencySeconds: 0.0001 }));
  // Other routes: not prediction requests. Values outside the closed sets map to fallbacks.
  send(enc.request({ route: '/health', method: 'GET', status: 200, latencySeconds: 0.0001 }));
  send(JSON.stringify({ v: 1, type: 'request', worker: '7', pid: process.pid, ts: Date.now(), route: '/admin/secret', method: 'GET', status: 599, error_code: 'MADE_UP', latency_s: 0.001, model_version: 'model-a' }) + '\n');
  send(JSON.stringify({ v: 1, type: 'request', worker: '7', pid: process.pid, ts: Date.now(), route: '/feedback', method: 'POST', status: 418, latency_s: 0.001, model_version: 'model-a' }) + '\n');
  send(enc.feedback('spam', 'spam'));
  send(enc.feedback('spam', 'ham'));
  send(enc.feedback('ham', 'ham'));
  send(enc.feedback('ham', 'ham'));
  // Garbage of every kind, on the same connection.
  send('not json\n');
  send('[1]\n');
  send('{"v":9,"type":"request"}\n');
  send('{"v":1,"type":"gossip"}\n');
  send('{"v":1,"type":"request","worker":"a b"}\n');
  send('\n\n');
  c.send(`${'x'.repeat(1024 * 1024 + 10)}\n`);
  lines += 1;
  await waitFor(() => c.acked() === lines, `all ${lines} lines acknowledged`);

  // Binary junk on another connection costs nothing but that connection's frames.
  const junk = await client(socketPath);
  junk.send(Buffer.from([0xff, 0xfe, 0x00, 0x0a, 0xc3, 0x28, 0x0a]));
  await waitFor(() => junk.acked() === 2, 'junk lines acknowledged');
  await junk.close();

  // Let one sampling round see the worker's pid.
  await waitFor(async () => (await scrape(svc)).m.has('spam_detector_worker_resident_memory_bytes{worker="7"}'), 'worker process sampled');
  const { text, m } = await scrape(svc);
  const v = (k: string): number | undefined => m.get(k);

  // The seed's metrics, counted as the seed counted.
  t.equal(v('spam_detector_requests_total'), 7, 'requests_total: every /predict and /invocations request, failures included');
  t.equal(v('spam_detector_errors_total'), 3, 'errors_total: prediction requests that were not 2xx');
  t.equal(v('spam_detector_predictions_total{result="spam"}'), 3, 'a batch of n counts n');
  t.equal(v('spam_detector_predictions_total{result="ham"}'), 4);
  t.equal(v('spam_detector_response_time_seconds_count'), 7);
  t.equal(v('spam_detector_response_time_seconds_bucket{le="0.0005"}'), 3, '0.0001, 0.0003, 0.0004 <= 0.5 ms');
  t.equal(v('spam_detector_response_time_seconds_bucket{le="0.001"}'), 4);
  t.equal(v('spam_detector_response_time_seconds_bucket{le="0.025"}'), 6);
  t.equal(v('spam_detector_response_time_seconds_bucket{le="+Inf"}'), 7);
  t.equal(v('spam_detector_inference_latency_seconds_count'), 4);
  t.equal(v('spam_detector_inference_latency_seconds_bucket{le="0.00025"}'), 1);
  t.equal(v('spam_detector_request_rate_per_minute'), 7);
  t.equal(Math.round(v('spam_detector_error_rate_percent')! * 1000) / 1000, Math.round((300 / 7) * 1000) / 1000);
  t.equal(v('spam_detector_active_connections'), 3);
  t.equal(v('spam_detector_model_accuracy{model_version="model-a"}'), 0.9321);
  t.equal(v('spam_detector_model_info{model_version="model-a"}'), 1);
  t.equal(v('spam_detector_model_domain_accuracy{model_version="model-a",domain="sms"}'), 0.991, 'per-domain accuracy from the hello');
  t.equal(v('spam_detector_model_domain_accuracy{model_version="model-a",domain="rawEmail"}'), 0.9934);
  t.equal(v('spam_detector_model_domain_accuracy{model_version="model-a",domain="short"}'), undefined, 'a domain the card lacks has no series');

  // Idiomatic twins and model behaviour.
  t.equal(v('spam_detector_http_requests_total{route="/predict",status_code="200"}'), 3);
  t.equal(v('spam_detector_http_requests_total{route="/invocations",status_code="413"}'), 1);
  t.equal(v('spam_detector_http_requests_total{route="/health",status_code="200"}'), 1);
  t.equal(v('spam_detector_http_requests_total{route="unmatched",status_code="other"}'), 1, 'unknown route and status map to fallbacks');
  t.equal(v('spam_detector_request_errors_total{route="unmatched",code="INTERNAL_ERROR"}'), 1, 'an unknown code maps to INTERNAL_ERROR');
  t.equal(v('spam_detector_request_errors_total{route="/feedback",code="INTERNAL_ERROR"}'), 1, 'a missing code too');
  t.equal(v('spam_detector_request_errors_total{route="/predict",code="EMPTY_TEXT"}'), 1);
  t.notOk(text.includes('/admin/secret') || text.includes('MADE_UP'), 'publisher-supplied values never become labels');
  t.equal(v('spam_detector_prediction_confidence_count{result="spam"}'), 3);
  t.equal(v('spam_detector_prediction_confidence_bucket{result="spam",le="0.6"}'), 1);
  t.equal(v('spam_detector_prediction_confidence_bucket{result="ham",le="0.999"}'), 4);
  t.equal(v('spam_detector_input_length_characters_count'), 7);
  t.equal(v('spam_detector_input_length_characters_bucket{le="16"}'), 5);
  t.equal(v('spam_detector_batch_size_count'), 4);
  t.equal(v('spam_detector_batch_size_bucket{le="1"}'), 3);
  t.equal(v('spam_detector_feedback_total{predicted="spam",actual="spam"}'), 1);
  t.equal(v('spam_detector_feedback_total{predicted="spam",actual="ham"}'), 1);
  t.equal(v('spam_detector_feedback_total{predicted="ham",actual="ham"}'), 2);
  t.equal(v('spam_detector_feedback_total{predicted="ham",actual="spam"}'), 0);

  // The worker, from its frames and its process.
  t.equal(v('spam_detector_worker_up{worker="7"}'), 1);
  t.equal(v('spam_detector_worker_ready{worker="7"}'), 1);
  t.ok(v('spam_detector_worker_resident_memory_bytes{worker="7"}')! > 10_000_000, 'RSS of the worker process');
  t.ok(v('spam_detector_worker_cpu_usage_ratio{worker="7"}')! >= 0);
  t.equal(v('spam_detector_exporter_publisher_published_events{worker="7"}'), 12);
  t.equal(v('spam_detector_exporter_publisher_dropped_events{worker="7"}'), 2);

  // Host collectors.
  t.ok(v('spam_detector_host_memory_total_bytes')! > 0);
  t.ok(v('spam_detector_memory_usage_percent')! > 0 && v('spam_detector_memory_usage_percent')! <= 100);
  t.ok(sumOf(m, 'spam_detector_host_disk_size_bytes') > 0);
  t.ok(v('spam_detector_cpu_usage_percent')! >= 0 && v('spam_detector_cpu_usage_percent')! <= 100);

  // Self-telemetry.
  t.equal(v('spam_detector_exporter_events_received_total{type="request"}'), 10);
  t.equal(v('spam_detector_exporter_events_received_total{type="feedback"}'), 4);
  t.equal(v('spam_detector_exporter_events_received_total{type="hello"}'), 1);
  t.equal(v('spam_detector_exporter_events_received_total{type="stats"}'), 1);
  t.equal(v('spam_detector_exporter_events_malformed_total{reason="invalid_json"}'), 3, 'not json + 2 junk lines');
  t.equal(v('spam_detector_exporter_events_malformed_total{reason="not_object"}'), 1);
  t.equal(v('spam_detector_exporter_events_malformed_total{reason="unsupported_version"}'), 1);
  t.equal(v('spam_detector_exporter_events_malformed_total{reason="unknown_type"}'), 1);
  t.equal(v('spam_detector_exporter_events_malformed_total{reason="invalid_field"}'), 1);
  t.equal(v('spam_detector_exporter_events_malformed_total{reason="oversized"}'), 1);
  t.equal(v('spam_detector_exporter_publishers_connected'), 1);
  t.ok(v('spam_detector_exporter_last_event_age_seconds')! >= 0);

  // Prometheus conventions, checked by Prometheus' own linter.
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  t.equal(lint.status, 0, `promtool check metrics: ${lint.stdout}${lint.stderr}`);
  t.match(text, /# HELP spam_detector_cpu_usage_percent Kept for compatibility/);

  // After the publisher leaves, its model and connections are no longer reported.
  await c.close();
  await waitFor(async () => (await scrape(svc)).m.get('spam_detector_exporter_publishers_connected') === 0, 'publisher gone');
  const after = (await scrape(svc)).m;
  t.equal(after.get('spam_detector_worker_up{worker="7"}'), 0);
  t.equal(after.get('spam_detector_active_connections'), 0);
  t.notOk(after.has('spam_detector_model_accuracy{model_version="model-a"}'));
  t.equal(after.get('spam_detector_requests_total'), 7, 'counters keep their values');
});

t.test('SIGTERM with a worker connected: frames it still sends are acknowledged until it leaves', async (t) => {
  const socketPath = join(dir, 'drain', 'events.sock');
  const svc = await spawnService(EXPORTER, { env: env(socketPath) });
  t.teardown(() => svc.stop('SIGKILL'));
  const enc = new EventEncoder({ worker: '0', pid: process.pid }, 'model-a');
  const c = await client(socketPath);
  c.send(enc.hello(0.9, BOOKS));
  await waitFor(() => c.acked() === 1, 'hello acknowledged');
  svc.child.kill('SIGTERM');
  await svc.waitForRecord((r) => r.msg === 'waiting for publishers to disconnect');
  // A worker stopping at the same moment flushes its last events now.
  let batch = '';
  for (let i = 0; i < 100; i++) batch += enc.request({ route: '/predict', method: 'POST', status: 200, latencySeconds: 0.001 });
  c.send(batch);
  await waitFor(() => c.acked() === 101, 'the last events are acknowledged during the drain');
  await c.close();
  t.same(await svc.exited, { code: 0, signal: null }, 'exits cleanly once the worker has left');
});
