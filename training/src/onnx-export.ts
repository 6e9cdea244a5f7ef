/**
 * Writes a LinearTextModel as one ONNX graph: raw strings in, label, spam probability and
 * known-term ratio out. Sparse end to end, so the cost follows the length of the text (capped
 * for character n-grams) and not the vocabulary size:
 *   StringNormalizer(lower, "C.UTF-8")
 *   words: Tokenizer(word runs) -> tokens [N, T]; bigrams = tokens[:, :-1] + " " + tokens[:, 1:]
 *          -> LabelEncoder(word term -> 1..Vw, else 0)
 *   chars: " " + text + " " -> Tokenizer(separators [""]: one code point each) -> first K
 *          -> whitespace becomes " " -> n-grams by concatenating shifted slices
 *          -> LabelEncoder(n-gram -> Vw+1..Vw+Vc, else 0)
 *   per family (word ids, character ids; or both concatenated with the joint norm):
 *   Gather(idf^2), Gather(w * idf), both 0 at id 0 -> ReduceSum per row: squared norm and dot
 *   product over the occurrences (see vectorizer.ts) -> dot / sqrt(norm^2 + lambda)
 *   -> z = the families' sum -> Sigmoid(scale * z + offset), with the short-text scale and
 *      offset for texts of at most shortTokens word tokens (the training spam share for a text
 *      with no known term) -> spam_probability; >= threshold -> label.
 * Id 0 collects unknown terms, padding and n-grams with an inner boundary with zero weight,
 * so nothing needs filtering.
 */
import {
  METADATA_KEYS,
  MODEL_INPUT,
  MODEL_OUTPUT_KNOWN_TERM_RATIO,
  MODEL_OUTPUT_LABEL,
  MODEL_OUTPUT_SPAM_PROBABILITY,
} from '../../shared/model-io.js';
import type { ModelCard } from '../../shared/model-card.js';
import { BIGRAM_SEPARATOR, CHAR_BOUNDARY, SPACE_CHAR_CLASS, WORD_TOKEN_PATTERN } from '../../shared/model-text.js';
import type { LinearTextModel } from './linear-model.js';
import { attr, encodeModel, node, T, tensor, type INodeProto, type ITensorProto } from './onnx-build.js';

export { OPSET_IMPORTS } from './onnx-build.js';
/** Pads the word Tokenizer's rows; never a word token. */
export const PAD_TOKEN = '#';
/** The normalizer's locale: glibc's Unicode towlower (the reference mirrors it per code point). */
export const LOWER_LOCALE = 'C.UTF-8';

/** Initializer and node names the reader and the validator look for. */
export const INIT = {
  idfSquared: 'idf_squared',
  weightedIdf: 'weighted_idf',
  lambda: 'evidence_lambda',
  scale: 'calibration_scale',
  offset: 'calibration_offset',
  shortTokens: 'short_text_max_tokens',
  shortScale: 'short_calibration_scale',
  shortOffset: 'short_calibration_offset',
  noEvidenceProbability: 'no_evidence_probability',
  threshold: 'threshold',
  charWindow: 'char_window',
} as const;
export const WORD_VOCAB_NODE = 'word_vocabulary';
export const CHAR_VOCAB_NODE = 'char_vocabulary';
export const CHAR_TOKENIZER_NODE = 'char_tokenizer';
/** The character family's own score: present only in a graph with the per-family norm. */
export const CHAR_SCORE = 'char_score';

