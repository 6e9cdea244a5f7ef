/** Small constructors for ONNX protobuf pieces (onnx-proto), shared by the exporter and tools. */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
export type INodeProto = onnxProto.onnx.INodeProto;
export type ITensorProto = onnxProto.onnx.ITensorProto;
export type IAttributeProto = onnxProto.onnx.IAttributeProto;

export const T = onnx.TensorProto.DataType;
export const A = onnx.AttributeProto.AttributeType;
export const OPSET_IMPORTS = { '': 20, 'ai.onnx.ml': 3, 'com.microsoft': 1 } as const;
/** IR version 9 is the first that allows opset 20. */
export const IR_VERSION = 9;

const utf8 = new TextEncoder();

export function attr(name: string, value: number | string | string[] | number[], kind?: 'float' | 'int'): IAttributeProto {
  if (typeof value === 'string') return { name, type: A.STRING, s: utf8.encode(value) };
  if (typeof value === 'number') {
    return kind === 'float' ? { name, type: A.FLOAT, f: value } : { name, type: A.INT, i: value };
  }
  if (value.length > 0 && typeof value[0] === 'string') {
    return { name, type: A.STRINGS, strings: (value as string[]).map((v) => utf8.encode(v)) };
  }
  return { name, type: A.INTS, ints: value as number[] };
}

export function tensor(name: string, dims: number[], data: Float32Array | bigint[] | string[]): ITensorProto {
  if (data instanceof Float32Array) {
    return { name, dims, dataType: T.FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  }
  if (data.length > 0 && typeof data[0] === 'string') {
    return { name, dims, dataType: T.STRING, stringData: (data as string[]).map((s) => utf8.encode(s)) };
  }
  const raw = new BigInt64Array(data as bigint[]);
  return { name, dims, dataType: T.INT64, rawData: new Uint8Array(raw.buffer) };
}

export function node(opType: string, inputs: string[], outputs: string[], attributes: IAttributeProto[] = [], domain = ''): INodeProto {
  return { opType, input: inputs, output: outputs, attribute: attributes, domain, name: outputs[0] };
}

export function valueInfo(name: string, elemType: number): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: [{ dimParam: 'N' }] } } } };
}

/** A model with one string input "text" [N] and the given nodes and outputs. */
export function encodeModel(opts: {
  name: string;
  nodes: INodeProto[];
  initializers: ITensorProto[];
  outputs: { name: string; type: number }[];
  metadata?: Record<string, string>;
  docString?: string;
  input?: string;
}): Uint8Array {
  const proto = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'spam-detector-training',
    producerVersion: '1',
    domain: 'spam-detector',
    docString: opts.docString ?? '',
    opsetImport: Object.entries(OPSET_IMPORTS).map(([domain, version]) => ({ domain, version })),
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: opts.name,
      node: opts.nodes,
      initializer: opts.initializers,
      input: [valueInfo(opts.input ?? 'text', T.STRING)],
      output: opts.outputs.map((o) => valueInfo(o.name, o.type)),
    },
  });
  return onnx.ModelProto.encode(proto).finish();
}
