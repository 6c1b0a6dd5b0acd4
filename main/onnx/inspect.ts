import { HearthError } from '../contracts/errors.js';
import { ProtoWriter } from './protobuf.js';

/**
 * Reads what Hearth needs from an ONNX file made elsewhere: the graph's inputs and outputs (name, element type,
 * shape), the class labels of an ONNX-ML classifier node, the producer and the metadata. A minimal protobuf wire
 * reader over onnx/onnx.proto's field numbers, the counterpart of protobuf.ts's writer; whether the graph runs is
 * ONNX Runtime's call, made when the model is loaded.
 */

/** onnx.proto's TensorProto.DataType codes, by the names ONNX Runtime's JavaScript API gives them. */
export const onnxDataTypes = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  21: 'uint4',
  22: 'int4',
} as const satisfies Record<number, string>;

/** The element types Hearth can feed or read; any other is reported as "type N". */
const fedTypes = new Set(['float32', 'uint8', 'int8', 'int32', 'int64', 'string', 'bool', 'float16', 'float64']);

/** TensorProto.DataType codes Hearth can feed or read. */
export const onnxElementTypes: Record<number, string> = Object.fromEntries(
  Object.entries(onnxDataTypes).filter(([, type]) => fedTypes.has(type)),
);

export interface OnnxValueInfo {
  name: string;
  /** 'tensor' with its element type and shape (-1 or a symbol for a free dimension), or the kind of a non-tensor. */
  kind: 'tensor' | 'sequence' | 'map' | 'other';
  elementType: string | null;
  dims: (number | string)[];
}

export interface OnnxGraphInfo {
  producer: string;
  producerVersion: string;
  opsets: { domain: string; version: number }[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** Class labels of the graph's classifier node (LinearClassifier, TreeEnsembleClassifier, SVMClassifier…). */
  classLabels: string[] | null;
  /** The op types used, in order of first use. */
  operators: string[];
  metadata: Record<string, string>;
}

class Reader {
  pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.bytes.length) throw truncated();
      const b = this.bytes[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new HearthError('INVALID_INPUT', 'not an ONNX model: a malformed varint');
    }
  }

  /** Each field of the message: its number, wire type and, for length-delimited ones, its bytes. */
  *fields(): Generator<{ field: number; wire: number; value: bigint; bytes: Uint8Array; start: number }> {
    while (!this.done) {
      const start = this.pos;
      const key = Number(this.varint());
      const field = key >>> 3;
      const wire = key & 7;
      if (wire === 0) yield { field, wire, value: this.varint(), bytes: empty, start };
      else if (wire === 2) {
        const length = Number(this.varint());
        if (this.pos + length > this.bytes.length) throw truncated();
        const bytes = this.bytes.subarray(this.pos, this.pos + length);
        this.pos += length;
        yield { field, wire, value: 0n, bytes, start };
      } else if (wire === 1) this.skip(8);
      else if (wire === 5) this.skip(4);
      else throw new HearthError('INVALID_INPUT', `not an ONNX model: wire type ${wire}`);
    }
  }

  private skip(n: number): void {
    if (this.pos + n > this.bytes.length) throw truncated();
    this.pos += n;
  }
}

const empty = new Uint8Array(0);
const decoder = new TextDecoder('utf-8', { fatal: false });
const text = (b: Uint8Array): string => decoder.decode(b);

function truncated(): HearthError {
  return new HearthError('INVALID_INPUT', 'not an ONNX model: the file ends inside a message');
}

function readValueInfo(bytes: Uint8Array): OnnxValueInfo {
  const info: OnnxValueInfo = { name: '', kind: 'other', elementType: null, dims: [] };
  for (const f of new Reader(bytes).fields()) {
    if (f.field === 1) info.name = text(f.bytes);
    else if (f.field === 2) {
      for (const t of new Reader(f.bytes).fields()) {
        if (t.field === 1) {
          info.kind = 'tensor';
          for (const x of new Reader(t.bytes).fields()) {
            if (x.field === 1) info.elementType = onnxElementTypes[Number(x.value)] ?? `type ${x.value}`;
            else if (x.field === 2) {
              for (const d of new Reader(x.bytes).fields()) {
                if (d.field !== 1) continue;
                let dim: number | string = -1;
                for (const v of new Reader(d.bytes).fields()) {
                  if (v.field === 1) dim = Number(v.value);
                  else if (v.field === 2) dim = text(v.bytes);
                }
                info.dims.push(dim);
              }
            }
          }
        } else if (t.field === 4) info.kind = 'sequence';
        else if (t.field === 5) info.kind = 'map';
      }
    }
  }
  return info;
}

