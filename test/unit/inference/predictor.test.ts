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
