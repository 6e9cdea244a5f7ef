/**
 * Reads the classifier parameters back out of an exported ONNX file, so the TypeScript
 * reference can be checked against the very file that is served (parity test, tools).
 */
import onnxProto from 'onnx-proto';
import { METADATA_KEYS } from '../../shared/model-io.js';
import type { ModelCard } from '../../shared/model-card.js';
import type { LinearTextModel } from './linear-model.js';
import { CHAR_SCORE, CHAR_VOCAB_NODE, INIT, WORD_VOCAB_NODE } from './onnx-export.js';

const { onnx } = onnxProto;

function floats(t: onnxProto.onnx.ITensorProto | undefined, name: string): Float32Array {
  if (!t) throw new Error(`initializer "${name}" is missing`);
  if (t.rawData && t.rawData.length > 0) {
    // Copy: the decoded buffer may not be 4-byte aligned.
    return new Float32Array(Uint8Array.from(t.rawData).buffer);
  }
  return Float32Array.from(t.floatData ?? []);
}

function int64(t: onnxProto.onnx.ITensorProto | undefined, name: string): number {
  if (!t?.rawData || t.rawData.length !== 8) throw new Error(`initializer "${name}" is missing`);
  return Number(new BigInt64Array(Uint8Array.from(t.rawData).buffer)[0]);
}

function vocabulary(graph: onnxProto.onnx.IGraphProto, name: string, firstId: number): string[] {
  const vocabNode = (graph.node ?? []).find((n) => n.name === name);
  if (!vocabNode) return [];
  const attrs = new Map((vocabNode.attribute ?? []).map((a) => [a.name ?? '', a]));
  const decoder = new TextDecoder();
  const terms = (attrs.get('keys_strings')?.strings ?? []).map((s) => decoder.decode(s));
  const ids = (attrs.get('values_int64s')?.ints ?? []).map((v) => Number(v));
  // An empty family is written as one placeholder mapped to 0.
  if (ids.length === 1 && ids[0] === 0) return [];
  if (ids.length !== terms.length || ids.some((id, i) => id !== firstId + i)) throw new Error(`${name}: ids are not consecutive from ${firstId}`);
  return terms;
}

export function readLinearTextModel(bytes: Uint8Array): { model: LinearTextModel; card: ModelCard } {
  const proto = onnx.ModelProto.decode(bytes);
  const graph = proto.graph;
  if (!graph) throw new Error('no graph');
  const init = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const meta = new Map((proto.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  const card = JSON.parse(meta.get(METADATA_KEYS.card) ?? 'null') as ModelCard;
  const words = vocabulary(graph, WORD_VOCAB_NODE, 1);
  const chars = vocabulary(graph, CHAR_VOCAB_NODE, words.length + 1);
  const scalar = (name: string) => floats(init.get(name), name)[0]!;
  const f = card.preprocessing.features;
  const model: LinearTextModel = {
    words,
    chars,
    features: { words: f.words, charWindow: init.has(INIT.charWindow) ? int64(init.get(INIT.charWindow), INIT.charWindow) : 0, charMinN: f.charNgramRange[0], charMaxN: f.charNgramRange[1] },
    // Index 0 is the zero-weight slot of unknown terms.
    idfSquared: floats(init.get(INIT.idfSquared), INIT.idfSquared).subarray(1),
    weightedIdf: floats(init.get(INIT.weightedIdf), INIT.weightedIdf).subarray(1),
    lambda: scalar(INIT.lambda),
    // The graph, not the card, says how it normalises: per family when it scores the families apart.
    norm: (graph.node ?? []).some((n) => (n.output ?? []).includes(CHAR_SCORE)) ? 'per-family' : 'joint',
    scale: scalar(INIT.scale),
    offset: scalar(INIT.offset),
    shortTokens: init.has(INIT.shortTokens) ? scalar(INIT.shortTokens) : -1,
    shortScale: init.has(INIT.shortScale) ? scalar(INIT.shortScale) : scalar(INIT.scale),
    shortOffset: init.has(INIT.shortOffset) ? scalar(INIT.shortOffset) : scalar(INIT.offset),
    noEvidenceProbability: scalar(INIT.noEvidenceProbability),
    threshold: scalar(INIT.threshold),
    maxTextChars: Number(meta.get(METADATA_KEYS.maxTextChars)),
  };
  return { model, card };
}
