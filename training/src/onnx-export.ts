/**
 * Writes a LinearTextModel as one ONNX graph: raw strings in, label and spam probability out.
 *
 * The graph is sparse end to end, so its cost grows with the number of tokens and not with the
 * vocabulary size (a TfIdfVectorizer would emit a dense [N, V] matrix per batch):
 *   StringNormalizer(lower, locale C) -> Tokenizer(\w\w+) -> tokens [N, T]
 *   bigrams = StringConcat(tokens[:, :-1], " ", tokens[:, 1:]); terms = [tokens | bigrams]
 *   LabelEncoder(term -> 1..V, anything else 0) -> key = row * (V + 1) + id
 *   -> Unique(keys) gives every (row, term) pair with its count
 *   -> tf weight 1 + ln(count) -> Gather(idf), Gather(w * idf), both 0 at id 0
 *   -> ScatterElements(add) per row: squared norm and dot product
 *   -> dot / norm + b -> Sigmoid -> spam_probability (the training spam share for a text
 *      with no known term); >= threshold -> label.
 * Id 0 collects unknown terms and padding with zero weight, so nothing needs filtering, and
 * the graph has few nodes: with short texts the per-node overhead is most of the cost.
 */
import onnxProto from 'onnx-proto';
import {
  METADATA_KEYS,
  MODEL_INPUT,
  MODEL_OUTPUT_LABEL,
  MODEL_OUTPUT_SPAM_PROBABILITY,
} from '../../shared/model-io.js';
import type { ModelCard } from '../../shared/model-card.js';
import type { LinearTextModel } from './linear-model.js';
import { BIGRAM_SEPARATOR, TOKEN_PATTERN } from './text.js';

const { onnx } = onnxProto;
type INodeProto = onnxProto.onnx.INodeProto;
type ITensorProto = onnxProto.onnx.ITensorProto;
type IAttributeProto = onnxProto.onnx.IAttributeProto;

const T = onnx.TensorProto.DataType;
const A = onnx.AttributeProto.AttributeType;

export const OPSET_IMPORTS = { '': 20, 'ai.onnx.ml': 3, 'com.microsoft': 1 } as const;
/** IR version 9 is the first that allows opset 20. */
const IR_VERSION = 9;
/** Pads the Tokenizer's rows; it can never be a \w\w+ token, so it is never in the vocabulary. */
export const PAD_TOKEN = '#';

/** Initializer names the reader and the validator look for. */
export const INIT = {
  idf: 'idf',
  weightedIdf: 'weighted_idf',
  bias: 'bias',
  noEvidenceProbability: 'no_evidence_probability',
  threshold: 'threshold',
} as const;
export const VOCAB_NODE = 'vocabulary';

const utf8 = new TextEncoder();

function attr(name: string, value: number | string | string[] | number[], kind?: 'float' | 'int'): IAttributeProto {
  if (typeof value === 'string') return { name, type: A.STRING, s: utf8.encode(value) };
  if (typeof value === 'number') {
    return kind === 'float' ? { name, type: A.FLOAT, f: value } : { name, type: A.INT, i: value };
  }
  if (value.length > 0 && typeof value[0] === 'string') {
    return { name, type: A.STRINGS, strings: (value as string[]).map((v) => utf8.encode(v)) };
  }
  return { name, type: A.INTS, ints: value as number[] };
}

function tensor(name: string, dims: number[], data: Float32Array | bigint[] | string[]): ITensorProto {
  if (data instanceof Float32Array) {
    return { name, dims, dataType: T.FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  }
  if (data.length > 0 && typeof data[0] === 'string') {
    return { name, dims, dataType: T.STRING, stringData: (data as string[]).map((s) => utf8.encode(s)) };
  }
  const raw = new BigInt64Array(data as bigint[]);
  return { name, dims, dataType: T.INT64, rawData: new Uint8Array(raw.buffer) };
}

function node(opType: string, inputs: string[], outputs: string[], attributes: IAttributeProto[] = [], domain = ''): INodeProto {
  return { opType, input: inputs, output: outputs, attribute: attributes, domain, name: outputs[0] };
}

function valueInfo(name: string, elemType: number): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: [{ dimParam: 'N' }] } } } };
}

