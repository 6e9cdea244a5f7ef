/**
 * Vocabulary and TF-IDF, the TypeScript twin of the graph's feature extraction.
 * Two families share one feature space: word terms (unigrams and "a b" bigrams) and character
 * n-grams; words come first, then characters, each alphabetical.
 * idf as scikit-learn's smooth idf: idf(t) = ln((1 + n) / (1 + df)) + 1. A text's row is
 *   x(t, d) = tf(t, d) * idf(t) / sqrt(sum_t tf(t, d) * idf(t)^2 + lambda)
 * i.e. every occurrence is its own unit of evidence: the norm is that of the occurrences, so a
 * term repeated k times weighs sqrt(k) (a sublinear tf) and the graph needs no grouping of
 * equal terms (onnxruntime's Unique was half the graph's time), only sums over occurrences.
 * lambda > 0 shrinks texts with little evidence (one word) towards the intercept instead of
 * giving them a full unit vector.
 *
 * Training counts under numeric keys (interned ids: a word bigram is a pair of ids, a character
 * n-gram a negative id) instead of strings: building and hashing a fresh string per bigram of
 * every training text was most of the training time.
 */
import { BIGRAM_SEPARATOR, textTerms, type FeatureSpec } from './text.js';

export interface Vocabulary {
  words: string[];
  chars: string[];
  /** idf of words then characters: feature j < words.length is a word term. */
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

/** Token ids stay below 2^26, so a bigram key (a + 1) * 2^26 + b stays below 2^53. */
const BIGRAM_BASE = 2 ** 26;

export class TermKeys {
  private readonly ids = new Map<string, number>();
  private readonly tokens: string[] = [];
  private readonly charIds = new Map<string, number>();
  private readonly grams: string[] = [];

  constructor(readonly spec: FeatureSpec) {}

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

  private charKey(gram: string): number {
    let id = this.charIds.get(gram);
    if (id === undefined) {
      id = this.grams.length;
      this.charIds.set(gram, id);
      this.grams.push(gram);
    }
    return -1 - id;
  }

  /** Counts of every feature key of a (capped) text. */
  counts(text: string): Map<number, number> {
    const { tokens, chars } = textTerms(text, { ...this.spec, words: false });
    const counts = new Map<number, number>();
    const add = (k: number) => counts.set(k, (counts.get(k) ?? 0) + 1);
    if (this.spec.words) {
      const ids = tokens.map((t) => this.id(t));
      for (let i = 0; i < ids.length; i++) {
        add(ids[i]!);
        if (i + 1 < ids.length) add((ids[i]! + 1) * BIGRAM_BASE + ids[i + 1]!);
      }
    }
    for (const g of chars) add(this.charKey(g));
    return counts;
  }

  isChar(key: number): boolean {
    return key < 0;
  }

  term(key: number): string {
    if (key < 0) return this.grams[-1 - key]!;
    if (key < BIGRAM_BASE) return this.tokens[key]!;
    const first = Math.floor(key / BIGRAM_BASE) - 1;
    return this.tokens[first]! + BIGRAM_SEPARATOR + this.tokens[key % BIGRAM_BASE]!;
  }
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export interface VocabularyOptions {
  maxWordFeatures: number;
  maxCharFeatures: number;
  minDf: number;
}

/**
 * Per family, keeps the terms with the highest (weighted) document frequency among those in at
 * least minDf texts; ties are broken by the term so the result does not depend on Map order.
 * With docWeights (the corpus balance of the loss) a small corpus's frequent terms are not
 * crowded out of the vocabulary by a large corpus; idf uses the plain counts.
 */

export function fitVocabulary(
  docs: readonly Map<number, number>[],
  keys: TermKeys,
  options: VocabularyOptions,
  docWeights?: Float64Array,
): { vocabulary: Vocabulary; featureOf: Map<number, number> } {
  const df = new Map<number, number>();
  const rank = new Map<number, number>();
  docs.forEach((d, i) => {
    const w = docWeights ? docWeights[i]! : 1;
    for (const k of d.keys()) {
      df.set(k, (df.get(k) ?? 0) + 1);
      rank.set(k, (rank.get(k) ?? 0) + w);
    }
  });
  type Candidate = { key: number; term: string; df: number; rank: number };
  const families = { words: [] as Candidate[], chars: [] as Candidate[] };
  for (const [key, n] of df) if (n >= options.minDf) (keys.isChar(key) ? families.chars : families.words).push({ key, term: keys.term(key), df: n, rank: rank.get(key)! });
  const choose = (list: Candidate[], max: number) => {
    list.sort((a, b) => b.rank - a.rank || byString(a.term, b.term));
    // Feature order is alphabetical: stable, and independent of how the cut-off fell.
    return list.slice(0, max).sort((a, b) => byString(a.term, b.term));
  };
  const chosen = [...choose(families.words, options.maxWordFeatures), ...choose(families.chars, options.maxCharFeatures)];
  const nWords = Math.min(families.words.length, options.maxWordFeatures);
  const n = docs.length;
  return {
    vocabulary: {
      words: chosen.slice(0, nWords).map((c) => c.term),
      chars: chosen.slice(nWords).map((c) => c.term),
      idf: Float64Array.from(chosen, (c) => Math.log((1 + n) / (1 + c.df)) + 1),
    },
    featureOf: new Map(chosen.map((c, i) => [c.key, i])),
  };
}

/**
 * Rows as described above; a text with no known term is all zeros. With `wordFeatures` (the
 * per-family norm) the word terms (features below wordFeatures) and the character n-grams are
 * each divided by their own shrunk norm: an SMS has ~400 character occurrences and ~40 word
 * terms, and under one joint norm its words would weigh next to nothing.
 */
export function transform(docs: readonly Map<number, number>[], featureOf: Map<number, number>, idf: Float64Array, lambda: number, wordFeatures?: number): Csr {
  const indptr = new Int32Array(docs.length + 1);
  const indices: number[] = [];
  const values: number[] = [];
  const split = wordFeatures ?? idf.length;
  docs.forEach((d, r) => {
    const row: [number, number][] = [];
    for (const [k, c] of d) {
      const j = featureOf.get(k);
      if (j !== undefined) row.push([j, c]);
    }
    row.sort((a, b) => a[0] - b[0]);
    let sqWords = 0;
    let sqChars = 0;
    for (const r of row) {
      const i = idf[r[0]]!;
      if (r[0] < split) sqWords += r[1] * i * i;
      else sqChars += r[1] * i * i;
      r[1] *= i;
    }
    const shrunk = (sq: number) => (sq > 0 ? Math.sqrt(sq + lambda) : 1);
    const wordNorm = wordFeatures === undefined ? shrunk(sqWords + sqChars) : shrunk(sqWords);
    const charNorm = wordFeatures === undefined ? wordNorm : shrunk(sqChars);
    for (const [j, v] of row) {
      indices.push(j);
      values.push(v / (j < split ? wordNorm : charNorm));
    }
    indptr[r + 1] = indices.length;
  });
  return { rows: docs.length, cols: idf.length, indptr, indices: Int32Array.from(indices), values: Float64Array.from(values) };
}
