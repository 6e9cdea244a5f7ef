/**
 * The channel's two ends agree: every frame the workers' template encoder writes is valid JSON
 * that the exporter's parser accepts with the same values (property-based), framing survives
 * any chunking (split lines, split UTF-8 sequences), and whatever else arrives is rejected
 * with the right reason, never thrown.
 */
import t from 'tap';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { EventEncoder, encodeAck, micros, ppm, type RequestFields } from '../../../shared/event-encode.js';
import { EVENT_ROUTES, MAX_FRAME_BYTES, type ChannelEvent, type RequestEvent } from '../../../shared/events.js';
import { LineSplitter } from '../../../services/exporter/src/framing.js';
import { EventMapper } from '../../../services/exporter/src/mapper.js';
import { DriftMonitor } from '../../../services/exporter/src/drift/monitor.js';
import { FrameParser } from '../../../services/exporter/src/parser.js';
import { WorkerRegistry } from '../../../services/exporter/src/worker-registry.js';
import { EventMetrics } from '../../../services/exporter/src/registry/event-metrics.js';

const BOOKS = { published_events: 10, delivered_events: 7, dropped_events: 2, queued_events: 1 };

const predictionArb = fc.record({
  label: fc.constantFrom('spam' as const, 'ham' as const),
  confidence: fc.double({ min: 0.5, max: 1, noNaN: true }),
  text_length: fc.nat({ max: 10_000_000 }),
});

const requestArb: fc.Arbitrary<RequestFields> = fc.record(
  {
    route: fc.constantFrom(...EVENT_ROUTES),
    method: fc.constantFrom('GET', 'POST', 'HEAD', 'PUT'),
    status: fc.integer({ min: 100, max: 599 }),
    errorCode: fc.constantFrom('INVALID_TEXT', 'EMPTY_TEXT', 'TEXT_TOO_LONG', 'NOT_FOUND', 'something "odd"\\'),
    latencySeconds: fc.double({ min: 0, max: 1000, noNaN: true }),
    inferenceSeconds: fc.double({ min: 0, max: 100, noNaN: true }),
    batchSize: fc.integer({ min: 1, max: 4096 }),
    predictions: fc.array(predictionArb, { minLength: 1, maxLength: 64 }),
  },
  { requiredKeys: ['route', 'method', 'status', 'latencySeconds'] },
);

function parseOk(line: string): ChannelEvent {
  const r = new FrameParser().parse(line.endsWith('\n') ? line.slice(0, -1) : line);
  if (typeof r === 'string') throw new Error(`rejected (${r}): ${line}`);
  return r;
}

t.test('request frames round-trip through the exporter parser with their values', async () => {
  const enc = new EventEncoder({ worker: 'w-1', pid: 4242 }, 'tfidf-lr-abc');
  fc.assert(
    fc.property(requestArb, (f) => {
      const line = enc.request(f);
      if (!line.endsWith('\n') || line.indexOf('\n') !== line.length - 1) return false;
      const e = parseOk(line) as RequestEvent;
      const expectPreds =
        f.predictions && f.predictions.length > 0
          ? f.predictions.map((p) => ({ label: p.label, confidence_ppm: ppm(p.confidence), text_length: p.text_length }))
          : undefined;
      return (
        e.type === 'request' &&
        e.v === 2 &&
        // Version 2 data events leave identity, time and model to the connection's hello.
        !('worker' in e) &&
        !('pid' in e) &&
        !('ts' in e) &&
        !('model_version' in e) &&
        e.route === f.route &&
        e.method === f.method &&
        e.status === f.status &&
        e.error_code === f.errorCode &&
        e.latency_us === micros(f.latencySeconds) &&
        e.inference_us === (f.inferenceSeconds === undefined ? undefined : micros(f.inferenceSeconds)) &&
        e.batch_size === f.batchSize &&
        JSON.stringify(e.predictions) === JSON.stringify(expectPreds)
      );
    }),
    { numRuns: 500 },
  );
});

t.test('integer times and confidences: exact for up to 6 decimals, rounded below, clamped', async (t) => {
  t.equal(micros(0.0007), 700);
  t.equal(micros(0.0012345), 1235, 'rounded to the nearest microsecond');
  t.equal(micros(1.5e-7), 0);
  t.equal(micros(-0.1), 0, 'never negative');
  t.equal(ppm(0.97), 970_000);
  t.equal(ppm(0.9876543), 987_654);
  t.equal(ppm(1.0000001), 1_000_000, 'never above 1');
  t.equal(ppm(-0.5), 0);
  // What the exporter observes (value / 1e6) is the same double as the decimal literal.
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 10_000_000 }), (n) => micros(n / 1e6) === n && (n > 1e6 || ppm(n / 1e6) === n)),
    { numRuns: 2000 },
  );
});

