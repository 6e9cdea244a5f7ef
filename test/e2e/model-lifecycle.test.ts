/**
 * Model lifecycle without downtime (issue 15, docs/deploying-a-model.md).
 *
 * In-process (one app, scope "process"): the admin routes exist only with ADMIN_TOKEN, need the
 * bearer token (401 otherwise), reload MODEL_PATH anew (a re-pointed symlink), refuse a garbage
 * file with MODEL_REFUSED while the current model keeps serving, and roll back to the previous
 * model kept in memory; NO_PREVIOUS_MODEL before any reload.
 *
 * The bar (processes): exporter + inference with WORKERS=2 and a shadow model; 6,000 requests at
 * 16 connections; mid-load MODEL_PATH (a symlink) is re-pointed and POST /admin/reload sent:
 * 200 once both workers serve the new version, 0 failed requests, later answers carry the new
 * version, and the exporter has per-version series for both versions and the shadow's series.
 * Then: garbage refused under the cluster, rollback, feedback scoring the shadow, SIGHUP.
 */
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { readInferenceConfig } from '../../services/inference/src/config.js';
import { loadModel } from '../../services/inference/src/model/index.js';
import { ModelHolder } from '../../services/inference/src/model-holder.js';
import { BUNDLED_MODEL_PATH } from '../../shared/paths.js';
import { makeApp, promtoolCheck, testEnv } from '../helpers/inference.js';
import { withVersion } from '../helpers/model-files.js';
import { metricSum, runLoad } from '../helpers/ops-load.js';
import { scratchDir, waitFor } from '../helpers/channel.js';
import { spawnService } from '../helpers/spawn.js';

const dir = scratchDir('lifecycle-test-');
const TOKEN = 'admin-token-for-tests-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const B = 'candidate-b-0001';
const S = 'shadow-s-0001';

const files = {
  a: BUNDLED_MODEL_PATH,
  b: join(dir, 'b.onnx'),
  shadow: join(dir, 'shadow.onnx'),
  garbage: join(dir, 'garbage.onnx'),
};
writeFileSync(files.b, withVersion(B));
// A higher threshold: the shadow answers "ham" where the current model says spam with < 0.9.
writeFileSync(files.shadow, withVersion(S, 0.9));
writeFileSync(files.garbage, Buffer.from('this is not an ONNX model at all\n'.repeat(100)));

/** Atomically re-points `link` at `target` (rename over the old link, as a deploy script would). */
function pointAt(link: string, target: string): void {
  const tmp = `${link}.tmp`;
  symlinkSync(target, tmp);
  renameSync(tmp, link);
}

async function predictVersion(url: string, text = 'WIN a FREE cruise, call now!!!'): Promise<{ id: string; model_version: string }> {
  const res = await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
  if (res.status !== 200) throw new Error(`predict answered ${res.status}`);
  return (await res.json()) as { id: string; model_version: string };
}

