/**
 * The model card's drift reference (docs/model.md, step 15): histograms of the drift signals and
 * the class mix over the training texts, and the same per kind of message when the training data
 * mixes kinds. A deployment that serves only SMS compares its traffic with the SMS texts the model
 * learnt from, not with a mix in which long emails dominate the length histogram.
 */
import { REFERENCE_KINDS, type Histogram, type ModelCard, type ReferenceDistributions, type ReferenceKind } from '../../shared/model-card.js';
import type { Label } from '../../shared/model-io.js';
import type { TextKind } from './corpus.js';

/** One training text as the drift reference sees it. */
export interface ReferenceText {
  /** The text after the cap (what the model is given). */
  text: string;
  label: Label;
  kind: TextKind;
  knownTermRatio: number;
  spamProbability: number;
}

/** The reference kind of a corpus kind: a --data file's texts are the user's ("user"). */
export const REFERENCE_KIND: Readonly<Record<TextKind, ReferenceKind>> = { email: 'email', sms: 'sms', text: 'user' };

const tenths = (): number[] => Array.from({ length: 11 }, (_, i) => i / 10);

/** Text-length edges: doublings from 20 characters up to the cap. */
const lengthEdges = (maxTextChars: number): number[] => [0, 20, 40, 80, 160, 320, 640, 1280, 2560, maxTextChars];

/**
 * The card's `reference`: over every training text, plus `byKind` (same edges) when the texts
 * are of more than one kind.
 */
export function driftReference(texts: readonly ReferenceText[], maxTextChars: number): ModelCard['reference'] {
  const all = distributions(texts, maxTextChars);
  const kinds = REFERENCE_KINDS.filter((k) => texts.some((t) => REFERENCE_KIND[t.kind] === k));
  if (kinds.length < 2) return all;
  const byKind: Partial<Record<ReferenceKind, ReferenceDistributions>> = {};
  for (const k of kinds) byKind[k] = distributions(texts.filter((t) => REFERENCE_KIND[t.kind] === k), maxTextChars);
  return { ...all, byKind };
}

function distributions(texts: readonly ReferenceText[], maxTextChars: number): ReferenceDistributions {
  const spam = texts.filter((t) => t.label === 'spam').length;
  return {
    texts: texts.length,
    classMix: { spam: round6(spam / texts.length), ham: round6((texts.length - spam) / texts.length) },
    textLength: histogram(texts.map((t) => t.text.length), lengthEdges(maxTextChars)),
    knownTermRatio: histogram(texts.map((t) => t.knownTermRatio), tenths()),
    spamProbability: histogram(texts.map((t) => t.spamProbability), tenths()),
  };
}

/** See Histogram: [edges[i], edges[i+1]) per bin, the last bin closed; values above the last edge go in it. */
export function histogram(values: readonly number[], edges: number[]): Histogram {
  const n = new Array<number>(edges.length - 1).fill(0);
  for (const v of values) {
    let b = edges.length - 2;
    for (let i = 0; i < edges.length - 1; i++) {
      if (v < edges[i + 1]!) {
        b = i;
        break;
      }
    }
    n[b]!++;
  }
  return { edges, proportions: n.map((c) => round6(values.length ? c / values.length : 0)) };
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;
