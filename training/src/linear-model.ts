/**
 * The exported classifier as plain data, and the TypeScript reference that scores texts with
 * it. The ONNX graph computes the same function; the parity test holds the two together.
 *
 * p(d) = sigmoid(logit(d)), or noEvidenceProbability when d has no known term;
 * logit(d) = b + sum_t (1 + ln tf(t,d)) * w_t * idf_t / ||x_d||,
 *   ||x_d|| = sqrt(sum_t ((1 + ln tf(t,d)) * idf_t)^2)
 * Parameters are float32 (as stored in the graph); the arithmetic here is float64.
 */
import type { Label } from '../../shared/model-io.js';
import { sigmoid } from './logreg.js';
import { capText } from './text.js';
import { termCounts } from './vectorizer.js';

export interface LinearTextModel {
  terms: string[];
  idf: Float32Array;
  /** w_t * idf_t, rounded to float32. */
  weightedIdf: Float32Array;
  bias: number;
  /**
   * Spam probability of a text with no known term (empty, gibberish, another script): the
   * share of spam among the training messages. The logistic model alone would answer
   * sigmoid(bias), an artefact of unit-norm features with no evidence behind it.
   */
  noEvidenceProbability: number;
  threshold: number;
  maxTextChars: number;
}

export class ReferenceScorer {
  private readonly index: Map<string, number>;

  constructor(readonly model: LinearTextModel) {
    this.index = new Map(model.terms.map((t, i) => [t, i]));
  }

  spamProbability(text: string): number {
    const { idf, weightedIdf, bias, noEvidenceProbability } = this.model;
    let sq = 0;
    let dot = 0;
    for (const [term, count] of termCounts(capText(text, this.model.maxTextChars))) {
      const j = this.index.get(term);
      if (j === undefined) continue;
      const tf = 1 + Math.log(count);
      const v = tf * idf[j]!;
      sq += v * v;
      dot += tf * weightedIdf[j]!;
    }
    return sq > 0 ? sigmoid(dot / Math.sqrt(sq) + bias) : noEvidenceProbability;
  }

  label(spamProbability: number): Label {
    return spamProbability >= this.model.threshold ? 'spam' : 'ham';
  }
}
