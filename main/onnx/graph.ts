import { ProtoWriter } from './protobuf.js';

/** ONNX TensorProto.DataType values used here. */
export const TensorType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, STRING: 8, FLOAT16: 10, DOUBLE: 11 } as const;
export type TensorTypeCode = (typeof TensorType)[keyof typeof TensorType];

export type AttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'strings'; value: readonly string[] }
  | { kind: 'tensor'; value: { type: OnnxInitializer['type']; dims: number[]; values: readonly number[] } };

export interface OnnxNode {
  op: string;
  domain?: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, AttributeValue>;
}

export interface OnnxInitializer {
  name: string;
  type:
    | typeof TensorType.DOUBLE
    | typeof TensorType.FLOAT
    | typeof TensorType.FLOAT16
    | typeof TensorType.INT64
    | typeof TensorType.INT32
    | typeof TensorType.INT8
    | typeof TensorType.UINT8;
  dims: number[];
  values: readonly number[];
}

export interface OnnxValueInfo {
  name: string;
  type: TensorTypeCode;
  /** A number is a fixed size; a string names a symbolic dimension (the batch). */
  shape: (number | string)[];
}

export interface OnnxModel {
  graphName: string;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  nodes: OnnxNode[];
  initializers: OnnxInitializer[];
  opsets: { domain: string; version: number }[];
  metadata: Record<string, string>;
  producerVersion: string;
  docString: string;
}

const attributeTypeCode = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7, strings: 8 } as const;

function writeValueInfo(w: ProtoWriter, info: OnnxValueInfo): void {
  w.string(1, info.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, info.type);
      tensor.message(2, (shape) => {
        for (const d of info.shape) {
          shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
        }
      });
    }),
  );
}

function writeAttribute(w: ProtoWriter, name: string, a: AttributeValue): void {
  w.string(1, name);
  switch (a.kind) {
    case 'float':
      w.float(2, a.value);
      break;
    case 'int':
      w.int(3, a.value);
      break;
    case 'string':
      w.string(4, a.value);
      break;
    case 'floats':
      w.packedFloats(7, a.value);
      break;
    case 'ints':
      w.packedInts(8, a.value);
      break;
    case 'strings':
      for (const s of a.value) w.string(9, s);
      break;
    case 'tensor':
      w.message(5, (t) => writeInitializer(t, { name: '', ...a.value }));
      break;
  }
  w.int(20, attributeTypeCode[a.kind]);
}

function writeInitializer(w: ProtoWriter, t: OnnxInitializer): void {
  w.packedInts(1, t.dims);
  w.int(2, t.type);
  w.string(8, t.name);
  const width =
    t.type === TensorType.UINT8 || t.type === TensorType.INT8
      ? 1
      : t.type === TensorType.FLOAT16
        ? 2
        : t.type === TensorType.FLOAT || t.type === TensorType.INT32
          ? 4
          : 8;
  const raw = new Uint8Array(t.values.length * width);
  const view = new DataView(raw.buffer);
  t.values.forEach((v, i) => {
    if (t.type === TensorType.DOUBLE) view.setFloat64(i * 8, v, true);
    else if (t.type === TensorType.FLOAT) view.setFloat32(i * 4, v, true);
    else if (t.type === TensorType.FLOAT16) view.setUint16(i * 2, float16Bits(v), true);
    else if (t.type === TensorType.INT32) view.setInt32(i * 4, v, true);
    else if (t.type === TensorType.INT8) view.setInt8(i, v);
    else if (t.type === TensorType.UINT8) view.setUint8(i, v);
    else view.setBigInt64(i * 8, BigInt(v), true);
  });
  w.bytes(9, raw);
}

/**
 * IEEE 754 half-precision bits of a number, rounded to nearest even (values are normally already rounded by
 * `roundToFloat16`, so this only encodes them). Overflow gives ±Infinity, tiny values subnormals or ±0.
 */
export function float16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const x = new Uint32Array(f32.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200);
  let e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mantissa & ((1 << shift) - 1);
    let m = mantissa >>> shift;
    if (rest > half || (rest === half && (m & 1) === 1)) m++;
    return sign | m;
  }
  const rest = mantissa & 0x1fff;
  let bits = (e << 10) | (mantissa >>> 13);
  if (rest > 0x1000 || (rest === 0x1000 && (bits & 1) === 1)) bits++;
  e = bits >>> 10;
  return sign | (e >= 0x1f ? 0x7c00 : bits);
}

