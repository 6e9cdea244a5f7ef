/**
 * Hostile and control variants of the bundled model, made by editing its decoded protobuf.
 * Each variant keeps everything else intact, so a refusal can only come from the one defect.
 */
import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { BUNDLED_MODEL_PATH } from '../../shared/paths.js';
import { METADATA_KEYS, MODEL_OUTPUT_SPAM_PROBABILITY } from '../../shared/model-io.js';

const { onnx } = onnxProto;
type IModelProto = onnxProto.onnx.IModelProto;
type INodeProto = onnxProto.onnx.INodeProto;
const A = onnx.AttributeProto.AttributeType;
const T = onnx.TensorProto.DataType;
const utf8 = new TextEncoder();

export function bundledBytes(): Buffer {
  return readFileSync(BUNDLED_MODEL_PATH);
}

function decode(): IModelProto {
  return onnx.ModelProto.decode(bundledBytes());
}

function encode(model: IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

function nodes(model: IModelProto): INodeProto[] {
  return model.graph!.node!;
}

/**
 * Puts a TfIdfVectorizer on the scoring path: its output is summed, multiplied by zero and
 * added to the score, so a consistent vectorizer changes no prediction while onnxruntime
 * still has to run it.
 */
export function withTfIdf(poolSize: number, indexCount: number): Uint8Array {
  const model = decode();
  const graph = model.graph!;
  graph.initializer!.push({ name: 'f_zero_probe', dims: [], dataType: T.FLOAT, floatData: [0] });
  const pool = Array.from({ length: poolSize }, (_, i) => utf8.encode(`w${i}`));
  const indexes = Array.from({ length: indexCount }, (_, i) => i);
  const tfidf: INodeProto = {
    opType: 'TfIdfVectorizer', name: 'probe_tfidf', domain: '', input: ['tokens'], output: ['probe_tfidf'],
    attribute: [
      { name: 'mode', type: A.STRING, s: utf8.encode('TF') },
      { name: 'min_gram_length', type: A.INT, i: 1 },
      { name: 'max_gram_length', type: A.INT, i: 1 },
      { name: 'max_skip_count', type: A.INT, i: 0 },
      { name: 'ngram_counts', type: A.INTS, ints: [0] },
      { name: 'pool_strings', type: A.STRINGS, strings: pool },
      { name: 'ngram_indexes', type: A.INTS, ints: indexes },
    ],
  };
  const extra: INodeProto[] = [
    tfidf,
    { opType: 'ReduceSum', name: 'probe_sum', domain: '', input: ['probe_tfidf', 'axes_1'], output: ['probe_sum'], attribute: [{ name: 'keepdims', type: A.INT, i: 0 }] },
    { opType: 'Mul', name: 'probe_zero', domain: '', input: ['probe_sum', 'f_zero_probe'], output: ['probe_zero'] },
    { opType: 'Add', name: 'probe_score', domain: '', input: ['score', 'probe_zero'], output: ['probe_score'] },
  ];
  const list = nodes(model);
  const tokenizer = list.findIndex((n) => n.opType === 'Tokenizer');
  list.splice(tokenizer + 1, 0, ...extra.slice(0, 3));
  const scoreUse = list.findIndex((n) => n.output?.[0] === 'scaled_score');
  list.splice(scoreUse, 0, extra[3]!);
  list[scoreUse + 1]!.input = ['probe_score', ...list[scoreUse + 1]!.input!.slice(1)];
  return encode(model);
}

export function withLabelEncoderValuesDropped(): Uint8Array {
  const model = decode();
  const enc = nodes(model).find((n) => n.opType === 'LabelEncoder')!;
  const values = enc.attribute!.find((a) => a.name === 'values_int64s')!;
  values.ints = values.ints!.slice(0, values.ints!.length - 5);
  return encode(model);
}

export function withRenamedInput(name: string): Uint8Array {
  const model = decode();
  model.graph!.input![0]!.name = name;
  return encode(model);
}

export function withProbabilityAsString(): Uint8Array {
  const model = decode();
  const out = model.graph!.output!.find((o) => o.name === MODEL_OUTPUT_SPAM_PROBABILITY)!;
  out.type!.tensorType!.elemType = T.STRING;
  return encode(model);
}

export function withShortInitializer(name: string): Uint8Array {
  const model = decode();
  const t = model.graph!.initializer!.find((i) => i.name === name)!;
  t.rawData = t.rawData!.subarray(0, t.rawData!.length - 8);
  return encode(model);
}

export function withDanglingInput(): Uint8Array {
  const model = decode();
  const sig = nodes(model).find((n) => n.opType === 'Sigmoid')!;
  sig.input = ['no_such_tensor'];
  return encode(model);
}

export function withMetadata(key: string, value: string | undefined): Uint8Array {
  const model = decode();
  const props = model.metadataProps!.filter((p) => p.key !== key);
  if (value !== undefined) props.push({ key, value });
  model.metadataProps = props;
  return encode(model);
}

export function withoutLocale(): Uint8Array {
  const model = decode();
  const norm = nodes(model).find((n) => n.opType === 'StringNormalizer')!;
  norm.attribute = norm.attribute!.filter((a) => a.name !== 'locale');
  return encode(model);
}

/** The character Tokenizer with other separators than the single empty one. */
export function withCharSeparators(separators: string[]): Uint8Array {
  const model = decode();
  const tok = nodes(model).find((n) => n.opType === 'Tokenizer' && n.attribute!.some((a) => a.name === 'separators'))!;
  tok.attribute!.find((a) => a.name === 'separators')!.strings = separators.map((v) => utf8.encode(v));
  return encode(model);
}

/** The character window (the end of the Slice after the character Tokenizer). */
export function withCharWindow(value: bigint): Uint8Array {
  const model = decode();
  const init = model.graph!.initializer!.find((i) => i.name === 'char_window')!;
  init.rawData = new Uint8Array(new BigInt64Array([value]).buffer);
  return encode(model);
}

/** A vocabulary id beyond the weight tables. */
export function withVocabularyIdOutOfRange(): Uint8Array {
  const model = decode();
  const enc = nodes(model).find((n) => n.opType === 'LabelEncoder')!;
  const values = enc.attribute!.find((a) => a.name === 'values_int64s')!;
  values.ints = [...values.ints!.slice(0, -1), 10_000_000];
  return encode(model);
}

export function withRegexPattern(pattern: string): Uint8Array {
  const model = decode();
  const re = nodes(model).find((n) => n.opType === 'RegexFullMatch')!;
  re.attribute!.find((a) => a.name === 'pattern')!.s = utf8.encode(pattern);
  return encode(model);
}

/** The card inside the file with another character n-gram range. */
export function withCardCharRange(range: [number, number]): Uint8Array {
  const model = decode();
  const prop = model.metadataProps!.find((p) => p.key === METADATA_KEYS.card)!;
  const card = JSON.parse(prop.value!) as { preprocessing: { features: { charNgramRange: [number, number] } } };
  card.preprocessing.features.charNgramRange = range;
  prop.value = JSON.stringify(card);
  return encode(model);
}

export { METADATA_KEYS };

/**
 * The bundled model under another version (metadata and card agree), optionally with another
 * decision threshold, so a test has a second valid model to reload, shadow or roll back to.
 * A threshold near 1 makes it answer "ham" for almost everything: a shadow that disagrees.
 */
export function withVersion(version: string, threshold?: number): Uint8Array {
  const model = decode();
  const props = model.metadataProps!;
  const versionProp = props.find((p) => p.key === METADATA_KEYS.modelVersion)!;
  versionProp.value = version;
  const cardProp = props.find((p) => p.key === METADATA_KEYS.card)!;
  const card = JSON.parse(cardProp.value!) as { version: string };
  card.version = version;
  cardProp.value = JSON.stringify(card);
  if (threshold !== undefined) {
    const t = model.graph!.initializer!.find((i) => i.name === 'threshold');
    if (!t) throw new Error('the bundled model has no "threshold" initializer to change');
    const raw = Buffer.alloc(4);
    raw.writeFloatLE(threshold);
    t.rawData = raw;
    t.floatData = [];
  }
  return encode(model);
}
