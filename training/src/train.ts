/**
 * The training pipeline: de-duplicate, split (train / validation / test, stratified by corpus
 * and class), texts (header handling + cap), vocabulary, TF-IDF with evidence shrinkage,
 * logistic regression (C and lambda chosen on validation), Platt calibration and the
 * threshold policy (validation), float32 export parameters, evaluation per domain with the
 * exact exported function, card.
 */
import { createHash } from 'node:crypto';
import type { Domain, DomainMetrics, ModelCard } from '../../shared/model-card.js';
import { SHORT_TEXT_CHARS } from '../../shared/model-card.js';
import type { Label } from '../../shared/model-io.js';
import { WORD_TOKEN_PATTERN } from '../../shared/model-text.js';
import { budgetResolves, fitPlatt, policyThreshold } from './calibration.js';
import { dedupe, threeWaySplit, type Corpus, type Example, type SplitSpec, type TextKind } from './corpus.js';
import { decision, fitLogisticRegression, sigmoid, type LogRegModel } from './logreg.js';
import { ReferenceScorer, type LinearTextModel, type TextNorm } from './linear-model.js';
import { evaluateDomain, logLoss } from './metrics.js';
import { graphOperators, OPSET_IMPORTS } from './onnx-export.js';
import { driftReference } from './reference.js';
import { capText, stripHeaders, tokenize, type FeatureSpec } from './text.js';
import { fitVocabulary, TermKeys, transform, type Csr } from './vectorizer.js';

export type HeaderMode = ModelCard['preprocessing']['headers'];

export interface TrainOptions {
  split: SplitSpec;
  features: FeatureSpec;
  maxWordFeatures: number;
  maxCharFeatures: number;
  minDf: number;
  /** Grids searched on the validation split; a single value fixes the parameter. */
  c: number[];
  lambda: number[];
  maxIterations: number;
  tolerance: number;
  maxTextChars: number;
  headers: HeaderMode;
  /**
   * When > 0, every training email also contributes the first this-many characters of its
   * body: users send short texts, and a model that saw only whole emails is less sure of them.
   */
  shortExcerptChars: number;
  /** Also train on the first this-many paragraphs of each email body (tags removed), cut to shortExcerptChars. */
  paragraphExcerpts: number;
  /**
   * Loss weight of an excerpt relative to a whole text. Excerpts teach the model short spam
   * written like email, but at full weight their vocabulary outvotes the SMS collection on
   * short texts (SMS ham scored as spam).
   */
  excerptWeight: number;
  /** Share of ham (per validation domain) the threshold may block. */
  falsePositiveBudget: number;
  /** A fixed threshold instead of the policy. */
  threshold?: number;
  /** Refit the classifier on all messages after evaluation (calibration and threshold kept). */
  refitOnAll: boolean;
  norm: TextNorm;
  /**
   * Texts of at most this many word tokens get their own Platt calibration (-1: one calibration
   * for every text). Needs MIN_SEGMENT_TEXTS validation texts of each class on each side.
   */
  shortCalibrationTokens: number;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  split: { seed: 42, testFraction: 0.2, validationFraction: 0.2 },
  features: { words: true, charWindow: 256, charMinN: 2, charMaxN: 4 },
  maxWordFeatures: 20_000,
  maxCharFeatures: 20_000,
  minDf: 2,
  c: [30, 100],
  lambda: [0, 300],
  maxIterations: 500,
  tolerance: 1e-5,
  maxTextChars: 4000,
  headers: 'raw-and-body',
  shortExcerptChars: 200,
  paragraphExcerpts: 2,
  excerptWeight: 0.15,
  falsePositiveBudget: 0.005,
  refitOnAll: false,
  norm: 'per-family',
  shortCalibrationTokens: 50,
};

/** A calibration segment needs this many validation texts of each class, or it shares the pooled fit. */
export const MIN_SEGMENT_TEXTS = 20;
type Platt = { a: number; b: number };
/** Platt fits for long texts and for texts of at most `shortTokens` word tokens. */
interface Calibration {
  long: Platt;
  short: Platt;
  shortTokens: number;
  shortTexts: number;
}

/** Never block a text that is more likely ham than spam, whatever the budget allows. */
export const THRESHOLD_FLOOR = 0.5;
/** Domains whose validation ham the false-positive budget protects (texts as they arrive). */
export const POLICY_DOMAINS: readonly Domain[] = ['rawEmail', 'sms', 'userText'];

