/**
 * Run statistics and the report built from them: counting by status, code and malformed kind,
 * percentiles never above the maximum, accuracy and confusion, reachability.
 */
import t from 'tap';
import { malformed, type PredictSpec } from '../../../../tools/traffic/mix.js';
import { BASE_SETTINGS } from '../../../../tools/traffic/modes.js';
import { NO_RESPONSE, RunStats } from '../../../../tools/traffic/stats.js';
import { buildReport, formatReport } from '../../../../tools/traffic/summary.js';

const predict: PredictSpec = { kind: 'predict', path: '/predict', body: '{}', batch: false, labels: ['spam'], feedback: [false] };

function report(stats: RunStats) {
  return buildReport({ target: 'http://127.0.0.1:1', mode: 'custom', seed: 1, messages: 'm', settings: BASE_SETTINGS, elapsedMs: 2000, interrupted: false, stats: stats.snapshot() });
}

t.test('counts, codes and kinds', async (t) => {
  const s = new RunStats();
  s.recordRequest(predict, 1000, 200, undefined);
  s.recordPredictions(['spam'], ['spam']);
  s.recordRequest(predict, 2000, 200, undefined);
  s.recordPredictions(['spam'], ['ham']);
  s.recordRequest(malformed('bad_json', 'x'), 500, 400, 'INVALID_JSON');
  s.recordRequest(malformed('empty_text', 'x'), 500, 503, 'OVERLOADED');
  s.recordRequest(predict, 9000, undefined, 'ECONNRESET');
  s.recordFeedback(202, undefined);
  s.recordFeedback(404, 'UNKNOWN_PREDICTION');
  const r = report(s);
  t.match(r.requests, { sent: 5, succeeded: 2, failed: 3, per_second: 2.5 });
  t.same(r.requests.by_status, { 200: 2, 400: 1, 503: 1, [NO_RESPONSE]: 1 });
  t.same(r.requests.by_code, { INVALID_JSON: 1, OVERLOADED: 1, ECONNRESET: 1 });
  t.same(r.requests.malformed, { sent: 2, by_kind: { bad_json: { sent: 1, by_code: { INVALID_JSON: 1 } }, empty_text: { sent: 1, by_code: { OVERLOADED: 1 } } } });
  t.match(r.predictions, { texts: 2, correct: 1, accuracy: 0.5, spam: 1, ham: 1, confusion: { spam: { spam: 1, ham: 1 }, ham: { spam: 0, ham: 0 } } });
  t.same(r.feedback, { sent: 2, accepted: 1, failed: 1, by_code: { UNKNOWN_PREDICTION: 1 } });
  t.equal(r.reachable, true);
  const text = formatReport(r);
  t.match(text, /sent 5, succeeded 2, failed 3, 2\.5 req\/s/);
  t.match(text, /bad_json\s+1 -> INVALID_JSON 1/);
  t.match(text, /accuracy 50\.00% \(1\/2\)/);
});

t.test('percentiles never exceed the exact maximum', async (t) => {
  const s = new RunStats();
  for (const us of [1000, 2000, 98_765, 123_457]) s.recordRequest(predict, us, 200, undefined);
  const l = s.snapshot().latencyMs;
  t.ok(l !== null);
  t.equal(l?.max, 123.457);
  t.ok((l?.p99 ?? Infinity) <= 123.457);
  t.ok((l?.p50 ?? Infinity) <= (l?.p95 ?? 0));
});

t.test('nothing answered: unreachable; nothing sent: no latency, no accuracy', async (t) => {
  const s = new RunStats();
  t.equal(report(s).latency_ms, null);
  t.equal(report(s).predictions.accuracy, null);
  t.equal(report(s).reachable, true, 'an empty run is not evidence of an unreachable target');
  s.recordRequest(predict, 100, undefined, 'ECONNREFUSED');
  s.recordRequest(predict, 100, undefined, 'ECONNREFUSED');
  t.equal(report(s).reachable, false);
  t.match(formatReport(report(s)), /Predictions\s+none/);
});
