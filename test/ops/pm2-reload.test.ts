/**
 * deploy/pm2/ecosystem.config.cjs under pm2 (own PM2_HOME, loopback, free ports): the inference
 * runs as 2 cluster instances and the exporter as one fork process; `pm2 reload
 * spam-detector-inference` mid-load replaces both instances while a bounded load runs, and
 *   - no request fails (every one answered 2xx),
 *   - the exporter keeps counting across the reload: its spam_detector_requests_total ends equal
 *     to the requests the client got answered, never above (no double counting), and below only
 *     by what the workers reported as dropped events.
 * pm2 and its daemon are killed at the end (`pm2 kill`), also when the test fails.
 */
import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { REPO_ROOT } from '../helpers/spawn.js';
import { createPm2, type Pm2 } from '../helpers/ops-pm2.js';
import { metricSum, metricValue, runLoad } from '../helpers/ops-load.js';
import { freePort, waitFor } from '../helpers/ops-prometheus.js';
import { withVersion } from '../helpers/model-files.js';
import { BUNDLED_MODEL_PATH } from '../../shared/paths.js';
import { SERVICE_ENV } from '../../shared/node-flags.js';

const ECOSYSTEM = join(REPO_ROOT, 'deploy', 'pm2', 'ecosystem.config.cjs');
const INSTANCES = 2;
/** Requests before the reload starts and after it ends: the reload happens mid-load. */
const BEFORE_RELOAD = 300;
const AFTER_RELOAD = 300;
/** Hard bounds of the load (it normally stops long before). */
const MAX_REQUESTS = 30_000;
const MAX_LOAD_MS = 120_000;

interface AppConfig {
  name: string;
  exec_mode: string;
  instances: number | string;
  kill_timeout: number;
  listen_timeout?: number;
  env: Record<string, string>;
  [key: string]: unknown;
}

const require = createRequire(import.meta.url);