t.test('in-process: token, reload of a re-pointed symlink, refused garbage, rollback', async (t) => {
  const link = join(dir, 'inproc.onnx');
  pointAt(link, files.a);
  const env = { MODEL_PATH: link, ADMIN_TOKEN: TOKEN };
  const config = readInferenceConfig(testEnv(env));
  const models = await ModelHolder.load({ model: link }, (p) => loadModel(p));
  const app = await makeApp(env, { models });
  t.teardown(() => app.close());
  const a = models.current.version;

  const closed = await makeApp({});
  t.equal((await closed.inject({ method: 'POST', url: '/admin/reload' })).statusCode, 404, 'no ADMIN_TOKEN: no admin routes');
  await closed.close();

  for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: TOKEN }]) {
    const res = await app.inject({ method: 'POST', url: '/admin/reload', headers });
    t.equal(res.statusCode, 401, `401 with ${JSON.stringify(headers)}`);
    t.match(res.json(), { code: 'UNAUTHORIZED' });
  }
  let res = await app.inject({ method: 'POST', url: '/admin/rollback', headers: auth });
  t.equal(res.statusCode, 409);
  t.match(res.json(), { code: 'NO_PREVIOUS_MODEL' }, 'nothing to roll back to before a reload');

  pointAt(link, files.b);
  res = await app.inject({ method: 'POST', url: '/admin/reload', headers: auth });
  t.equal(res.statusCode, 200);
  t.same(res.json(), { model_version: B, previous: a, workers: 1, scope: 'process' });
  let p = (await app.inject({ method: 'POST', url: '/predict', payload: { text: 'hello there' } })).json() as { model_version: string };
  t.equal(p.model_version, B, 'answers carry the new version');
  t.equal((await app.inject({ url: '/model' })).json().version, B, 'GET /model names it');

  pointAt(link, files.garbage);
  res = await app.inject({ method: 'POST', url: '/admin/reload', headers: auth });
  t.equal(res.statusCode, 422);
  t.match(res.json(), { statusCode: 422, code: 'MODEL_REFUSED', message: /not a valid ONNX protobuf/ }, 'garbage refused with a JSON error code');
  p = (await app.inject({ method: 'POST', url: '/predict', payload: { text: 'hello there' } })).json() as { model_version: string };
  t.equal(p.model_version, B, 'the current model keeps serving');

  res = await app.inject({ method: 'POST', url: '/admin/rollback', headers: auth });
  t.equal(res.statusCode, 200);
  t.same(res.json(), { model_version: a, previous: B, workers: 1, scope: 'process' }, 'rollback: the previous model, kept loaded');
  res = await app.inject({ method: 'POST', url: '/admin/rollback', headers: auth });
  t.same(res.json(), { model_version: B, previous: a, workers: 1, scope: 'process' }, 'a second rollback undoes the first');

  const metrics = (await app.inject({ url: '/metrics' })).body;
  t.match(metrics, /spam_detector_model_reloads_total\{action="reload",outcome="success",worker="0"\} 1/);
  t.match(metrics, /spam_detector_model_reloads_total\{action="reload",outcome="refused",worker="0"\} 1/);
  t.match(metrics, /spam_detector_model_reloads_total\{action="rollback",outcome="success",worker="0"\} 2/);
  t.match(metrics, new RegExp(`spam_detector_inference_model_loaded_info\\{model_version="${B}",role="current",worker="0"\\} 1`));
  t.match(metrics, new RegExp(`spam_detector_inference_model_loaded_info\\{model_version="${a}",role="previous",worker="0"\\} 1`));
  t.equal(config.adminToken, TOKEN);
});

