/** A training reference for drift tests: uniform histograms over fixed edges, the shape of a model card's `reference`. */
import type { DriftReference, ReferenceHistogram } from '../../shared/drift-reference.js';

/** A histogram with equal shares in every bin. */
export const uniform = (edges: number[]): ReferenceHistogram => ({ edges, proportions: edges.slice(1).map(() => 1 / (edges.length - 1)) });

/** Ten bins over 0..1, for ratios and probabilities. */
export const RATIO_EDGES = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

/** A reference of 1000 texts, 30% spam; `known` replaces the known-term-ratio histogram. */
export function reference(known: ReferenceHistogram = uniform(RATIO_EDGES)): DriftReference {
  return {
    texts: 1000,
    classMix: { spam: 0.3, ham: 0.7 },
    textLength: uniform([0, 50, 100, 200, 400, 4000]),
    knownTermRatio: known,
    spamProbability: uniform(RATIO_EDGES),
  };
}
