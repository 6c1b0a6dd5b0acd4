import { createRequire } from 'node:module';
import type * as OrtModule from 'onnxruntime-node';
import type { Ort } from './ort-load.js';
import { onnxDataTypes } from '../onnx/inspect.js';

/**
 * A CPU session on onnxruntime-node's native binding, run synchronously.
 *
 * onnxruntime-node's own session handler (dist/backend.js) defers every `run` to `setImmediate`: one more turn of
 * the event loop per call, which on a single row of a 100-tree model is a fifth of the ~20 µs the graph takes and
 * most of its run-to-run spread (the turn waits behind whatever I/O that loop iteration also polls). A CPU run is
 * synchronous native code either way: the deferral only moves it, it never frees the thread. This handler calls the
 * same binding without the detour and is handed to ONNX Runtime's public InferenceSession, so callers keep its API
 * (validation of feeds and fetches, `release`), and `runNow` gives the serving path the run with no promise at all.
 *
 * The binding is onnxruntime-node's internal module: when a release moves or reshapes it, `openDirect` answers
 * null and the caller loads through the public API as before (same graph, same options, same answers).
 */

/** The part of the native InferenceSession this handler uses (onnxruntime-node 1.2x's binding). */
interface NativeSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  readonly inputMetadata: readonly NativeValueMetadata[];
  readonly outputMetadata: readonly NativeValueMetadata[];
  run(feeds: Record<string, OrtModule.Tensor>, fetches: Record<string, null>, options: object): Record<string, OrtModule.Tensor>;
  dispose(): void;
  endProfiling(): void;
}

interface NativeValueMetadata {
  name: string;
  isTensor: boolean;
  type: number;
  shape: number[];
  symbolicDimensions: string[];
}

interface NativeBindingModule {
  binding: { InferenceSession: new () => NativeSession };
  initOrt(): void;
}

/** ONNX's TensorProto element types by number, as the binding reports them. */
const elementTypes: Record<number, OrtModule.Tensor.Type> = onnxDataTypes;

let bindingModule: NativeBindingModule | null | undefined;

function nativeBinding(): NativeBindingModule | null {
  if (bindingModule !== undefined) return bindingModule;
  try {
    const loaded = createRequire(import.meta.url)('onnxruntime-node/dist/binding.js') as Partial<NativeBindingModule>;
    const prototype = (loaded.binding?.InferenceSession as { prototype?: Partial<NativeSession> } | undefined)?.prototype;
    const ok =
      typeof loaded.initOrt === 'function' &&
      typeof prototype?.run === 'function' &&
      typeof prototype.loadModel === 'function' &&
      typeof prototype.dispose === 'function';
    bindingModule = ok ? (loaded as NativeBindingModule) : null;
  } catch {
    bindingModule = null;
  }
  return bindingModule;
}

export interface DirectSession {
  /** ONNX Runtime's public session over this handler: what `release()` and tests' `session.run` go through. */
  session: OrtModule.InferenceSession;
  /** One synchronous run: `tensors` must name every graph input; answers the outputs named in `fetches`. */
  runNow(tensors: Record<string, OrtModule.Tensor>, fetches: readonly string[]): Record<string, OrtModule.Tensor>;
}

/** Loads `model` on the CPU through the binding, or answers null when this onnxruntime-node has no usable binding. */
export function openDirect(
  ort: Ort,
  model: Uint8Array,
  options: OrtModule.InferenceSession.SessionOptions,
): DirectSession | null {
  const native = nativeBinding();
  if (native === null) return null;
  native.initOrt();
  const inner = new native.binding.InferenceSession();
  inner.loadModel(model.buffer, model.byteOffset, model.byteLength, options);
  const describe = (raw: readonly NativeValueMetadata[]): OrtModule.InferenceSession.ValueMetadata[] =>
    raw.map((m): OrtModule.InferenceSession.ValueMetadata => {
      if (!m.isTensor) return { name: m.name, isTensor: false };
      const type = elementTypes[m.type];
      if (type === undefined) throw new Error(`Unsupported data type: ${m.type}`);
      return { name: m.name, isTensor: true, type, shape: m.shape.map((d, i) => (d === -1 ? m.symbolicDimensions[i]! : d)) };
    });
  const inputMetadata = describe(inner.inputMetadata);
  const outputMetadata = describe(inner.outputMetadata);
  const emptyOptions = {};
  const handler = {
    inputNames: inputMetadata.map((m) => m.name),
    outputNames: outputMetadata.map((m) => m.name),
    inputMetadata,
    outputMetadata,
    dispose: () => {
      inner.dispose();
      return Promise.resolve();
    },
    startProfiling: () => undefined,
    endProfiling: () => inner.endProfiling(),
    run: (feeds: Record<string, OrtModule.Tensor>, fetches: Record<string, null>, runOptions: object) => {
      try {
        return Promise.resolve(inner.run(feeds, fetches, runOptions));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
  };
  // InferenceSession's constructor takes a handler; its typings only expose `create`.
  const Session = ort.InferenceSession as unknown as new (h: typeof handler) => OrtModule.InferenceSession;
  const session = new Session(handler);
  return {
    session,
    runNow: (tensors, fetches) => {
      for (const name of handler.inputNames) {
        if (!(name in tensors)) throw new Error(`input '${name}' is missing in 'feeds'.`);
      }
      const wanted: Record<string, null> = {};
      for (const name of fetches) {
        if (!handler.outputNames.includes(name)) throw new Error(`'${name}' is not a valid output name.`);
        wanted[name] = null;
      }
      return inner.run(tensors, wanted, emptyOptions);
    },
  };
}