t.test('feedback, hello and stats frames round-trip', async (t) => {
  const enc = new EventEncoder({ worker: '3', pid: 99 }, 'v2');
  const fb = parseOk(enc.feedback('spam', 'ham'));
  t.same(fb, { v: 2, type: 'feedback', predicted: 'spam', actual: 'ham' }, 'feedback carries the facts only');
  t.match(parseOk(enc.hello(0.987, BOOKS, 6)), { v: 2, type: 'hello', worker: '3', pid: 99, ts: 6, model_version: 'v2', model_accuracy: 0.987, ...BOOKS });
  t.match(parseOk(enc.stats({ activeConnections: 4, inFlightRequests: 2, ready: false, ...BOOKS }, 7)), {
    v: 2,
    type: 'stats',
    worker: '3',
    pid: 99,
    ts: 7,
    active_connections: 4,
    in_flight_requests: 2,
    ready: false,
    ...BOOKS,
  });
  enc.setModelVersion('v3');
  t.match(parseOk(enc.hello(0.5, BOOKS)), { model_version: 'v3' });
  t.same(JSON.parse(encodeAck(12)), { v: 2, type: 'ack', received: 12 });
});

t.test('non-finite numbers never make an unreadable frame', async (t) => {
  const enc = new EventEncoder({ worker: '0', pid: 1 }, 'v');
  const e = parseOk(
    enc.request({
      route: '/predict',
      method: 'POST',
      status: 200,
      latencySeconds: Number.NaN,
      inferenceSeconds: Number.POSITIVE_INFINITY,
      predictions: [{ label: 'spam', confidence: Number.NaN, text_length: 1 }],
    }),
  );
  t.match(e, { latency_us: 0, inference_us: 0, predictions: [{ confidence_ppm: 0 }] });
  t.match(parseOk(enc.hello(Number.NaN, BOOKS)), { model_accuracy: 0 });
  t.match(parseOk(enc.hello(0.9, BOOKS, 7, { sms: 0.99, short: 0.95 })), { model_domain_accuracy: { sms: 0.99, short: 0.95 } }, 'per-domain accuracy rides on the hello');
  t.notOk('model_domain_accuracy' in (parseOk(enc.hello(0.9, BOOKS)) as object), 'absent when the card has none');
  // An unknown method is not copied into the frame.
  t.match(parseOk(enc.request({ route: '/', method: 'BREW"\n', status: 200, latencySeconds: 0.1 })), { method: 'OTHER' });
});

/** A version 1 request frame, as workers built before schema version 2 wrote it. */
const V1_REQUEST = {
  v: 1,
  type: 'request',
  worker: '0',
  pid: 1,
  ts: 1_700_000_000_000,
  route: '/predict',
  method: 'POST',
  status: 200,
  latency_s: 0.0042,
  inference_s: 0.0002,
  batch_size: 2,
  predictions: [
    { label: 'spam', confidence: 0.97, text_length: 200 },
    { label: 'ham', confidence: 0.61, text_length: 12 },
  ],
  model_version: 'v',
};

t.test('version 1 frames are still read (an exporter upgraded before its workers)', async (t) => {
  t.match(parseOk(JSON.stringify(V1_REQUEST)), { v: 1, type: 'request', latency_s: 0.0042, worker: '0' });
  t.match(parseOk(JSON.stringify({ v: 1, type: 'feedback', worker: '0', pid: 1, ts: 1, predicted: 'spam', actual: 'ham', model_version: 'v' })), {
    v: 1,
    type: 'feedback',
  });
  t.match(parseOk(JSON.stringify({ v: 1, type: 'hello', worker: '0', pid: 1, ts: 1, model_version: 'v', model_accuracy: 0.9, ...BOOKS })), { type: 'hello' });
});

t.test('a version 1 frame and the version 2 frame of the same request update the metrics alike', async (t) => {
  const render = async (line: string): Promise<string> => {
    const registry = new Registry();
    const mapper = new EventMapper(new EventMetrics(registry), new WorkerRegistry(), new DriftMonitor(100));
    mapper.apply(1, parseOk(line));
    return registry.metrics();
  };
  const enc = new EventEncoder({ worker: '0', pid: 1 }, 'v');
  const v2 = enc.request({
    route: '/predict',
    method: 'POST',
    status: 200,
    latencySeconds: V1_REQUEST.latency_s,
    inferenceSeconds: V1_REQUEST.inference_s,
    batchSize: 2,
    predictions: V1_REQUEST.predictions as RequestFields['predictions'],
  });
  const a = await render(JSON.stringify(V1_REQUEST));
  t.match(a, /spam_detector_response_time_seconds_sum 0\.0042\b/);
  t.match(a, /spam_detector_predictions_total\{result="spam"\} 1/);
  t.equal(await render(v2), a);
});

