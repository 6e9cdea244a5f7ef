/**
 * Static checks of an ONNX file before onnxruntime sees it. Some malformed graphs do not fail
 * at session creation but abort the whole process (SIGABRT) at the first run(), e.g. a
 * TfIdfVectorizer whose ngram_indexes is shorter than its pool; those must be refused here.
 * Returns the facts the loader needs; throws a plain Error with the problem otherwise.
 */
import onnxProto from 'onnx-proto';
import {
  METADATA_KEYS,
  MODEL_INPUT,
  MODEL_OUTPUT_KNOWN_TERM_RATIO,
  MODEL_OUTPUT_LABEL,
  MODEL_OUTPUT_SPAM_PROBABILITY,
} from '../../../../shared/model-io.js';
import type { ModelCard } from '../../../../shared/model-card.js';

const { onnx } = onnxProto;
type IModelProto = onnxProto.onnx.IModelProto;
type INodeProto = onnxProto.onnx.INodeProto;
type IAttributeProto = onnxProto.onnx.IAttributeProto;
type ITensorProto = onnxProto.onnx.ITensorProto;
type IValueInfoProto = onnxProto.onnx.IValueInfoProto;

const T = onnx.TensorProto.DataType;

/** What onnxruntime-node 1.30 accepts (see docs/model.md). */
const MAX_IR_VERSION = 13;
const MAX_DEFAULT_OPSET = 26;
const KNOWN_DOMAINS = new Set(['', 'ai.onnx', 'ai.onnx.ml', 'com.microsoft']);

/** A Long from protobufjs, or a plain number. */
interface LongLike {
  toNumber(): number;
}
function num(v: number | LongLike | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

export interface ValidatedModel {
  version: string;
  maxTextChars: number;
  card: ModelCard;
  /** The graph's own threshold (initializer "threshold"), float32. */
  threshold: number;
  /** The graph declares the known_term_ratio output. */
  hasKnownTermRatio: boolean;
}

/** Character n-grams the graph may build (longer would multiply the work per character). */
const MAX_CHAR_NGRAM = 5;
/** The character window: far above any sane model, so a hostile one cannot ask for more. */
const MAX_CHAR_WINDOW = 100_000;

export function decodeModel(bytes: Uint8Array): IModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new Error(`not a valid ONNX protobuf (truncated or corrupt?): ${(err as Error).message}`, { cause: err });
  }
}

