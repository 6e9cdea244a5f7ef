/**
 * An inference worker SIGKILLed under load with WORKERS=2 (issue 8, "Faults"), compiled services:
 * the other worker keeps serving, the node:cluster primary re-forks the dead slot, and the
 * exporter's view (publishers, worker_up, the slot's books, the request counters) recovers.
 * Requests in flight on the killed worker's connections fail with it; that count is the figure.
 * test/e2e/inference-cluster.test.ts covers the same replacement without load or exporter.
 */
import { request } from 'undici';
import t from 'tap';
import { describeTally, newTally, runLoad } from '../helpers/fuzz-load.js';
import { scrape, sum, waitFor } from '../helpers/fuzz-prom.js';
import { makeScratch, startExporter, startInference, waitForDelivery } from '../helpers/fuzz-stack.js';

const CONCURRENCY = 8;
const TEXT = JSON.stringify({ text: 'Your account has been selected for a reward, reply today' });

/** worker slot -> pid, from /health on fresh connections (the primary spreads them round-robin). */
async function workerPids(url: string, want = 2, tries = 60): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < tries && seen.size < want; i++) {
    const res = await request(`${url}/health`, { reset: true });
    const body = (await res.body.json()) as { worker: string; pid: number };
    seen.set(body.worker, body.pid);
  }
  return seen;
}

t.test('worker 1 SIGKILLed under load: worker 0 serves, slot 1 is re-forked, the exporter recovers', async (t) => {
  const scratch = makeScratch('worker-kill-');
  const exporter = await startExporter(scratch);
  const inference = await startInference(scratch, { env: { WORKERS: '2' } });
  t.teardown(async () => {
    await inference.stop();
    await exporter.stop();
    scratch.cleanup();
  });
  const exp = async () => (await scrape(exporter.url)).samples;
  t.ok(await waitFor(async () => sum(await exp(), 'spam_detector_exporter_publishers_connected') === 2, 30_000), 'both workers connected to the exporter');
  const pids = await workerPids(inference.url);
  t.equal(pids.size, 2, 'both workers answer');
  const victim = pids.get('1')!;

  let stop = false;
  const tally = newTally();
  // A timeout: a connection the primary was handing to worker 1 when it died is never answered
  // (node:cluster's round-robin handoff waits for an ack the dead worker never sends).
  const load = runLoad({ url: inference.url, body: TEXT, concurrency: CONCURRENCY, stop: () => stop, timeoutMs: 10_000 }, tally);
  t.ok(await waitFor(() => tally.ok() >= 300, 60_000, 20), '300 answers before the kill');
  const okAtKill = tally.ok();
  process.kill(victim, 'SIGKILL');
  await inference.waitForRecord((r) => r.msg === 'worker 1 died; re-forking', 10_000);
  const okAtDeath = tally.ok();
  const ready = await inference.waitForRecord((r) => r.msg === 'replacement worker ready' && r.slot === '1', 60_000);
  const okAtReplacement = tally.ok();
  t.ok(okAtReplacement > okAtDeath, `worker 0 kept serving while slot 1 was empty (${okAtReplacement - okAtDeath} answers)`);
  t.not(ready.pid, victim, 'slot 1 has a new process');
  // Load goes on against both workers again.
  t.ok(await waitFor(() => tally.ok() >= okAtReplacement + 300, 60_000, 20), '300 more answers after the replacement');
  stop = true;
  await load;

  const failed = [...tally.failures.values()].reduce((a, b) => a + b, 0);
  const hung = tally.failures.get('UND_ERR_HEADERS_TIMEOUT') ?? 0;
  t.same([...tally.statuses.keys()], [200], `every answer was a 200 (${describeTally(tally)})`);
  t.ok(failed <= CONCURRENCY, `only requests in flight on (or being handed to) the killed worker failed (${failed} <= ${CONCURRENCY}, ${hung} of them never answered)`);

  const after = await workerPids(inference.url);
  t.equal(after.size, 2, 'both slots answer again');
  t.equal(after.get('0'), pids.get('0'), 'worker 0 was untouched');
  const im = (await scrape(inference.url)).samples;
  t.equal(sum(im, 'spam_detector_inference_worker_restarts_total', { worker: '1' }), 1, 'restart counted for slot 1');

  t.ok(await waitFor(async () => sum(await exp(), 'spam_detector_exporter_publishers_connected') === 2, 20_000), 'the exporter sees two publishers again');
  t.ok(await waitForDelivery(exporter.url), "both workers' books settle");
  const em = await exp();
  t.equal(sum(em, 'spam_detector_worker_up', { worker: '1' }), 1, 'worker_up{worker="1"} is back to 1');
  t.ok(sum(em, 'spam_detector_exporter_publisher_published_events', { worker: '1' }) > 0, "slot 1's books are the new process's");
  t.equal(sum(em, 'spam_detector_exporter_publisher_dropped_events'), 0, 'no live worker dropped an event');
  // What the exporter counted vs what the clients saw: the difference died with worker 1 (its
  // queue and unacknowledged writes at the kill). /health probes are not prediction requests.
  const counted = sum(em, 'spam_detector_requests_total');
  const lost = tally.ok() - counted;
  t.ok(lost >= 0 && lost <= 200, `events lost with the killed worker: ${lost}`);
  t.comment(
    `FIGURE worker kill: ${tally.ok()} answered (${okAtKill} before the kill, ${okAtReplacement - okAtDeath} by worker 0 alone while slot 1 restarted), ` +
      `${failed} failed (in flight on the killed worker; ${hung} never answered, cut by the client's 10 s timeout), restarts_total{worker="1"} 1, exporter requests_total ${counted} (${lost} events lost with the killed worker)`,
  );
});
