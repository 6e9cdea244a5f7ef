/**
 * The training pipeline: split, texts (header handling + cap), vocabulary, TF-IDF, logistic
 * regression, float32 export parameters, evaluation with the exact exported function, card.
 */
import { createHash } from 'node:crypto';
import type { ClassificationMetrics, ModelCard } from '../../shared/model-card.js';
import type { Label } from '../../shared/model-io.js';
import { stratifiedSplit, type Corpus, type Example, type SplitSpec } from './corpus.js';
import { fitLogisticRegression } from './logreg.js';
import { ReferenceScorer, type LinearTextModel } from './linear-model.js';
import { evaluate } from './metrics.js';
import { graphOperators, OPSET_IMPORTS } from './onnx-export.js';
import { capText, stripHeaders } from './text.js';
import { fitVocabulary, TermKeys, transform } from './vectorizer.js';

export type HeaderMode = ModelCard['preprocessing']['headers'];

export interface TrainOptions {
  split: SplitSpec;
  maxFeatures: number;
  minDf: number;
  c: number;
  maxIterations: number;
  tolerance: number;
  maxTextChars: number;
  headers: HeaderMode;
  /**
   * When > 0, every training message also contributes the first this-many characters of its
   * body: users send short texts, and a model that saw only whole emails is less sure of them.
   */
  shortExcerptChars: number;
  threshold: number;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  split: { seed: 42, testFraction: 0.2 },
  // Chosen on a validation split carved from the training messages (docs/model.md): 20k
  // features scored as well as 50k-150k, and the graph's cost does not depend on it.
  maxFeatures: 20_000,
  minDf: 2,
  c: 100,
  maxIterations: 500,
  tolerance: 1e-5,
  maxTextChars: 4000,
  headers: 'raw-and-body',
  shortExcerptChars: 200,
  threshold: 0.5,
};

export interface TrainResult {
  model: LinearTextModel;
  card: ModelCard;
  test: Example[];
  /** Spam probabilities of the test texts (as stored) and of their header-less bodies. */
  testScores: Float64Array;
  testHeaderlessScores: Float64Array;
  testShortScores: Float64Array;
}

/** Length of the short-text evaluation: the start of each header-less test body. */
export const SHORT_EVAL_CHARS = 200;

/**
 * The texts one message contributes to training. With "raw-and-body" a raw email also
 * contributes its body alone, so the model learns to score bare bodies (what users send)
 * without losing what headers tell about full emails.
 */
export function trainingTexts(example: Example, options: Pick<TrainOptions, 'headers' | 'maxTextChars' | 'shortExcerptChars'>): string[] {
  const mode = options.headers;
  const body = stripHeaders(example.text);
  const texts =
    mode === 'raw' ? [example.text] : mode === 'body' ? [body] : body === example.text ? [body] : [example.text, body];
  if (options.shortExcerptChars > 0 && body.length > options.shortExcerptChars) {
    texts.push(body.slice(0, options.shortExcerptChars));
  }
  return texts.map((t) => capText(t, options.maxTextChars));
}

