/**
 * The worker's publisher against the exporter's real listener and against servers that
 * misbehave: batching per tick, the bounded queue, socket backpressure, acknowledgements,
 * exact loss accounting when the exporter dies, reconnection, and the bounded shutdown flush.
 * Through every scenario the books balance: published = delivered + dropped + queued + in flight.
 */
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { Registry } from 'prom-client';
import { EventPublisher, type PublisherSnapshot } from '../../../../services/inference/src/events/publisher.js';
import type { RequestFields } from '../../../../shared/event-encode.js';
import { parseMetrics, QUIET, rawServer, recordingListener, scratchDir, sumOf, waitFor } from '../../../helpers/channel.js';

const dir = scratchDir();
let n = 0;
const nextSocket = (): string => join(dir, `s${++n}`, 'events.sock');

const REQUEST: RequestFields = {
  route: '/predict',
  method: 'POST',
  status: 200,
  latencySeconds: 0.0012,
  inferenceSeconds: 0.0004,
  batchSize: 1,
  predictions: [{ label: 'spam', confidence: 0.97, text_length: 42 }],
};

function publisher(socketPath: string, extra: Partial<ConstructorParameters<typeof EventPublisher>[0]> = {}): EventPublisher {
  return new EventPublisher({
    socketPath,
    identity: { worker: '0', pid: process.pid },
    modelVersion: 'test-v1',
    modelAccuracy: 0.95,
    log: QUIET,
    reconnectMinMs: 10,
    reconnectMaxMs: 100,
    statsIntervalMs: 60_000,
    ...extra,
  });
}

function droppedTotal(s: PublisherSnapshot): number {
  return Object.values(s.dropped).reduce((a, b) => a + b, 0);
}

function balanced(t: Test, s: PublisherSnapshot, where: string): void {
  t.equal(s.published_events, s.delivered_events + droppedTotal(s) + s.queued_events + s.inFlight, `books balance ${where}`);
  t.equal(s.dropped_events, droppedTotal(s), `dropped total matches reasons ${where}`);
}

t.test('events published in one tick go out in a few batched writes, each acknowledged', async (t) => {
  const path = nextSocket();
  const rec = await recordingListener(path);
  const pub = publisher(path);
  pub.start();
  await waitFor(() => pub.snapshot().connected, 'connected');
  await waitFor(() => rec.count('hello') === 1, 'hello frame');
  const chunksBefore = rec.chunks;
  for (let i = 0; i < 5000; i++) pub.publishRequest(REQUEST);
  t.equal(pub.snapshot().queued_events, 5000, 'publish only queues');
  await waitFor(() => pub.snapshot().delivered_events === 5000, 'all acknowledged');
  t.equal(rec.count('request'), 5000);
  t.ok(rec.chunks - chunksBefore < 100, `5000 events arrived in ${rec.chunks - chunksBefore} reads, not one write each`);
  const s = pub.snapshot();
  t.match(s, { published_events: 5000, sent: 5000, delivered_events: 5000, dropped_events: 0, queued_events: 0, inFlight: 0 });
  balanced(t, s, 'after delivery');
  const hello = rec.events.find((e) => e.type === 'hello');
  t.match(hello, { worker: '0', pid: process.pid, model_version: 'test-v1', model_accuracy: 0.95 });
  await pub.close(1000);
  await rec.close();
});

