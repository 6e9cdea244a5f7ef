/**
 * Vocabulary and TF-IDF, the TypeScript twin of the graph's feature extraction.
 * Weighting follows scikit-learn's TfidfVectorizer(sublinear_tf=True, smooth_idf=True,
 * norm="l2"): w(t, d) = (1 + ln tf) * (ln((1 + n) / (1 + df)) + 1), then each row scaled to
 * unit L2 norm.
 *
 * Training counts n-grams under numeric keys (interned token ids; a bigram is a pair of ids)
 * instead of strings: building and hashing a fresh "a b" string for every bigram of every
 * training text was most of the training time. Scoring single texts (the reference) uses
 * plain strings via termCounts.
 */
import { BIGRAM_SEPARATOR, ngrams, tokenize } from './text.js';

export interface Vocabulary {
  /** Terms (unigrams and "a b" bigrams), alphabetical; a term's index is its feature index. */
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

/** Term counts of one text, keyed by the term string. */
export function termCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const g of ngrams(tokenize(text))) counts.set(g, (counts.get(g) ?? 0) + 1);
  return counts;
}

/** Token ids stay below 2^26, so a bigram key (a + 1) * 2^26 + b stays below 2^53. */
const BIGRAM_BASE = 2 ** 26;

/** Numeric n-gram keys: a unigram is its token id, a bigram (first + 1) * 2^26 + second. */
export class TermKeys {
  private readonly ids = new Map<string, number>();
  private readonly tokens: string[] = [];

  private id(token: string): number {
    let id = this.ids.get(token);
    if (id === undefined) {
      id = this.tokens.length;
      if (id >= BIGRAM_BASE) throw new RangeError('more than 2^26 distinct tokens');
      this.ids.set(token, id);
      this.tokens.push(token);
    }
    return id;
  }

  /** Counts of every unigram and bigram key of a text. */
  counts(text: string): Map<number, number> {
    const ids = tokenize(text).map((t) => this.id(t));
    const counts = new Map<number, number>();
    for (let i = 0; i < ids.length; i++) {
      const u = ids[i]!;
      counts.set(u, (counts.get(u) ?? 0) + 1);
      if (i + 1 < ids.length) {
        const b = (u + 1) * BIGRAM_BASE + ids[i + 1]!;
        counts.set(b, (counts.get(b) ?? 0) + 1);
      }
    }
    return counts;
  }

  term(key: number): string {
    if (key < BIGRAM_BASE) return this.tokens[key]!;
    const first = Math.floor(key / BIGRAM_BASE) - 1;
    return this.tokens[first]! + BIGRAM_SEPARATOR + this.tokens[key % BIGRAM_BASE]!;
  }
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Keeps the maxFeatures terms with the highest document frequency among those in at least
 * minDf texts; ties are broken by the term itself so the result does not depend on Map order.
 * Returns the vocabulary and, for transform, each kept key's feature index.
 */
export function fitVocabulary(
  docs: readonly Map<number, number>[],
  keys: TermKeys,
  maxFeatures: number,
  minDf: number,
): { vocabulary: Vocabulary; featureOf: Map<number, number> } {
  const df = new Map<number, number>();
  for (const d of docs) for (const k of d.keys()) df.set(k, (df.get(k) ?? 0) + 1);
  const kept: { key: number; term: string; df: number }[] = [];
  for (const [key, n] of df) if (n >= minDf) kept.push({ key, term: keys.term(key), df: n });
  kept.sort((a, b) => b.df - a.df || byString(a.term, b.term));
  const chosen = kept.slice(0, maxFeatures);
  // Feature order is alphabetical: stable, and independent of how the cut-off fell.
  chosen.sort((a, b) => byString(a.term, b.term));
  const n = docs.length;
  const idf = Float64Array.from(chosen, (c) => Math.log((1 + n) / (1 + c.df)) + 1);
  return {
    vocabulary: { terms: chosen.map((c) => c.term), idf },
    featureOf: new Map(chosen.map((c, i) => [c.key, i])),
  };
}

/** Unit-norm TF-IDF rows; a text with no known term is an all-zero row. */
export function transform(docs: readonly Map<number, number>[], featureOf: Map<number, number>, idf: Float64Array): Csr {
  const indptr = new Int32Array(docs.length + 1);
  const indices: number[] = [];
  const values: number[] = [];
  docs.forEach((d, r) => {
    const row: [number, number][] = [];
    for (const [k, c] of d) {
      const j = featureOf.get(k);
      if (j !== undefined) row.push([j, (1 + Math.log(c)) * idf[j]!]);
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
    cols: idf.length,
    indptr,
    indices: Int32Array.from(indices),
    values: Float64Array.from(values),
  };
}