t.test('the parser rejects with a reason and never throws', async (t) => {
  const p = new FrameParser();
  const enc = new EventEncoder({ worker: '0', pid: 1 }, 'v');
  const good = JSON.parse(enc.request({ route: '/predict', method: 'POST', status: 200, latencySeconds: 0.01, predictions: [{ label: 'spam', confidence: 0.9, text_length: 3 }] })) as Record<string, unknown>;
  const variant = (patch: Record<string, unknown>): string => JSON.stringify({ ...good, ...patch });
  const v1 = (patch: Record<string, unknown>): string => JSON.stringify({ ...V1_REQUEST, ...patch });
  const cases: Array<[string, string]> = [
    ['{"v":1,', 'invalid_json'],
    ['\u0000\u0001', 'invalid_json'],
    ['[1,2,3]', 'not_object'],
    ['"hello"', 'not_object'],
    ['null', 'not_object'],
    ['42', 'not_object'],
    [variant({ v: 3 }), 'unsupported_version'],
    [variant({ v: 0 }), 'unsupported_version'],
    [variant({ v: '2' }), 'invalid_field'],
    [variant({ type: 'gossip' }), 'unknown_type'],
    [variant({ type: 7 }), 'invalid_field'],
    [variant({ status: 99 }), 'invalid_field'],
    [variant({ status: 200.5 }), 'invalid_field'],
    [variant({ latency_us: -1 }), 'invalid_field'],
    [variant({ latency_us: 1.5 }), 'invalid_field'],
    [variant({ latency_us: '100' }), 'invalid_field'],
    [variant({ latency_us: undefined }), 'invalid_field'],
    [variant({ inference_us: -1 }), 'invalid_field'],
    [variant({ route: 'r'.repeat(65) }), 'invalid_field'],
    [variant({ batch_size: 1.5 }), 'invalid_field'],
    [variant({ predictions: {} }), 'invalid_field'],
    [variant({ predictions: [{ label: 'eggs', confidence_ppm: 900_000, text_length: 3 }] }), 'invalid_field'],
    [variant({ predictions: [{ label: 'spam', confidence_ppm: 1_000_001, text_length: 3 }] }), 'invalid_field'],
    [variant({ predictions: [{ label: 'spam', confidence_ppm: 0.9, text_length: 3 }] }), 'invalid_field'],
    [variant({ predictions: [{ label: 'spam', confidence: 0.9, text_length: 3 }] }), 'invalid_field'],
    [variant({ predictions: [null] }), 'invalid_field'],
    [JSON.stringify({ v: 2, type: 'feedback', predicted: 'spam', actual: 'eggs' }), 'invalid_field'],
    // Version 1 request frames: identity and float times, validated as before.
    [v1({ worker: 'a b' }), 'invalid_field'],
    [v1({ worker: 'x'.repeat(33) }), 'invalid_field'],
    [v1({ pid: -1 }), 'invalid_field'],
    [v1({ ts: 'now' }), 'invalid_field'],
    [v1({ latency_s: -1 }), 'invalid_field'],
    [v1({ latency_s: '0.1' }), 'invalid_field'],
    [v1({ model_version: 'm'.repeat(65) }), 'invalid_field'],
    [v1({ predictions: [{ label: 'spam', confidence: 1.5, text_length: 3 }] }), 'invalid_field'],
    [JSON.stringify({ v: 1, type: 'feedback', predicted: 'spam', actual: 'ham', model_version: 'v' }), 'invalid_field'],
    [JSON.stringify({ v: 2, type: 'hello', worker: '0', pid: 1, ts: 1, model_version: 'bad version!', model_accuracy: 0.9, ...BOOKS }), 'invalid_field'],
    [JSON.stringify({ v: 2, type: 'hello', pid: 1, ts: 1, model_version: 'v', model_accuracy: 0.9, ...BOOKS }), 'invalid_field'],
    [JSON.stringify({ v: 2, type: 'hello', worker: '0', pid: 1, ts: 1, model_version: 'v', model_accuracy: 0.9, model_domain_accuracy: { nope: 0.5 }, ...BOOKS }), 'invalid_field'],
    [JSON.stringify({ v: 2, type: 'hello', worker: '0', pid: 1, ts: 1, model_version: 'v', model_accuracy: 0.9, model_domain_accuracy: { sms: 1.5 }, ...BOOKS }), 'invalid_field'],
    [JSON.stringify({ v: 2, type: 'hello', worker: '0', pid: 1, ts: 1, model_version: 'v', model_accuracy: 0.9, model_domain_accuracy: [0.5], ...BOOKS }), 'invalid_field'],
    [JSON.stringify({ v: 2, type: 'stats', worker: '0', pid: 1, ts: 1, active_connections: -3, in_flight_requests: 0, ready: true, ...BOOKS }), 'invalid_field'],
    [JSON.stringify({ v: 1, type: 'stats', worker: '0', pid: 1, ts: 1, active_connections: -3, in_flight_requests: 0, ready: true, ...BOOKS }), 'invalid_field'],
    ['x'.repeat(MAX_FRAME_BYTES + 1), 'oversized'],
  ];
  for (const [line, reason] of cases) t.equal(p.parse(line), reason, line.slice(0, 80));
  // Fields added by a later writer of the same version are ignored, and so are the identity
  // fields a version 2 data event no longer carries, whatever their value.
  t.match(p.parse(variant({ new_field: { nested: true } })), { type: 'request' });
  t.match(p.parse(variant({ worker: 'not a worker!', pid: -1, ts: 'never' })), { type: 'request' });
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (s) => {
      const r = p.parse(s);
      return typeof r === 'string' || typeof r === 'object';
    }),
    { numRuns: 2000 },
  );
});