export function buildOnnxModel(model: LinearTextModel, { card }: { card: ModelCard }): Uint8Array {
  const V = model.words.length + model.chars.length;
  if (model.idfSquared.length !== V || model.weightedIdf.length !== V) throw new RangeError('parameter lengths differ');
  // Index 0 is the slot of unknown terms: zero idf and zero weight.
  const withUnknown = (a: Float32Array) => {
    const out = new Float32Array(V + 1);
    out.set(a, 1);
    return out;
  };
  const initializers: ITensorProto[] = [
    tensor(INIT.idfSquared, [V + 1], withUnknown(model.idfSquared)),
    tensor(INIT.weightedIdf, [V + 1], withUnknown(model.weightedIdf)),
    tensor(INIT.lambda, [], Float32Array.of(model.lambda)),
    tensor(INIT.scale, [], Float32Array.of(model.scale)),
    tensor(INIT.offset, [], Float32Array.of(model.offset)),
    tensor(INIT.shortTokens, [], Float32Array.of(model.shortTokens)),
    tensor(INIT.shortScale, [], Float32Array.of(model.shortScale)),
    tensor(INIT.shortOffset, [], Float32Array.of(model.shortOffset)),
    tensor(INIT.noEvidenceProbability, [], Float32Array.of(model.noEvidenceProbability)),
    tensor(INIT.threshold, [], Float32Array.of(model.threshold)),
    tensor('label_spam', [], ['spam']),
    tensor('label_ham', [], ['ham']),
    tensor('pad_token', [], [PAD_TOKEN]),
    ...(model.features.charWindow > 0 ? [tensor(INIT.charWindow, [1], [BigInt(model.features.charWindow)]), tensor('boundary', [], [CHAR_BOUNDARY])] : []),
    tensor('i64_0', [], [0n]),
    tensor('axes_1', [1], [1n]),
    tensor('starts_0', [1], [0n]),
    tensor('starts_1', [1], [1n]),
    // gram_n starts its tail slice at n - 1: only the lengths the graph builds (onnxruntime warns
    // about an unused initializer on every load).
    ...[2, 3, 4].filter((k) => model.features.charWindow > 0 && k < model.features.charMaxN).map((k) => tensor(`starts_${k}`, [1], [BigInt(k)])),
    tensor('ends_last', [1], [-1n]),
    tensor('ends_all', [1], [9223372036854775807n]),
    tensor('separator', [], [BIGRAM_SEPARATOR]),
    tensor('f_1', [], Float32Array.of(1)),
    tensor('f_0', [], Float32Array.of(0)),
    tensor('f_tiny', [], Float32Array.of(1e-30)),
  ];
  return encodeModel({
    name: 'spam_classifier',
    nodes: graphNodes(model),
    initializers,
    outputs: [
      { name: MODEL_OUTPUT_LABEL, type: T.STRING },
      { name: MODEL_OUTPUT_SPAM_PROBABILITY, type: T.FLOAT },
      { name: MODEL_OUTPUT_KNOWN_TERM_RATIO, type: T.FLOAT },
    ],
    metadata: metadataOf(model, card),
    docString: `Spam classifier ${card.version}: TF-IDF (word 1-2-grams + character ${model.features.charMinN}-${model.features.charMaxN}-grams) + calibrated logistic regression. Input "${MODEL_INPUT}": raw texts, capped at ${model.maxTextChars} chars by the caller.`,
  });
}

/** The character n-gram nodes: n-grams of lengths minN..maxN over the first K characters. */
function charNodes(model: LinearTextModel): INodeProto[] {
  const { charMinN, charMaxN } = model.features;
  const Vw = model.words.length;
  const nodes: INodeProto[] = [
    node('StringConcat', ['boundary', 'lower'], ['padded_left']),
    node('StringConcat', ['padded_left', 'boundary'], ['padded']),
    { ...node('Tokenizer', ['padded'], ['all_chars'], [
      attr('mark', 0),
      attr('mincharnum', 1),
      // Padding is the boundary: every n-gram reaching into it is all boundary or has one inside.
      attr('pad_value', CHAR_BOUNDARY),
      attr('separators', ['']),
    ], 'com.microsoft'), name: CHAR_TOKENIZER_NODE },
    node('Slice', ['all_chars', 'starts_0', INIT.charWindow, 'axes_1'], ['window_chars']),
    node('RegexFullMatch', ['window_chars'], ['is_space'], [attr('pattern', SPACE_CHAR_CLASS)]),
    node('Where', ['is_space', 'boundary', 'window_chars'], ['chars']),
  ];
  // gram_n = gram_{n-1}[:, :-1] + chars[:, n-1:]
  const starts = ['starts_1', 'starts_2', 'starts_3', 'starts_4'];
  let prev = 'chars';
  const grams: string[] = [];
  for (let n = 2; n <= charMaxN; n++) {
    nodes.push(
      node('Slice', [prev, 'starts_0', 'ends_last', 'axes_1'], [`gram${n}_head`]),
      node('Slice', ['chars', starts[n - 2]!, 'ends_all', 'axes_1'], [`gram${n}_tail`]),
      node('StringConcat', [`gram${n}_head`, `gram${n}_tail`], [`gram${n}`]),
    );
    if (n >= charMinN) grams.push(`gram${n}`);
    prev = `gram${n}`;
  }
  nodes.push(
    grams.length === 1 ? node('Identity', grams, ['char_grams']) : node('Concat', grams, ['char_grams'], [attr('axis', 1)]),
    { ...node('LabelEncoder', ['char_grams'], ['char_ids'], [
      attr('keys_strings', model.chars.length > 0 ? model.chars : [PAD_TOKEN]),
      attr('values_int64s', model.chars.length > 0 ? model.chars.map((_, i) => Vw + 1 + i) : [0]),
      attr('default_int64', 0),
    ], 'ai.onnx.ml'), name: CHAR_VOCAB_NODE },
  );
  return nodes;
}