/** The number a half-precision value of `value` stands for (what a FLOAT16 tensor of it holds). */
export function roundToFloat16(value: number): number {
  const bits = float16Bits(value);
  const sign = bits & 0x8000 ? -1 : 1;
  const e = (bits >>> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 0x1f) return m === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  if (e === 0) return sign * m * 2 ** -24;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** Metadata every Hearth graph carries: what it predicts and how its two input tensors are laid out. */
export function hearthMetadata(
  model: { format: string; task: string; target: string; classes: string[] | null; decisionThreshold?: number },
  /** The graph's inputs in feature order: numerics go to the `numeric` tensor, categoricals to `categorical`. */
  features: readonly { kind: 'numeric' | 'categorical'; name: string }[],
  extra: Record<string, string> = {},
): Record<string, string> {
  const inputs = {
    numeric: features.filter((f) => f.kind === 'numeric').map((f) => f.name),
    categorical: features.filter((f) => f.kind === 'categorical').map((f) => f.name),
  };
  return {
    'hearth.format': model.format,
    ...extra,
    'hearth.task': model.task,
    'hearth.target': model.target,
    'hearth.classes': JSON.stringify(model.classes),
    'hearth.inputs': JSON.stringify(inputs),
    // The graph's `label` output is the argmax; a tuned binary model labels positive when P(positive) > this.
    ...(model.decisionThreshold === undefined ? {} : { 'hearth.decision_threshold': String(model.decisionThreshold) }),
  };
}

/** Serializes a model to ONNX's protobuf encoding (IR version 8). */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, 8);
  w.string(2, 'hearth');
  w.string(3, model.producerVersion);
  w.string(4, 'ai.hearth');
  w.int(5, 1);
  w.string(6, model.docString);
  w.message(7, (g) => {
    model.nodes.forEach((node, index) => {
      g.message(1, (n) => {
        for (const i of node.inputs) n.string(1, i);
        for (const o of node.outputs) n.string(2, o);
        n.string(3, `${node.op}_${index}`);
        n.string(4, node.op);
        for (const [name, value] of Object.entries(node.attributes ?? {})) n.message(5, (a) => writeAttribute(a, name, value));
        if (node.domain !== undefined) n.string(7, node.domain);
      });
    });
    g.string(2, model.graphName);
    for (const t of model.initializers) g.message(5, (x) => writeInitializer(x, t));
    for (const i of model.inputs) g.message(11, (x) => writeValueInfo(x, i));
    for (const o of model.outputs) g.message(12, (x) => writeValueInfo(x, o));
  });
  for (const o of model.opsets) {
    w.message(8, (x) => {
      x.string(1, o.domain);
      x.int(2, o.version);
    });
  }
  for (const [key, value] of Object.entries(model.metadata)) {
    w.message(14, (x) => {
      x.string(1, key);
      x.string(2, value);
    });
  }
  return w.finish();
}

/** ArgMax over the probabilities, then class index → class label. */
export function appendLabel(nodes: OnnxNode[], outputs: OnnxValueInfo[], classes: string[]): void {
  nodes.push({
    op: 'ArgMax',
    inputs: ['probabilities'],
    outputs: ['label_index'],
    attributes: { axis: { kind: 'int', value: 1 }, keepdims: { kind: 'int', value: 0 } },
  });
  nodes.push({
    op: 'LabelEncoder',
    domain: 'ai.onnx.ml',
    inputs: ['label_index'],
    outputs: ['label'],
    attributes: {
      keys_int64s: { kind: 'ints', value: classes.map((_, i) => i) },
      values_strings: { kind: 'strings', value: classes },
      default_string: { kind: 'string', value: '' },
    },
  });
  outputs.push({ name: 'label', type: TensorType.STRING, shape: ['N'] });
  outputs.push({ name: 'probabilities', type: TensorType.DOUBLE, shape: ['N', classes.length] });
}

/** Column k of a [N, m] tensor as [N, 1] (a Gather on axis 1); returns the output's name. */
export function gatherColumn(nodes: OnnxNode[], initializers: OnnxInitializer[], input: string, k: number): string {
  initializers.push({ name: `column_${k}`, type: TensorType.INT64, dims: [1], values: [k] });
  nodes.push({
    op: 'Gather',
    inputs: [input, `column_${k}`],
    outputs: [`levels_${k}`],
    attributes: { axis: { kind: 'int', value: 1 } },
  });
  return `levels_${k}`;
}
