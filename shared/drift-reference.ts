/**
 * The drift reference: distributions of cheap per-text signals over a model's training texts,
 * written by training into the model card (`reference`), carried to the exporter in the hello
 * frame of every worker that serves the model (docs/channel.md), and compared there with the
 * live texts by the population stability index (services/exporter/src/drift/).
 *
 * The three signals, computed identically in training and in serving:
 * - text length: UTF-16 code units of the text after the model's preparation (prepareText: the cap);
 * - known-term ratio: share of the text's word tokens that are in the model's vocabulary (0-1;
 *   0 for a text without word tokens), an output of the ONNX graph;
 * - spam probability: the model's P(spam).
 *
 * A card may also split the reference by kind of message (`byKind`: email, sms, user); the
 * exporter's DRIFT_REFERENCE chooses which part the live texts are compared with.
 */
import { REFERENCE_KINDS, type ReferenceKind } from './model-card.js';


/**
 * proportions[i] is the share of values v with edges[i] <= v < edges[i + 1]; the last bin also
 * holds v == its upper edge. proportions.length === edges.length - 1, and they sum to 1.
 * (Structurally the model card's Histogram.)
 */
export interface ReferenceHistogram {
  edges: number[];
  proportions: number[];
}

/** The distributions over one set of training texts (structurally the card's ReferenceDistributions). */
export interface DriftDistributions {
  /** Training texts the histograms were computed over. */
  texts: number;
  classMix: { spam: number; ham: number };
  textLength: ReferenceHistogram;
  knownTermRatio: ReferenceHistogram;
  spamProbability: ReferenceHistogram;
}

/** Over all the training texts, and per kind of message when the training data mixed kinds. */
export interface DriftReference extends DriftDistributions {
  byKind?: Partial<Record<ReferenceKind, DriftDistributions>>;
}

/** What DRIFT_REFERENCE may select: the whole reference, or one kind's part of it. */
export const DRIFT_REFERENCE_CHOICES = ['all', ...REFERENCE_KINDS] as const;
export type DriftReferenceChoice = (typeof DRIFT_REFERENCE_CHOICES)[number];

/**
 * The part of `reference` to compare with: the chosen kind's, or the whole reference when the
 * choice is "all" or the reference has no part for that kind (`used` says which it is).
 */
export function selectReference(reference: DriftReference, choice: DriftReferenceChoice): { distributions: DriftDistributions; used: DriftReferenceChoice } {
  const part = choice === 'all' ? undefined : reference.byKind?.[choice];
  return part === undefined ? { distributions: reference, used: 'all' } : { distributions: part, used: choice };
}

export const DRIFT_SIGNALS = ['text_length', 'known_term_ratio', 'spam_probability'] as const;
export type DriftSignal = (typeof DRIFT_SIGNALS)[number];

/** The reference histogram of each signal (label value -> card field). */
export const REFERENCE_FIELD: Readonly<Record<DriftSignal, 'textLength' | 'knownTermRatio' | 'spamProbability'>> = {
  text_length: 'textLength',
  known_term_ratio: 'knownTermRatio',
  spam_probability: 'spamProbability',
};

/** Most bins a reference histogram may have: bounds the exporter's memory and a hello frame's size. */
export const MAX_REFERENCE_BINS = 64;
/** How far the proportions of a histogram may sum from 1 (they are rounded in the card). */
const SUM_TOLERANCE = 1e-3;

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const isFiniteNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

function histogramValid(h: unknown): h is ReferenceHistogram {
  if (!isObj(h) || !Array.isArray(h.edges) || !Array.isArray(h.proportions)) return false;
  const { edges, proportions } = h as { edges: unknown[]; proportions: unknown[] };
  if (edges.length < 2 || edges.length > MAX_REFERENCE_BINS + 1 || proportions.length !== edges.length - 1) return false;
  for (let i = 0; i < edges.length; i++) {
    const e = edges[i];
    if (!isFiniteNumber(e) || (i > 0 && e <= (edges[i - 1] as number))) return false;
  }
  let sum = 0;
  for (const p of proportions) {
    if (!isFiniteNumber(p) || p < 0 || p > 1) return false;
    sum += p;
  }
  return Math.abs(sum - 1) <= SUM_TOLERANCE;
}

/**
 * The reference in `x` (a model card's `reference`, or a hello frame's) if it is well formed.
 * A malformed or unknown kind in `byKind` is left out (that kind falls back to the whole reference).
 */
export function readDriftReference(x: unknown): DriftReference | undefined {
  const all = readDistributions(x);
  if (all === undefined) return undefined;
  const raw = (x as Obj).byKind;
  if (!isObj(raw)) return all;
  const byKind: Partial<Record<ReferenceKind, DriftDistributions>> = {};
  for (const kind of REFERENCE_KINDS) {
    const part = readDistributions(raw[kind]);
    if (part !== undefined) byKind[kind] = part;
  }
  return Object.keys(byKind).length > 0 ? { ...all, byKind } : all;
}

function readDistributions(x: unknown): DriftDistributions | undefined {
  if (!isObj(x)) return undefined;
  const mix = x.classMix;
  if (!isFiniteNumber(x.texts) || x.texts < 0 || !isObj(mix) || !isFiniteNumber(mix.spam) || !isFiniteNumber(mix.ham)) return undefined;
  if (!histogramValid(x.textLength) || !histogramValid(x.knownTermRatio) || !histogramValid(x.spamProbability)) return undefined;
  // Only the fields above: a card may carry more than the exporter needs in a hello frame.
  return {
    texts: x.texts,
    classMix: { spam: mix.spam, ham: mix.ham },
    textLength: copy(x.textLength),
    knownTermRatio: copy(x.knownTermRatio),
    spamProbability: copy(x.spamProbability),
  };
}

function copy(h: ReferenceHistogram): ReferenceHistogram {
  return { edges: [...h.edges], proportions: [...h.proportions] };
}

/** The reference of a model card (its `reference` section), if it has a well-formed one. */
export function cardReference(card: object): DriftReference | undefined {
  return readDriftReference((card as { reference?: unknown }).reference);
}