function graphNodes(model: LinearTextModel): INodeProto[] {
  const hasChars = model.features.charWindow > 0;
  if (hasChars && (model.features.charMinN < 2 || model.features.charMaxN > 5 || model.features.charMinN > model.features.charMaxN)) {
    throw new RangeError('character n-grams must lie within 2..5');
  }
  return [
    node('StringNormalizer', [MODEL_INPUT], ['lower'], [
      attr('case_change_action', 'LOWER'),
      attr('is_case_sensitive', 0),
      attr('locale', LOWER_LOCALE),
    ]),
    node('Tokenizer', ['lower'], ['tokens'], [
      attr('mark', 0),
      attr('mincharnum', 1),
      attr('pad_value', PAD_TOKEN),
      attr('tokenexp', WORD_TOKEN_PATTERN),
    ], 'com.microsoft'),
    // Bigrams of neighbouring tokens; pairs involving padding contain "#" and stay unknown.
    node('Slice', ['tokens', 'starts_0', 'ends_last', 'axes_1'], ['left']),
    node('Slice', ['tokens', 'starts_1', 'ends_all', 'axes_1'], ['right']),
    node('StringConcat', ['left', 'separator'], ['left_sep']),
    node('StringConcat', ['left_sep', 'right'], ['bigrams']),
    node('Concat', ['tokens', 'bigrams'], ['terms'], [attr('axis', 1)]),
    { ...node('LabelEncoder', ['terms'], ['word_ids'], [
      attr('keys_strings', model.words.length > 0 ? model.words : [PAD_TOKEN]),
      attr('values_int64s', model.words.length > 0 ? model.words.map((_, i) => i + 1) : [0]),
      attr('default_int64', 0),
    ], 'ai.onnx.ml'), name: WORD_VOCAB_NODE },
    // Known-term ratio: known unigrams / tokens (padding is "#", never a token).
    node('Shape', ['tokens'], ['token_count'], [attr('start', 1), attr('end', 2)]),
    node('Slice', ['word_ids', 'starts_0', 'token_count', 'axes_1'], ['unigram_ids']),
    node('Greater', ['unigram_ids', 'i64_0'], ['is_known']),
    node('Cast', ['is_known'], ['known_f'], [attr('to', T.FLOAT)]),
    node('ReduceSum', ['known_f', 'axes_1'], ['known_count'], [attr('keepdims', 0)]),
    node('Equal', ['tokens', 'pad_token'], ['is_pad']),
    node('Not', ['is_pad'], ['is_token']),
    node('Cast', ['is_token'], ['token_f'], [attr('to', T.FLOAT)]),
    node('ReduceSum', ['token_f', 'axes_1'], ['tokens_per_row'], [attr('keepdims', 0)]),
    node('Max', ['tokens_per_row', 'f_1'], ['tokens_at_least_1']),
    node('Div', ['known_count', 'tokens_at_least_1'], [MODEL_OUTPUT_KNOWN_TERM_RATIO]),
    ...(hasChars ? charNodes(model) : []),
    ...scoreNodes(model, hasChars),
    // Short texts have their own calibration (shortTokens -1: none is short).
    node('LessOrEqual', ['tokens_per_row', INIT.shortTokens], ['is_short_text']),
    node('Where', ['is_short_text', INIT.shortScale, INIT.scale], ['row_scale']),
    node('Where', ['is_short_text', INIT.shortOffset, INIT.offset], ['row_offset']),
    node('Mul', ['score', 'row_scale'], ['scaled_score']),
    node('Add', ['scaled_score', 'row_offset'], ['logit']),
    node('Sigmoid', ['logit'], ['model_probability']),
    // A row with no known term has norm 0: it gets the training spam share.
    node('Greater', ['any_norm_sq', 'f_0'], ['has_evidence']),
    node('Where', ['has_evidence', 'model_probability', INIT.noEvidenceProbability], [MODEL_OUTPUT_SPAM_PROBABILITY]),
    node('GreaterOrEqual', [MODEL_OUTPUT_SPAM_PROBABILITY, INIT.threshold], ['is_spam']),
    node('Where', ['is_spam', 'label_spam', 'label_ham'], [MODEL_OUTPUT_LABEL]),
  ];
}

