/**
 * Text handling that training and serving must share exactly: the length cap, the header
 * split, and the features the ONNX graph computes (see shared/model-text.ts for the twins of
 * the graph's StringNormalizer, Tokenizer and character window).
 */
import { BIGRAM_SEPARATOR, charNgrams, charWindow, graphLower, wordTokens } from '../../shared/model-text.js';

/** Cap, NUL and lone-surrogate handling, shared with the inference service. */
export { prepareText as capText } from '../../shared/model-text.js';
export { BIGRAM_SEPARATOR, graphLower, wordTokens } from '../../shared/model-text.js';

/** Which feature families a model uses, and the character n-gram window. */
export interface FeatureSpec {
  words: boolean;
  /** 0 = no character n-grams. */
  charWindow: number;
  charMinN: number;
  charMaxN: number;
}

/** Word tokens of a raw text, as the graph's StringNormalizer + Tokenizer produce them. */
export function tokenize(text: string): string[] {
  return wordTokens(graphLower(text));
}

/** Unigrams followed by bigrams of consecutive tokens, as the graph builds them. */
export function ngrams(tokens: readonly string[]): string[] {
  const out = tokens.slice();
  for (let i = 0; i + 1 < tokens.length; i++) out.push(tokens[i] + BIGRAM_SEPARATOR + tokens[i + 1]);
  return out;
}

/** Every word term and character n-gram of a (capped) text, with repeats. */
export function textTerms(text: string, spec: FeatureSpec): { tokens: string[]; words: string[]; chars: string[] } {
  const lowered = graphLower(text);
  const tokens = wordTokens(lowered);
  const words = spec.words ? ngrams(tokens) : [];
  const chars: string[] = [];
  if (spec.charWindow > 0) charNgrams(charWindow(lowered, spec.charWindow), spec.charMinN, spec.charMaxN, (g) => chars.push(g));
  return { tokens, words, chars };
}

// An RFC 822 header line ("Name: value") or the mbox "From " envelope line.
const HEADER_START = /^(From \S|[\x21-\x39\x3b-\x7e]+:)/;

// A header field ("Name: value") or a folded continuation line.
const HEADER_LINE = /^([\x21-\x39\x3b-\x7e]+:|[ \t])/;

/**
 * The body of a raw email: everything after the first blank line when the text starts with a
 * header block (every line before that blank line a header field or a continuation);
 * otherwise the text itself: "URGENT: call now" is a message, not a header.
 */
export function stripHeaders(text: string): string {
  if (!HEADER_START.test(text)) return text;
  const m = /\r?\n\r?\n/.exec(text);
  if (!m) return text;
  const lines = text.slice(0, m.index).split(/\r?\n/);
  if (!lines.slice(1).every((l) => HEADER_LINE.test(l))) return text;
  return text.slice(m.index + m[0].length);
}