function readClassLabels(node: Uint8Array): { op: string; labels: string[] | null } {
  let op = '';
  let labels: string[] | null = null;
  for (const f of new Reader(node).fields()) {
    if (f.field === 4) op = text(f.bytes);
    else if (f.field === 5) {
      let name = '';
      const strings: string[] = [];
      const ints: bigint[] = [];
      for (const a of new Reader(f.bytes).fields()) {
        if (a.field === 1) name = text(a.bytes);
        else if (a.field === 9) strings.push(text(a.bytes));
        else if (a.field === 8) {
          if (a.wire === 0) ints.push(a.value);
          else {
            // Packed repeated int64.
            const packed = new Reader(a.bytes);
            while (!packed.done) ints.push(packed.varint());
          }
        }
      }
      if (name === 'classlabels_strings' && strings.length > 0) labels = strings;
      else if (name === 'classlabels_int64s' && ints.length > 0) labels = ints.map((v) => BigInt.asIntN(64, v).toString());
    }
  }
  return { op, labels };
}

/**
 * Refuses a graph that reaches outside its own bytes. ONNX lets a tensor keep its data in another file
 * (TensorProto.data_location = EXTERNAL, with `external_data` naming a location); ONNX Runtime then reads that path,
 * relative to the process's working folder when the model is loaded from memory, so an imported graph could read
 * any file the server can (a key file, /etc/passwd) and hand it back as predictions. Every tensor Hearth did not
 * write is visited: initializers, sparse initializers, node attributes (t, tensors, sparse_tensor(s)) and, through
 * subgraph attributes (If, Loop, Scan), model-local functions and training info, every nested graph.
 */
export function assertSelfContained(bytes: Uint8Array): void {
  const maxDepth = 64;
  const refuse = (where: string): never => {
    throw new HearthError(
      'INVALID_INPUT',
      `the graph keeps ${where} outside its own bytes (external data): Hearth loads only self-contained ONNX files; save the model with its weights inside (onnx.save_model(..., save_as_external_data=False))`,
    );
  };
  const tensor = (b: Uint8Array, where: string): void => {
    let name = '';
    let external = false;
    for (const f of new Reader(b).fields()) {
      if (f.field === 8 && f.wire === 2) name = text(f.bytes);
      else if (f.field === 13) external = true;
      else if (f.field === 14 && f.wire === 0 && f.value !== 0n) external = true;
    }
    if (external) refuse(`${where}${name === '' ? '' : ` "${name.slice(0, 80)}"`}`);
  };
  const sparse = (b: Uint8Array, where: string): void => {
    for (const f of new Reader(b).fields()) if ((f.field === 1 || f.field === 2) && f.wire === 2) tensor(f.bytes, where);
  };
  const attribute = (b: Uint8Array, depth: number): void => {
    for (const f of new Reader(b).fields()) {
      if (f.wire !== 2) continue;
      if (f.field === 5 || f.field === 10) tensor(f.bytes, 'a tensor attribute');
      else if (f.field === 22 || f.field === 23) sparse(f.bytes, 'a sparse tensor attribute');
      else if (f.field === 6 || f.field === 11) graph(f.bytes, depth + 1);
    }
  };
  const node = (b: Uint8Array, depth: number): void => {
    for (const f of new Reader(b).fields()) if (f.field === 5 && f.wire === 2) attribute(f.bytes, depth);
  };
  const graph = (b: Uint8Array, depth: number): void => {
    if (depth > maxDepth)
      throw new HearthError('INVALID_INPUT', `not an ONNX model Hearth loads: graphs nested over ${maxDepth} deep`);
    for (const f of new Reader(b).fields()) {
      if (f.wire !== 2) continue;
      if (f.field === 1) node(f.bytes, depth);
      else if (f.field === 5) tensor(f.bytes, 'the initializer');
      else if (f.field === 15) sparse(f.bytes, 'the sparse initializer');
    }
  };
  for (const f of new Reader(bytes).fields()) {
    if (f.wire !== 2) continue;
    if (f.field === 7) graph(f.bytes, 0);
    else if (f.field === 20) {
      // TrainingInfoProto: initialization and algorithm are graphs.
      for (const t of new Reader(f.bytes).fields()) if ((t.field === 1 || t.field === 2) && t.wire === 2) graph(t.bytes, 1);
    } else if (f.field === 25) {
      // FunctionProto: its nodes (7) and default attributes (11).
      for (const n of new Reader(f.bytes).fields()) {
        if (n.field === 7 && n.wire === 2) node(n.bytes, 1);
        else if (n.field === 11 && n.wire === 2) attribute(n.bytes, 1);
      }
    }
  }
}

