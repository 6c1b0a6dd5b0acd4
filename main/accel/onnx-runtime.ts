import type * as OrtModule from 'onnxruntime-node';
import { loadOrt, type Ort } from './ort-load.js';
import { openDirect, type DirectSession } from './ort-direct.js';
import { nodePlacement } from './ort-providers.js';
import type { OrtProviderName } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import { assertSelfContained, inspectOnnx } from '../onnx/inspect.js';

/** How the last model was placed, for system.info. */
let lastPlacement: string | undefined;

/** A tensor as plain data, so it can cross to a worker thread and back (ONNX Runtime's own Tensor cannot). */
export interface TensorData {
  type: 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'string';
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | string[];
  dims: number[];
}

export type Feeds = Record<string, TensorData>;
export type Outputs = Record<string, TensorData>;

/** Something that runs one ONNX graph: a session on this thread, or one held by the serving pool's workers. */
export interface GraphRunner {
  readonly executionProvider: string;
  run(feeds: Feeds, fetches: readonly string[]): Promise<Outputs>;
  release(): Promise<void>;
}

export interface LoadedSession extends GraphRunner {
  session: OrtModule.InferenceSession;
  placement: Placement;
}

/**
 * Where a model runs: `provider` alone ("cpu"), or a GPU provider with ONNX Runtime's CPU provider taking the nodes
 * the GPU one cannot (ai.onnx.ml operators, float64 tensors…). `description` says which, for the API and logs.
 */
export interface Placement {
  provider: OrtProviderName;
  description: string;
}

/**
 * Creates a session on `provider` (the backend registry's choice). For a GPU provider, one profiled run on zeros
 * first says which nodes ONNX Runtime put where; a graph none of whose nodes would run on the GPU is loaded on the
 * CPU alone (a GPU provider then only adds copies). `decided` skips that probe when another thread already made it.
 */
export async function createSession(
  model: Uint8Array,
  provider: OrtProviderName = 'cpu',
  decided?: Placement,
  /**
   * Run on the calling thread without ONNX Runtime's deferral (see ort-direct.ts): for a thread that does nothing
   * but run graphs (the serving pool's). Elsewhere each run keeps its turn of the event loop, so a loop of runs (a
   * parity check, the compressor's timing) leaves room for the HTTP requests beside it.
   */
  inPlace = false,
): Promise<LoadedSession> {
  // Before ONNX Runtime sees the bytes (placement below loads them too): no graph may read a file beside it.
  assertSelfContained(model);
  const ort = await loadOrt();
  const placement = decided ?? (provider === 'cpu' ? { provider, description: 'cpu' } : await place(ort, model, provider));
  const options: OrtModule.InferenceSession.SessionOptions = {
    executionProviders: placement.provider === 'cpu' ? ['cpu'] : [placement.provider, 'cpu'],
    // One request is small; a pool of single-threaded sessions serves concurrent requests better.
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  };
  try {
    // On the CPU, the binding run in place (see ort-direct.ts); a GPU provider keeps ONNX Runtime's own path.
    const direct = inPlace && placement.provider === 'cpu' ? openDirect(ort, model, options) : null;
    const session = direct?.session ?? (await ort.InferenceSession.create(model, options));
    lastPlacement = placement.description;
    return {
      session,
      executionProvider: placement.description,
      placement,
      run: (feeds, fetches) =>
        direct === null ? runSession(ort, session, feeds, fetches) : runDirect(ort, direct, feeds, fetches),
      release: () => session.release(),
    };
  } catch (error) {
    throw new HearthError(
      'INTERNAL',
      `ONNX Runtime could not load the model on ${placement.provider}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
  }
}

const shapeOnlyOperators = new Set(['Reshape', 'Shape', 'Squeeze', 'Unsqueeze', 'Flatten', 'Identity']);

async function place(ort: Ort, model: Uint8Array, provider: OrtProviderName): Promise<Placement> {
  try {
    const { counts, operators } = await nodePlacement(ort, model, provider, zeroFeeds(ort, model));
    const onProvider = counts[provider] ?? 0;
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    // Nodes that only relabel a tensor's shape do no arithmetic: a GPU holding only those would just add copies.
    const computes = (operators[provider] ?? []).filter((op) => !shapeOnlyOperators.has(op));
    if (computes.length === 0) return { provider: 'cpu', description: `cpu (no operator of this graph computes on ${provider})` };
    return {
      provider,
      description:
        onProvider === total
          ? `${provider}: all ${total} nodes`
          : `${provider}: ${onProvider} of ${total} nodes (${computes.join(', ')}), the rest on cpu`,
    };
  } catch (error) {
    return {
      provider: 'cpu',
      description: `cpu (${provider} could not load this graph: ${error instanceof Error ? error.message.split('\n')[0]!.replace(/^\/\S+ /, '') : String(error)})`,
    };
  }
}

/** One row of zeros (empty strings, false) for every graph input: enough for ONNX Runtime to place and run it. */
function zeroFeeds(ort: Ort, model: Uint8Array): Record<string, InstanceType<Ort['Tensor']>> {
  const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
  for (const input of inspectOnnx(model).inputs) {
    const dims = input.dims.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    const n = dims.reduce((a, b) => a * b, 1);
    const type = input.elementType;
    if (type === 'string') feeds[input.name] = new ort.Tensor('string', new Array<string>(n).fill(''), dims);
    else if (type === 'float64') feeds[input.name] = new ort.Tensor('float64', new Float64Array(n), dims);
    else if (type === 'int64') feeds[input.name] = new ort.Tensor('int64', new BigInt64Array(n), dims);
    else if (type === 'int32') feeds[input.name] = new ort.Tensor('int32', new Int32Array(n), dims);
    else if (type === 'bool') feeds[input.name] = new ort.Tensor('bool', new Uint8Array(n), dims);
    else if (type === 'uint8') feeds[input.name] = new ort.Tensor('uint8', new Uint8Array(n), dims);
    else if (type === 'int8') feeds[input.name] = new ort.Tensor('int8', new Int8Array(n), dims);
    else if (type === 'float16') feeds[input.name] = new ort.Tensor('float16', new Uint16Array(n), dims);
    else feeds[input.name] = new ort.Tensor('float32', new Float32Array(n), dims);
  }
  return feeds;
}

async function runSession(
  ort: Ort,
  session: OrtModule.InferenceSession,
  feeds: Feeds,
  fetches: readonly string[],
): Promise<Outputs> {
  return outputsOf(await session.run(tensorsOf(ort, feeds), [...fetches]));
}

function runDirect(ort: Ort, direct: DirectSession, feeds: Feeds, fetches: readonly string[]): Promise<Outputs> {
  try {
    return Promise.resolve(outputsOf(direct.runNow(tensorsOf(ort, feeds), fetches)));
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/** Plain tensor data (TensorData) as ONNX Runtime's tensors. */
function tensorsOf(ort: Ort, feeds: Feeds): Record<string, OrtModule.Tensor> {
  const tensors: Record<string, OrtModule.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) tensors[name] = new ort.Tensor(t.type, t.data, t.dims);
  return tensors;
}

function outputsOf(out: Record<string, OrtModule.Tensor>): Outputs {
  const outputs: Outputs = {};
  for (const name in out) {
    const t = out[name]!;
    outputs[name] = { type: t.type as TensorData['type'], data: t.data as TensorData['data'], dims: [...t.dims] };
  }
  return outputs;
}

export function activeExecutionProvider(): string | null {
  return lastPlacement ?? null;
}