export function validateModel(model: IModelProto): ValidatedModel {
  const ir = num(model.irVersion);
  if (ir < 3 || ir > MAX_IR_VERSION) throw new Error(`ir_version ${ir} is outside the supported range 3..${MAX_IR_VERSION}`);
  for (const op of model.opsetImport ?? []) {
    const domain = op.domain ?? '';
    if (!KNOWN_DOMAINS.has(domain)) throw new Error(`opset domain "${domain}" is not supported`);
    if ((domain === '' || domain === 'ai.onnx') && num(op.version) > MAX_DEFAULT_OPSET) {
      throw new Error(`default-domain opset ${num(op.version)} is newer than ${MAX_DEFAULT_OPSET}`);
    }
  }
  const graph = model.graph;
  if (!graph || !graph.node || graph.node.length === 0) throw new Error('the file holds no graph (truncated?)');

  const initializers = new Map<string, ITensorProto>();
  for (const t of graph.initializer ?? []) {
    checkTensor(t);
    initializers.set(t.name ?? '', t);
  }
  const inputs = (graph.input ?? []).filter((i) => !initializers.has(i.name ?? ''));
  if (inputs.length !== 1) throw new Error(`the graph must have exactly one input "${MODEL_INPUT}", found ${inputs.length}`);
  checkValueInfo(inputs[0], MODEL_INPUT, T.STRING, 'input');
  const outputs = new Map((graph.output ?? []).map((o) => [o.name ?? '', o]));
  checkValueInfo(outputs.get(MODEL_OUTPUT_LABEL), MODEL_OUTPUT_LABEL, T.STRING, 'output');
  checkValueInfo(outputs.get(MODEL_OUTPUT_SPAM_PROBABILITY), MODEL_OUTPUT_SPAM_PROBABILITY, T.FLOAT, 'output');
  const hasKnownTermRatio = outputs.has(MODEL_OUTPUT_KNOWN_TERM_RATIO);
  if (hasKnownTermRatio) checkValueInfo(outputs.get(MODEL_OUTPUT_KNOWN_TERM_RATIO), MODEL_OUTPUT_KNOWN_TERM_RATIO, T.FLOAT, 'output');

  // Every node input must be produced before it is used (ONNX requires topological order).
  const available = new Set<string>(['', ...inputs.map((i) => i.name ?? ''), ...initializers.keys()]);
  graph.node.forEach((n, i) => {
    const where = `node ${i} (${n.opType ?? '?'} "${n.name ?? ''}")`;
    if (!KNOWN_DOMAINS.has(n.domain ?? '')) throw new Error(`${where}: domain "${n.domain}" is not supported`);
    for (const input of n.input ?? []) {
      if (!available.has(input)) throw new Error(`${where}: input "${input}" is not produced by anything before it`);
    }
    checkNode(n, where, initializers);
    for (const output of n.output ?? []) available.add(output);
  });
  for (const name of outputs.keys()) {
    if (!available.has(name)) throw new Error(`graph output "${name}" is produced by no node`);
  }
  checkVocabularyIds(graph.node, initializers);

  const facts = readMetadata(model);
  const thresholdInit = initializers.get('threshold');
  const threshold = thresholdInit ? floatsOf(thresholdInit)[0] : facts.card.threshold;
  if (typeof threshold !== 'number' || !(threshold > 0 && threshold < 1)) throw new Error(`the model's threshold must lie in (0, 1), found ${threshold}`);
  return { ...facts, threshold: Math.fround(threshold), hasKnownTermRatio };
}

function floatsOf(t: ITensorProto): number[] {
  if (t.rawData && t.rawData.length > 0) return Array.from(new Float32Array(Uint8Array.from(t.rawData).buffer));
  return (t.floatData ?? []).map(Number);
}

function int64sOf(t: ITensorProto): number[] {
  if (t.rawData && t.rawData.length > 0) return Array.from(new BigInt64Array(Uint8Array.from(t.rawData).buffer), Number);
  return (t.int64Data ?? []).map((v) => num(v as number | LongLike));
}

/**
 * Every id a LabelEncoder gives a term must index the weight tables it is gathered from, and
 * the row stride that packs (row, id) into one key must exceed every id: otherwise two terms
 * of different rows would be counted as one.
 */
function checkVocabularyIds(nodes: INodeProto[], initializers: Map<string, ITensorProto>): void {
  const tables = nodes
    .filter((n) => n.opType === 'Gather' && initializers.has(n.input?.[0] ?? ''))
    .map((n) => ({ name: n.input![0]!, size: num((initializers.get(n.input![0]!)!.dims ?? [])[0]) }));
  if (tables.length === 0) return;
  const size = Math.min(...tables.map((t) => t.size));
  const stride = initializers.get('key_stride');
  const strideValue = stride ? int64sOf(stride)[0] : undefined;
  if (strideValue !== undefined && strideValue < size) throw new Error(`key_stride ${strideValue} is smaller than the weight tables (${size})`);
  for (const n of nodes) {
    if (n.opType !== 'LabelEncoder') continue;
    const a = attributes(n);
    const values = (a.get('values_int64s')?.ints ?? []).map(num);
    const fallback = num(a.get('default_int64')?.i);
    const bad = [...values, fallback].find((v) => v < 0 || v >= size);
    if (bad !== undefined) throw new Error(`LabelEncoder "${n.name ?? ''}" maps a term to id ${bad}, outside the weight tables (0..${size - 1})`);
  }
}

