/**
 * The exported classifier as plain data, and the TypeScript reference that scores texts with
 * it. The ONNX graph computes the same function; the parity test holds the two together.
 *
 * z_F(d) = sum_t tf(t,d) * w_t * idf_t / sqrt(sum_t tf(t,d) * idf_t^2 + lambda) over the known
 *   terms t of family F in d (0 when F has none; see vectorizer.ts: every occurrence is a unit
 *   of evidence); z = z_words + z_chars with the per-family norm, or one sum over both families
 *   with the joint norm
 * p(d) = sigmoid(scale * z(d) + offset)   (offset = scale * bias + the Platt intercept; texts of
 *   at most shortTokens word tokens use shortScale and shortOffset),
 *   or noEvidenceProbability when d has no known term.
 * Parameters are float32 (as stored in the graph); the arithmetic here is float64.
 */
import type { Label } from '../../shared/model-io.js';
import { sigmoid } from './logreg.js';
import { capText, textTerms, type FeatureSpec } from './text.js';

export type TextNorm = 'joint' | 'per-family';

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
  /**
   * "joint": one shrunk norm over all occurrences; "per-family": z is the sum of the word
   * family's and the character family's dot products, each over its own shrunk norm.
   */
  norm: TextNorm;
  /** Platt calibration folded with the logistic intercept: logit = scale * z + offset. */
  scale: number;
  offset: number;
  /**
   * Texts of at most shortTokens word tokens have their own Platt calibration (shortScale,
   * shortOffset): short messages and long emails put the same score at different odds. -1: none.
   */
  shortTokens: number;
  shortScale: number;
  shortOffset: number;
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
    const wordFeatures = this.model.words.length;
    let sqWords = 0;
    let dotWords = 0;
    let sqChars = 0;
    let dotChars = 0;
    for (const [j, count] of counts) {
      if (j < wordFeatures) {
        sqWords += count * idfSquared[j]!;
        dotWords += count * weightedIdf[j]!;
      } else {
        sqChars += count * idfSquared[j]!;
        dotChars += count * weightedIdf[j]!;
      }
    }
    let known = 0;
    for (const t of tokens) if (this.words.has(t)) known++;
    const { lambda } = this.model;
    const part = (dot: number, sq: number) => (sq > 0 ? dot / Math.sqrt(sq + lambda) : 0);
    const z = this.model.norm === 'per-family' ? part(dotWords, sqWords) + part(dotChars, sqChars) : part(dotWords + dotChars, sqWords + sqChars);
    const short = tokens.length <= this.model.shortTokens;
    const logit = short ? this.model.shortScale * z + this.model.shortOffset : this.model.scale * z + this.model.offset;
    const spamProbability = sqWords + sqChars > 0 ? sigmoid(logit) : noEvidenceProbability;
    return { spamProbability, knownTermRatio: tokens.length > 0 ? known / tokens.length : 0 };
  }

  spamProbability(text: string): number {
    return this.score(text).spamProbability;
  }

  label(spamProbability: number): Label {
    return spamProbability >= this.model.threshold ? 'spam' : 'ham';
  }
}
