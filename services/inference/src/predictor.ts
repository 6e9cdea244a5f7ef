/**
 * Turns texts into API prediction objects: an id per prediction (remembered for
 * POST /feedback) and the request outcome for the access log and the events.
 *
 * Coalescing: most of a single-text model call is fixed cost (docs/benchmarks.md#model-call-cost),
 * and session.run() blocks the event loop, so requests that arrive while one call runs pile up
 * anyway. Requests are
 * therefore queued and flushed on setImmediate: everything parsed in the same event-loop turn
 * goes into ONE model call (at most `coalesceMaxTexts` texts; a request's own batch is never
 * split). An idle service adds no wait: the flush runs in the same loop iteration. A shared call
 * that fails is retried request by request, so one request cannot fail its neighbours.
 *
 * Reloads: each model call takes the holder's current model when it starts, and every answer
 * names the version that actually scored it, so a reload between two calls is exact.
 *
 * Canary (canary.ts): a request chosen for the candidate is scored by the shadow model instead, in
 * its own model call (coalescing joins only requests bound for the same model), and is not queued
 * for shadow scoring: the candidate already answered it.
 */
import type { Counter } from 'prom-client';
import type { Label } from '../../../shared/model-io.js';
import type { PredictionSummary } from '../../../shared/events.js';
import type { RequestOutcome } from './outcome.js';
import type { FeedbackStore } from './feedback-store.js';
import type { IdSource } from './ids.js';
import type { CaptureWriter } from './capture/writer.js';
import type { ModelHolder, ScoredBatch } from './model-holder.js';
import type { ShadowRunner } from './shadow.js';
import type { CanarySplit } from './canary.js';

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

export interface PredictorOptions {
  /** Most texts one model call may combine from several requests; 1 disables coalescing. */
  coalesceMaxTexts: number;
  /** Sampled texts are captured with their prediction (CAPTURE_DIR); never awaited. */
  capture?: CaptureWriter | undefined;
  /** Scores the same texts with the shadow model after the answer (SHADOW_MODEL_PATH). */
  shadow?: ShadowRunner | undefined;
  /** Which requests the candidate answers (CANARY_PERCENT); absent: none. */
  canary?: CanarySplit | undefined;
  /** Counts the requests the candidate answered. */
  canaryAnswered?: Counter | undefined;
}

interface Scored {
  scored: ScoredBatch;
  offset: number;
  /** Answered by the candidate (canary), not the current model. */
  byCandidate: boolean;
}

interface Job {
  texts: string[];
  candidate: boolean;
  resolve(result: Scored): void;
  reject: (err: unknown) => void;
}

export function createPredictor(models: ModelHolder, ids: IdSource, store: FeedbackStore, opts: PredictorOptions): Predictor {
  const shadow = opts.shadow;
  const capture = opts.capture;
  const canary = opts.canary;
  const queue: Job[] = [];
  let flushScheduled = false;
  let running = false;

  const schedule = (): void => {
    if (flushScheduled || running || queue.length === 0) return;
    flushScheduled = true;
    setImmediate(() => void flush());
  };

  async function flush(): Promise<void> {
    flushScheduled = false;
    const jobs: Job[] = [queue.shift()!];
    let count = jobs[0]!.texts.length;
    const candidate = jobs[0]!.candidate;
    while (queue.length > 0 && queue[0]!.candidate === candidate && count + queue[0]!.texts.length <= opts.coalesceMaxTexts) {
      const job = queue.shift()!;
      jobs.push(job);
      count += job.texts.length;
    }
    const texts = jobs.length === 1 ? jobs[0]!.texts : jobs.flatMap((j) => j.texts);
    running = true;
    try {
      const { batch, byCandidate } = await scored(texts, candidate);
      let offset = 0;
      for (const job of jobs) {
        job.resolve({ scored: batch, offset, byCandidate });
        offset += job.texts.length;
      }
    } catch (err) {
      if (jobs.length === 1) jobs[0]!.reject(err);
      // One request's texts must not fail the others that shared its call: each runs again alone,
      // so only the request whose texts make the model fail gets the 500.
      else for (const job of jobs) await scored(job.texts, candidate).then(({ batch, byCandidate }) => job.resolve({ scored: batch, offset: 0, byCandidate }), job.reject);
    } finally {
      running = false;
      // Requests parsed while the call ran are waiting: the next flush takes them together.
      schedule();
    }
  }

  async function scored(texts: string[], candidate: boolean): Promise<{ batch: ScoredBatch; byCandidate: boolean }> {
    // A candidate removed by a reload after the request was queued: the current model answers.
    const byCandidate = candidate ? await models.score('shadow', texts) : undefined;
    const batch = byCandidate ?? (await models.score('current', texts))!;
    const prediction = batch.prediction;
    if (prediction.labels.length !== texts.length || prediction.spamProbabilities.length !== texts.length) {
      throw new Error(`model returned ${prediction.labels.length} labels for ${texts.length} texts`);
    }
    return { batch, byCandidate: byCandidate !== undefined };
  }

  return {
    async predict(texts, outcome) {
      const candidate = canary !== undefined && canary.next();
      const { scored: batch, offset, byCandidate } = await new Promise<Scored>((resolve, reject) => {
        queue.push({ texts, candidate, resolve, reject });
        schedule();
      });
      const { prediction, version, serial, maxTextChars: maxChars } = batch;
      const n = texts.length;
      const ms = prediction.inferenceSeconds * 1000;
      const items = new Array<ApiPrediction>(n);
      const summaries = new Array<PredictionSummary>(n);
      for (let i = 0; i < n; i++) {
        const spam = prediction.spamProbabilities[offset + i]!;
        const ham = 1 - spam;
        const label: Label = prediction.labels[offset + i] === 'spam' ? 'spam' : 'ham';
        const confidence = label === 'spam' ? spam : ham;
        const id = ids.predictionId();
        const captured = capture !== undefined && capture.sample();
        if (captured) capture.prediction(id, texts[i]!, version, spam, label);
        store.record(id, label, captured, serial);
        items[i] = { id, prediction: label, confidence, probabilities: { ham, spam }, model_version: version, inference_time_ms: ms };
        // The drift signals: the length the model read (prepareText only caps it) and the
        // known-term ratio when the model outputs one.
        const length = texts[i]!.length;
        const known = prediction.knownTermRatios?.[offset + i];
        summaries[i] = known === undefined
          ? { label, confidence, text_length: length, prepared_length: length < maxChars ? length : maxChars }
          : { label, confidence, text_length: length, prepared_length: length < maxChars ? length : maxChars, known_term_ratio: known };
      }
      outcome.inferenceSeconds = prediction.inferenceSeconds;
      outcome.batchSize = n;
      outcome.predictions = summaries;
      outcome.modelVersion = version;
      if (byCandidate) opts.canaryAnswered?.inc();
      else if (shadow !== undefined && models.shadow !== undefined) {
        shadow.submit(items.map((p) => p.id), texts, items.map((p) => p.prediction));
      }
      return items;
    },
  };
}
