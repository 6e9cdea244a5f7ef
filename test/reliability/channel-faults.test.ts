/**
 * Faults on the channel between the inference service and the exporter (issue 8, "Faults"),
 * compiled services, real sockets:
 * - the socket file removed while both run;
 * - a worker that may not open the socket (another user: the socket is owner-only).
 * Each must leave a clear log line, the documented behaviour (docs/reliability.md) and counted
 * drops, never a failed request. The exporter killed under load: test/reliability/exporter-outage.test.ts
 * (memory) and test/reliability/channel-exporter-restart.test.ts (exact accounting).
 */
import { rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { REPO_ROOT, spawnService } from '../helpers/spawn.js';
import { describeTally, runLoad } from '../helpers/fuzz-load.js';
import { scrape, sum, waitFor } from '../helpers/fuzz-prom.js';
import { INFERENCE_MAIN, makeScratch, startExporter, startInference, waitForDelivery } from '../helpers/fuzz-stack.js';

const TEXT = JSON.stringify({ text: 'Limited offer: claim your free prize now' });

t.test('socket file removed: connected workers go on, a new one says why and queues, an exporter restart heals', async (t) => {
  const scratch = makeScratch('chan-removed-');
  t.teardown(() => scratch.cleanup());
  let exporter = await startExporter(scratch);
  t.teardown(() => exporter.stop());
  const a = await startInference(scratch, { env: { WORKER_ID: 'a' } });
  t.teardown(() => a.stop());
  t.ok(await waitFor(async () => sum((await scrape(exporter.url)).samples, 'spam_detector_exporter_publishers_connected') === 1, 20_000), 'worker a connected');

  rmSync(scratch.socket);
  const tallyA = await runLoad({ url: a.url, body: TEXT, concurrency: 4, total: 200 });
  t.equal(tallyA.ok(), 200, `worker a still serves (${describeTally(tallyA)})`);
  t.ok(await waitForDelivery(exporter.url), 'and its events still arrive over the open connection');
  t.equal(sum((await scrape(exporter.url)).samples, 'spam_detector_requests_total'), 200, 'all 200 counted');

  // A worker started now cannot reach the exporter: a warning with the reason, requests served.
  const b = await startInference(scratch, { env: { WORKER_ID: 'b', EVENTS_QUEUE_MAX_EVENTS: '100' } });
  t.teardown(() => b.stop());
  const warn = await b.waitForRecord((r) => r.msg === 'events channel unavailable, retrying; events are queued, then dropped as "disconnected"', 10_000);
  t.match(warn, { level: 40, code: 'ENOENT', socket: scratch.socket }, 'a warning that names the socket and ENOENT');
  const tallyB = await runLoad({ url: b.url, body: TEXT, concurrency: 4, total: 300 });
  t.equal(tallyB.ok(), 300, `worker b serves every request without the channel (${describeTally(tallyB)})`);
  let bm = (await scrape(b.url)).samples;
  t.equal(sum(bm, 'spam_detector_events_queue_depth'), 100, 'its queue holds its bound');
  t.equal(sum(bm, 'spam_detector_events_dropped_total', { reason: 'disconnected' }), 200, 'the rest is dropped and counted as "disconnected"');

  // Documented remedy: restart the exporter; it re-creates the socket and both workers deliver.
  await exporter.stop();
  exporter = await startExporter(scratch);
  t.ok(existsSync(scratch.socket), 'the socket is back');
  t.ok(await waitFor(async () => sum((await scrape(exporter.url)).samples, 'spam_detector_exporter_publishers_connected') === 2, 20_000), 'both workers connected to the new exporter');
  t.ok(await waitForDelivery(exporter.url), 'the queued events are delivered');
  const m = (await scrape(exporter.url)).samples;
  t.equal(sum(m, 'spam_detector_requests_total'), 100, "worker b's 100 queued prediction events arrived");
  bm = (await scrape(b.url)).samples;
  t.equal(sum(bm, 'spam_detector_events_queue_depth'), 0, 'worker b has nothing left queued');
  t.comment(`FIGURE channel socket removed: worker a ${tallyA.ok()}/200 served and counted; worker b ${tallyB.ok()}/300 served, 100 queued then delivered, 200 dropped as "disconnected"; warning code ENOENT`);
});

const ROOT_ONLY = process.getuid?.() === 0 ? false : 'needs root to start the worker as another user';

t.test('a worker that may not open the socket (another user): warned, served, drops counted; the exporter is unaffected', { skip: ROOT_ONLY }, async (t) => {
  const scratch = makeScratch('chan-eacces-');
  t.teardown(() => scratch.cleanup());
  const exporter = await startExporter(scratch);
  t.teardown(() => exporter.stop());
  // Drop to nobody before the service loads: the channel directory is 0700 and the socket 0600.
  const wrapper = join(scratch.dir, 'as-nobody.mjs');
  writeFileSync(wrapper, `process.setgid(65534); process.setuid(65534);\nawait import(${JSON.stringify(join(REPO_ROOT, INFERENCE_MAIN))});\n`);
  const other = await spawnService(wrapper, {
    env: { HOST: '127.0.0.1', INFERENCE_PORT: '0', EVENTS_SOCKET: scratch.socket, LOG_LEVEL: 'info', WORKER_ID: 'nobody', EVENTS_QUEUE_MAX_EVENTS: '50', WORKERS: undefined, NODE_OPTIONS: undefined },
    readyTimeoutMs: 60_000,
  });
  t.teardown(() => other.stop());
  const warn = await other.waitForRecord((r) => typeof r.msg === 'string' && r.msg.startsWith('events channel unavailable'), 10_000);
  t.match(warn, { level: 40, code: 'EACCES' }, 'a warning with EACCES');
  const tally = await runLoad({ url: other.url, body: TEXT, concurrency: 4, total: 150 });
  t.equal(tally.ok(), 150, `every request served (${describeTally(tally)})`);
  const om = (await scrape(other.url)).samples;
  t.equal(sum(om, 'spam_detector_events_dropped_total', { reason: 'disconnected' }), 100, '100 dropped as "disconnected" beyond the 50 queued');
  const em = (await scrape(exporter.url)).samples;
  t.equal(sum(em, 'spam_detector_exporter_publishers_connected'), 0, 'nothing reached the exporter');
  t.equal(sum(em, 'spam_detector_exporter_events_malformed_total'), 0, 'and nothing odd');
  t.comment('FIGURE channel not permitted: 150/150 served, 50 queued, 100 dropped as "disconnected", warning code EACCES');
});