function checkValueInfo(info: IValueInfoProto | undefined, name: string, elemType: number, kind: string): void {
  if (!info || info.name !== name) throw new Error(`the graph has no ${kind} named "${name}"${info ? ` (found "${info.name}")` : ''}`);
  const tensorType = info.type?.tensorType;
  if (!tensorType || tensorType.elemType !== elemType) {
    throw new Error(`${kind} "${name}" must be a ${T[elemType]} tensor, found ${tensorType ? T[tensorType.elemType ?? 0] : 'no tensor type'}`);
  }
  const rank = tensorType.shape?.dim?.length;
  if (rank !== undefined && rank !== 1) throw new Error(`${kind} "${name}" must have rank 1 ([N]), found rank ${rank}`);
}

const ELEMENT_BYTES: Partial<Record<number, number>> = {
  [T.FLOAT]: 4, [T.DOUBLE]: 8, [T.INT64]: 8, [T.INT32]: 4, [T.UINT8]: 1, [T.INT8]: 1, [T.BOOL]: 1, [T.INT16]: 2, [T.UINT16]: 2, [T.FLOAT16]: 2,
};

/** A tensor whose data is shorter than its shape claims must not reach the runtime. */
function checkTensor(t: ITensorProto): void {
  const name = t.name ?? '';
  if ((t.dataLocation ?? 0) !== 0 || (t.externalData ?? []).length > 0) {
    throw new Error(`initializer "${name}" uses external data, which is not allowed`);
  }
  const dims = (t.dims ?? []).map(num);
  if (dims.some((d) => d < 0 || !Number.isSafeInteger(d))) throw new Error(`initializer "${name}" has invalid dims`);
  const count = dims.reduce((a, b) => a * b, 1);
  const type = t.dataType ?? 0;
  let have: number;
  if (type === T.STRING) have = (t.stringData ?? []).length;
  else if (t.rawData && t.rawData.length > 0) {
    const size = ELEMENT_BYTES[type];
    if (!size) throw new Error(`initializer "${name}" has unsupported data type ${type}`);
    if (t.rawData.length % size !== 0) throw new Error(`initializer "${name}" raw data is not a whole number of elements`);
    have = t.rawData.length / size;
  } else {
    have = Math.max(
      (t.floatData ?? []).length, (t.int64Data ?? []).length, (t.int32Data ?? []).length,
      (t.doubleData ?? []).length, (t.uint64Data ?? []).length,
    );
  }
  if (have !== count) throw new Error(`initializer "${name}" holds ${have} elements but its shape [${dims.join(', ')}] needs ${count}`);
}

function attributes(n: INodeProto): Map<string, IAttributeProto> {
  return new Map((n.attribute ?? []).map((a) => [a.name ?? '', a]));
}