/** A text scored in evaluation, with the domain it counts in. */
export interface EvalText {
  text: string;
  label: Label;
  domain: Domain;
}

export interface TrainResult {
  model: LinearTextModel;
  card: ModelCard;
  test: Example[];
  /** Test texts per domain with their spam probabilities (for the report). */
  evaluation: { domain: Domain; labels: Label[]; scores: Float64Array }[];
}

/**
 * The texts one message contributes to training. With "raw-and-body" a raw email also
 * contributes its body alone, so the model learns to score bare bodies (what users send)
 * without losing what headers tell about full emails.
 */
export function trainingTexts(example: Pick<Example, 'text'>, options: Pick<TrainOptions, 'headers' | 'maxTextChars' | 'shortExcerptChars' | 'paragraphExcerpts'>): TrainingText[] {
  const mode = options.headers;
  const body = stripHeaders(example.text);
  const whole = mode === 'raw' ? [example.text] : mode === 'body' ? [body] : body === example.text ? [body] : [example.text, body];
  const excerpts: string[] = [];
  if (options.shortExcerptChars > 0 && body !== example.text && body.length > options.shortExcerptChars) {
    excerpts.push(body.slice(0, options.shortExcerptChars), ...paragraphExcerpts(body, options.shortExcerptChars, options.paragraphExcerpts));
  }
  return [
    ...whole.map((t) => ({ text: capText(t, options.maxTextChars), excerpt: false })),
    ...excerpts.map((t) => ({ text: capText(t, options.maxTextChars), excerpt: true })),
  ];
}

export interface TrainingText {
  text: string;
  /** Cut from an email body (short excerpt or paragraph), not a whole message. */
  excerpt: boolean;
}

/**
 * Every training text of the messages with its label and loss weight: each corpus weighs the
 * same in total (see balancedWeights), and an excerpt weighs excerptWeight of a whole text.
 */
export function trainingRows(messages: readonly Example[], options: TrainOptions): { texts: string[]; labels: Label[]; kinds: TextKind[]; weights: Float64Array } {
  const texts: string[] = [];
  const labels: Label[] = [];
  const kinds: TextKind[] = [];
  const sources: string[] = [];
  const excerpt: boolean[] = [];
  for (const ex of messages) {
    for (const t of trainingTexts(ex, options)) {
      texts.push(t.text);
      labels.push(ex.label);
      kinds.push(ex.kind);
      sources.push(ex.source);
      excerpt.push(t.excerpt);
    }
  }
  const weights = Float64Array.from(balancedWeights(sources), (w, i) => (excerpt[i] ? w * options.excerptWeight : w));
  return { texts, labels, kinds, weights };
}

/**
 * The first `count` paragraphs of an email body with at least 20 characters of text,
 * HTML tags and runs of whitespace removed, each cut to maxChars: users send the gist of a
 * message in a line or two, and spam bodies open with markup that no short message has.
 */
export function paragraphExcerpts(body: string, maxChars: number, count: number): string[] {
  const out: string[] = [];
  for (const para of body.split(/\r?\n\s*\r?\n/)) {
    if (out.length >= count) break;
    const text = para.replace(/<[^>]*>/g, ' ').replace(/&nbsp;/g, ' ').replace(/\s+/g, ' ').trim();
    if (text.length < 20) continue;
    out.push(text.slice(0, maxChars));
  }
  return out;
}

/** The forms a held-out message is evaluated in, each with its domain. */
export function evaluationTexts(e: Example): EvalText[] {
  const out: EvalText[] = [];
  if (e.kind === 'email') {
    const body = stripHeaders(e.text);
    out.push({ text: e.text, label: e.label, domain: 'rawEmail' }, { text: body, label: e.label, domain: 'headerlessEmail' });
    if (body.length <= SHORT_TEXT_CHARS) out.push({ text: body, label: e.label, domain: 'short' });
  } else {
    out.push({ text: e.text, label: e.label, domain: e.kind === 'sms' ? 'sms' : 'userText' });
    if (e.text.length <= SHORT_TEXT_CHARS) out.push({ text: e.text, label: e.label, domain: 'short' });
  }
  return out;
}

