/**
 * Load beyond capacity (issue 8): wrk (bench/overload.ts: one thread, exactly 4000 requests, its
 * Lua script counting every answer by status) drives POST /predict with 5 KB texts on 128
 * connections against one worker whose load shedding is set low (event-loop utilization 0.8,
 * sampled every 100 ms), so shedding is certain without asserting any timing. The service must
 * shed with 503 OVERLOADED + Retry-After, count every shed request in
 * spam_detector_load_shed_total and in the exporter's counters, never fail a connection, keep
 * memory bounded and be ready again once the load stops. bench/overload.ts is the longer run.
 */
import t from 'tap';
import { driveOverload, OVERLOAD_TEXT } from '../../bench/overload.js';
import { scrape, sum, waitFor } from '../helpers/fuzz-prom.js';
import { makeScratch, mb, MB, memoryProbe, startExporter, startInference, waitForDelivery } from '../helpers/fuzz-stack.js';

const REQUESTS = 4000;
const CONNECTIONS = 128;

t.test(`overload: ${REQUESTS} requests on ${CONNECTIONS} connections shed with 503, counted, nothing crashes`, async (t) => {
  const scratch = makeScratch('overload-');
  const exporter = await startExporter(scratch);
  const inference = await startInference(scratch, {
    gcProbe: true,
    env: {
      PRESSURE_MAX_EVENT_LOOP_UTILIZATION: '0.8',
      PRESSURE_SAMPLE_INTERVAL_MS: '100',
      PRESSURE_RETRY_AFTER_SECONDS: '2',
      // The load starts seconds after the start; the start-up grace would hide its first part.
      PRESSURE_WARMUP_MS: '0',
    },
  });
  t.teardown(async () => {
    await inference.stop();
    await exporter.stop();
    scratch.cleanup();
  });
  const body = JSON.stringify({ text: OVERLOAD_TEXT });
  t.ok(await waitFor(async () => sum((await scrape(exporter.url)).samples, 'spam_detector_exporter_publishers_connected') === 1, 20_000), 'worker connected');
  await fetch(`${inference.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => r.arrayBuffer());
  t.ok(await waitForDelivery(exporter.url), 'warm-up delivered');
  const shedBefore = sum((await scrape(inference.url)).samples, 'spam_detector_load_shed_total');
  t.ok(await waitForDelivery(exporter.url), 'baseline settled');
  const expBefore = (await scrape(exporter.url)).samples;
  const memBefore = await memoryProbe(inference);

  const r = await driveOverload({ url: inference.url, body, connections: CONNECTIONS, amount: REQUESTS, pids: [inference.pid] });

  const answered = Object.values(r.statuses).reduce((a, n) => a + n, 0);
  t.equal(r.errors, 0, 'no connection error');
  t.equal(r.timeouts, 0, 'no timeout');
  t.equal(answered, REQUESTS, `every request answered, no more sent (${r.command})`);
  t.same(Object.keys(r.statuses).sort(), ['200', '503'], `only 200 and 503 answers (${JSON.stringify(r.statuses)})`);
  t.ok(r.shed > 0, `load was shed (${r.shed})`);
  t.ok(r.accepted > 0, `and load was served (${r.accepted})`);
  t.same(r.shedCodes, ['OVERLOADED'], '503 answers carry code OVERLOADED');
  t.same(r.retryAfter, ['2'], 'and Retry-After');
  t.equal(inference.child.exitCode, null, 'the worker is up');

  const shedMetric = sum((await scrape(inference.url)).samples, 'spam_detector_load_shed_total') - shedBefore;
  t.equal(shedMetric, r.shed, 'spam_detector_load_shed_total = 503s the clients saw');
  t.ok(await waitForDelivery(exporter.url), 'events delivered');
  const expAfter = (await scrape(exporter.url)).samples;
  const d = (name: string, match: Record<string, string> = {}): number => sum(expAfter, name, match) - sum(expBefore, name, match);
  t.equal(d('spam_detector_requests_total'), answered, 'exporter requests_total = every answer');
  t.equal(d('spam_detector_errors_total'), r.shed, 'exporter errors_total = the shed requests');
  t.equal(d('spam_detector_request_errors_total', { route: '/predict', code: 'OVERLOADED' }), r.shed, 'by code OVERLOADED');

  t.ok(await waitFor(async () => (await fetch(`${inference.url}/ready`).then((x) => x.status)) === 200, 15_000, 100), 'ready again once the load stops');
  const memAfter = await memoryProbe(inference);
  t.ok(memAfter.heapUsed - memBefore.heapUsed < 16 * MB, `heap after GC near baseline: ${mb(memBefore.heapUsed)} -> ${mb(memAfter.heapUsed)}`);
  t.ok(r.rssMaxBytes < memBefore.rss + 256 * MB, `RSS bounded under load: ${mb(memBefore.rss)} -> max ${mb(r.rssMaxBytes)}`);

  // wrk's latency distribution covers all answers, accepted and shed together.
  const l = r.latencyMs;
  t.comment(
    `FIGURE overload: ${answered} answers on ${CONNECTIONS} connections in ${r.seconds.toFixed(1)} s: ${r.accepted} accepted (${r.acceptedPerSecond.toFixed(0)}/s), ` +
      `${r.shed} shed; latency of all answers p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms, max ${l.max.toFixed(1)} ms; ` +
      `load_shed_total +${shedMetric}, errors ${r.errors}, timeouts ${r.timeouts}; RSS ${mb(memBefore.rss)} -> max ${mb(r.rssMaxBytes)}, heap after GC ${mb(memBefore.heapUsed)} -> ${mb(memAfter.heapUsed)}`,
  );
});
