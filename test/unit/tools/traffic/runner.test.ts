/**
 * The runner against a small fake of the inference service (test/helpers): every request is
 * accounted for, error codes in the summary are the ones the service answered, accuracy is
 * computed against the true labels, feedback carries the returned ids and the true labels, and
 * concurrency, duration and abort bound the run.
 */
import t from 'tap';
import { buildPool, type LabelledText } from '../../../../tools/traffic/messages.js';
import { createMix, MALFORMED_KINDS } from '../../../../tools/traffic/mix.js';
import { createRng } from '../../../../tools/traffic/rng.js';
import { probe, run, type RunPlan } from '../../../../tools/traffic/runner.js';
import { NO_RESPONSE } from '../../../../tools/traffic/stats.js';
import { startFakeService, type FakeService } from '../../../helpers/traffic-fake-service.js';

// "tricky" ham mentions "buy", so the fake (spam iff the text contains "buy") gets it wrong.
const samples: LabelledText[] = [
  ...Array.from({ length: 30 }, (_, i) => ({ text: `buy cheap pills now ${i}`, label: 'spam' as const })),
  ...Array.from({ length: 60 }, (_, i) => ({ text: `meeting notes for monday ${i}`, label: 'ham' as const })),
  ...Array.from({ length: 10 }, (_, i) => ({ text: `tricky: did you buy the tickets ${i}`, label: 'ham' as const })),
];
const labelOf = new Map(samples.map((s) => [s.text, s.label]));
const pool = buildPool(samples, 'test messages');

let fake: FakeService;
t.beforeEach(async () => {
  fake = await startFakeService({ delayMs: 1 });
});
t.afterEach(async () => {
  await fake.close();
});

function plan(extra: Partial<RunPlan>): RunPlan {
  return { url: fake.url, concurrency: 4, timeoutMs: 5000, ...extra };
}

t.test('every request is accounted for and matches what the service saw', async (t) => {
  const next = createMix(pool, { errorRatio: 0.25, errorKinds: MALFORMED_KINDS, batchSize: 1, feedbackRatio: 0.5 }, createRng(11));
  const { stats, interrupted } = await run(plan({ count: 120 }), next);
  const s = stats.snapshot();
  t.equal(interrupted, false);
  t.equal(s.sent, 120);
  t.equal(s.succeeded + s.failed, 120);
  t.equal(s.succeeded, fake.predicted.length, 'one success per prediction the service made');
  t.same(s.byCode, fake.errors, 'failures by code are the codes the service answered');
  t.equal(s.malformed.sent, s.failed, 'only malformed requests failed');
  const codeOfKind = { bad_json: 'INVALID_JSON', missing_text: 'INVALID_REQUEST', empty_text: 'EMPTY_TEXT', wrong_type: 'INVALID_TEXT', unknown_route: 'NOT_FOUND' };
  t.same(Object.keys(s.malformed.byKind).sort(), Object.keys(codeOfKind).sort(), 'every kind was sent');
  for (const [kind, entry] of Object.entries(s.malformed.byKind)) {
    t.same(entry.byCode, { [codeOfKind[kind as keyof typeof codeOfKind]]: entry.sent }, `${kind} answers are attributed to ${kind}`);
  }
  t.ok(s.latencyMs !== null && s.latencyMs.p50 <= s.latencyMs.p99 && s.latencyMs.p99 <= s.latencyMs.max);

  // Accuracy against the true labels, recomputed from what the service predicted.
  const correct = fake.predicted.filter((p) => labelOf.get(p.text) === p.label).length;
  t.equal(s.predictions.texts, fake.predicted.length);
  t.equal(s.predictions.correct, correct);
  t.equal(s.predictions.accuracy, correct / fake.predicted.length);
  t.equal(s.predictions.spam, fake.predicted.filter((p) => p.label === 'spam').length);

  // Feedback: returned ids, true labels, all accepted.
  t.equal(s.feedback.sent, fake.feedback.length);
  t.equal(s.feedback.accepted, fake.feedback.length);
  t.ok(s.feedback.sent > 0 && s.feedback.sent < s.succeeded, `about half of the predictions got feedback (${s.feedback.sent}/${s.succeeded})`);
  const textOf = new Map(fake.predicted.map((p) => [p.id, p.text]));
  for (const f of fake.feedback) t.equal(f.label, labelOf.get(textOf.get(f.id) ?? ''), `feedback ${f.id} carries the true label`);
});

