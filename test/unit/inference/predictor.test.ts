/**
 * The predictor's drift signals and capture hook (services/inference/src/predictor.ts): each text's
 * outcome carries the length the model read (after its cap) and the known-term ratio when the
 * model outputs one; a sampled text is handed to capture with its id, version and P(spam), and the
 * feedback store remembers that it was captured.
 */
import t from 'tap';
import { createPredictor } from '../../../services/inference/src/predictor.js';
import { createIdSource } from '../../../services/inference/src/ids.js';
import { FeedbackStore } from '../../../services/inference/src/feedback-store.js';
import type { CaptureWriter } from '../../../services/inference/src/capture/writer.js';
import type { ModelPrediction, ServingModel } from '../../../services/inference/src/serving-model.js';
import type { RequestOutcome } from '../../../services/inference/src/outcome.js';
import { ModelHolder } from '../../../services/inference/src/model-holder.js';
import { CanarySplit } from '../../../services/inference/src/canary.js';
import type { ShadowRunner } from '../../../services/inference/src/shadow.js';
import type { Counter } from 'prom-client';

function fakeModel(knownTermRatios: boolean): ServingModel {
  return {
    version: 'fake-1',
    card: {},
    maxTextChars: 10,
    async predict(texts: string[]): Promise<ModelPrediction> {
      const p = texts.map((x) => (x.includes('win') ? 0.9 : 0.2));
      return {
        labels: p.map((x) => (x >= 0.5 ? 'spam' : 'ham')),
        spamProbabilities: Float32Array.from(p),
        inferenceSeconds: 0.001,
        ...(knownTermRatios ? { knownTermRatios: Float32Array.from(texts.map((_, i) => i / 4)) } : {}),
      };
    },
  };
}

t.test('outcome carries prepared length and known-term ratio', async (t) => {
  const ids = createIdSource('0');
  const store = new FeedbackStore({ maxEntries: 10, ttlMs: 60_000, keyOf: (id) => ids.predictionKey(id) });
  const outcome: RequestOutcome = {};
  await createPredictor(ModelHolder.of(fakeModel(true)), ids, store, { coalesceMaxTexts: 8 }).predict(['short', 'a text longer than ten'], outcome);
  t.match(outcome.predictions, [
    { label: 'ham', text_length: 5, prepared_length: 5, known_term_ratio: 0 },
    { label: 'ham', text_length: 22, prepared_length: 10, known_term_ratio: 0.25 },
  ]);
  const none: RequestOutcome = {};
  await createPredictor(ModelHolder.of(fakeModel(false)), ids, store, { coalesceMaxTexts: 8 }).predict(['short'], none);
  t.notOk('known_term_ratio' in none.predictions![0]!, 'no ratio when the model has no such output');
});

t.test('sampled texts go to capture; the store remembers which', async (t) => {
  const ids = createIdSource('0');
  const store = new FeedbackStore({ maxEntries: 10, ttlMs: 60_000, keyOf: (id) => ids.predictionKey(id) });
  const captured: unknown[][] = [];
  let n = 0;
  const capture = { sample: () => n++ % 2 === 0, prediction: (...args: unknown[]) => captured.push(args) } as unknown as CaptureWriter;
  const out = await createPredictor(ModelHolder.of(fakeModel(false)), ids, store, { coalesceMaxTexts: 8, capture }).predict(['you win', 'hello'], {});
  t.equal(captured.length, 1, 'one of two sampled');
  const [id, text, version, probability, predicted] = captured[0]!;
  t.equal(id, out[0]!.id);
  t.same([text, version, predicted], ['you win', 'fake-1', 'spam']);
  t.ok(Math.abs((probability as number) - 0.9) < 1e-6, 'P(spam)');
  t.match(store.resolve(out[0]!.id, 'spam'), { status: 'accepted', captured: true });
  t.match(store.resolve(out[1]!.id, 'ham'), { status: 'accepted', captured: false });
});

t.test('canary: chosen requests are answered whole by the candidate, never shadow-scored', async (t) => {
  const ids = createIdSource('0');
  const store = new FeedbackStore({ maxEntries: 1000, ttlMs: 60_000, keyOf: (id) => ids.predictionKey(id) });
  const calls: Array<{ version: string; texts: number }> = [];
  const model = (version: string): ServingModel => {
    const base = fakeModel(false);
    return { ...base, version, predict: (texts) => (calls.push({ version, texts: texts.length }), base.predict(texts)) };
  };
  const models = new ModelHolder({ model: 'a' }, () => Promise.reject(new Error('no reload')), {
    current: model('current-1'), currentPath: 'a', shadow: model('candidate-1'), shadowPath: 's',
  });
  const submitted: string[][] = [];
  const shadow = { submit: (batchIds: readonly string[]) => submitted.push([...batchIds]) } as unknown as ShadowRunner;
  let answered = 0;
  const canaryAnswered = { inc: () => answered++ } as unknown as Counter;
  const predictor = createPredictor(models, ids, store, { coalesceMaxTexts: 64, shadow, canary: new CanarySplit(20, models), canaryAnswered });

  // 50 requests of 2 texts at once: coalesced, but only requests bound for the same model share a call.
  const outcomes: RequestOutcome[] = Array.from({ length: 50 }, () => ({}));
  const results = await Promise.all(outcomes.map((o, i) => predictor.predict([`text ${i}`, `you win ${i}`], o)));
  const byCandidate = results.filter((r) => r[0]!.model_version === 'candidate-1');
  t.equal(byCandidate.length, 10, '20% of 50 requests');
  t.ok(results.every((r) => r[0]!.model_version === r[1]!.model_version), 'both texts of a request answered by one model');
  t.equal(answered, 10, 'the counter counts canary requests');
  t.same(outcomes.filter((o) => o.modelVersion === 'candidate-1').length, 10, 'their events carry the candidate version');
  t.ok(calls.length > 2 && calls.every((c) => c.texts % 2 === 0), 'model calls hold whole requests');
  t.equal(calls.filter((c) => c.version === 'candidate-1').reduce((s, c) => s + c.texts, 0), 20, 'the candidate scored exactly the canary texts');
  const shadowed = new Set(submitted.flat());
  t.equal(shadowed.size, 80, 'the 40 other requests (80 texts) go to shadow scoring');
  t.notOk(byCandidate.some((r) => r.some((p) => shadowed.has(p.id))), 'a canary answer is not shadow-scored again');
  const fb = store.resolve(byCandidate[0]![0]!.id, 'spam');
  t.match(fb, { status: 'accepted' }, 'feedback joins a canary answer');
  t.equal(models.versionOf((fb as { serial: number }).serial), 'candidate-1', 'feedback is scored against the candidate version');
});
