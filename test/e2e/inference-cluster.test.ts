/**
 * WORKERS=2: two processes serve one port (node:cluster); feedback works whichever worker gets
 * it; /metrics holds every worker and lints clean; a killed worker is replaced in its slot; a
 * worker that cannot start stops the whole service; SIGTERM drains both and exits 0.
 */
import t from 'tap';
import { runToExit, spawnService, type SpawnedService } from '../helpers/spawn.js';
import { SEED_SPAM, TEST_EVENTS_SOCKET, promtoolCheck, sampleValue } from '../helpers/inference.js';

const MAIN = 'dist/services/inference/src/main.js';
const ENV = { INFERENCE_PORT: '0', HOST: '127.0.0.1', WORKERS: '2', EVENTS_SOCKET: TEST_EVENTS_SOCKET, LOG_LEVEL: 'info', NODE_ENV: 'production', PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0' };

interface Health {
  worker: string;
  pid: number;
}

/** A fresh connection per call (Connection: close), so the primary spreads calls over workers. */
async function health(url: string): Promise<Health> {
  const res = await fetch(`${url}/health`, { headers: { connection: 'close' } });
  return (await res.json()) as Health;
}

/** Poll /health until every slot has answered with a pid accepted by `ok`. */
async function workersSeen(url: string, ok: (h: Health) => boolean = () => true): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < 200 && seen.size < 2; i++) {
    const h = await health(url);
    if (ok(h)) seen.set(h.worker, h.pid);
    else await new Promise((r) => setTimeout(r, 25));
  }
  return seen;
}

t.test('two workers on one port', async (t) => {
  const svc: SpawnedService = await spawnService(MAIN, { env: ENV, readyTimeoutMs: 60_000 });
  t.teardown(() => svc.stop('SIGKILL'));

  const ready = svc.records().find((r) => r.msg === 'ready');
  t.match(ready, { role: 'primary', workers: 2 }, 'the primary announces ready once both workers listen');

  const workers = await workersSeen(svc.url);
  t.same([...workers.keys()].sort(), ['0', '1'], 'both slots answer');

  await t.test('feedback reaches the worker that made the prediction', async (t) => {
    const post = (path: string, body: unknown): Promise<Response> =>
      fetch(`${svc.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', connection: 'close' },
        body: JSON.stringify(body),
      });
    const predictions: Array<{ id: string }> = [];
    for (let i = 0; i < 6; i++) {
      const p = (await (await post('/predict', { text: SEED_SPAM })).json()) as { id: string };
      t.type(p.id, 'string', JSON.stringify(p));
      predictions.push(p);
    }
    // One extra request shifts the round-robin, so feedback mostly lands on the other worker.
    await health(svc.url);
    let crossed = 0;
    for (const p of predictions) {
      const res = await post('/feedback', { id: p.id, label: 'spam' });
      t.equal(res.status, 200, `feedback for ${p.id}`);
      const reqId = res.headers.get('x-request-id');
      const line = await svc.waitForRecord((r) => r.msg === 'request' && r.reqId === reqId);
      if (line.worker !== p.id.split('.')[0]) crossed++;
    }
    const owners = new Set(predictions.map((p) => p.id.split('.')[0]));
    t.same([...owners].sort(), ['0', '1'], 'predictions came from both workers');
    t.ok(crossed > 0, `${crossed} feedback requests were answered by the other worker`);
  });

  await t.test('/metrics holds both workers and lints clean', async (t) => {
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    t.equal(sampleValue(text, 'spam_detector_ready', { worker: '0' }), 1);
    t.equal(sampleValue(text, 'spam_detector_ready', { worker: '1' }), 1);
    t.ok(sampleValue(text, 'http_request_duration_seconds_count', { worker: '0', route: '/health' })! > 0);
    t.ok(sampleValue(text, 'http_request_duration_seconds_count', { worker: '1', route: '/health' })! > 0);
    const check = promtoolCheck(text);
    t.equal(check.status, 0, `promtool: ${check.output}`);
  });

  await t.test('a killed worker is replaced in its slot', async (t) => {
    const victimPid = workers.get('1')!;
    process.kill(victimPid, 'SIGKILL');
    await svc.waitForRecord((r) => r.msg === 'replacement worker ready' && r.slot === '1', 60_000);
    const after = await workersSeen(svc.url, (h) => h.worker !== '1' || h.pid !== victimPid);
    t.equal(after.size, 2, 'both slots answer again');
    t.not(after.get('1'), victimPid, 'slot 1 has a new process');
    t.equal(after.get('0'), workers.get('0'), 'slot 0 was untouched');
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    t.equal(sampleValue(text, 'spam_detector_inference_worker_restarts_total', { worker: '1' }), 1);
  });

  const exit = await svc.stop('SIGTERM');
  t.same(exit, { code: 0, signal: null }, 'SIGTERM: the primary drains its workers and exits 0');
  t.ok(svc.records().filter((r) => r.msg === 'stopped').length >= 2, 'both workers stopped cleanly');
});

t.test('WORKERS=2 with a bad model: non-zero exit, no restart loop', async (t) => {
  const r = await runToExit(MAIN, { env: { ...ENV, MODEL_PATH: '/nonexistent/model.onnx' }, timeoutMs: 60_000 });
  t.notOk(r.timedOut, 'it gives up');
  t.equal(r.code, 1);
  t.match(r.stderr.join('\n'), /cannot load model \/nonexistent\/model\.onnx: file not found/);
  t.match(r.stderr.join('\n'), /worker \d failed to start/);
});