export interface ExportOptions {
  card: ModelCard;
}

export function buildOnnxModel(model: LinearTextModel, { card }: ExportOptions): Uint8Array {
  const V = model.terms.length;
  if (model.idf.length !== V || model.weightedIdf.length !== V) throw new RangeError('parameter lengths differ');
  // Index 0 is the slot of unknown terms: zero idf and zero weight.
  const withUnknown = (a: Float32Array) => {
    const out = new Float32Array(V + 1);
    out.set(a, 1);
    return out;
  };
  const initializers: ITensorProto[] = [
    tensor(INIT.idf, [V + 1], withUnknown(model.idf)),
    tensor(INIT.weightedIdf, [V + 1], withUnknown(model.weightedIdf)),
    tensor(INIT.bias, [], Float32Array.of(model.bias)),
    tensor(INIT.noEvidenceProbability, [], Float32Array.of(model.noEvidenceProbability)),
    tensor(INIT.threshold, [], Float32Array.of(model.threshold)),
    tensor('label_spam', [], ['spam']),
    tensor('label_ham', [], ['ham']),
    tensor('key_stride', [], [BigInt(V + 1)]),
    tensor('i64_0', [], [0n]),
    tensor('i64_1', [], [1n]),
    tensor('axes_1', [1], [1n]),
    tensor('flat', [1], [-1n]),
    tensor('starts_0', [1], [0n]),
    tensor('starts_1', [1], [1n]),
    tensor('ends_last', [1], [-1n]),
    tensor('ends_all', [1], [9223372036854775807n]),
    tensor('separator', [], [BIGRAM_SEPARATOR]),
    tensor('f_1', [], Float32Array.of(1)),
    tensor('f_0', [], Float32Array.of(0)),
  ];

  const proto = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'spam-detector-training',
    producerVersion: '1',
    domain: 'spam-detector',
    docString: `Spam classifier ${card.version}: TF-IDF (unigrams + bigrams) + logistic regression. Input "${MODEL_INPUT}": raw texts, capped at ${model.maxTextChars} chars by the caller.`,
    opsetImport: Object.entries(OPSET_IMPORTS).map(([domain, version]) => ({ domain, version })),
    metadataProps: Object.entries(metadataOf(model, card)).map(([key, value]) => ({ key, value })),
    graph: {
      name: 'spam_classifier',
      node: graphNodes(model),
      initializer: initializers,
      input: [valueInfo(MODEL_INPUT, T.STRING)],
      output: [valueInfo(MODEL_OUTPUT_LABEL, T.STRING), valueInfo(MODEL_OUTPUT_SPAM_PROBABILITY, T.FLOAT)],
    },
  });
  return onnx.ModelProto.encode(proto).finish();
}

