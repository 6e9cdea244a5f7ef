/**
 * Bar 4: the `npm start` launcher (dist/scripts/start.js, what `npm start` runs after its build)
 * starts the exporter and the inference service, both serve and talk over the channel, and
 * SIGTERM stops both (the helper would SIGKILL after 10 s, so a clean exit proves the bound).
 * Supervision: an exporter SIGKILLed under load is restarted while every request is answered; an
 * exporter that keeps dying is given up while the inference serves; an inference that cannot run
 * stops everything with a non-zero status.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import t from 'tap';
import { missingNodeFlags, NODE_FLAGS, SERVICE_ENV } from '../../shared/node-flags.js';
import { parseMetrics, scratchDir, waitFor } from '../helpers/channel.js';
import { metricSum, runLoad } from '../helpers/ops-load.js';
import { alive, spawnService, type SpawnedService } from '../helpers/spawn.js';

const dir = scratchDir('start-test-');
const LAUNCHER = 'dist/scripts/start.js';

interface Started {
  launcher: SpawnedService;
  inferenceUrl: string;
  exporterUrl: string;
  pids: { exporter: number; inference: number };
}

async function start(name: string): Promise<Started> {
  const socketPath = join(dir, name, 'events.sock');
  const launcher = await spawnService(LAUNCHER, {
    env: { EVENTS_SOCKET: socketPath, HOST: '127.0.0.1', INFERENCE_PORT: '0', EXPORTER_PORT: '0', WORKERS: '1', LOG_LEVEL: 'info', SAMPLE_INTERVAL_MS: '1000', MALLOC_ARENA_MAX: undefined },
    readyTimeoutMs: 60_000,
  });
  const ready = await launcher.waitForRecord((r) => r.service === 'launcher' && r.msg === 'all services ready', 60_000);
  const exporterPid = launcher.records().find((r) => r.service === 'exporter' && r.msg === 'ready')?.pid;
  const inferencePid = launcher.records().find((r) => r.service !== 'exporter' && r.service !== 'launcher' && r.msg === 'ready')?.pid;
  return {
    launcher,
    inferenceUrl: String(ready.inference_url),
    exporterUrl: String(ready.exporter_url),
    pids: { exporter: Number(exporterPid), inference: Number(inferencePid) },
  };
}

t.test('npm start: both services serve, SIGTERM stops both cleanly within the bound', async (t) => {
  const s = await start('clean');
  t.teardown(() => s.launcher.stop('SIGKILL'));
  t.ok(alive(s.pids.exporter) && alive(s.pids.inference), 'both child processes run');
  for (const name of ['exporter', 'inference'] as const) {
    const argv = readFileSync(`/proc/${s.pids[name]}/cmdline`, 'utf8').split('\0');
    t.same(missingNodeFlags(NODE_FLAGS[name], argv, ''), [], `${name} started with its V8 flags (shared/node-flags.ts)`);
    const environ = Object.fromEntries(readFileSync(`/proc/${s.pids[name]}/environ`, 'utf8').split('\0').map((kv) => kv.split(/=(.*)/s)));
    const given = Object.fromEntries(Object.keys(SERVICE_ENV).map((k) => [k, environ[k]]));
    t.same(given, SERVICE_ENV, `${name} started with SERVICE_ENV (shared/node-flags.ts)`);
  }

  const res = await fetch(`${s.inferenceUrl}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'WIN a FREE cruise, call now!!!' }),
  });
  t.equal(res.status, 200);
  t.match(await res.json(), { prediction: /^(spam|ham)$/ });
  await waitFor(async () => {
    const m = parseMetrics(await (await fetch(`${s.exporterUrl}/metrics`)).text());
    return m.get('spam_detector_requests_total') === 1;
  }, 'the exporter counted the request');
  t.equal((await fetch(`${s.exporterUrl}/health`)).status, 200);

  // stop() sends SIGTERM and SIGKILLs only after 10 s: a clean exit is a stop within the bound.
  const exit = await s.launcher.stop('SIGTERM', 10_000);
  t.same(exit, { code: 0, signal: null }, 'launcher exits 0 on SIGTERM');
  t.notOk(alive(s.pids.exporter), 'exporter stopped');
  t.notOk(alive(s.pids.inference), 'inference stopped');
  t.notOk(existsSync(join(dir, 'clean', 'events.sock')), 'channel socket removed');
  const records = s.launcher.records();
  t.ok(records.some((r) => r.service === 'launcher' && r.msg === 'stopped' && r.failed === false));
  t.ok(records.some((r) => r.service === 'exporter' && r.msg === 'stopped'), 'exporter logged a clean stop');
});

t.test('npm start: exporter SIGKILLed under load: every request answered, exporter restarted and counting again', async (t) => {
  const s = await start('exporter-kill');
  t.teardown(() => s.launcher.stop('SIGKILL'));
  const TOTAL = 6000;
  let killedAt = 0;
  let oldCount = 0;
  const load = runLoad({
    url: s.inferenceUrl,
    total: TOTAL,
    concurrency: 16,
    onProgress(done) {
      if (done === 1500 && killedAt === 0) {
        killedAt = Date.now();
        process.kill(s.pids.exporter, 'SIGKILL');
      }
    },
  });
  // What the old exporter had counted shortly before it died (it dies with its counters).
  await waitFor(async () => {
    try {
      oldCount = parseMetrics(await (await fetch(`${s.exporterUrl}/metrics`)).text()).get('spam_detector_requests_total') ?? 0;
    } catch {
      // killed meanwhile: the last value read stands
    }
    return killedAt > 0;
  }, 'the exporter was killed mid-load', 60_000);
  const again = await s.launcher.waitForRecord((r) => r.service === 'launcher' && r.msg === 'exporter ready again', 10_000);
  const newUrl = String(again.url);
  t.ok(Number(again.pid) > 0 && Number(again.pid) !== s.pids.exporter, 'a new exporter process');
  await waitFor(async () => {
    const m = parseMetrics(await (await fetch(`${newUrl}/metrics`)).text());
    return (m.get('spam_detector_requests_total') ?? 0) > 0;
  }, 'the restarted exporter counts requests', Math.max(1, 10_000 - (Date.now() - killedAt)));
  t.pass(`restarted exporter counting ${Date.now() - killedAt} ms after the kill`);

  const result = await load;
  t.equal(result.ok, TOTAL, `all ${TOTAL} requests answered 2xx (${JSON.stringify(result.statuses)} ${JSON.stringify(result.errors)})`);
  t.ok(alive(s.pids.inference), 'the inference kept running (same process)');
  t.equal((await fetch(`${s.inferenceUrl}/ready`)).status, 200, 'the inference is ready');

  // What the restarted exporter counts versus what the client saw: never more; the gap is what
  // the dead exporter had counted plus what the worker reports as dropped.
  const inferenceMetrics = await (await fetch(`${s.inferenceUrl}/metrics`)).text();
  const dropped = metricSum(inferenceMetrics, 'spam_detector_events_dropped_total');
  let newCount = 0;
  await waitFor(async () => {
    newCount = parseMetrics(await (await fetch(`${newUrl}/metrics`)).text()).get('spam_detector_requests_total') ?? 0;
    return newCount + oldCount + dropped >= TOTAL;
  }, 'the restarted exporter has every request the dead one did not count', 15_000).catch(() => {});
  t.ok(newCount <= TOTAL, `no request counted twice (restarted exporter: ${newCount})`);
  t.ok(newCount + oldCount + dropped >= TOTAL, `lost from the exporter's counters: ${TOTAL - newCount} = counted by the dead exporter (>= ${oldCount} read before the kill) + ${dropped} events the worker dropped (unacknowledged when the connection broke)`);

  const exit = await s.launcher.stop('SIGTERM', 10_000);
  t.same(exit, { code: 0, signal: null }, 'launcher exits 0 on SIGTERM after the restart');
  t.ok(s.launcher.records().some((r) => r.service === 'launcher' && /exporter exited unexpectedly; restarting/.test(String(r.msg))));
});

t.test('npm start: an exporter that keeps dying is given up and the inference keeps serving', async (t) => {
  // A port already taken: every exporter start fails.
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as AddressInfo).port;
  const launcher = await spawnService(LAUNCHER, {
    env: { EVENTS_SOCKET: join(dir, 'giveup', 'events.sock'), HOST: '127.0.0.1', INFERENCE_PORT: '0', EXPORTER_PORT: String(port), WORKERS: '1', LOG_LEVEL: 'info' },
    readyTimeoutMs: 60_000,
  });
  t.teardown(() => launcher.stop('SIGKILL'));
  const gaveUp = await launcher.waitForRecord((r) => r.service === 'launcher' && /^giving up on exporter/.test(String(r.msg)), 30_000);
  t.equal(gaveUp.failures_in_a_row, 6, 'given up after 5 restarts');
  const ready = await launcher.waitForRecord((r) => r.service === 'launcher' && r.msg === 'all services ready', 30_000);
  const res = await fetch(`${String(ready.inference_url)}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'still serving' }),
  });
  t.equal(res.status, 200, 'predictions keep working without the exporter');
  const exit = await launcher.stop('SIGTERM', 10_000);
  t.same(exit, { code: 0, signal: null }, 'a clean stop exits 0 although the exporter was given up');
});

t.test('npm start: an inference that cannot run stops the exporter and fails the launcher', async (t) => {
  const launcher = await spawnService(LAUNCHER, {
    env: { EVENTS_SOCKET: join(dir, 'nomodel', 'events.sock'), HOST: '127.0.0.1', INFERENCE_PORT: '0', EXPORTER_PORT: '0', WORKERS: '1', MODEL_PATH: join(dir, 'no-such-model.onnx') },
    readyTimeoutMs: 60_000,
  });
  t.teardown(() => launcher.stop('SIGKILL'));
  const exporterPid = Number(launcher.records().find((r) => r.service === 'exporter' && r.msg === 'ready')?.pid);
  const exit = await launcher.exited;
  t.equal(exit.code, 1, 'launcher exits 1');
  t.notOk(alive(exporterPid), 'exporter stopped with it');
  t.ok(launcher.records().some((r) => r.service === 'launcher' && /inference exited before it was ready: it cannot run/.test(String(r.msg))));
});
