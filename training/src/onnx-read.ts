/**
 * Reads the classifier parameters back out of an exported ONNX file, so the TypeScript
 * reference can be checked against the very file that is served (parity test, tools).
 */
import onnxProto from 'onnx-proto';
import { METADATA_KEYS } from '../../shared/model-io.js';
import type { ModelCard } from '../../shared/model-card.js';
import type { LinearTextModel } from './linear-model.js';
import { INIT, VOCAB_NODE } from './onnx-export.js';

const { onnx } = onnxProto;

function floats(t: onnxProto.onnx.ITensorProto | undefined, name: string): Float32Array {
  if (!t) throw new Error(`initializer "${name}" is missing`);
  if (t.rawData && t.rawData.length > 0) {
    // Copy: the decoded buffer may not be 4-byte aligned.
    return new Float32Array(Uint8Array.from(t.rawData).buffer);
  }
  return Float32Array.from(t.floatData ?? []);
}

export function readLinearTextModel(bytes: Uint8Array): { model: LinearTextModel; card: ModelCard } {
  const proto = onnx.ModelProto.decode(bytes);
  const graph = proto.graph;
  if (!graph) throw new Error('no graph');
  const init = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const vocabNode = (graph.node ?? []).find((n) => n.name === VOCAB_NODE);
  if (!vocabNode) throw new Error(`node "${VOCAB_NODE}" is missing`);
  const attrs = new Map((vocabNode.attribute ?? []).map((a) => [a.name ?? '', a]));
  const decoder = new TextDecoder();
  const terms = (attrs.get('keys_strings')?.strings ?? []).map((s) => decoder.decode(s));
  const ids = (attrs.get('values_int64s')?.ints ?? []).map((v) => Number(v));
  if (ids.length !== terms.length || ids.some((id, i) => id !== i + 1)) throw new Error('vocabulary ids are not 1..V in order');
  const meta = new Map((proto.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
  const model: LinearTextModel = {
    terms,
    // Index 0 is the zero-weight slot of unknown terms.
    idf: floats(init.get(INIT.idf), INIT.idf).subarray(1),
    weightedIdf: floats(init.get(INIT.weightedIdf), INIT.weightedIdf).subarray(1),
    bias: floats(init.get(INIT.bias), INIT.bias)[0]!,
    noEvidenceProbability: floats(init.get(INIT.noEvidenceProbability), INIT.noEvidenceProbability)[0]!,
    threshold: floats(init.get(INIT.threshold), INIT.threshold)[0]!,
    maxTextChars: Number(meta.get(METADATA_KEYS.maxTextChars)),
  };
  return { model, card: JSON.parse(meta.get(METADATA_KEYS.card) ?? 'null') as ModelCard };
}
