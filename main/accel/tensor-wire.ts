import type { TensorData } from './onnx-runtime.js';

/**
 * Tensors as they cross to and from a serving thread: one JSON layout string (names, types, shapes, and the string
 * tensors' values) and one ArrayBuffer holding every numeric tensor's bytes, transferred rather than copied.
 * postMessage's structured clone of a feeds object walks every object, array and string one by one: for a single
 * row of a dozen features that was about 20 µs of the HTTP thread per request, against a few µs for this.
 */
export interface PackedTensors {
  layout: string;
  bytes: ArrayBuffer;
}

type NumericData = Exclude<TensorData['data'], string[]>;
type NumericCtor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => NumericData;

const constructors: Record<Exclude<TensorData['type'], 'string'>, NumericCtor> = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
};

/** [name, type, dims, byte offset, length] for a numeric tensor; [name, 'string', dims, values] for a string one. */
type Entry = [string, TensorData['type'], number[], number, number] | [string, 'string', number[], string[]];

/** Every tensor's bytes start on an 8-byte boundary, so each can be viewed in place whatever its element size. */
const align = (n: number): number => (n + 7) & ~7;

export function packTensors(tensors: Record<string, TensorData>): PackedTensors {
  let size = 0;
  for (const name in tensors) {
    const data = tensors[name]!.data;
    if (!Array.isArray(data)) size = align(size) + data.byteLength;
  }
  const bytes = new ArrayBuffer(align(size));
  const target = new Uint8Array(bytes);
  const layout: Entry[] = [];
  let offset = 0;
  for (const name in tensors) {
    const t = tensors[name]!;
    if (Array.isArray(t.data)) {
      layout.push([name, 'string', t.dims, t.data]);
      continue;
    }
    offset = align(offset);
    target.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), offset);
    layout.push([name, t.type, t.dims, offset, t.data.length]);
    offset += t.data.byteLength;
  }
  return { layout: JSON.stringify(layout), bytes };
}

/** The tensors back, each numeric one a view into `packed.bytes` (so the buffer must not be reused by the sender). */
export function unpackTensors(packed: PackedTensors): Record<string, TensorData> {
  const out: Record<string, TensorData> = {};
  for (const entry of JSON.parse(packed.layout) as Entry[]) {
    if (entry[1] === 'string') {
      out[entry[0]] = { type: 'string', dims: entry[2], data: entry[3] as string[] };
      continue;
    }
    const [name, type, dims, offset, length] = entry as [string, Exclude<TensorData['type'], 'string'>, number[], number, number];
    out[name] = { type, dims, data: new constructors[type](packed.bytes, offset, length) };
  }
  return out;
}