function byDomain(texts: EvalText[], scores: ArrayLike<number>): Map<Domain, { labels: Label[]; scores: number[] }> {
  const out = new Map<Domain, { labels: Label[]; scores: number[] }>();
  texts.forEach((t, i) => {
    let g = out.get(t.domain);
    if (!g) out.set(t.domain, (g = { labels: [], scores: [] }));
    g.labels.push(t.label);
    g.scores.push(scores[i]!);
  });
  return out;
}

interface Fitted {
  c: number;
  lambda: number;
  fit: LogRegModel;
  /** Validation decision values before calibration. */
  z: Float64Array;
  platt: Calibration;
  errorRate: number;
  logLoss: number;
}

function counts(keys: TermKeys, texts: string[]): Map<number, number>[] {
  return texts.map((t) => keys.counts(capText(t, Number.MAX_SAFE_INTEGER)));
}

export function train(corpora: Corpus[], options: TrainOptions, log: (msg: string) => void = () => {}): TrainResult {
  const started = process.hrtime.bigint();
  const all = corpora.flatMap((c) => c.examples);
  const { examples, removedBySource } = dedupe(all);
  const removed = all.length - examples.length;
  log(`de-duplication: ${removed} exact duplicate texts removed (${[...removedBySource].map(([s, n]) => `${s}: ${n}`).join(', ') || 'none'})`);
  const { train: trainSet, validation, test } = threeWaySplit(examples, options.split);
  if (validation.length === 0 || test.length === 0) throw new RangeError('too few messages for a validation and a test split');
  const { texts, labels, kinds, weights: sampleWeights } = trainingRows(trainSet, options);
  log(`split: ${trainSet.length} train / ${validation.length} validation / ${test.length} test messages; ${texts.length} training texts`);

  const keys = new TermKeys(options.features);
  const docs = counts(keys, texts);
  const { vocabulary: vocab, featureOf } = fitVocabulary(docs, keys, options, sampleWeights);
  log(`vocabulary: ${vocab.words.length} word terms, ${vocab.chars.length} character n-grams`);
  const y = Uint8Array.from(labels, (l) => (l === 'spam' ? 1 : 0));
  const valTexts = validation.flatMap(evaluationTexts).filter((t) => t.domain !== 'short');
  const valDocs = counts(keys, valTexts.map((t) => capText(t.text, options.maxTextChars)));
  const valLabels = valTexts.map((t) => t.label);
  const valShort = valTexts.map((t) => tokenize(capText(t.text, options.maxTextChars)).length <= options.shortCalibrationTokens);
  const wordFeatures = options.norm === 'per-family' ? vocab.words.length : undefined;

  // Grid on the validation split: C and lambda; warm-started along C for each lambda.
  const fitted: Fitted[] = [];
  for (const lambda of options.lambda) {
    const x = transform(docs, featureOf, vocab.idf, lambda, wordFeatures);
    const xv = transform(valDocs, featureOf, vocab.idf, lambda, wordFeatures);
    for (const c of options.c) {
      const fit = fitLogisticRegression(x, y, { c, maxIterations: options.maxIterations, tolerance: options.tolerance, sampleWeights });
      const z = decision(xv, fit.weights, fit.bias);
      const platt = fitCalibration(z, valLabels, valShort, options.shortCalibrationTokens);
      const p = Array.from(z, (v, i) => {
        const { a, b } = valShort[i] ? platt.short : platt.long;
        return sigmoid(a * v + b);
      });
      const groups = byDomain(valTexts, p);
      let err = 0;
      let loss = 0;
      for (const g of groups.values()) {
        err += g.labels.filter((l, i) => (g.scores[i]! >= 0.5) !== (l === 'spam')).length / g.labels.length;
        loss += logLoss(g.labels, g.scores);
      }
      const f: Fitted = { c, lambda, fit, z, platt, errorRate: err / groups.size, logLoss: loss / groups.size };
      fitted.push(f);
      log(`grid: C ${c} lambda ${lambda}: ${fit.iterations} iterations, validation error ${(f.errorRate * 100).toFixed(3)}% log loss ${f.logLoss.toFixed(4)}`);
    }
  }
  // The calibrated validation log loss, each domain weighing the same: it scores probabilities,
  // not only which side of 0.5 they fall (the error rate barely moves across this grid).
  const best = fitted.reduce((a, b) => (b.logLoss < a.logLoss ? b : a));
  log(`chosen: C ${best.c} lambda ${best.lambda}`);

  const spamShare = trainSet.filter((e) => e.label === 'spam').length / trainSet.length;
  const makeModel = (fit: LogRegModel, threshold: number): LinearTextModel => ({
    words: vocab.words,
    chars: vocab.chars,
    features: options.features,
    idfSquared: Float32Array.from(vocab.idf, (v) => v * v),
    weightedIdf: Float32Array.from(vocab.idf, (v, i) => v * fit.weights[i]!),
    lambda: Math.fround(best.lambda),
    norm: options.norm,
    scale: Math.fround(best.platt.long.a),
    offset: Math.fround(best.platt.long.a * fit.bias + best.platt.long.b),
    shortTokens: best.platt.shortTokens,
    shortScale: Math.fround(best.platt.short.a),
    shortOffset: Math.fround(best.platt.short.a * fit.bias + best.platt.short.b),
    noEvidenceProbability: Math.fround(spamShare),
    threshold: Math.fround(threshold),
    maxTextChars: options.maxTextChars,
  });

  // Threshold policy on the validation split, with the exported (float32) function.
  const draft = new ReferenceScorer(makeModel(best.fit, THRESHOLD_FLOOR));
  const valScores = valTexts.map((t) => draft.spamProbability(t.text));
  const valGroups = byDomain(valTexts, valScores);
  // The budget holds for texts as they arrive (raw emails, SMS, the user's texts); header-less
  // bodies and short excerpts are derived forms of the same messages, reported but not binding.
  const policyEntries = [...valGroups].filter(([d]) => POLICY_DOMAINS.includes(d));
  const threshold =
    options.threshold ?? policyThreshold(policyEntries.map(([, g]) => ({ labels: g.labels, probabilities: g.scores })), options.falsePositiveBudget, THRESHOLD_FLOOR);
  const notBinding = policyEntries
    .filter(([, g]) => !budgetResolves(g.labels.filter((l) => l === 'ham').length, options.falsePositiveBudget))
    .map(([d]) => d);
  if (notBinding.length > 0 && options.threshold === undefined) {
    log(`threshold policy: too few validation ham to resolve a ${options.falsePositiveBudget} budget in ${notBinding.join(', ')} (fewer than ${Math.ceil(1 / options.falsePositiveBudget)}); the floor ${THRESHOLD_FLOOR} holds there`);
  }
  const validationFalsePositiveRate: Partial<Record<Domain, number>> = {};
  const validationRecall: Partial<Record<Domain, number>> = {};
  for (const [domain, g] of valGroups) {
    const m = evaluateDomain(g.labels, g.scores, threshold);
    validationFalsePositiveRate[domain] = round6(m.blockedHamRate);
    validationRecall[domain] = round6(m.recall);
  }
  const uncalibrated = Array.from(best.z, sigmoid);
  const eceBefore = evaluateDomain(valLabels, uncalibrated, 0.5).ece;
  const eceAfter = evaluateDomain(valLabels, valScores, 0.5).ece;
  const logLossBefore = logLoss(valLabels, uncalibrated);
  const logLossAfter = logLoss(valLabels, valScores);
  log(`threshold ${threshold.toFixed(4)} (budget ${options.falsePositiveBudget}); validation ECE ${eceBefore.toFixed(4)} -> ${eceAfter.toFixed(4)}, log loss ${logLossBefore.toFixed(4)} -> ${logLossAfter.toFixed(4)}`);

  let model = makeModel(best.fit, threshold);
  const scorer = new ReferenceScorer(model);
  const testTexts = test.flatMap(evaluationTexts);
  const testScores = Float64Array.from(testTexts, (t) => scorer.spamProbability(t.text));
  const evaluation = [...byDomain(testTexts, testScores)].map(([domain, g]) => ({ domain, labels: g.labels, scores: Float64Array.from(g.scores) }));
  const domains: Partial<Record<Domain, DomainMetrics>> = {};
  for (const e of evaluation) domains[e.domain] = roundMetrics(evaluateDomain(e.labels, e.scores, model.threshold));
  const asStored = test.map((e) => ({ label: e.label, p: scorer.spamProbability(e.text) }));
  const headerless = test.map((e) => ({ label: e.label, p: scorer.spamProbability(stripHeaders(e.text)) }));
  const summary = (rows: { label: Label; p: number }[]) => roundMetrics(evaluateDomain(rows.map((r) => r.label), rows.map((r) => r.p), model.threshold));

  // Drift reference: the training texts as the final model sees them.
  const refScores = texts.map((t) => scorer.score(t));
  let refit = best.fit;
  if (options.refitOnAll) {
    const all = trainingRows(examples, options);
    const xAll = transform(counts(keys, all.texts), featureOf, vocab.idf, best.lambda, wordFeatures);
    refit = fitLogisticRegression(xAll, Uint8Array.from(all.labels, (l) => (l === 'spam' ? 1 : 0)), {
      c: best.c, maxIterations: options.maxIterations, tolerance: options.tolerance, sampleWeights: all.weights,
    });
    model = makeModel(refit, threshold);
    log(`refitted on all ${examples.length} messages (${all.texts.length} texts): ${refit.iterations} iterations`);
  }

  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const summarize = (name: string, source: string, list: readonly Example[]) => {
    const spam = list.filter((e) => e.label === 'spam').length;
    return { name, source, messages: list.length, spam, ham: list.length - spam };
  };
  const testBySource: Record<string, number> = {};
  for (const e of test) testBySource[e.source] = (testBySource[e.source] ?? 0) + 1;
  const card: ModelCard = {
    schemaVersion: 2,
    name: 'spam-classifier',
    version: modelVersion(model),
    trainedAt: new Date().toISOString(),
    corpus: {
      ...summarize(corpora.map((c) => c.name).join(' + '), corpora.map((c) => c.source).join(' + '), examples),
      duplicatesRemoved: removed,
      parts: corpora.map((c) => ({
        ...summarize(c.name, c.source, examples.filter((e) => e.source === c.source)),
        duplicatesRemoved: removedBySource.get(c.source) ?? 0,
      })),
    },
    split: {
      seed: options.split.seed,
      testFraction: options.split.testFraction,
      validationFraction: options.split.validationFraction,
      stratified: true,
      trainMessages: trainSet.length,
      validationMessages: validation.length,
      testMessages: test.length,
      testBySource,
      refittedOnAll: options.refitOnAll,
    },
    preprocessing: {
      maxTextChars: options.maxTextChars,
      lowercase: 'unicode-c.utf-8',
      tokenPattern: WORD_TOKEN_PATTERN,
      features: {
        words: options.features.words,
        wordNgramRange: [1, 2],
        charWindow: options.features.charWindow,
        charNgramRange: [options.features.charMinN, options.features.charMaxN],
      },
      headers: options.headers,
      shortExcerptChars: options.shortExcerptChars,
      paragraphExcerpts: options.paragraphExcerpts,
      excerptWeight: options.excerptWeight,
    },
    hyperParameters: {
      maxWordFeatures: options.maxWordFeatures,
      maxCharFeatures: options.maxCharFeatures,
      minDf: options.minDf,
      tf: 'occurrences',
      smoothIdf: true,
      norm: options.norm === 'per-family' ? 'l2-shrunk-per-family' : 'l2-shrunk',
      evidenceLambda: best.lambda,
      classifier: 'logistic-regression',
      c: best.c,
      optimizer: 'l-bfgs',
      maxIterations: options.maxIterations,
      tolerance: options.tolerance,
      selection: fitted.map((f) => ({ c: f.c, evidenceLambda: f.lambda, validationErrorRate: round6(f.errorRate), validationLogLoss: round6(f.logLoss), chosen: f === best })),
    },
    vocabularySize: vocab.words.length + vocab.chars.length,
    vocabulary: { words: vocab.words.length, chars: vocab.chars.length },
    calibration: {
      method: 'platt',
      scale: model.scale,
      offset: model.offset,
      validationTexts: valTexts.length,
      ...(model.shortTokens >= 0
        ? { shortTexts: { maxTokens: model.shortTokens, scale: model.shortScale, offset: model.shortOffset, validationTexts: best.platt.shortTexts } }
        : {}),
      validationEceBefore: round6(eceBefore),
      validationEceAfter: round6(eceAfter),
      validationLogLossBefore: round6(logLossBefore),
      validationLogLossAfter: round6(logLossAfter),
    },
    threshold: model.threshold,
    thresholdPolicy: {
      falsePositiveBudget: options.falsePositiveBudget,
      floor: THRESHOLD_FLOOR,
      validationFalsePositiveRate,
      validationRecall,
      ...(notBinding.length > 0 ? { notBinding } : {}),
    },
    noEvidenceProbability: model.noEvidenceProbability,
    metrics: { test: summary(asStored), testHeaderless: summary(headerless), domains },
    reference: driftReference(
      texts.map((text, i) => ({ text, label: labels[i]!, kind: kinds[i]!, knownTermRatio: refScores[i]!.knownTermRatio, spamProbability: refScores[i]!.spamProbability })),
      options.maxTextChars,
    ),
    training: {
      seconds: Math.round(seconds * 100) / 100,
      optimizerIterations: refit.iterations,
      converged: refit.converged,
      trainTexts: texts.length,
    },
    onnx: { opsetImports: { ...OPSET_IMPORTS }, operators: graphOperators(model) },
  };
  return { model, card, test, evaluation };
}