/**
 * Sums over a row's occurrences (term id 0, weight 0, for unknown terms and padding):
 * norm_sq = sum idf^2 and dot = sum w * idf, then score = dot / sqrt(norm_sq + lambda), per
 * family and added ("per-family"), or over both families at once ("joint"). `norm_sq` (> 0 when
 * the text has a known term) says whether there is evidence at all.
 */
function scoreNodes(model: LinearTextModel, hasChars: boolean): INodeProto[] {
  const familySums = (ids: string, f: string): INodeProto[] => [
    node('Gather', [INIT.idfSquared, ids], [`${f}occurrence_idf_sq`], [attr('axis', 0)]),
    node('ReduceSum', [`${f}occurrence_idf_sq`, 'axes_1'], [`${f}norm_sq`], [attr('keepdims', 0)]),
    node('Gather', [INIT.weightedIdf, ids], [`${f}occurrence_widf`], [attr('axis', 0)]),
    node('ReduceSum', [`${f}occurrence_widf`, 'axes_1'], [`${f}dot`], [attr('keepdims', 0)]),
    node('Add', [`${f}norm_sq`, INIT.lambda], [`${f}shrunk_norm_sq`]),
    node('Sqrt', [`${f}shrunk_norm_sq`], [`${f}shrunk_norm`]),
    // A family with no known term has dot 0 and (with lambda 0) norm 0: 0 / tiny = 0. With a known
    // term the norm is at least 1 (idf >= 1), so the floor never changes a score.
    node('Max', [`${f}shrunk_norm`, 'f_tiny'], [`${f}norm`]),
    node('Div', [`${f}dot`, `${f}norm`], [`${f}score`]),
  ];
  if (!hasChars || model.norm === 'joint') {
    const ids = hasChars ? [node('Concat', ['word_ids', 'char_ids'], ['term_ids'], [attr('axis', 1)])] : [node('Identity', ['word_ids'], ['term_ids'])];
    return [...ids, ...familySums('term_ids', ''), node('Identity', ['norm_sq'], ['any_norm_sq'])];
  }
  return [
    ...familySums('word_ids', 'word_'),
    ...familySums('char_ids', 'char_'),
    node('Add', ['word_score', CHAR_SCORE], ['score']),
    node('Add', ['word_norm_sq', 'char_norm_sq'], ['any_norm_sq']),
  ];
}

function metadataOf(model: LinearTextModel, card: ModelCard): Record<string, string> {
  return {
    [METADATA_KEYS.modelVersion]: card.version,
    [METADATA_KEYS.card]: JSON.stringify(card),
    [METADATA_KEYS.maxTextChars]: String(model.maxTextChars),
    [METADATA_KEYS.trainedAt]: card.trainedAt,
    [METADATA_KEYS.corpus]: JSON.stringify(card.corpus),
    [METADATA_KEYS.hyperParameters]: JSON.stringify(card.hyperParameters),
    [METADATA_KEYS.metrics]: JSON.stringify(card.metrics),
  };
}

/** The operators of the graph, domain-qualified, in first-use order (listed in the card). */
export function graphOperators(model: Pick<LinearTextModel, 'features'>): string[] {
  const probe: LinearTextModel = {
    words: ['probe'], chars: ['pr'], features: model.features, idfSquared: Float32Array.of(1, 1), weightedIdf: Float32Array.of(0, 0),
    lambda: 0, norm: 'per-family', scale: 1, offset: 0, shortTokens: -1, shortScale: 1, shortOffset: 0, noEvidenceProbability: 0, threshold: 0.5, maxTextChars: 1,
  };
  const seen = new Set<string>();
  for (const n of graphNodes(probe)) seen.add(n.domain ? `${n.domain}.${n.opType}` : String(n.opType));
  return [...seen];
}