t.test('frames arrive whole and in order across batch buffers: partly filled, reused, longer than a batch', async (t) => {
  const path = nextSocket();
  const rec = await recordingListener(path);
  const pub = publisher(path, { maxBatchBytes: 2048, flushIntervalMs: 0 });
  pub.start();
  await waitFor(() => rec.count('hello') === 1, 'hello frame');
  // The first text length of each event is its sequence number; every 7th event has 64
  // predictions (~4 KiB), longer than a batch.
  const sent: number[] = [];
  for (let tick = 0; tick < 40; tick++) {
    for (let i = 0; i < 1 + (tick % 9) * 5; i++) {
      const seq = sent.length;
      const n = seq % 7 === 3 ? 64 : 1;
      const predictions = Array.from({ length: n }, (_, k) => ({ label: 'ham' as const, confidence: 0.75, text_length: k === 0 ? seq : k }));
      pub.publishRequest({ ...REQUEST, batchSize: n, predictions });
      sent.push(seq);
    }
    // Let some flushes happen between bursts, so written buffers are reused for later ones.
    await new Promise((r) => setImmediate(r));
  }
  await waitFor(() => pub.snapshot().delivered_events === sent.length, 'all acknowledged');
  t.same(rec.malformed, [], 'no frame cut or mixed with another');
  const got = rec.events.filter((e) => e.type === 'request').map((e) => (e.type === 'request' && e.v === 2 ? e.predictions![0]!.text_length : -1));
  t.same(got, sent, 'every event once, in publish order');
  balanced(t, pub.snapshot(), 'after delivery');
  await pub.close(1000);
  await rec.close();
});

t.test('with no exporter the queue keeps what fits, drops the rest as "disconnected", and delivers on connect', async (t) => {
  const path = nextSocket();
  const pub = publisher(path, { queueMaxEvents: 100 });
  pub.start();
  for (let i = 0; i < 250; i++) pub.publishRequest(REQUEST);
  let s = pub.snapshot();
  t.match(s, { connected: false, published_events: 250, queued_events: 100 });
  t.equal(s.dropped.disconnected, 150);
  balanced(t, s, 'while disconnected');
  const rec = await recordingListener(path);
  await waitFor(() => pub.snapshot().delivered_events === 100, 'queued events delivered after the exporter appeared');
  t.equal(rec.count('request'), 100);
  s = pub.snapshot();
  balanced(t, s, 'after reconnect');
  await pub.close(1000);
  await rec.close();
});

t.test('a reader that stops reading: backpressure is respected and memory stays bounded', async (t) => {
  const path = nextSocket();
  const server = await rawServer(path, { read: false });
  const maxBatchBytes = 64 * 1024;
  const pub = publisher(path, { queueMaxEvents: 1000, maxBatchBytes });
  pub.start();
  await waitFor(() => pub.snapshot().connected, 'connected');
  let maxQueued = 0;
  let maxBuffered = 0;
  // 100 ticks x 1000 events (~25 MB of frames) against a peer that reads nothing.
  for (let tick = 0; tick < 100; tick++) {
    for (let i = 0; i < 1000; i++) pub.publishRequest(REQUEST);
    await new Promise((r) => setImmediate(r));
    const s = pub.snapshot();
    maxQueued = Math.max(maxQueued, s.queued_events);
    maxBuffered = Math.max(maxBuffered, s.socketBufferedBytes);
  }
  const s = pub.snapshot();
  t.ok(maxQueued <= 1000, `queue never above its bound (max ${maxQueued})`);
  t.ok(maxBuffered <= 2 * maxBatchBytes, `socket userland buffer bounded (max ${maxBuffered} bytes)`);
  t.ok(s.dropped.queue_full > 90_000, `excess dropped as queue_full (${s.dropped.queue_full})`);
  t.equal(s.delivered_events, 0, 'nothing acknowledged');
  balanced(t, s, 'under backpressure');
  const inFlight = s.inFlight;
  t.ok(inFlight > 0, 'some lines were written before the kernel buffer filled');
  await server.close();
  await waitFor(() => !pub.snapshot().connected, 'connection loss noticed');
  const after = pub.snapshot();
  t.equal(after.dropped.unacknowledged, inFlight, 'every unacknowledged line is counted as dropped');
  balanced(t, after, 'after the reader died');
  await pub.close(100);
});

