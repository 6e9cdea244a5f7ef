/**
 * The exporter SIGKILLed for a long outage under load (issue 8, "Faults"), compiled services: no
 * request fails, the worker's memory stays bounded by its event queue (8 MiB by default) however
 * long the outage lasts, the loss is logged and counted, and delivery resumes by itself when the
 * exporter is back. test/reliability/channel-exporter-restart.test.ts accounts for every event across the
 * same kind of kill exactly; this test is about memory.
 */
import t from 'tap';
import { describeTally, runLoad } from '../helpers/fuzz-load.js';
import { scrape, sum, waitFor } from '../helpers/fuzz-prom.js';
import { makeScratch, mb, MB, memoryProbe, startExporter, startInference, waitForDelivery } from '../helpers/fuzz-stack.js';

t.test('exporter SIGKILLed for a long outage under load: no failed request, worker memory bounded by its queue, delivery resumes', async (t) => {
  const scratch = makeScratch('chan-outage-');
  t.teardown(() => scratch.cleanup());
  let exporter = await startExporter(scratch);
  t.teardown(() => exporter.stop());
  // Default queue bounds (20,000 events, 8 MiB). 64-text batches make ~4.5 KB events, so the
  // byte bound is reached after ~1,900 requests. The feedback store is kept small: at its default
  // bound (100,000 predictions) it alone holds ~19 MB, which would hide the queue's share.
  const inference = await startInference(scratch, { gcProbe: true, env: { FEEDBACK_MAX_ENTRIES: '1000' } });
  t.teardown(() => inference.stop());
  t.ok(await waitFor(async () => sum((await scrape(exporter.url)).samples, 'spam_detector_exporter_publishers_connected') === 1, 20_000), 'connected');
  const batch = JSON.stringify({ texts: Array.from({ length: 64 }, (_, i) => `msg ${i} win`) });
  await runLoad({ url: inference.url, body: batch, concurrency: 4, total: 50 });
  const base = await memoryProbe(inference);

  exporter.child.kill('SIGKILL');
  await exporter.exited;
  const first = await runLoad({ url: inference.url, body: batch, concurrency: 6, total: 2500 });
  const m1 = await memoryProbe(inference);
  const second = await runLoad({ url: inference.url, body: batch, concurrency: 6, total: 2500 });
  const m2 = await memoryProbe(inference);
  t.equal(first.ok() + second.ok(), 5000, `no failed request during the outage (${describeTally(first)}; ${describeTally(second)})`);
  const im = (await scrape(inference.url)).samples;
  const queued = sum(im, 'spam_detector_events_queue_depth');
  const dropped = sum(im, 'spam_detector_events_dropped_total', { reason: 'disconnected' });
  t.ok(dropped > 2000, `the queue overflowed and ${dropped} events were dropped as "disconnected"`);
  t.ok(m1.heapUsed - base.heapUsed < 8 * MB + 4 * MB, `heap with a full queue within its 8 MiB bound (+slack): ${mb(base.heapUsed)} -> ${mb(m1.heapUsed)}`);
  t.ok(m2.heapUsed - m1.heapUsed < 4 * MB, `and flat while the outage goes on: ${mb(m1.heapUsed)} -> ${mb(m2.heapUsed)}`);
  t.ok(await inference.waitForRecord((r) => r.msg === 'events channel lost, reconnecting', 1000).then(() => true, () => false), 'the loss was logged');

  exporter = await startExporter(scratch);
  t.ok(await waitForDelivery(exporter.url, 30_000), 'the queue is delivered to the new exporter');
  const em = (await scrape(exporter.url)).samples;
  const counted = sum(em, 'spam_detector_exporter_events_received_total', { type: 'request' });
  // The /metrics scrape above made one more (small) event, which the full queue may or may not have had room for.
  t.ok(counted === queued || counted === queued + 1, `the new exporter counted the ${queued} queued events (${counted})`);
  t.comment(
    `FIGURE exporter outage: 5000 batch requests served, 0 failed; queue held ${queued} events (8 MiB bound), ${dropped} dropped as "disconnected"; ` +
      `worker heap after GC ${mb(base.heapUsed)} -> ${mb(m1.heapUsed)} (queue full) -> ${mb(m2.heapUsed)} (2,500 requests later); rss ${mb(base.rss)} -> ${mb(m2.rss)}`,
  );
});
