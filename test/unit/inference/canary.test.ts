/**
 * The canary split (services/inference/src/canary.ts) and its place in the app: CANARY_PERCENT of
 * the requests, chosen deterministically and evenly, are answered by the candidate (the model
 * SHADOW_MODEL_PATH loads); GET /model shows the share in force and the candidate; after a
 * reload the candidate is what SHADOW_MODEL_PATH loads now; a rollback keeps it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { CanarySplit } from '../../../services/inference/src/canary.js';
import { ModelHolder } from '../../../services/inference/src/model-holder.js';
import { loadModel } from '../../../services/inference/src/model/index.js';
import type { ModelPrediction, ServingModel } from '../../../services/inference/src/serving-model.js';
import { BUNDLED_MODEL_PATH } from '../../../shared/paths.js';
import { makeApp } from '../../helpers/inference.js';
import { withVersion } from '../../helpers/model-files.js';
import { scratchDir } from '../../helpers/channel.js';

function fake(version: string): ServingModel {
  return {
    version,
    card: {},
    maxTextChars: 100,
    predict: (texts: string[]): Promise<ModelPrediction> =>
      Promise.resolve({ labels: texts.map(() => 'ham'), spamProbabilities: Float32Array.from(texts.map(() => 0.1)), inferenceSeconds: 0.001 }),
  };
}

function holder(withShadow: boolean): ModelHolder {
  return new ModelHolder({ model: 'a' }, () => Promise.reject(new Error('no reload here')), {
    current: fake('current-1'),
    currentPath: 'a',
    ...(withShadow ? { shadow: fake('candidate-1'), shadowPath: 's' } : {}),
  });
}

function picks(split: CanarySplit, n: number): boolean[] {
  return Array.from({ length: n }, () => split.next());
}

t.test('exactly p of any 100 consecutive requests go to the candidate, spread evenly', async (t) => {
  for (const p of [1, 5, 20, 33, 50, 99]) {
    const seq = picks(new CanarySplit(p, holder(true)), 1000);
    for (let start = 0; start + 100 <= seq.length; start += 37) {
      t.equal(seq.slice(start, start + 100).filter(Boolean).length, p, `p=${p}: window at ${start}`);
    }
  }
  t.same(picks(new CanarySplit(20, holder(true)), 10), [false, false, false, false, true, false, false, false, false, true], '20%: every fifth request');
  t.ok(picks(new CanarySplit(100, holder(true)), 50).every(Boolean), '100%: every request');
  t.notOk(picks(new CanarySplit(0, holder(true)), 50).some(Boolean), '0%: none');
  t.equal(picks(new CanarySplit(12.5, holder(true)), 200).filter(Boolean).length, 25, 'a fractional share: 12.5% of 200 is 25');
});

t.test('without a candidate the share in force is 0, logged once', async (t) => {
  const warnings: string[] = [];
  const split = new CanarySplit(20, holder(false), (m) => warnings.push(m));
  t.notOk(picks(split, 200).some(Boolean), 'no request goes to a candidate that is not there');
  t.equal(split.percentInForce, 0);
  t.equal(split.candidateVersion, undefined);
  t.equal(warnings.length, 1, 'said once');
  t.match(warnings[0], /CANARY_PERCENT=20 .*no candidate model \(SHADOW_MODEL_PATH\).*share is 0/);
  const loaded = new CanarySplit(20, holder(true));
  t.equal(loaded.percentInForce, 20);
  t.equal(loaded.candidateVersion, 'candidate-1');
});

t.test('in the app: /model, the share of answers, the counter, reload and rollback', async (t) => {
  const dir = scratchDir('canary-unit-');
  const shadowPath = join(dir, 'candidate.onnx');
  writeFileSync(shadowPath, withVersion('candidate-c1'));
  const TOKEN = 'admin-token-for-tests-0123456789';
  const env = { SHADOW_MODEL_PATH: shadowPath, CANARY_PERCENT: '25', ADMIN_TOKEN: TOKEN };
  const models = await ModelHolder.load({ model: BUNDLED_MODEL_PATH, shadow: shadowPath }, (p) => loadModel(p));
  const app = await makeApp(env, { models });
  t.teardown(() => app.close());
  const current = models.current.version;

  t.match((await app.inject({ url: '/model' })).json(), { version: current, canary: { percent: 25, candidate_version: 'candidate-c1' } }, '/model shows the share and the candidate');

  const answered = async (n: number): Promise<string[]> => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await app.inject({ method: 'POST', url: '/predict', payload: { text: `message number ${i}` } });
      out.push((res.json() as { model_version: string }).model_version);
    }
    return out;
  };
  let versions = await answered(100);
  t.equal(versions.filter((v) => v === 'candidate-c1').length, 25, '25 of 100 answers name the candidate');
  t.equal(versions.filter((v) => v === current).length, 75, 'the other 75 the current model');
  const metrics = (await app.inject({ url: '/metrics' })).body;
  t.match(metrics, /spam_detector_canary_requests_total\{worker="0"\} 25/, 'counted');

  // A batch is one request: one model answers all of its texts.
  const batches: string[][] = [];
  for (let i = 0; i < 8; i++) {
    const res = await app.inject({ method: 'POST', url: '/predict', payload: { texts: ['one', 'two', 'three'] } });
    t.equal(res.statusCode, 200);
    batches.push((res.json() as { predictions: Array<{ model_version: string }> }).predictions.map((p) => p.model_version));
  }
  t.ok(batches.every((b) => new Set(b).size === 1), 'every batch answered by one model');
  t.equal(batches.filter((b) => b[0] === 'candidate-c1').length, 2, '2 of 8 batch requests by the candidate');

  // Reload: the candidate is what SHADOW_MODEL_PATH loads now.
  writeFileSync(shadowPath, withVersion('candidate-c2'));
  const auth = { authorization: `Bearer ${TOKEN}` };
  t.equal((await app.inject({ method: 'POST', url: '/admin/reload', headers: auth })).statusCode, 200);
  t.match((await app.inject({ url: '/model' })).json(), { canary: { percent: 25, candidate_version: 'candidate-c2' } });
  versions = await answered(100);
  t.equal(versions.filter((v) => v === 'candidate-c2').length, 25, 'after the reload, 25 of 100 by the new candidate');
  t.notOk(versions.includes('candidate-c1'), 'the old candidate answers no more');

  // Rollback swaps current and previous; the candidate stays.
  t.equal((await app.inject({ method: 'POST', url: '/admin/rollback', headers: auth })).statusCode, 200);
  versions = await answered(20);
  t.equal(versions.filter((v) => v === 'candidate-c2').length, 5, 'after a rollback, still 25% by the candidate');
  t.equal(versions.filter((v) => v === current).length, 15);
});

t.test('CANARY_PERCENT unset: /model says 0 and no answer names the shadow', async (t) => {
  const dir = scratchDir('canary-off-');
  const shadowPath = join(dir, 'candidate.onnx');
  writeFileSync(shadowPath, withVersion('candidate-off'));
  const models = await ModelHolder.load({ model: BUNDLED_MODEL_PATH, shadow: shadowPath }, (p) => loadModel(p));
  const app = await makeApp({ SHADOW_MODEL_PATH: shadowPath }, { models });
  t.teardown(() => app.close());
  t.match((await app.inject({ url: '/model' })).json(), { canary: { percent: 0, candidate_version: 'candidate-off' } });
  for (let i = 0; i < 30; i++) {
    const res = await app.inject({ method: 'POST', url: '/predict', payload: { text: `hello ${i}` } });
    t.equal((res.json() as { model_version: string }).model_version, models.current.version);
  }
  t.match((await app.inject({ url: '/metrics' })).body, /spam_detector_canary_requests_total\{worker="0"\} 0/);
});