export function inspectOnnx(bytes: Uint8Array): OnnxGraphInfo {
  assertSelfContained(bytes);
  const info: OnnxGraphInfo = {
    producer: '',
    producerVersion: '',
    opsets: [],
    inputs: [],
    outputs: [],
    classLabels: null,
    operators: [],
    metadata: {},
  };
  let sawGraph = false;
  const initializers = new Set<string>();
  for (const f of new Reader(bytes).fields()) {
    if (f.field === 2 && f.wire === 2) info.producer = text(f.bytes);
    else if (f.field === 3 && f.wire === 2) info.producerVersion = text(f.bytes);
    else if (f.field === 8 && f.wire === 2) {
      const opset = { domain: '', version: 0 };
      for (const o of new Reader(f.bytes).fields()) {
        if (o.field === 1) opset.domain = text(o.bytes);
        else if (o.field === 2) opset.version = Number(o.value);
      }
      info.opsets.push(opset);
    } else if (f.field === 14 && f.wire === 2) {
      let key = '';
      let value = '';
      for (const e of new Reader(f.bytes).fields()) {
        if (e.field === 1) key = text(e.bytes);
        else if (e.field === 2) value = text(e.bytes);
      }
      info.metadata[key] = value;
    } else if (f.field === 7 && f.wire === 2) {
      sawGraph = true;
      for (const g of new Reader(f.bytes).fields()) {
        if (g.field === 1) {
          const { op, labels } = readClassLabels(g.bytes);
          if (!info.operators.includes(op)) info.operators.push(op);
          if (labels !== null && op.endsWith('Classifier')) info.classLabels = labels;
        } else if (g.field === 5) {
          for (const t of new Reader(g.bytes).fields()) if (t.field === 8) initializers.add(text(t.bytes));
        } else if (g.field === 11) info.inputs.push(readValueInfo(g.bytes));
        else if (g.field === 12) info.outputs.push(readValueInfo(g.bytes));
      }
    }
  }
  if (!sawGraph || info.outputs.length === 0) throw new HearthError('INVALID_INPUT', 'not an ONNX model: no graph with outputs');
  // Older exporters list initializers among the inputs too; they are weights, not what a caller feeds.
  info.inputs = info.inputs.filter((i) => !initializers.has(i.name));
  return info;
}

/** The key of one metadata_props entry (ModelProto field 14, a StringStringEntryProto). */
function metadataKey(entry: Uint8Array): string {
  for (const e of new Reader(entry).fields()) if (e.field === 1) return text(e.bytes);
  return '';
}

/**
 * The model with `entries` in its metadata_props: every other top-level field is copied byte for byte, an entry
 * with one of these keys is replaced (ONNX's checker refuses a model with a key twice), the new entries go last.
 */
export function withMetadata(bytes: Uint8Array, entries: Record<string, string>): Uint8Array {
  const reader = new Reader(bytes);
  const kept: Uint8Array[] = [];
  let length = 0;
  let copied = 0;
  const keep = (end: number): void => {
    kept.push(bytes.subarray(copied, end));
    length += end - copied;
  };
  for (const f of reader.fields()) {
    if (f.field === 14 && f.wire === 2 && metadataKey(f.bytes) in entries) {
      // Fixed-width fields the reader skipped before this entry are kept; the entry itself is not.
      keep(f.start);
      copied = reader.pos;
    }
  }
  keep(bytes.length);
  const added = new ProtoWriter();
  for (const [key, value] of Object.entries(entries)) added.message(14, (x) => x.string(1, key).string(2, value));
  const tail = added.finish();
  const out = new Uint8Array(length + tail.length);
  let offset = 0;
  for (const span of kept) {
    out.set(span, offset);
    offset += span.length;
  }
  out.set(tail, offset);
  return out;
}