/**
 * Platt on the validation scores, once for all texts and, when each side has MIN_SEGMENT_TEXTS
 * texts of each class, once for the short texts (at most shortTokens word tokens) and once for
 * the rest. Otherwise both segments share the pooled fit and shortTokens is -1 (none).
 */
export function fitCalibration(z: ArrayLike<number>, labels: readonly Label[], isShort: readonly boolean[], shortTokens: number): Calibration {
  const side = (short: boolean) => {
    const idx = labels.flatMap((_, i) => (isShort[i] === short ? [i] : []));
    return { z: idx.map((i) => z[i]!), labels: idx.map((i) => labels[i]!) };
  };
  const s = side(true);
  const l = side(false);
  const enough = (g: { labels: Label[] }) => ['spam', 'ham'].every((c) => g.labels.filter((x) => x === c).length >= MIN_SEGMENT_TEXTS);
  if (shortTokens < 0 || !enough(s) || !enough(l)) {
    const pooled = fitPlatt(z, labels);
    return { long: pooled, short: pooled, shortTokens: -1, shortTexts: 0 };
  }
  return { long: fitPlatt(l.z, l.labels), short: fitPlatt(s.z, s.labels), shortTokens, shortTexts: s.labels.length };
}

/**
 * Weights that give every corpus the same total weight in the loss (mean weight 1): SpamAssassin
 * contributes three texts per message and would otherwise drown the SMS collection.
 */