t.test('batches: n predictions per request, feedback for each chosen one', async (t) => {
  const next = createMix(pool, { errorRatio: 0, errorKinds: MALFORMED_KINDS, batchSize: 8, feedbackRatio: 1 }, createRng(5));
  const s = (await run(plan({ count: 10 }), next)).stats.snapshot();
  t.equal(s.sent, 10);
  t.equal(s.predictions.texts, 80);
  t.equal(fake.predicted.length, 80);
  t.equal(s.feedback.accepted, 80);
});

t.test('concurrency bounds the requests in flight', async (t) => {
  const slow = await startFakeService({ delayMs: 20 });
  t.teardown(() => slow.close());
  const next = createMix(pool, { errorRatio: 0, errorKinds: MALFORMED_KINDS, batchSize: 1, feedbackRatio: 0 }, createRng(1));
  await run({ url: slow.url, concurrency: 3, timeoutMs: 5000, count: 30 }, next);
  t.ok(slow.maxInFlight <= 3, `at most 3 in flight (${slow.maxInFlight})`);
  t.ok(slow.maxInFlight >= 2, `connections overlap (${slow.maxInFlight})`);
});

t.test('a duration ends the run by itself; a count caps it first', async (t) => {
  const next = createMix(pool, { errorRatio: 0, errorKinds: MALFORMED_KINDS, batchSize: 1, feedbackRatio: 0 }, createRng(2));
  const timed = await run(plan({ durationMs: 300, rate: 50 }), next);
  // 300 ms at 50/s has 15 slots (0, 20, ..., 280 ms); no slot starts after the deadline.
  t.ok(timed.stats.snapshot().sent <= 15, `rate-capped duration run sent ${timed.stats.snapshot().sent}`);
  t.ok(timed.stats.snapshot().sent >= 1);
  const both = await run(plan({ durationMs: 60_000, count: 7 }), next);
  t.equal(both.stats.snapshot().sent, 7);
});

t.test('abort stops new requests and marks the run interrupted', async (t) => {
  const next = createMix(pool, { errorRatio: 0, errorKinds: MALFORMED_KINDS, batchSize: 1, feedbackRatio: 0 }, createRng(3));
  const stop = new AbortController();
  const result = await run(plan({ count: 100_000, concurrency: 2 }), next, {
    signal: stop.signal,
    onRequestDone: (stats) => {
      if (stats.completed === 20) stop.abort();
    },
  });
  t.equal(result.interrupted, true);
  const sent = result.stats.snapshot().sent;
  t.ok(sent >= 20 && sent <= 22, `stopped right after the 20th answer (${sent})`);
});

t.test('an unreachable target: probe says so, requests are counted as no response', async (t) => {
  const gone = await startFakeService();
  const url = gone.url;
  await gone.close();
  const p = await probe(url, 2000);
  t.equal(p.reachable, false);
  t.equal(p.error, 'ECONNREFUSED');
  t.same(await probe(fake.url, 2000), { reachable: true, status: 200 });
  const next = createMix(pool, { errorRatio: 0, errorKinds: MALFORMED_KINDS, batchSize: 1, feedbackRatio: 0 }, createRng(4));
  const s = (await run({ url, concurrency: 2, timeoutMs: 2000, count: 5 }, next)).stats.snapshot();
  t.same(s.byStatus, { [NO_RESPONSE]: 5 });
  t.same(s.byCode, { ECONNREFUSED: 5 });
});
