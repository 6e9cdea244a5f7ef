/**
 * Bar 1 and bar 3 of the channel: the compiled inference service with WORKERS=2 and the
 * compiled exporter, 10,000 mixed requests (single and batch predictions on both prediction
 * routes, bad requests of several kinds, unknown routes, feedback accepted, duplicate and
 * unknown). The exporter's counters must equal what the client saw, exactly: per route and
 * status, per error code, per predicted label, per feedback pair; zero events lost or dropped.
 * Both /metrics endpoints must pass `promtool check metrics`.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { emptyTally, runLoad, totalEvents, waitReady } from '../helpers/channel-load.js';
import { parseMetrics, scratchDir, sumOf, waitFor } from '../helpers/channel.js';
import { spawnService } from '../helpers/spawn.js';

const dir = scratchDir('channel-e2e-');
const socketPath = join(dir, 'run', 'events.sock');
const TOTAL = 10_000;

async function metricsText(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

t.test('10,000 mixed requests on 2 workers: the exporter counts exactly what the client saw', async (t) => {
  const common = { EVENTS_SOCKET: socketPath, HOST: '127.0.0.1', LOG_LEVEL: 'info' };
  const exporter = await spawnService('dist/services/exporter/src/main.js', {
    env: { ...common, EXPORTER_PORT: '0', SAMPLE_INTERVAL_MS: '500' },
  });
  t.teardown(() => exporter.stop());
  const inference = await spawnService('dist/services/inference/src/main.js', {
    env: { ...common, INFERENCE_PORT: '0', WORKERS: '2', EVENTS_STATS_INTERVAL_MS: '200' },
    readyTimeoutMs: 60_000,
  });
  t.teardown(() => inference.stop());

  const tally = emptyTally();
  await waitReady(inference.url, tally);
  const readyPolls = tally.requests;
  await runLoad({ url: inference.url, total: TOTAL, concurrency: 16 }, tally);
  t.same(tally.failures, [], 'every request got the status its kind expects');
  t.equal(tally.requests - readyPolls, TOTAL);
  const events = totalEvents(tally);

  // Events arrive within milliseconds; wait (bounded) until the exporter has them all.
  let m = new Map<string, number>();
  await waitFor(async () => {
    m = parseMetrics(await metricsText(exporter.url));
    return sumOf(m, 'spam_detector_exporter_events_received_total', { type: 'request' }) +
      sumOf(m, 'spam_detector_exporter_events_received_total', { type: 'feedback' }) >= events;
  }, `exporter received ${events} events`, 60_000);

  t.equal(sumOf(m, 'spam_detector_exporter_events_received_total', { type: 'request' }), tally.requests, 'one request event per request');
  t.equal(sumOf(m, 'spam_detector_exporter_events_malformed_total'), 0, 'no malformed frame');

  // The seed's counters.
  t.equal(m.get('spam_detector_requests_total'), tally.predictionRequests, 'requests_total');
  t.equal(m.get('spam_detector_errors_total'), tally.predictionErrors, 'errors_total');
  t.equal(m.get('spam_detector_predictions_total{result="spam"}'), tally.predictions.spam, 'predictions_total{spam}');
  t.equal(m.get('spam_detector_predictions_total{result="ham"}'), tally.predictions.ham, 'predictions_total{ham}');
  t.equal(m.get('spam_detector_response_time_seconds_count'), tally.predictionRequests, 'one latency per prediction request');
  t.equal(m.get('spam_detector_batch_size_count'), tally.batchRequests, 'one batch size per answered prediction request');
  t.equal(m.get('spam_detector_batch_size_sum'), tally.predictions.spam + tally.predictions.ham, 'batch sizes add up to the predictions');
  t.equal(m.get('spam_detector_inference_latency_seconds_count'), tally.batchRequests, 'one model call per answered prediction request');
  t.equal(sumOf(m, 'spam_detector_prediction_confidence_count'), tally.predictions.spam + tally.predictions.ham);
  t.equal(m.get('spam_detector_input_length_characters_count'), tally.predictions.spam + tally.predictions.ham);

  // Per route and status, per error code: the same pairs, the same counts.
  const byRouteStatus = new Map<string, number>();
  const errorsByCode = new Map<string, number>();
  for (const [key, value] of m) {
    let g = /^spam_detector_http_requests_total\{route="([^"]+)",status_code="([^"]+)"\}$/.exec(key);
    if (g) byRouteStatus.set(`${g[1]} ${g[2]}`, value);
    g = /^spam_detector_request_errors_total\{route="([^"]+)",code="([^"]+)"\}$/.exec(key);
    if (g) errorsByCode.set(`${g[1]} ${g[2]}`, value);
  }
  t.same(Object.fromEntries(byRouteStatus), Object.fromEntries(tally.byRouteStatus), 'http_requests_total by route and status');
  t.same(Object.fromEntries(errorsByCode), Object.fromEntries(tally.errorsByRouteCode), 'request_errors_total by route and code');
  t.ok(tally.byRouteStatus.size >= 8, `the mix covered ${tally.byRouteStatus.size} route/status pairs`);

  // Feedback: the confusion matrix.
  for (const predicted of ['spam', 'ham']) {
    for (const actual of ['spam', 'ham']) {
      t.equal(
        m.get(`spam_detector_feedback_total{predicted="${predicted}",actual="${actual}"}`),
        tally.feedback.get(`${predicted} ${actual}`) ?? 0,
        `feedback_total{${predicted},${actual}}`,
      );
    }
  }

  // Both workers published, nothing was dropped, and the books balance on every worker.
  await waitFor(async () => {
    m = parseMetrics(await metricsText(exporter.url));
    return sumOf(m, 'spam_detector_exporter_publisher_delivered_events') === events;
  }, 'workers report every event delivered', 30_000);
  for (const w of ['0', '1']) {
    const published = m.get(`spam_detector_exporter_publisher_published_events{worker="${w}"}`) ?? 0;
    t.ok(published > 0, `worker ${w} published ${published} events`);
    t.equal(m.get(`spam_detector_exporter_publisher_dropped_events{worker="${w}"}`), 0, `worker ${w} dropped none`);
    t.equal(m.get(`spam_detector_worker_up{worker="${w}"}`), 1);
  }
  t.equal(sumOf(m, 'spam_detector_exporter_publisher_published_events'), events);
  const accuracy = [...m].filter(([k]) => k.startsWith('spam_detector_model_accuracy{'));
  t.equal(accuracy.length, 1, 'one model version served');
  t.ok(accuracy[0]![1] > 0.5 && accuracy[0]![1] <= 1, `model accuracy from the card (${accuracy[0]![1]})`);

  // The inference service's own view of the channel (aggregated over its workers).
  const inf = await metricsText(inference.url);
  const im = parseMetrics(inf);
  t.equal(sumOf(im, 'spam_detector_events_dropped_total'), 0, 'inference: no event dropped');
  t.equal(sumOf(im, 'spam_detector_events_delivered_total'), events, 'inference: every event delivered');
  t.equal(sumOf(im, 'spam_detector_events_channel_connected'), 2, 'inference: both workers connected');

  // Bar 3: both endpoints pass Prometheus' linter.
  const exp = await metricsText(exporter.url);
  for (const [name, text] of [['exporter', exp], ['inference', inf]] as const) {
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    t.equal(lint.status, 0, `promtool check metrics (${name}): ${lint.stdout}${lint.stderr}`);
  }
});
