/**
 * Text handling that training and serving must share exactly: the length cap, the
 * header split, and the tokenizer that mirrors the ONNX graph's StringNormalizer + Tokenizer.
 */

/**
 * The graph's Tokenizer regex (RE2 syntax). RE2's \w is ASCII-only, as is \w in a JS regex
 * without the u flag, so the two produce the same tokens (checked on the whole corpus by the
 * parity test).
 */
export const TOKEN_PATTERN = '\\w\\w+';
const TOKEN_RE = /\w\w+/g;

/** Bigrams are the two tokens joined by one space; tokens never contain a space. */
export const BIGRAM_SEPARATOR = ' ';

/** Cap and NUL handling, shared with the inference service (see shared/model-text.ts). */
export { prepareText as capText } from '../../shared/model-text.js';

/**
 * StringNormalizer with locale "C" lowercases ASCII letters only; String#toLowerCase would also
 * fold non-ASCII letters (e.g. the Kelvin sign to "k") and break parity with the graph.
 */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

export function tokenize(text: string): string[] {
  return asciiLower(text).match(TOKEN_RE) ?? [];
}

/** Unigrams followed by bigrams of consecutive tokens, as the graph builds them. */
export function ngrams(tokens: readonly string[]): string[] {
  const out = tokens.slice();
  for (let i = 0; i + 1 < tokens.length; i++) out.push(tokens[i] + BIGRAM_SEPARATOR + tokens[i + 1]);
  return out;
}

// An RFC 822 header line ("Name: value") or the mbox "From " envelope line.
const HEADER_START = /^(From \S|[\x21-\x39\x3b-\x7e]+:)/;

/**
 * The body of a raw email: everything after the first blank line when the text starts with a
 * header block; otherwise the text itself (users mostly send bare bodies).
 */
export function stripHeaders(text: string): string {
  if (!HEADER_START.test(text)) return text;
  const m = /\r?\n\r?\n/.exec(text);
  return m ? text.slice(m.index + m[0].length) : '';
}
