/**
 * The exported classifier as plain data, and the TypeScript reference that scores texts with
 * it. The ONNX graph computes the same function; the parity test holds the two together.
 *
 * z(d) = sum_t tf(t,d) * w_t * idf_t / sqrt(sum_t tf(t,d) * idf_t^2 + lambda) over the known
 *   terms of d (see vectorizer.ts: every occurrence is a unit of evidence)
 * p(d) = sigmoid(scale * z(d) + offset)   (offset = scale * bias + the Platt intercept),
 *   or noEvidenceProbability when d has no known term.
 * Parameters are float32 (as stored in the graph); the arithmetic here is float64.
 */
import type { Label } from '../../shared/model-io.js';
import { sigmoid } from './logreg.js';
import { capText, textTerms, type FeatureSpec } from './text.js';

export interface LinearTextModel {
  /** Word unigrams and "a b" bigrams: feature j for j < words.length. */
  words: string[];
  /** Character n-grams: feature words.length + k. */
  chars: string[];
  features: FeatureSpec;
  /** idf_t^2, rounded to float32. */
  idfSquared: Float32Array;
  /** w_t * idf_t, rounded to float32. */
  weightedIdf: Float32Array;
  /** Evidence shrinkage: rows are divided by sqrt(||x||^2 + lambda). */
  lambda: number;
  /** Platt calibration folded with the logistic intercept: logit = scale * z + offset. */
  scale: number;
  offset: number;
  /**
   * Spam probability of a text with no known term (empty, gibberish, an unseen script): the
   * share of spam among the training messages.
   */
  noEvidenceProbability: number;
  threshold: number;
  maxTextChars: number;
}

export interface ReferenceScore {
  spamProbability: number;
  /** Share of the text's word tokens that are vocabulary terms (0 without tokens). */
  knownTermRatio: number;
}

export class ReferenceScorer {
  private readonly words: Map<string, number>;
  private readonly chars: Map<string, number>;

  constructor(readonly model: LinearTextModel) {
    this.words = new Map(model.words.map((t, i) => [t, i]));
    this.chars = new Map(model.chars.map((t, i) => [t, model.words.length + i]));
  }

  score(text: string): ReferenceScore {
    const { idfSquared, weightedIdf, noEvidenceProbability, features } = this.model;
    const { tokens, words, chars } = textTerms(capText(text, this.model.maxTextChars), features);
    const counts = new Map<number, number>();
    for (const w of words) {
      const j = this.words.get(w);
      if (j !== undefined) counts.set(j, (counts.get(j) ?? 0) + 1);
    }
    for (const g of chars) {
      const j = this.chars.get(g);
      if (j !== undefined) counts.set(j, (counts.get(j) ?? 0) + 1);
    }
    let sq = 0;
    let dot = 0;
    for (const [j, count] of counts) {
      sq += count * idfSquared[j]!;
      dot += count * weightedIdf[j]!;
    }
    let known = 0;
    for (const t of tokens) if (this.words.has(t)) known++;
    const spamProbability = sq > 0 ? sigmoid(this.model.scale * (dot / Math.sqrt(sq + this.model.lambda)) + this.model.offset) : noEvidenceProbability;
    return { spamProbability, knownTermRatio: tokens.length > 0 ? known / tokens.length : 0 };
  }

  spamProbability(text: string): number {
    return this.score(text).spamProbability;
  }

  label(spamProbability: number): Label {
    return spamProbability >= this.model.threshold ? 'spam' : 'ham';
  }
}
