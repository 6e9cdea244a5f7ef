/**
 * Loads a spam model: validate the file first (see validate.ts), then create the
 * onnxruntime session, then run one probe batch so that a graph that cannot run fails here
 * and not on the first request.
 */
import { readFile, stat } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import type { ModelCard } from '../../../../shared/model-card.js';
import {
  MODEL_INPUT,
  MODEL_OUTPUT_KNOWN_TERM_RATIO,
  MODEL_OUTPUT_SPAM_PROBABILITY,
  type Label,
} from '../../../../shared/model-io.js';
import { prepareText } from '../../../../shared/model-text.js';
import { ModelLoadError } from './errors.js';
import { decodeModel, validateModel, type ValidatedModel } from './validate.js';

/** Far above any sane model (the bundled one is ~1 MB); refuses to buffer a wrong file. */
export const MAX_MODEL_BYTES = 512 * 1024 * 1024;

export interface Prediction {
  /** spamProbability >= the threshold in force (see SpamModel.threshold). */
  labels: Label[];
  spamProbabilities: Float32Array;
  /**
   * Per text, the share of its word tokens that the model's vocabulary knows (0 without
   * tokens): a drift signal. Absent for a model file without that output (older models).
   */
  knownTermRatios?: Float32Array;
  inferenceSeconds: number;
}

/** Where the threshold in force comes from: the model file, or an operator's override. */
export type ThresholdSource = 'model' | 'SPAM_THRESHOLD';

export interface SpamModel {
  readonly version: string;
  readonly card: ModelCard;
  /** Texts are cut to this many UTF-16 code units before scoring, as in training. */
  readonly maxTextChars: number;
  /** Spam probability at or above which a text is labelled spam (float32, as the graph compares). */
  readonly threshold: number;
  readonly thresholdSource: ThresholdSource;
  /** Scores a non-empty batch in one onnxruntime run. */
  predict(texts: string[]): Promise<Prediction>;
  release(): Promise<void>;
}

export interface LoadOptions {
  /** onnxruntime intra-op threads; 1 by default: parallelism comes from worker processes. */
  intraOpNumThreads?: number;
  /** Overrides the model's threshold (an operator's trade-off, SPAM_THRESHOLD); in (0, 1). */
  threshold?: number;
}

export async function loadModel(path: string, options: LoadOptions = {}): Promise<SpamModel> {
  let bytes: Uint8Array;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new ModelLoadError(path, 'not a regular file');
    if (info.size === 0) throw new ModelLoadError(path, 'the file is empty');
    if (info.size > MAX_MODEL_BYTES) throw new ModelLoadError(path, `the file is larger than ${MAX_MODEL_BYTES} bytes`);
    bytes = await readFile(path);
  } catch (err) {
    if (err instanceof ModelLoadError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ModelLoadError(path, code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? String(err)})`, { cause: err });
  }

  let facts;
  try {
    facts = validateModel(decodeModel(bytes));
  } catch (err) {
    throw new ModelLoadError(path, (err as Error).message, { cause: err });
  }

  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      intraOpNumThreads: options.intraOpNumThreads ?? 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    throw new ModelLoadError(path, `onnxruntime refused the graph: ${(err as Error).message}`, { cause: err });
  }

  if (options.threshold !== undefined && !(options.threshold > 0 && options.threshold < 1)) {
    await session.release().catch(() => {});
    throw new ModelLoadError(path, `the threshold override must lie in (0, 1), got ${options.threshold}`);
  }
  const threshold = options.threshold !== undefined ? Math.fround(options.threshold) : facts.threshold;
  const model = new OrtSpamModel(session, facts, threshold, options.threshold !== undefined ? 'SPAM_THRESHOLD' : 'model');
  try {
    // A batch with no token at all (the tokens tensor is [1, 0]) and a mixed one.
    await model.predict(['']);
    await model.predict(['', 'model load probe: hello world']);
  } catch (err) {
    await session.release().catch(() => {});
    throw new ModelLoadError(path, `the probe run failed: ${(err as Error).message}`, { cause: err });
  }
  return model;
}

class OrtSpamModel implements SpamModel {
  readonly version: string;
  readonly card: ModelCard;
  readonly maxTextChars: number;
  private readonly outputs: string[];

  constructor(
    private readonly session: ort.InferenceSession,
    facts: ValidatedModel,
    readonly threshold: number,
    readonly thresholdSource: ThresholdSource,
  ) {
    this.version = facts.version;
    this.card = facts.card;
    this.maxTextChars = facts.maxTextChars;
    // The label is computed here from the probability, so the threshold in force decides it;
    // asking only for these outputs also spares the graph's own label nodes.
    this.outputs = facts.hasKnownTermRatio ? [MODEL_OUTPUT_SPAM_PROBABILITY, MODEL_OUTPUT_KNOWN_TERM_RATIO] : [MODEL_OUTPUT_SPAM_PROBABILITY];
  }

  async predict(texts: string[]): Promise<Prediction> {
    if (!Array.isArray(texts) || texts.length === 0) throw new RangeError('predict needs a non-empty batch of texts');
    const capped = texts.map((t, i) => {
      if (typeof t !== 'string') throw new TypeError(`texts[${i}] is not a string`);
      return prepareText(t, this.maxTextChars);
    });
    const input = new ort.Tensor('string', capped, [capped.length]);
    const started = process.hrtime.bigint();
    const out = await this.session.run({ [MODEL_INPUT]: input }, this.outputs);
    const inferenceSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const probabilities = out[MODEL_OUTPUT_SPAM_PROBABILITY]?.data;
    if (!(probabilities instanceof Float32Array) || probabilities.length !== texts.length) {
      throw new Error(`model output "${MODEL_OUTPUT_SPAM_PROBABILITY}" is not one float per text`);
    }
    const labels = new Array<Label>(texts.length);
    for (let i = 0; i < texts.length; i++) labels[i] = probabilities[i]! >= this.threshold ? 'spam' : 'ham';
    const prediction: Prediction = { labels, spamProbabilities: probabilities, inferenceSeconds };
    if (this.outputs.length > 1) {
      const ratios = out[MODEL_OUTPUT_KNOWN_TERM_RATIO]?.data;
      if (!(ratios instanceof Float32Array) || ratios.length !== texts.length) {
        throw new Error(`model output "${MODEL_OUTPUT_KNOWN_TERM_RATIO}" is not one float per text`);
      }
      prediction.knownTermRatios = ratios;
    }
    return prediction;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