export function balancedWeights(sources: readonly string[]): Float64Array {
  const n = new Map<string, number>();
  for (const s of sources) n.set(s, (n.get(s) ?? 0) + 1);
  return Float64Array.from(sources, (s) => sources.length / (n.size * n.get(s)!));
}


/** Same parameters, same version: a hash of everything the graph computes with. */
export function modelVersion(model: LinearTextModel): string {
  const h = createHash('sha256');
  h.update(model.words.join('\n'));
  h.update('\u0000');
  h.update(model.chars.join('\n'));
  h.update(new Uint8Array(model.idfSquared.buffer, model.idfSquared.byteOffset, model.idfSquared.byteLength));
  h.update(new Uint8Array(model.weightedIdf.buffer, model.weightedIdf.byteOffset, model.weightedIdf.byteLength));
  h.update(JSON.stringify(model.features));
  h.update(`${model.norm}|${model.shortTokens}|${model.shortScale}|${model.shortOffset}|${model.lambda}|${model.scale}|${model.offset}|${model.noEvidenceProbability}|${model.threshold}|${model.maxTextChars}`);
  return `tfidf-lr-${h.digest('hex').slice(0, 12)}`;
}

const round6 = (v: number) => Math.round(v * 1e6) / 1e6;

function roundMetrics(m: DomainMetrics): DomainMetrics {
  return {
    ...m,
    accuracy: round6(m.accuracy),
    precision: round6(m.precision),
    recall: round6(m.recall),
    f1: round6(m.f1),
    rocAuc: round6(m.rocAuc),
    blockedHamRate: round6(m.blockedHamRate),
    ece: round6(m.ece),
    reliability: m.reliability.map((b) => ({ ...b, meanPredicted: round6(b.meanPredicted), fractionSpam: round6(b.fractionSpam) })),
  };
}

export type { Csr };