t.test('exporter killed mid-stream: unacknowledged lines are counted, delivery resumes by itself', async (t) => {
  const path = nextSocket();
  // Phase 1: a peer that reads but never acknowledges, then dies (like a SIGKILLed exporter).
  const zombie = await rawServer(path, { read: true });
  const pub = publisher(path);
  pub.start();
  await waitFor(() => pub.snapshot().connected, 'connected to the zombie');
  for (let i = 0; i < 700; i++) pub.publishRequest(REQUEST);
  await waitFor(() => zombie.lines().length >= 701, 'zombie read hello + 700 events');
  const sentToZombie = pub.snapshot().sent;
  t.equal(sentToZombie, 700);
  await zombie.close();
  await waitFor(() => !pub.snapshot().connected, 'loss noticed');
  t.equal(pub.snapshot().dropped.unacknowledged, 700, 'the whole unacknowledged stretch counts as dropped');
  // Phase 2: events while nobody listens are queued...
  for (let i = 0; i < 300; i++) pub.publishRequest(REQUEST);
  // ...and a real exporter on the same path gets them without anyone restarting the worker.
  const rec = await recordingListener(path);
  await waitFor(() => pub.snapshot().delivered_events === 300, 'delivery resumed');
  t.equal(rec.count('request'), 300);
  t.equal(rec.count('hello'), 1, 'a new connection starts with hello');
  const hello = rec.events.find((e) => e.type === 'hello');
  t.match(hello, { published_events: 1000, dropped_events: 700 }, 'the hello carries the books so far');
  const s = pub.snapshot();
  t.match(s, { published_events: 1000, delivered_events: 300, dropped_events: 700 });
  balanced(t, s, 'after resumption');
  await pub.close(1000);
  await rec.close();
});

t.test('graceful close flushes the queue and waits for the acknowledgement', async (t) => {
  const path = nextSocket();
  const rec = await recordingListener(path);
  const pub = publisher(path);
  pub.start();
  await waitFor(() => pub.snapshot().connected, 'connected');
  for (let i = 0; i < 3000; i++) pub.publishRequest(REQUEST);
  pub.publishFeedback('spam', 'ham');
  await pub.close(5000);
  const s = pub.snapshot();
  t.match(s, { published_events: 3001, delivered_events: 3001, dropped_events: 0, queued_events: 0 });
  t.equal(rec.count('request'), 3000);
  t.equal(rec.count('feedback'), 1);
  await waitFor(() => rec.count('stats') >= 1, 'final stats frame');
  const last = rec.events.filter((e) => e.type === 'stats').at(-1);
  t.match(last, { published_events: 3001, delivered_events: 3001, dropped_events: 0 }, 'final books reach the exporter');
  pub.publishRequest(REQUEST);
  t.equal(pub.snapshot().dropped.shutdown, 1, 'an event after close is counted, not sent');
  await rec.close();
});

t.test('close with no exporter is bounded and counts what it could not deliver', async (t) => {
  const pub = publisher(nextSocket());
  pub.start();
  for (let i = 0; i < 50; i++) pub.publishRequest(REQUEST);
  await pub.close(300);
  const s = pub.snapshot();
  t.equal(s.dropped.shutdown, 50);
  t.equal(s.queued_events, 0);
  balanced(t, s, 'after close');
});

t.test('the channel metrics are registered in the given registry', async (t) => {
  const path = nextSocket();
  const registry = new Registry();
  const pub = publisher(path, { registry, queueMaxEvents: 10 });
  pub.start();
  for (let i = 0; i < 15; i++) pub.publishRequest(REQUEST);
  let m = parseMetrics(await registry.metrics());
  t.equal(sumOf(m, 'spam_detector_events_published_total'), 15);
  t.equal(sumOf(m, 'spam_detector_events_dropped_total', { reason: 'disconnected' }), 5);
  t.equal(sumOf(m, 'spam_detector_events_queue_depth'), 10);
  t.equal(sumOf(m, 'spam_detector_events_channel_connected'), 0);
  const rec = await recordingListener(path);
  await waitFor(() => pub.snapshot().delivered_events === 10, 'delivered');
  m = parseMetrics(await registry.metrics());
  t.equal(sumOf(m, 'spam_detector_events_sent_total'), 10);
  t.equal(sumOf(m, 'spam_detector_events_delivered_total'), 10);
  t.equal(sumOf(m, 'spam_detector_events_channel_connected'), 1);
  t.equal(sumOf(m, 'spam_detector_events_queue_depth'), 0);
  await pub.close(1000);
  await rec.close();
});