export function train(corpus: Corpus, options: TrainOptions, log: (msg: string) => void = () => {}): TrainResult {
  const started = process.hrtime.bigint();
  const { train: trainSet, test } = stratifiedSplit(corpus.examples, options.split);
  const texts: string[] = [];
  const labels: Label[] = [];
  for (const ex of trainSet) {
    for (const t of trainingTexts(ex, options)) {
      texts.push(t);
      labels.push(ex.label);
    }
  }
  log(`split: ${trainSet.length} train / ${test.length} test messages; ${texts.length} training texts`);
  const keys = new TermKeys();
  const docs = texts.map((t) => keys.counts(t));
  const { vocabulary: vocab, featureOf } = fitVocabulary(docs, keys, options.maxFeatures, options.minDf);
  const x = transform(docs, featureOf, vocab.idf);
  log(`vocabulary: ${vocab.terms.length} terms; ${x.values.length} non-zeros`);
  const y = Uint8Array.from(labels, (l) => (l === 'spam' ? 1 : 0));
  const fit = fitLogisticRegression(x, y, {
    c: options.c,
    maxIterations: options.maxIterations,
    tolerance: options.tolerance,
  });
  log(`l-bfgs: ${fit.iterations} iterations, converged ${fit.converged}, objective ${fit.objective.toFixed(4)}`);

  const model: LinearTextModel = {
    terms: vocab.terms,
    idf: Float32Array.from(vocab.idf),
    weightedIdf: Float32Array.from(vocab.idf, (v, i) => v * fit.weights[i]!),
    bias: Math.fround(fit.bias),
    noEvidenceProbability: Math.fround(trainSet.filter((e) => e.label === 'spam').length / trainSet.length),
    threshold: Math.fround(options.threshold),
    maxTextChars: options.maxTextChars,
  };
  const scorer = new ReferenceScorer(model);
  const testLabels = test.map((e) => e.label);
  const testScores = Float64Array.from(test, (e) => scorer.spamProbability(e.text));
  const testHeaderlessScores = Float64Array.from(test, (e) => scorer.spamProbability(stripHeaders(e.text)));
  const testShortScores = Float64Array.from(test, (e) => scorer.spamProbability(stripHeaders(e.text).slice(0, SHORT_EVAL_CHARS)));
  const metrics = {
    test: evaluate(testLabels, testScores, model.threshold),
    testHeaderless: evaluate(testLabels, testHeaderlessScores, model.threshold),
    testShortBody: evaluate(testLabels, testShortScores, model.threshold),
  };
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const spam = corpus.examples.filter((e) => e.label === 'spam').length;
  const card: ModelCard = {
    schemaVersion: 1,
    name: 'spam-classifier',
    version: modelVersion(model),
    trainedAt: new Date().toISOString(),
    corpus: {
      name: corpus.name,
      source: corpus.source,
      messages: corpus.examples.length,
      spam,
      ham: corpus.examples.length - spam,
    },
    split: {
      seed: options.split.seed,
      testFraction: options.split.testFraction,
      stratified: true,
      trainMessages: trainSet.length,
      testMessages: test.length,
    },
    preprocessing: {
      maxTextChars: options.maxTextChars,
      lowercase: 'ascii',
      tokenPattern: '\\w\\w+',
      ngramRange: [1, 2],
      headers: options.headers,
      shortExcerptChars: options.shortExcerptChars,
    },
    hyperParameters: {
      maxFeatures: options.maxFeatures,
      minDf: options.minDf,
      sublinearTf: true,
      smoothIdf: true,
      norm: 'l2',
      classifier: 'logistic-regression',
      c: options.c,
      optimizer: 'l-bfgs',
      maxIterations: options.maxIterations,
      tolerance: options.tolerance,
    },
    vocabularySize: vocab.terms.length,
    threshold: model.threshold,
    noEvidenceProbability: model.noEvidenceProbability,
    metrics: {
      test: round(metrics.test),
      testHeaderless: round(metrics.testHeaderless),
      testShortBody: { chars: SHORT_EVAL_CHARS, ...round(metrics.testShortBody) },
    },
    training: {
      seconds: Math.round(seconds * 100) / 100,
      optimizerIterations: fit.iterations,
      converged: fit.converged,
      trainTexts: texts.length,
    },
    onnx: { opsetImports: { ...OPSET_IMPORTS }, operators: graphOperators() },
  };
  return { model, card, test, testScores, testHeaderlessScores, testShortScores };
}

/** Same parameters, same version: a hash of everything the graph computes with. */
export function modelVersion(model: LinearTextModel): string {
  const h = createHash('sha256');
  h.update(model.terms.join('\n'));
  h.update(new Uint8Array(model.idf.buffer, model.idf.byteOffset, model.idf.byteLength));
  h.update(new Uint8Array(model.weightedIdf.buffer, model.weightedIdf.byteOffset, model.weightedIdf.byteLength));
  h.update(`${model.bias}|${model.noEvidenceProbability}|${model.threshold}|${model.maxTextChars}`);
  return `tfidf-lr-${h.digest('hex').slice(0, 12)}`;
}

function round(m: ClassificationMetrics): ClassificationMetrics {
  const r = (v: number) => Math.round(v * 1e6) / 1e6;
  return { ...m, accuracy: r(m.accuracy), precision: r(m.precision), recall: r(m.recall), f1: r(m.f1), rocAuc: r(m.rocAuc) };
}
