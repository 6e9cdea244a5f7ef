/**
 * Canary end to end (docs/deploying-a-model.md#4-canary-optional): exporter + inference with
 * SHADOW_MODEL_PATH and CANARY_PERCENT=20; of 100 requests exactly 20 are answered by the
 * candidate, and the exporter's per-version series count 20 for it and 80 for the current model;
 * the shadow compares only the 80 others; feedback on a canary answer is scored against the
 * candidate's version.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { withVersion } from '../helpers/model-files.js';
import { metricSum, metricValue } from '../helpers/ops-load.js';
import { scratchDir, waitFor } from '../helpers/channel.js';
import { spawnService } from '../helpers/spawn.js';

const C = 'canary-candidate-0001';

t.test('CANARY_PERCENT=20: 20 of 100 answers and per-version series name the candidate', async (t) => {
  const dir = scratchDir('canary-e2e-');
  const candidate = join(dir, 'candidate.onnx');
  writeFileSync(candidate, withVersion(C));
  const socket = join(dir, 'run', 'events.sock');
  mkdirSync(join(dir, 'run'), { recursive: true });
  const exporter = await spawnService('dist/services/exporter/src/main.js', {
    env: { EVENTS_SOCKET: socket, HOST: '127.0.0.1', EXPORTER_PORT: '0', LOG_LEVEL: 'info', SAMPLE_INTERVAL_MS: '1000' },
  });
  t.teardown(() => exporter.stop('SIGKILL'));
  const inference = await spawnService('dist/services/inference/src/main.js', {
    env: {
      EVENTS_SOCKET: socket, HOST: '127.0.0.1', INFERENCE_PORT: '0', LOG_LEVEL: 'info', PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0',
      SHADOW_MODEL_PATH: candidate, CANARY_PERCENT: '20',
    },
    readyTimeoutMs: 60_000,
  });
  t.teardown(() => inference.stop('SIGKILL'));
  const url = inference.url;

  const model = (await (await fetch(`${url}/model`)).json()) as { version: string; canary: unknown };
  const current = model.version;
  t.same(model.canary, { percent: 20, candidate_version: C }, 'GET /model: the share in force and the candidate');

  const answers: Array<{ id: string; model_version: string }> = [];
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: `WIN a FREE cruise number ${i}, call now` }) });
    t.equal(res.status, 200);
    answers.push((await res.json()) as { id: string; model_version: string });
  }
  const canary = answers.filter((a) => a.model_version === C);
  t.equal(canary.length, 20, '20 of 100 answers name the candidate');
  t.equal(answers.filter((a) => a.model_version === current).length, 80, '80 the current model');

  const fb = await fetch(`${url}/feedback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: canary[0]!.id, label: 'spam' }) });
  t.equal(fb.status, 200, 'feedback on a canary answer is accepted');

  const perVersion = (text: string, name: string, version: string): number =>
    text.split('\n').filter((l) => l.startsWith(`${name}{model_version="${version}"`)).reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  let text = '';
  await waitFor(async () => {
    text = await (await fetch(`${exporter.url}/metrics`)).text();
    return perVersion(text, 'spam_detector_model_predictions_total', C) + perVersion(text, 'spam_detector_model_predictions_total', current) >= 100 &&
      perVersion(text, 'spam_detector_model_feedback_total', C) >= 1 &&
      perVersion(text, 'spam_detector_shadow_comparisons_total', C) >= 80;
  }, 'per-version predictions, feedback and shadow comparisons', 20_000);
  t.equal(perVersion(text, 'spam_detector_model_predictions_total', C), 20, 'exporter: 20 predictions by the candidate');
  t.equal(perVersion(text, 'spam_detector_model_predictions_total', current), 80, 'exporter: 80 by the current model');
  t.equal(metricSum(text, 'spam_detector_predictions_total'), 100, 'the predecessor\'s total counts all of them');
  t.equal(perVersion(text, 'spam_detector_model_feedback_total', C), 1, 'feedback scored against the candidate version');
  t.equal(perVersion(text, 'spam_detector_shadow_comparisons_total', C), 80, 'only the 80 non-canary answers are shadow-compared');

  const im = await (await fetch(`${url}/metrics`)).text();
  t.equal(metricValue(im, 'spam_detector_canary_requests_total', 'worker="0"'), 20, 'inference: spam_detector_canary_requests_total 20');
  const stopped = await inference.stop('SIGTERM', 15_000);
  t.equal(stopped.code, 0, 'clean stop');
});
