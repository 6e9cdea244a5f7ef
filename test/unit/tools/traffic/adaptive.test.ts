/**
 * Adaptive concurrency for a latency target: the controller's rules on made-up windows, and
 * the runner driving a fake that serves one request at a time (latency = queue x delay).
 */
import t from 'tap';
import { LatencyController } from '../../../../tools/traffic/adaptive.js';
import { buildPool } from '../../../../tools/traffic/messages.js';
import { createMix, MALFORMED_KINDS } from '../../../../tools/traffic/mix.js';
import { createRng } from '../../../../tools/traffic/rng.js';
import { run } from '../../../../tools/traffic/runner.js';
import { startFakeService } from '../../../helpers/traffic-fake-service.js';

function windowOf(c: LatencyController, latencies: number[], status = 200): void {
  for (const ms of latencies) c.observe(ms, status);
}

t.test('below target: more connections, at most doubling per window', async (t) => {
  const c = new LatencyController(800, 64);
  t.equal(c.active, 4, 'starts small');
  windowOf(c, Array(100).fill(100));
  t.equal(c.step(5).concurrency, 8, '100 ms vs 800 ms target: x2 (capped)');
  windowOf(c, Array(100).fill(600));
  t.equal(c.step(10).concurrency, 11, '600 ms: x4/3');
  windowOf(c, Array(100).fill(790));
  t.equal(c.step(15).concurrency, 11, 'close enough: stays');
  windowOf(c, Array(100).fill(700));
  t.equal(c.step(20).concurrency, 13, 'rounding would keep 11 (x8/7 = 12.6 -> 13)');
});

t.test('above target: fewer connections, at most halving; never below 1 nor above max', async (t) => {
  const c = new LatencyController(100, 10, 10);
  windowOf(c, Array(50).fill(1000));
  t.equal(c.step(1).concurrency, 5);
  windowOf(c, Array(50).fill(1000));
  t.equal(c.step(2).concurrency, 3);
  for (let i = 0; i < 5; i++) {
    windowOf(c, [5000]);
    c.step(3 + i);
  }
  t.equal(c.active, 1);
  const d = new LatencyController(1000, 6);
  for (let i = 0; i < 5; i++) {
    windowOf(d, [1]);
    d.step(i);
  }
  t.equal(d.active, 6, 'capped at the maximum');
});

t.test('the p99 is of the window, exact', async (t) => {
  const c = new LatencyController(800, 64, 10);
  // 99 fast and 1 slow: the 99th percentile of 100 values is the 99th smallest (fast).
  windowOf(c, [...Array(99).fill(10), 5000]);
  const s = c.step(1);
  t.equal(s.windowP99Ms, 10);
  t.equal(s.requests, 100);
  windowOf(c, [...Array(98).fill(10), 5000, 5000]);
  t.equal(c.step(2).windowP99Ms, 5000);
});

t.test('503 answers back off whatever the latency; an empty window changes nothing', async (t) => {
  const c = new LatencyController(800, 64, 20);
  c.observe(5, 503);
  windowOf(c, Array(10).fill(5));
  const s = c.step(1);
  t.equal(s.concurrency, 14);
  t.equal(s.overloaded, 1);
  const e = c.step(2);
  t.equal(e.concurrency, 14);
  t.equal(e.windowP99Ms, null);
});

t.test('the runner opens connections until the serial fake reaches the target', async (t) => {
  const fake = await startFakeService({ delayMs: 2, serial: true });
  t.teardown(() => fake.close());
  const pool = buildPool(
    Array.from({ length: 10 }, (_, i) => ({ text: `message ${i}`, label: i % 2 ? ('spam' as const) : ('ham' as const) })),
    'test',
  );
  const next = createMix(pool, { errorRatio: 0, errorKinds: MALFORMED_KINDS, batchSize: 1, feedbackRatio: 0 }, createRng(1));
  // 4 connections x 2 ms is ~8 ms, hundreds of times under the 5 s target even on a starved
  // machine: every window that sees answers must add connections.
  const r = await run({ url: fake.url, concurrency: 24, timeoutMs: 10_000, durationMs: 2500, targetP99Ms: 5000, adaptEveryMs: 250 }, next);
  const steps = r.adaptive?.steps ?? [];
  t.ok(steps.length >= 2, `windows were measured (${steps.length})`);
  t.ok(steps.some((s) => s.concurrency > 4), `connections grew: ${steps.map((s) => s.concurrency).join(' ')}`);
  t.ok(fake.maxInFlight <= 24, `never more than the maximum in flight (${fake.maxInFlight})`);
  t.ok(fake.maxInFlight > 4, `more than the initial 4 were in flight (${fake.maxInFlight})`);
});
