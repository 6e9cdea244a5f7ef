/**
 * Vocabulary and TF-IDF, the TypeScript twin of the graph's feature extraction.
 * Weighting follows scikit-learn's TfidfVectorizer(sublinear_tf=True, smooth_idf=True,
 * norm="l2"): w(t, d) = (1 + ln tf) * (ln((1 + n) / (1 + df)) + 1), then each row scaled to
 * unit L2 norm.
 */
import { ngrams, tokenize } from './text.js';

export interface Vocabulary {
  /** Terms (unigrams and "a b" bigrams); a term's index is its feature index. */
  terms: string[];
  idf: Float64Array;
}

/** Sparse row-major matrix. */
export interface Csr {
  rows: number;
  cols: number;
  indptr: Int32Array;
  indices: Int32Array;
  values: Float64Array;
}

/** Term counts of one text, in first-seen order. */
export function termCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const g of ngrams(tokenize(text))) counts.set(g, (counts.get(g) ?? 0) + 1);
  return counts;
}

/**
 * Keeps the maxFeatures terms with the highest document frequency among those in at least
 * minDf texts; ties are broken by the term itself so the result does not depend on Map order.
 */
export function fitVocabulary(docs: readonly Map<string, number>[], maxFeatures: number, minDf: number): Vocabulary {
  const df = new Map<string, number>();
  for (const d of docs) for (const t of d.keys()) df.set(t, (df.get(t) ?? 0) + 1);
  const kept: [string, number][] = [];
  for (const [t, n] of df) if (n >= minDf) kept.push([t, n]);
  kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const chosen = kept.slice(0, maxFeatures);
  // Feature order is alphabetical: stable, and independent of how the cut-off fell.
  chosen.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const n = docs.length;
  const idf = new Float64Array(chosen.length);
  chosen.forEach(([, d], i) => (idf[i] = Math.log((1 + n) / (1 + d)) + 1));
  return { terms: chosen.map(([t]) => t), idf };
}

/** Unit-norm TF-IDF rows; a text with no known term is an all-zero row. */
export function transform(docs: readonly Map<string, number>[], vocab: Vocabulary, index?: Map<string, number>): Csr {
  const ix = index ?? new Map(vocab.terms.map((t, i) => [t, i]));
  const indptr = new Int32Array(docs.length + 1);
  const indices: number[] = [];
  const values: number[] = [];
  docs.forEach((d, r) => {
    const row: [number, number][] = [];
    for (const [t, c] of d) {
      const j = ix.get(t);
      if (j !== undefined) row.push([j, (1 + Math.log(c)) * vocab.idf[j]!]);
    }
    row.sort((a, b) => a[0] - b[0]);
    let sq = 0;
    for (const [, v] of row) sq += v * v;
    const norm = sq > 0 ? Math.sqrt(sq) : 1;
    for (const [j, v] of row) {
      indices.push(j);
      values.push(v / norm);
    }
    indptr[r + 1] = indices.length;
  });
  return {
    rows: docs.length,
    cols: vocab.terms.length,
    indptr,
    indices: Int32Array.from(indices),
    values: Float64Array.from(values),
  };
}