function graphNodes(model: LinearTextModel): INodeProto[] {
  const vocabIds: number[] = model.terms.map((_, i) => i + 1);
  return [
    node('StringNormalizer', [MODEL_INPUT], ['lower'], [
      attr('case_change_action', 'LOWER'),
      attr('is_case_sensitive', 0),
      attr('locale', 'C'),
    ]),
    node('Tokenizer', ['lower'], ['tokens'], [
      attr('mark', 0),
      attr('mincharnum', 1),
      attr('pad_value', PAD_TOKEN),
      attr('tokenexp', TOKEN_PATTERN),
    ], 'com.microsoft'),
    // Bigrams of neighbouring tokens; pairs involving padding contain "#" and stay unknown.
    node('Slice', ['tokens', 'starts_0', 'ends_last', 'axes_1'], ['left']),
    node('Slice', ['tokens', 'starts_1', 'ends_all', 'axes_1'], ['right']),
    node('StringConcat', ['left', 'separator'], ['left_sep']),
    node('StringConcat', ['left_sep', 'right'], ['bigrams']),
    node('Concat', ['tokens', 'bigrams'], ['terms'], [attr('axis', 1)]),
    { ...node('LabelEncoder', ['terms'], ['term_ids'], [
      attr('keys_strings', model.terms),
      attr('values_int64s', vocabIds),
      attr('default_int64', 0),
    ], 'ai.onnx.ml'), name: VOCAB_NODE },
    // key = row * (V + 1) + id, one per term occurrence: Unique then counts each row's terms.
    node('Shape', [MODEL_INPUT], ['batch_shape']),
    node('Squeeze', ['batch_shape'], ['batch_size']),
    node('Range', ['i64_0', 'batch_size', 'i64_1'], ['row_ids']),
    node('Unsqueeze', ['row_ids', 'axes_1'], ['row_col']),
    node('Mul', ['row_col', 'key_stride'], ['row_offset']),
    node('Add', ['row_offset', 'term_ids'], ['keys']),
    node('Reshape', ['keys', 'flat'], ['keys_flat']),
    node('Unique', ['keys_flat'], ['pairs', '', '', 'pair_counts'], [attr('sorted', 0)]),
    node('Mod', ['pairs', 'key_stride'], ['pair_terms']),
    node('Div', ['pairs', 'key_stride'], ['pair_rows']),
    node('Cast', ['pair_counts'], ['tf'], [attr('to', T.FLOAT)]),
    node('Log', ['tf'], ['log_tf']),
    node('Add', ['log_tf', 'f_1'], ['tf_weight']),
    node('Gather', [INIT.idf, 'pair_terms'], ['pair_idf'], [attr('axis', 0)]),
    node('Gather', [INIT.weightedIdf, 'pair_terms'], ['pair_widf'], [attr('axis', 0)]),
    node('Mul', ['tf_weight', 'pair_idf'], ['tfidf']),
    node('Mul', ['tfidf', 'tfidf'], ['tfidf_sq']),
    node('Mul', ['tf_weight', 'pair_widf'], ['contribution']),
    node('ConstantOfShape', ['batch_shape'], ['zeros'], [
      { name: 'value', type: A.TENSOR, t: tensor('zero', [1], Float32Array.of(0)) },
    ]),
    node('ScatterElements', ['zeros', 'pair_rows', 'tfidf_sq'], ['norm_sq'], [attr('axis', 0), attr('reduction', 'add')]),
    node('ScatterElements', ['zeros', 'pair_rows', 'contribution'], ['dot'], [attr('axis', 0), attr('reduction', 'add')]),
    node('Sqrt', ['norm_sq'], ['norm']),
    node('Div', ['dot', 'norm'], ['score']),
    node('Add', ['score', INIT.bias], ['logit']),
    node('Sigmoid', ['logit'], ['model_probability']),
    // A row with no known term has norm 0 (its score is 0/0 = NaN, never selected).
    node('Greater', ['norm_sq', 'f_0'], ['has_evidence']),
    node('Where', ['has_evidence', 'model_probability', INIT.noEvidenceProbability], [MODEL_OUTPUT_SPAM_PROBABILITY]),
    node('GreaterOrEqual', [MODEL_OUTPUT_SPAM_PROBABILITY, INIT.threshold], ['is_spam']),
    node('Where', ['is_spam', 'label_spam', 'label_ham'], [MODEL_OUTPUT_LABEL]),
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
export function graphOperators(): string[] {
  const probe: LinearTextModel = {
    terms: ['probe'], idf: Float32Array.of(1), weightedIdf: Float32Array.of(0), bias: 0, noEvidenceProbability: 0, threshold: 0.5, maxTextChars: 1,
  };
  const seen = new Set<string>();
  for (const n of graphNodes(probe)) seen.add(n.domain ? `${n.domain}.${n.opType}` : String(n.opType));
  return [...seen];
}