function checkNode(n: INodeProto, where: string, initializers: Map<string, ITensorProto>): void {
  const attrs = attributes(n);
  switch (n.opType) {
    case 'Slice':
      return checkSlice(n, where, initializers);
    case 'RegexFullMatch':
      if (Buffer.from(attrs.get('pattern')?.s ?? new Uint8Array()).length === 0) throw new Error(`${where}: RegexFullMatch needs a pattern`);
      return;
    case 'StringConcat':
      if ((n.input ?? []).length !== 2) throw new Error(`${where}: StringConcat takes exactly two inputs`);
      return;
    case 'TfIdfVectorizer':
      return checkTfIdf(attrs, where);
    case 'LabelEncoder': {
      const keys = Math.max((attrs.get('keys_strings')?.strings ?? []).length, (attrs.get('keys_int64s')?.ints ?? []).length, (attrs.get('keys_floats')?.floats ?? []).length);
      const values = Math.max((attrs.get('values_strings')?.strings ?? []).length, (attrs.get('values_int64s')?.ints ?? []).length, (attrs.get('values_floats')?.floats ?? []).length);
      if (keys !== values) throw new Error(`${where}: LabelEncoder has ${keys} keys but ${values} values`);
      return;
    }
    case 'Tokenizer': {
      const hasExp = attrs.has('tokenexp');
      const hasSep = (attrs.get('separators')?.strings ?? []).length > 0;
      if (hasExp === hasSep) throw new Error(`${where}: Tokenizer needs exactly one of tokenexp and separators`);
      if (num(attrs.get('mincharnum')?.i) < 1) throw new Error(`${where}: Tokenizer mincharnum must be >= 1`);
      if (!attrs.has('pad_value')) throw new Error(`${where}: Tokenizer needs pad_value`);
      if (hasSep) {
        // Only the character tokenizer uses separators: exactly one, empty (one token per code point).
        const seps = attrs.get('separators')!.strings!;
        if (seps.length !== 1 || seps[0]!.length !== 0) throw new Error(`${where}: a separators Tokenizer must have the single separator "" (character tokens)`);
      }
      const mark = num(attrs.get('mark')?.i);
      if (mark !== 0 && mark !== 1) throw new Error(`${where}: Tokenizer mark must be 0 or 1`);
      return;
    }
    case 'StringNormalizer': {
      // Without a locale onnxruntime uses en_US.UTF-8, which minimal systems do not have.
      if (!attrs.has('locale')) throw new Error(`${where}: StringNormalizer must set locale (e.g. "C")`);
      return;
    }
    default:
      return;
  }
}

/**
 * Slices take constant bounds: int64 initializers of one length, non-zero steps, and a
 * character window within MAX_CHAR_WINDOW.
 */
function checkSlice(n: INodeProto, where: string, initializers: Map<string, ITensorProto>): void {
  const inputs = n.input ?? [];
  if (inputs.length < 3) throw new Error(`${where}: Slice needs data, starts and ends`);
  const parts = inputs.slice(1).filter((name) => name !== '');
  const lengths = new Set<number>();
  for (const name of parts) {
    const t = initializers.get(name);
    if (!t) {
      // A bound computed in the graph (the token count): allowed only as the ends of a slice.
      if (name !== inputs[2]) throw new Error(`${where}: Slice "${name}" must be a constant`);
      continue;
    }
    if ((t.dataType ?? 0) !== T.INT64) throw new Error(`${where}: Slice bound "${name}" must be int64`);
    const values = int64sOf(t);
    lengths.add(values.length);
    if (name === inputs[4] && values.some((v) => v === 0)) throw new Error(`${where}: Slice steps must be non-zero`);
    if (name === inputs[2] && name !== 'ends_last' && name !== 'ends_all' && values.some((v) => v < 0 || v > MAX_CHAR_WINDOW)) {
      throw new Error(`${where}: Slice end ${values.join(',')} is outside 0..${MAX_CHAR_WINDOW}`);
    }
  }
  if (lengths.size > 1) throw new Error(`${where}: Slice bounds have different lengths`);
}

/**
 * TfIdfVectorizer consistency. ngram_counts[i] is where the (i+1)-grams start in the pool;
 * ngram_indexes maps every n-gram of the pool to an output column, so it must have exactly
 * one entry per n-gram (fewer makes onnxruntime read past the array and abort).
 */
