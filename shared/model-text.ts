/**
 * Text handling done identically by training, by the TypeScript reference scorer and (as ONNX
 * operators) by the graph: the cap, lowercasing, word tokens and the character window.
 *
 * The graph lowercases with StringNormalizer(locale "C.UTF-8"), i.e. glibc's towlower applied
 * to each code point, and classifies characters with RE2's Unicode tables. JavaScript's
 * String#toLowerCase is context-sensitive (final sigma), maps U+0130 to two code points and
 * knows newer Unicode versions than glibc and RE2, so the reference lowers one code point at a
 * time and applies the exceptions measured against onnxruntime (model-unicode.ts, regenerated
 * and checked over every code point by test/model-unicode.test.ts).
 */
import { GRAPH_LOWER_EXCEPTIONS, GRAPH_NON_SPACE_RANGES, GRAPH_NON_WORD_RANGES } from './model-unicode.js';

/**
 * Cuts a text to at most maxChars UTF-16 code units, turns NUL characters into spaces and lone
 * surrogates into U+FFFD. The cap: the graph pads a batch to its longest text, so an uncapped
 * email would make a whole batch expensive; training applies the same cap. NUL: onnxruntime's
 * string tensors are C strings and would silently end the text at the first NUL. Lone
 * surrogates (also left by a cap that splits a pair) reach onnxruntime as U+FFFD in UTF-8.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATE_ALL = new RegExp(LONE_SURROGATE.source, 'g');

export function prepareText(text: string, maxChars: number): string {
  const capped = text.length <= maxChars ? text : text.slice(0, maxChars);
  const noNul = capped.includes('\0') ? capped.replaceAll('\0', ' ') : capped;
  return LONE_SURROGATE.test(noNul) ? noNul.replace(LONE_SURROGATE_ALL, '\uFFFD') : noNul;
}

/** A word character: a letter, a combining mark, a digit (any script) or "_". */
export const WORD_CHAR_CLASS = '[\\p{L}\\p{M}\\p{N}_]';
/** The graph's Tokenizer regex (RE2 syntax): runs of two or more word characters. */
export const WORD_TOKEN_PATTERN = `${WORD_CHAR_CLASS}${WORD_CHAR_CLASS}+`;
/** Word bigrams are the two tokens joined by one space; tokens never contain a space. */
export const BIGRAM_SEPARATOR = ' ';
/**
 * Character n-grams are taken within whitespace-separated words, as scikit-learn's "char_wb"
 * analyzer does: whitespace becomes this boundary, the text is padded with it, and an n-gram
 * with a boundary inside is never a feature. Punctuation and symbols ("£", "!", "$") stay.
 */
export const CHAR_BOUNDARY = ' ';
/** Whitespace for the character window (RE2 and JavaScript read this class alike). */
export const SPACE_CHAR_CLASS = '[\\t\\n\\v\\f\\r\\p{Z}]';

const lowerCache = new Map<number, string>(GRAPH_LOWER_EXCEPTIONS.map(([from, to]) => [from, String.fromCodePoint(to)]));

function inRanges(cp: number, ranges: readonly (readonly [number, number])[]): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = ranges[mid]!;
    if (cp < a) hi = mid - 1;
    else if (cp > b) lo = mid + 1;
    else return true;
  }
  return false;
}

function lowerCodePoint(ch: string, cp: number): string {
  let lowered = lowerCache.get(cp);
  if (lowered === undefined) {
    const js = ch.toLowerCase();
    // towlower maps one code point to one; keep the character when JS would expand it.
    lowered = js.length === ch.length || [...js].length === 1 ? js : ch;
    lowerCache.set(cp, lowered);
  }
  return lowered;
}

/** The graph's StringNormalizer(LOWER, "C.UTF-8"): one code point at a time. */
export function graphLower(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return text.toLowerCase();
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    out += cp < 0x80 ? ch.toLowerCase() : lowerCodePoint(ch, cp);
  }
  return out;
}

/**
 * Membership of a code point in a character class as the graph's RE2 reads it: JavaScript's
 * reading of the class, minus the ranges where RE2's older Unicode tables differ; memoised per
 * code point (0 = not yet classified, 1 = yes, 2 = no).
 */
function graphCharClass(pattern: string, graphExceptions: readonly (readonly [number, number])[]): (cp: number) => boolean {
  const js = new RegExp(`^${pattern}$`, 'u');
  const memo = new Uint8Array(0x110000);
  return (cp) => {
    let c = memo[cp]!;
    if (c === 0) {
      c = js.test(String.fromCodePoint(cp)) && !inRanges(cp, graphExceptions) ? 1 : 2;
      memo[cp] = c;
    }
    return c === 1;
  };
}

export const isWordCodePoint = graphCharClass(WORD_CHAR_CLASS, GRAPH_NON_WORD_RANGES);
export const isSpaceCodePoint = graphCharClass(SPACE_CHAR_CLASS, GRAPH_NON_SPACE_RANGES);

/** Word tokens of a lowered text: maximal runs of two or more word characters. */
export function wordTokens(lowered: string): string[] {
  const tokens: string[] = [];
  let start = -1;
  let count = 0;
  let i = 0;
  for (const ch of lowered) {
    const cp = ch.codePointAt(0)!;
    if (isWordCodePoint(cp)) {
      if (start < 0) {
        start = i;
        count = 0;
      }
      count++;
    } else if (start >= 0) {
      if (count >= 2) tokens.push(lowered.slice(start, i));
      start = -1;
    }
    i += ch.length;
  }
  if (start >= 0 && count >= 2) tokens.push(lowered.slice(start));
  return tokens;
}

/**
 * The characters the graph takes n-grams from: the lowered text padded with one boundary at
 * each end, whitespace turned into the boundary, cut to the first `window` code points (so a
 * long email costs no more than a short message).
 */
export function charWindow(lowered: string, window: number): string[] {
  const out: string[] = [CHAR_BOUNDARY];
  for (const ch of lowered) {
    if (out.length >= window) break;
    out.push(isSpaceCodePoint(ch.codePointAt(0)!) ? CHAR_BOUNDARY : ch);
  }
  if (out.length < window) out.push(CHAR_BOUNDARY);
  return out.length > window ? out.slice(0, window) : out;
}

/**
 * Character n-grams (minN..maxN) of a window that can be features: no boundary inside, and not
 * only boundaries. The graph builds every n-gram; the others are never in the vocabulary.
 */
export function charNgrams(chars: readonly string[], minN: number, maxN: number, emit: (gram: string) => void): void {
  for (let i = 0; i < chars.length; i++) {
    let gram = chars[i]!;
    for (let n = 2; n <= maxN && i + n <= chars.length; n++) {
      const next = chars[i + n - 1]!;
      // An inner boundary: this and every longer n-gram from i is out.
      if (n > 2 && chars[i + n - 2] === CHAR_BOUNDARY) break;
      gram += next;
      if (n === 2 && chars[i] === CHAR_BOUNDARY && next === CHAR_BOUNDARY) break;
      if (n >= minN) emit(gram);
    }
  }
}
