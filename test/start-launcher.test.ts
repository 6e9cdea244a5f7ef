/**
 * Bar 4: the `npm start` launcher (dist/scripts/start.js, what `npm start` runs after its build)
 * starts the exporter and the inference service, both serve and talk over the channel, and
 * SIGTERM stops both (the helper would SIGKILL after 10 s, so a clean exit proves the bound).
 * A service that dies on its own takes the launcher down with a non-zero status.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { missingNodeFlags, NODE_FLAGS } from '../shared/node-flags.js';
import { parseMetrics, scratchDir, waitFor } from './helpers/channel.js';
import { alive, spawnService, type SpawnedService } from './helpers/spawn.js';

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
    env: { EVENTS_SOCKET: socketPath, HOST: '127.0.0.1', INFERENCE_PORT: '0', EXPORTER_PORT: '0', WORKERS: '1', LOG_LEVEL: 'info', SAMPLE_INTERVAL_MS: '1000' },
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

t.test('npm start: a service dying on its own stops the other and fails the launcher', async (t) => {
  const s = await start('crash');
  t.teardown(() => s.launcher.stop('SIGKILL'));
  process.kill(s.pids.exporter, 'SIGKILL');
  const exit = await s.launcher.exited;
  t.equal(exit.code, 1, 'launcher exits 1');
  t.notOk(alive(s.pids.inference), 'inference stopped with it');
  t.ok(s.launcher.records().some((r) => r.service === 'launcher' && /exporter exited unexpectedly/.test(String(r.msg))));
});
