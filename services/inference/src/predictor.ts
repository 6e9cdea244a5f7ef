/**
 * Turns texts into API prediction objects: one model call per batch, an id per prediction
 * (remembered for POST /feedback), and the request outcome for the access log and the events.
 */
import type { Label } from '../../../shared/model-io.js';
import type { PredictionSummary } from '../../../shared/events.js';
import type { RequestOutcome } from './outcome.js';
import type { ServingModel } from './serving-model.js';
import type { FeedbackStore } from './feedback-store.js';
import type { IdSource } from './ids.js';

export interface ApiPrediction {
  id: string;
  prediction: Label;
  confidence: number;
  probabilities: { ham: number; spam: number };
  model_version: string;
  inference_time_ms: number;
}

export interface Predictor {
  predict(texts: string[], outcome: RequestOutcome): Promise<ApiPrediction[]>;
}

export function createPredictor(model: ServingModel, ids: IdSource, store: FeedbackStore): Predictor {
  const version = model.version;
  return {
    async predict(texts, outcome) {
      const result = await model.predict(texts);
      const n = texts.length;
      if (result.labels.length !== n || result.spamProbabilities.length !== n) {
        throw new Error(`model returned ${result.labels.length} labels for ${n} texts`);
      }
      const ms = result.inferenceSeconds * 1000;
      const items: ApiPrediction[] = new Array(n);
      const summaries: PredictionSummary[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const spam = result.spamProbabilities[i]!;
        const ham = 1 - spam;
        const label: Label = result.labels[i] === 'spam' ? 'spam' : 'ham';
        const confidence = label === 'spam' ? spam : ham;
        const id = ids.predictionId();
        store.record(id, label);
        items[i] = { id, prediction: label, confidence, probabilities: { ham, spam }, model_version: version, inference_time_ms: ms };
        summaries[i] = { label, confidence, text_length: texts[i]!.length };
      }
      outcome.inferenceSeconds = result.inferenceSeconds;
      outcome.batchSize = n;
      outcome.predictions = summaries;
      return items;
    },
  };
}
