/**
 * Bar 2 of the channel: SIGKILL the exporter while load runs, restart it, and check that
 * - the inference service answered every request (zero failures),
 * - delivery resumed by itself (nobody restarted or told the workers),
 * - the gap is accounted for exactly: every event the clients caused was either acknowledged
 *   by the killed exporter (frozen in the workers' delivered counter while no exporter ran),
 *   counted by the new exporter, or counted as dropped by reason; and the new exporter counted
 *   exactly what the workers consider delivered to it.
 * A small worker queue (300 events) makes the outage overflow it, so drops really happen.
 */
import { join } from 'node:path';
import t from 'tap';
import { emptyTally, runLoad, totalEvents, waitReady } from '../helpers/channel-load.js';
import { parseMetrics, scratchDir, sumOf, waitFor } from '../helpers/channel.js';
import { spawnService } from '../helpers/spawn.js';

const dir = scratchDir('channel-restart-');
const socketPath = join(dir, 'run', 'events.sock');
/** Upper bound; the test stops the load once the new exporter has counted fresh events. */
const MAX_REQUESTS = 20_000;

t.test('exporter SIGKILLed under load and restarted: no failed request, drops counted, delivery resumes', async (t) => {
  const common = { EVENTS_SOCKET: socketPath, HOST: '127.0.0.1', LOG_LEVEL: 'info' };
  const exporterEnv = { ...common, EXPORTER_PORT: '0', SAMPLE_INTERVAL_MS: '1000' };
  const oldExporter = await spawnService('dist/services/exporter/src/main.js', { env: exporterEnv });
  t.teardown(() => oldExporter.stop());
  const inference = await spawnService('dist/services/inference/src/main.js', {
    env: { ...common, INFERENCE_PORT: '0', WORKERS: '2', EVENTS_STATS_INTERVAL_MS: '200', EVENTS_QUEUE_MAX_EVENTS: '300' },
    readyTimeoutMs: 60_000,
  });
  t.teardown(() => inference.stop());

  // Requests this test makes to the inference service besides the load (each is an event too).
  let ownRequests = 0;
  const inferenceMetrics = async (): Promise<Map<string, number>> => {
    ownRequests++;
    return parseMetrics(await (await fetch(`${inference.url}/metrics`)).text());
  };
  const exporterMetrics = async (url: string): Promise<Map<string, number>> => parseMetrics(await (await fetch(`${url}/metrics`)).text());

  let answered = 0;
  let stopLoad = false;
  const tally = emptyTally();
  await waitReady(inference.url, tally);
  const load = runLoad(
    { url: inference.url, total: MAX_REQUESTS, concurrency: 8, onlyValid: true, onAnswer: (n) => (answered = n), stop: () => stopLoad },
    tally,
  );

  await waitFor(() => answered >= 800, '800 answers before the kill', 120_000);
  const beforeKill = await exporterMetrics(oldExporter.url);
  const oldCounted = sumOf(beforeKill, 'spam_detector_exporter_events_received_total', { type: 'request' }) +
    sumOf(beforeKill, 'spam_detector_exporter_events_received_total', { type: 'feedback' });
  t.ok(oldCounted > 0, `the first exporter counted ${oldCounted} events before the kill`);
  oldExporter.child.kill('SIGKILL');
  t.same(await oldExporter.exited, { code: null, signal: 'SIGKILL' });

  // With no exporter, no acknowledgement can arrive: the workers' delivered counters freeze on
  // what the killed exporter acknowledged.
  let im = new Map<string, number>();
  await waitFor(async () => {
    im = await inferenceMetrics();
    return sumOf(im, 'spam_detector_events_channel_connected') === 0;
  }, 'both workers noticed the loss', 30_000);
  const deliveredToOld = sumOf(im, 'spam_detector_events_delivered_total');
  t.ok(deliveredToOld > 0, `${deliveredToOld} events acknowledged by the killed exporter`);

  // Keep the load going without an exporter long enough to overflow the 300-event queues.
  const resumeAt = answered + 800;
  await waitFor(() => answered >= resumeAt, 'load during the outage', 120_000);
  im = await inferenceMetrics();
  t.equal(sumOf(im, 'spam_detector_events_delivered_total'), deliveredToOld, 'nothing delivered while no exporter runs');
  // Generous: the host is busy with the load (and on CI with other tests) while it starts.
  const newExporter = await spawnService('dist/services/exporter/src/main.js', { env: exporterEnv, readyTimeoutMs: 90_000 });
  t.teardown(() => newExporter.stop());
  // Load goes on after the restart: delivery must resume for fresh events, not only the queued ones.
  const restartedAt = answered;
  await waitFor(async () => {
    const nm = await exporterMetrics(newExporter.url);
    return answered >= restartedAt + 800 && (nm.get('spam_detector_requests_total') ?? 0) >= 1000;
  }, 'fresh events counted by the new exporter', 120_000);
  stopLoad = true;
  await load;
  t.same(tally.failures, [], 'the inference service answered every request with 200');
  t.ok(tally.requests > restartedAt, `${tally.requests} requests, ${tally.requests - restartedAt} after the restart`);

  // The workers' books, mirrored by the new exporter from their stats frames, settle once the
  // last events are acknowledged.
  const clientEvents = (): number => totalEvents(tally) + ownRequests;
  let m = new Map<string, number>();
  await waitFor(async () => {
    m = await exporterMetrics(newExporter.url);
    const published = sumOf(m, 'spam_detector_exporter_publisher_published_events');
    return (
      published === clientEvents() &&
      sumOf(m, 'spam_detector_exporter_publisher_queued_events') === 0 &&
      sumOf(m, 'spam_detector_exporter_publisher_delivered_events') + sumOf(m, 'spam_detector_exporter_publisher_dropped_events') === published
    );
  }, 'worker books settled', 60_000);

  const published = sumOf(m, 'spam_detector_exporter_publisher_published_events');
  const delivered = sumOf(m, 'spam_detector_exporter_publisher_delivered_events');
  const dropped = sumOf(m, 'spam_detector_exporter_publisher_dropped_events');
  const countedByNew = sumOf(m, 'spam_detector_exporter_events_received_total', { type: 'request' }) +
    sumOf(m, 'spam_detector_exporter_events_received_total', { type: 'feedback' });
  t.equal(published, clientEvents(), 'every request (and accepted feedback) was published');
  t.ok(countedByNew > 0 && (m.get('spam_detector_requests_total') ?? 0) > 0, `delivery resumed by itself: the new exporter counted ${countedByNew} events`);
  t.equal(countedByNew, delivered - deliveredToOld, 'the new exporter counted exactly what the workers delivered to it');
  t.equal(deliveredToOld + countedByNew + dropped, clientEvents(), 'the gap is exactly the dropped events');
  t.ok(dropped > 0, `${dropped} events dropped during the outage`);
  t.equal(sumOf(m, 'spam_detector_exporter_publisher_queued_events'), 0);
  for (const w of ['0', '1']) t.equal(m.get(`spam_detector_worker_up{worker="${w}"}`), 1, `worker ${w} reconnected`);

  // The same drops, by reason, on the inference service's own /metrics.
  im = await inferenceMetrics();
  t.equal(sumOf(im, 'spam_detector_events_dropped_total'), dropped, 'inference reports the same drops');
  const byReason = Object.fromEntries(
    ['queue_full', 'disconnected', 'unacknowledged', 'shutdown', 'oversized'].map((r) => [r, sumOf(im, 'spam_detector_events_dropped_total', { reason: r })]),
  );
  t.ok(byReason.disconnected! > 0, `queue overflow while no exporter ran: ${JSON.stringify(byReason)}`);
  t.equal(byReason.shutdown, 0);
  t.equal(byReason.oversized, 0);
  // What the killed exporter had counted at its last scrape is covered by what it acknowledged
  // plus what was in flight when it died.
  t.ok(oldCounted <= deliveredToOld + byReason.unacknowledged!, 'old exporter count within acknowledged + in flight');
});