function collect(maxChars = MAX_FRAME_BYTES): { splitter: LineSplitter; lines: string[]; oversized: () => number } {
  const lines: string[] = [];
  let oversized = 0;
  const splitter = new LineSplitter(maxChars, {
    line: (l) => lines.push(l),
    oversized: () => oversized++,
  });
  return { splitter, lines, oversized: () => oversized };
}

t.test('framing: any chunking of a stream yields the same lines, UTF-8 included', async () => {
  fc.assert(
    fc.property(
      fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).map((s) => s.replace(/\n/g, ' ')), { minLength: 1, maxLength: 30 }),
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }),
      (lines, cuts) => {
        const wanted = lines.filter((l) => l.length > 0);
        const bytes = Buffer.from(lines.map((l) => `${l}\n`).join(''));
        const { splitter, lines: got } = collect();
        let off = 0;
        let i = 0;
        let count = 0;
        while (off < bytes.length) {
          const n = cuts[i++ % cuts.length]!;
          count += splitter.push(bytes.subarray(off, off + n));
          off += n;
        }
        return count === wanted.length && JSON.stringify(got) === JSON.stringify(wanted) && splitter.pending === 0;
      },
    ),
    { numRuns: 300 },
  );
});

t.test('framing: an oversized line costs that line only and memory stays bounded', async (t) => {
  const { splitter, lines, oversized } = collect(100);
  // A long line arriving in pieces, never with a newline until the end.
  t.equal(splitter.push(Buffer.from('ok-1\n' + 'y'.repeat(60))), 1);
  t.equal(splitter.push(Buffer.from('y'.repeat(60))), 1, 'reported once, as soon as it passes the limit');
  t.equal(splitter.pending, 0, 'nothing of it is kept');
  for (let i = 0; i < 100; i++) splitter.push(Buffer.from('z'.repeat(1000)));
  t.equal(splitter.pending, 0);
  t.equal(splitter.push(Buffer.from('zzz\nok-2\n' + 'w'.repeat(150) + '\nok-3\n')), 3);
  t.same(lines, ['ok-1', 'ok-2', 'ok-3']);
  t.equal(oversized(), 2);
});

t.test('frames are pure ASCII, so characters are bytes; non-ASCII values survive as escapes', async (t) => {
  const enc = new EventEncoder({ worker: 'wörker', pid: 3 }, 'modèle-✓-😀');
  const lines = [
    enc.request({ route: '/predict', method: 'POST', status: 500, errorCode: 'ÉCHEC', latencySeconds: 0.1 }),
    enc.feedback('spam', 'ham'),
    enc.hello(0.5, BOOKS),
    enc.stats({ activeConnections: 0, inFlightRequests: 0, ready: true, ...BOOKS }),
  ];
  for (const line of lines) t.equal(Buffer.byteLength(line, 'utf8'), line.length, 'one byte per character');
  t.match(JSON.parse(lines[2]!), { worker: 'wörker', model_version: 'modèle-✓-😀' });
  t.match(JSON.parse(lines[3]!), { worker: 'wörker' });
  t.equal((JSON.parse(lines[0]!) as { error_code: string }).error_code, 'ÉCHEC');
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
      const line = new EventEncoder({ worker: '0', pid: 1 }, s).hello(0.5, BOOKS);
      return Buffer.byteLength(line) === line.length && (JSON.parse(line) as { model_version: string }).model_version === s;
    }),
  );
});