function loadEcosystem(env: Record<string, string | undefined>): { apps: AppConfig[] } {
  const saved = { ...process.env };
  try {
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    delete require.cache[require.resolve(ECOSYSTEM)];
    return require(ECOSYSTEM) as { apps: AppConfig[] };
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

t.test('the ecosystem file: cluster inference with WORKERS=1, one fork exporter, sane timeouts', async (t) => {
  const { apps } = loadEcosystem({ INFERENCE_INSTANCES: undefined, WORKERS: '4' });
  const inference = apps.find((a) => a.name === 'spam-detector-inference')!;
  const exporter = apps.find((a) => a.name === 'spam-detector-exporter')!;
  t.equal(inference.exec_mode, 'cluster', 'inference in cluster mode');
  t.equal(inference.instances, 'max', 'default: one instance per core');
  t.equal(inference.env.WORKERS, '1', 'WORKERS forced to 1 under pm2, whatever the shell says');
  t.equal(exporter.exec_mode, 'fork', 'exporter in fork mode');
  t.equal(exporter.instances, 1, 'exactly one exporter');
  t.ok(apps.indexOf(exporter) < apps.indexOf(inference), 'exporter listed (started) first: it owns the channel');
  // The inference's own default drain time and the contract's 10 s both fit in kill_timeout.
  const { readInferenceConfig } = (await import('../../services/inference/src/config.js')) as typeof import('../../services/inference/src/config.js');
  const grace = readInferenceConfig({}).shutdownGraceMs;
  for (const app of apps) {
    t.ok(app.kill_timeout > grace && app.kill_timeout > 10_000, `${app.name}: kill_timeout ${app.kill_timeout} ms > drain ${grace} ms and the contract's 10 s`);
  }
  t.equal(loadEcosystem({ INFERENCE_INSTANCES: '3' }).apps.find((a) => a.name === 'spam-detector-inference')!.instances, 3, 'INFERENCE_INSTANCES=3');
  t.throws(() => loadEcosystem({ INFERENCE_INSTANCES: 'lots' }), /INFERENCE_INSTANCES/, 'a bad INFERENCE_INSTANCES is refused');
  // pm2's own schema of app options: a misspelt key would be silently ignored by pm2.
  const schema = require(join(REPO_ROOT, 'node_modules', 'pm2', 'lib', 'API', 'schema.json')) as Record<string, unknown>;
  for (const app of apps) t.same(Object.keys(app).filter((k) => !(k in schema)), [], `${app.name}: every option is one pm2 knows`);
});

t.test('pm2 reload of the inference under load: no failed request, exporter keeps counting', { timeout: 240_000 }, async (t) => {
  const dist = ['inference', 'exporter'].map((s) => join(REPO_ROOT, 'dist', 'services', s, 'src', 'main.js'));
  if (!dist.every((p) => existsSync(p))) {
    t.fail('dist/ has no compiled services: build first (npm test runs the build)');
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'ops-pm2-'));
  mkdirSync(join(work, 'channel'), { mode: 0o700 });
  const [inferencePort, exporterPort] = [await freePort(), await freePort()];
  const inferenceUrl = `http://127.0.0.1:${inferencePort}`;
  const exporterUrl = `http://127.0.0.1:${exporterPort}`;
  const pm2: Pm2 = createPm2(join(work, 'pm2-home'), {
    HOST: '127.0.0.1',
    INFERENCE_PORT: String(inferencePort),
    EXPORTER_PORT: String(exporterPort),
    EVENTS_SOCKET: join(work, 'channel', 'events.sock'),
    INFERENCE_INSTANCES: String(INSTANCES),
    SPAM_DETECTOR_LOG_DIR: join(work, 'logs'),
    LOG_LEVEL: 'info',
    // As docs/operations.md says: pm2's cluster instances start with the daemon's environment
    // only (the app's `env` reaches their process.env after start, too late for glibc), so the
    // daemon is started with SERVICE_ENV.
    ...SERVICE_ENV,
  });
  t.teardown(async () => {
    await pm2.kill();
    rmSync(work, { recursive: true, force: true });
  });
  const logTail = (name: string): string => {
    const file = join(work, 'logs', `${name}.log`);
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-15).join('\n') : '(no log)';
  };

  const started = await pm2.run(['start', ECOSYSTEM]);
  t.equal(started.code, 0, 'pm2 start exits 0');
  const scrape = async (): Promise<string> => (await fetch(`${exporterUrl}/metrics`)).text();
  await waitFor(
    'both inference instances ready and connected to the exporter',
    async () => {
      const ready = await fetch(`${inferenceUrl}/ready`);
      if (!ready.ok) return undefined;
      const up = metricSum(await scrape(), 'spam_detector_worker_up');
      return up === INSTANCES ? true : undefined;
    },
    60_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\ninference log:\n${logTail('spam-detector-inference')}\nexporter log:\n${logTail('spam-detector-exporter')}`);
  });
  const before = await pm2.list();
  const inferenceBefore = before.filter((p) => p.name === 'spam-detector-inference');
  const exporterBefore = before.find((p) => p.name === 'spam-detector-exporter');
  t.equal(inferenceBefore.length, INSTANCES, `${INSTANCES} inference instances`);
  t.same(inferenceBefore.map((p) => p.instance).sort(), ['0', '1'], 'instance slots 0 and 1 (NODE_APP_INSTANCE)');
  t.ok(exporterBefore, 'one exporter process');
  // glibc reads MALLOC_ARENA_MAX only at start: it must be in each process's own start environment.
  for (const p of [...inferenceBefore, exporterBefore]) {
    const environ = readFileSync(`/proc/${p?.pid}/environ`, 'utf8').split('\0');
    t.ok(environ.includes(`MALLOC_ARENA_MAX=${SERVICE_ENV.MALLOC_ARENA_MAX}`), `${p?.name} pid ${p?.pid} started with MALLOC_ARENA_MAX=${SERVICE_ENV.MALLOC_ARENA_MAX} (shared/node-flags.ts)`);
  }
  const baseline = metricValue(await scrape(), 'spam_detector_requests_total') ?? 0;

  // Drops the workers report (stats frames), sampled during the test: an old worker's last
  // report is only visible until its replacement reports.
  const droppedMax = new Map<string, number>();
  const sampleDrops = async (): Promise<void> => {
    const text = await scrape().catch(() => '');
    for (const line of text.split('\n')) {
      const m = /^spam_detector_exporter_publisher_dropped_events\{worker="([^"]+)"\} (\S+)/.exec(line);
      if (m) droppedMax.set(m[1]!, Math.max(droppedMax.get(m[1]!) ?? 0, Number(m[2])));
    }
  };
  const sampler = setInterval(() => void sampleDrops(), 500);

  const abort = new AbortController();
  const loadTimer = setTimeout(() => abort.abort(), MAX_LOAD_MS);
  let reload: Promise<{ code: number | null; out: string }> | undefined;
  let doneAtReloadStart = 0;
  let doneAtReloadEnd = -1;
  let doneNow = 0;
  const load = runLoad({
    url: inferenceUrl,
    total: MAX_REQUESTS,
    concurrency: 4,
    signal: abort.signal,
    onProgress(done) {
      doneNow = done;
      if (!reload && done >= BEFORE_RELOAD) {
        doneAtReloadStart = done;
        reload = pm2.run(['reload', 'spam-detector-inference'], 120_000).then((r) => {
          doneAtReloadEnd = doneNow;
          return r;
        });
      }
      if (doneAtReloadEnd >= 0 && done >= doneAtReloadEnd + AFTER_RELOAD) abort.abort();
    },
  });
  const result = await load;
  clearTimeout(loadTimer);
  const reloaded = await reload;
  t.ok(reloaded, 'a reload was started during the load');
  t.equal(reloaded?.code, 0, `pm2 reload exits 0\n${reloaded?.out.slice(-500)}`);

  const after = await pm2.list();
  const inferenceAfter = after.filter((p) => p.name === 'spam-detector-inference');
  t.equal(inferenceAfter.length, INSTANCES, 'still two inference instances');
  t.ok(inferenceAfter.every((p) => p.status === 'online'), 'all online');
  t.ok(inferenceAfter.every((p) => !inferenceBefore.some((b) => b.pid === p.pid)), 'every instance is a new process');
  t.same(inferenceAfter.map((p) => p.instance).sort(), ['0', '1'], 'slots kept across the reload');
  t.equal(after.find((p) => p.name === 'spam-detector-exporter')?.pid, exporterBefore?.pid, 'the exporter was not restarted');

  t.ok(doneAtReloadStart >= BEFORE_RELOAD, `reload started after ${doneAtReloadStart} requests`);
  t.ok(doneAtReloadEnd > doneAtReloadStart, `requests were answered while the reload ran (${doneAtReloadEnd - doneAtReloadStart})`);
  t.ok(result.sent >= doneAtReloadEnd + AFTER_RELOAD, `load went on after the reload (${result.sent} requests in all)`);
  const outcome = `statuses ${JSON.stringify(result.statuses)}, error codes ${JSON.stringify(result.codes)}, no answer ${JSON.stringify(result.errors)}`;
  // Every request answered 2xx: a draining worker serves requests on connections opened before
  // its drain with `Connection: close`, closes its listener only after SHUTDOWN_LISTEN_DELAY_MS,
  // and a new worker does not shed load on its own start-up delay (PRESSURE_WARMUP_MS). Before
  // that (2026-11), 6-40 requests per reload failed (503 SHUTTING_DOWN, ECONNRESET, 503 OVERLOADED).
  t.equal(result.failed, 0, `no failed request (${outcome})`);

  // The exporter's count settles once the last events are delivered.
  let last = -1;
  let stableSince = Date.now();
  const counted = await waitFor(
    'the exporter count to settle',
    async () => {
      await sampleDrops();
      const v = (metricValue(await scrape(), 'spam_detector_requests_total') ?? 0) - baseline;
      if (v === result.answered) return v;
      if (v !== last) {
        last = v;
        stableSince = Date.now();
        return undefined;
      }
      return Date.now() - stableSince > 3_000 ? v : undefined;
    },
    30_000,
  );
  clearInterval(sampler);
  const dropped = [...droppedMax.values()].reduce((a, b) => a + b, 0);
  t.ok(counted <= result.answered, `no double counting: exporter ${counted} <= answered ${result.answered}`);
  // With no reported drops this is exact equality.
  t.ok(result.answered - counted <= dropped, `gap ${result.answered - counted} within the drops the workers reported (${dropped}); exporter ${counted} of ${result.answered}`);
});

/**
 * A new model under pm2: pm2's cluster mode has no primary of ours, so each instance is its own
 * process. POST /admin/reload changes only the instance that answered, and says so (scope
 * "process", a note naming the command); `pm2 sendSignal SIGHUP <app>` reaches every instance,
 * each re-reading MODEL_PATH (a re-pointed symlink) with the full validation.
 */
t.test('pm2: /admin/reload is scoped to one instance, pm2 sendSignal SIGHUP reloads every instance', { timeout: 180_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'ops-pm2-model-'));
  mkdirSync(join(work, 'channel'), { mode: 0o700 });
  const link = join(work, 'serving.onnx');
  symlinkSync(BUNDLED_MODEL_PATH, link);
  const candidate = join(work, 'candidate.onnx');
  writeFileSync(candidate, withVersion('pm2-candidate-1'));
  const token = 'pm2-admin-token-0123456789';
  const inferencePort = await freePort();
  const inferenceUrl = `http://127.0.0.1:${inferencePort}`;
  const pm2: Pm2 = createPm2(join(work, 'pm2-home'), {
    HOST: '127.0.0.1',
    INFERENCE_PORT: String(inferencePort),
    EXPORTER_PORT: String(await freePort()),
    EVENTS_SOCKET: join(work, 'channel', 'events.sock'),
    INFERENCE_INSTANCES: String(INSTANCES),
    SPAM_DETECTOR_LOG_DIR: join(work, 'logs'),
    MODEL_PATH: link,
    ADMIN_TOKEN: token,
    LOG_LEVEL: 'info',
  });
  t.teardown(async () => {
    await pm2.kill();
    rmSync(work, { recursive: true, force: true });
  });
  t.equal((await pm2.run(['start', ECOSYSTEM])).code, 0, 'pm2 start exits 0');
  await waitFor('both instances ready', async () => ((await pm2.list()).filter((p) => p.name === 'spam-detector-inference' && p.status === 'online').length === INSTANCES && (await fetch(`${inferenceUrl}/ready`).catch(() => undefined))?.ok ? true : undefined), 60_000);
  const original = (await versionsSeen(inferenceUrl, 1))[0]!;

  // Each answer on a new connection: pm2 (node:cluster) hands connections out round-robin.
  renameOver(link, candidate);
  const res = await postOnce(`${inferenceUrl}/admin/reload`, '', { authorization: `Bearer ${token}` });
  t.equal(res.status, 200);
  const body = JSON.parse(res.body) as { scope: string; workers: number; note: string; model_version: string };
  t.match(body, { model_version: 'pm2-candidate-1', previous: original, workers: 1, scope: 'process' }, 'one instance reloaded, and the answer says so');
  t.match(body.note, /pm2 sendSignal SIGHUP/, 'the answer names the command that reaches every instance');
  t.same(new Set(await versionsSeen(inferenceUrl, 20)), new Set([original, 'pm2-candidate-1']), 'the other instance still serves the old model');

  const sent = await pm2.run(['sendSignal', 'SIGHUP', 'spam-detector-inference']);
  t.equal(sent.code, 0, `pm2 sendSignal exits 0 ${sent.out.slice(-300)}`);
  await waitFor('every instance serves the new model', async () => ((await versionsSeen(inferenceUrl, 12)).every((v) => v === 'pm2-candidate-1') ? true : undefined), 30_000);
  t.pass('after pm2 sendSignal SIGHUP every instance serves the new model');
  const list = await pm2.list();
  t.ok(list.filter((p) => p.name === 'spam-detector-inference').every((p) => p.restarts === 0), 'no instance was restarted: the reload happened in place');
});

/** Re-points a symlink atomically. */
function renameOver(link: string, target: string): void {
  symlinkSync(target, `${link}.tmp`);
  renameSync(`${link}.tmp`, link);
}

/** One POST on its own connection (pm2's node:cluster hands connections out round-robin). */
function postOnce(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent: false, headers: { ...headers, connection: 'close', ...(body ? { 'content-type': 'application/json' } : {}) } }, (r) => {
      let text = '';
      r.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ status: r.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The model versions of `n` predictions, each on its own connection. */
async function versionsSeen(url: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await postOnce(`${url}/predict`, JSON.stringify({ text: `which model answers ${i}?` }));
    out.push((JSON.parse(r.body) as { model_version: string }).model_version);
  }
  return out;
}