t.test('WORKERS=2 with a shadow: reload under load, garbage, rollback, feedback, SIGHUP', async (t) => {
  const link = join(dir, 'serving.onnx');
  pointAt(link, files.a);
  const socket = join(dir, 'cluster', 'events.sock');
  mkdirSync(join(dir, 'cluster'), { recursive: true });
  const exporter = await spawnService('dist/services/exporter/src/main.js', {
    env: { EVENTS_SOCKET: socket, HOST: '127.0.0.1', EXPORTER_PORT: '0', LOG_LEVEL: 'info', SAMPLE_INTERVAL_MS: '1000' },
  });
  t.teardown(() => exporter.stop('SIGKILL'));
  const inference = await spawnService('dist/services/inference/src/main.js', {
    env: {
      EVENTS_SOCKET: socket, HOST: '127.0.0.1', INFERENCE_PORT: '0', WORKERS: '2', LOG_LEVEL: 'info',
      MODEL_PATH: link, SHADOW_MODEL_PATH: files.shadow, ADMIN_TOKEN: TOKEN, PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0',
    },
    readyTimeoutMs: 60_000,
  });
  t.teardown(() => inference.stop('SIGKILL'));
  const url = inference.url;
  const a = (await predictVersion(url)).model_version;
  const admin = (action: string, headers: Record<string, string> = auth) => fetch(`${url}/admin/${action}`, { method: 'POST', headers });

  // --- the bar: reload mid-load ---
  const TOTAL = 6000;
  let reload: Promise<Response> | undefined;
  const result = await runLoad({
    url,
    total: TOTAL,
    concurrency: 16,
    onProgress(done) {
      if (done === 2000 && reload === undefined) {
        pointAt(link, files.b);
        reload = admin('reload');
      }
    },
  });
  const reloaded = await reload!;
  t.equal(reloaded.status, 200, 'POST /admin/reload answers 200');
  t.same(await reloaded.json(), { model_version: B, previous: a, shadow_model_version: S, workers: 2, scope: 'cluster' });
  t.equal(result.ok, TOTAL, `0 failed requests across the reload (${JSON.stringify(result.statuses)} ${JSON.stringify(result.errors)})`);
  for (let i = 0; i < 20; i++) t.equal((await predictVersion(url, `message ${i}`)).model_version, B, `answer ${i} after the reload carries ${B}`);

  const exporterMetrics = async (): Promise<string> => (await fetch(`${exporter.url}/metrics`)).text();
  let text = '';
  await waitFor(async () => {
    text = await exporterMetrics();
    return text.includes(`spam_detector_model_predictions_total{model_version="${a}"`) &&
      text.includes(`spam_detector_model_predictions_total{model_version="${B}"`) &&
      text.includes(`spam_detector_shadow_predictions_total{model_version="${S}"`);
  }, 'per-version series for both versions and the shadow', 20_000);
  const perVersion = (name: string, version: string): number =>
    text.split('\n').filter((l) => l.startsWith(`${name}{model_version="${version}"`)).reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  const before = perVersion('spam_detector_model_predictions_total', a);
  const after = perVersion('spam_detector_model_predictions_total', B);
  t.ok(before > 0 && after > 0, `predictions by version: ${a} ${before}, ${B} ${after}`);
  t.ok(before + after <= TOTAL + 21 + 1, 'no prediction counted for two versions');
  t.ok(perVersion('spam_detector_shadow_comparisons_total', S) > 0, 'the shadow is compared with the answering model');
  t.match(text, new RegExp(`spam_detector_model_loaded_info\\{model_version="${B}",role="current"\\} 1`));
  t.match(text, new RegExp(`spam_detector_model_loaded_info\\{model_version="${a}",role="previous"\\} 1`));
  t.match(text, new RegExp(`spam_detector_model_loaded_info\\{model_version="${S}",role="shadow"\\} 1`));
  const check = promtoolCheck(text);
  t.equal(check.status, 0, `promtool check metrics on the exporter: ${check.output}`);
  t.equal(metricSum(text, 'spam_detector_predictions_total'), before + after, 'the seed\'s unlabelled predictions_total counts the same predictions');

  // --- garbage under the cluster ---
  pointAt(link, files.garbage);
  let res = await admin('reload');
  t.equal(res.status, 422);
  t.match(await res.json(), { code: 'MODEL_REFUSED', message: /worker \d: cannot load model .*garbage\.onnx/ });
  t.equal((await predictVersion(url)).model_version, B, 'the current version keeps serving');
  pointAt(link, files.b);

  // --- token ---
  t.equal((await admin('reload', {})).status, 401, 'no token: 401');
  t.equal((await admin('rollback', { authorization: 'Bearer not-the-admin-token-000' })).status, 401, 'wrong token: 401');

  // --- rollback ---
  res = await admin('rollback');
  t.equal(res.status, 200);
  t.same(await res.json(), { model_version: a, previous: B, shadow_model_version: S, workers: 2, scope: 'cluster' });
  for (let i = 0; i < 10; i++) t.equal((await predictVersion(url, `after rollback ${i}`)).model_version, a, 'rolled back');

  // --- feedback scores the answering model and the shadow (joined by prediction id) ---
  const p = await predictVersion(url, 'CONGRATULATIONS! You have WON $1,000,000. Click here to claim your prize now!!!');
  await new Promise((r) => setTimeout(r, 300)); // the shadow scores after the answer
  const fb = await fetch(`${url}/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: p.id, label: 'spam' }) });
  t.equal(fb.status, 200);
  await waitFor(async () => {
    text = await exporterMetrics();
    return metricSum(text, 'spam_detector_shadow_feedback_total') >= 1 && perVersion('spam_detector_model_feedback_total', a) >= 1;
  }, 'feedback by version and for the shadow', 20_000);
  t.pass('feedback counted for the answering version and for the shadow');

  // --- SIGHUP to the primary reloads every worker ---
  process.kill(inference.pid, 'SIGHUP');
  await waitFor(async () => (await predictVersion(url)).model_version === B && (await predictVersion(url)).model_version === B, 'SIGHUP reload', 30_000);
  t.pass('SIGHUP to the primary reloaded the workers');
  const im = await (await fetch(`${url}/metrics`)).text();
  t.ok(metricSum(im, 'spam_detector_model_reloads_total') >= 4, 'reloads counted by the primary');
  t.match(im, /spam_detector_model_reloads_total\{action="reload",outcome="refused"\} 1/);
  const stopped = await inference.stop('SIGTERM', 15_000);
  t.equal(stopped.code, 0, 'clean stop');
});
