/**
 * Loads a spam model: validate the file first (see validate.ts), then create the
 * onnxruntime session, then run one probe batch so that a graph that cannot run fails here
 * and not on the first request.
 */
import { readFile, stat } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import type { ModelCard } from '../../../../shared/model-card.js';
import {
  isLabel,
  MODEL_INPUT,
  MODEL_OUTPUT_LABEL,
  MODEL_OUTPUT_SPAM_PROBABILITY,
  type Label,
} from '../../../../shared/model-io.js';
import { prepareText } from '../../../../shared/model-text.js';
import { ModelLoadError } from './errors.js';
import { decodeModel, validateModel } from './validate.js';

/** Far above any sane model (the bundled one is ~1 MB); refuses to buffer a wrong file. */
export const MAX_MODEL_BYTES = 512 * 1024 * 1024;

export interface Prediction {
  labels: Label[];
  spamProbabilities: Float32Array;
  inferenceSeconds: number;
}

export interface SpamModel {
  readonly version: string;
  readonly card: ModelCard;
  /** Texts are cut to this many UTF-16 code units before scoring, as in training. */
  readonly maxTextChars: number;
  /** Scores a non-empty batch in one onnxruntime run. */
  predict(texts: string[]): Promise<Prediction>;
  release(): Promise<void>;
}

export interface LoadOptions {
  /** onnxruntime intra-op threads; 1 by default: parallelism comes from worker processes. */
  intraOpNumThreads?: number;
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

  const model = new OrtSpamModel(session, facts.version, facts.card, facts.maxTextChars);
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
  constructor(
    private readonly session: ort.InferenceSession,
    readonly version: string,
    readonly card: ModelCard,
    readonly maxTextChars: number,
  ) {}

  async predict(texts: string[]): Promise<Prediction> {
    if (!Array.isArray(texts) || texts.length === 0) throw new RangeError('predict needs a non-empty batch of texts');
    const capped = texts.map((t, i) => {
      if (typeof t !== 'string') throw new TypeError(`texts[${i}] is not a string`);
      return prepareText(t, this.maxTextChars);
    });
    const input = new ort.Tensor('string', capped, [capped.length]);
    const started = process.hrtime.bigint();
    const out = await this.session.run({ [MODEL_INPUT]: input });
    const inferenceSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const labels = out[MODEL_OUTPUT_LABEL]?.data;
    const probabilities = out[MODEL_OUTPUT_SPAM_PROBABILITY]?.data;
    if (!Array.isArray(labels) || labels.length !== texts.length || !labels.every(isLabel)) {
      throw new Error(`model output "${MODEL_OUTPUT_LABEL}" is not one "spam"/"ham" per text`);
    }
    if (!(probabilities instanceof Float32Array) || probabilities.length !== texts.length) {
      throw new Error(`model output "${MODEL_OUTPUT_SPAM_PROBABILITY}" is not one float per text`);
    }
    return { labels: labels as Label[], spamProbabilities: probabilities, inferenceSeconds };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