function checkTfIdf(attrs: Map<string, IAttributeProto>, where: string): void {
  const mode = Buffer.from(attrs.get('mode')?.s ?? new Uint8Array()).toString();
  if (!['TF', 'IDF', 'TFIDF'].includes(mode)) throw new Error(`${where}: TfIdfVectorizer mode must be TF, IDF or TFIDF`);
  const minGram = num(attrs.get('min_gram_length')?.i);
  const maxGram = num(attrs.get('max_gram_length')?.i);
  const maxSkip = num(attrs.get('max_skip_count')?.i);
  if (minGram < 1 || maxGram < minGram || maxSkip < 0) throw new Error(`${where}: TfIdfVectorizer gram lengths or skip count are invalid`);
  const poolStrings = (attrs.get('pool_strings')?.strings ?? []).length;
  const poolInts = (attrs.get('pool_int64s')?.ints ?? []).length;
  if ((poolStrings > 0) === (poolInts > 0)) throw new Error(`${where}: TfIdfVectorizer needs exactly one of pool_strings and pool_int64s`);
  const pool = poolStrings || poolInts;
  const counts = (attrs.get('ngram_counts')?.ints ?? []).map(num);
  if (counts.length === 0 || counts[0] !== 0 || counts.length < maxGram) {
    throw new Error(`${where}: TfIdfVectorizer ngram_counts must start at 0 and have one entry per n-gram length up to max_gram_length`);
  }
  let ngrams = 0;
  for (let i = 0; i < counts.length; i++) {
    const start = counts[i]!;
    const end = i + 1 < counts.length ? counts[i + 1]! : pool;
    if (start > end || end > pool) throw new Error(`${where}: TfIdfVectorizer ngram_counts are not increasing within the pool (${pool})`);
    if ((end - start) % (i + 1) !== 0) throw new Error(`${where}: TfIdfVectorizer pool section of ${i + 1}-grams is not a whole number of n-grams`);
    ngrams += (end - start) / (i + 1);
  }
  const indexes = (attrs.get('ngram_indexes')?.ints ?? []).map(num);
  if (indexes.length !== ngrams) {
    throw new Error(`${where}: TfIdfVectorizer ngram_indexes has ${indexes.length} entries but the pool holds ${ngrams} n-grams`);
  }
  if (indexes.some((i) => i < 0 || !Number.isSafeInteger(i))) throw new Error(`${where}: TfIdfVectorizer ngram_indexes has a negative entry`);
  const weights = (attrs.get('weights')?.floats ?? []).length;
  if (weights > 0 && weights !== indexes.length) {
    throw new Error(`${where}: TfIdfVectorizer weights has ${weights} entries but ngram_indexes has ${indexes.length}`);
  }
}

function readMetadata(model: IModelProto): ValidatedModel {
  const meta = new Map((model.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  const version = meta.get(METADATA_KEYS.modelVersion);
  if (!version) throw new Error(`metadata "${METADATA_KEYS.modelVersion}" is missing`);
  const capText = meta.get(METADATA_KEYS.maxTextChars) ?? '';
  const maxTextChars = Number(capText);
  if (!/^[1-9][0-9]*$/.test(capText) || !Number.isSafeInteger(maxTextChars)) {
    throw new Error(`metadata "${METADATA_KEYS.maxTextChars}" must be a positive integer, found ${JSON.stringify(capText)}`);
  }
  let card: ModelCard;
  try {
    card = JSON.parse(meta.get(METADATA_KEYS.card) ?? '') as ModelCard;
  } catch {
    throw new Error(`metadata "${METADATA_KEYS.card}" is missing or not JSON`);
  }
  if (typeof card !== 'object' || card === null || card.version !== version) {
    throw new Error(`metadata "${METADATA_KEYS.card}" does not describe model version ${version}`);
  }
  const chars = card.preprocessing?.features;
  if (chars && chars.charWindow > 0) {
    const [lo, hi] = chars.charNgramRange ?? [0, 0];
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 2 && hi <= MAX_CHAR_NGRAM && lo <= hi)) {
      throw new Error(`the card's character n-gram range ${JSON.stringify(chars.charNgramRange)} is outside 2..${MAX_CHAR_NGRAM}`);
    }
  }
  if (card.preprocessing?.maxTextChars !== maxTextChars) {
    throw new Error(`the card's text cap (${card.preprocessing?.maxTextChars}) differs from metadata "${METADATA_KEYS.maxTextChars}" (${maxTextChars})`);
  }
  return { version, maxTextChars, card, threshold: card.threshold, hasKnownTermRatio: false };
}
