import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as OrtModule from 'onnxruntime-node';
import { HearthError } from '../contracts/errors.js';

type Ort = typeof OrtModule.default;

let ortPromise: Promise<Ort> | undefined;

/**
 * Loads onnxruntime-node on first use. Telemetry is switched off before the native library loads: a privacy
 * appliance must not write a telemetry queue under the user's home folder.
 */
export function loadOrt(): Promise<Ort> {
  process.env.ORT_DISABLE_TELEMETRY = '1';
  // onnxruntime-node is CommonJS: its namespace arrives as the default export under ESM.
  ortPromise ??= import('onnxruntime-node').then((m) => m.default);
  return ortPromise;
}

/** Execution providers tried in order; the first that creates a session is used and reported. */
function providerOrder(): string[] {
  if (process.env.HEARTH_ORT_PROVIDERS) return process.env.HEARTH_ORT_PROVIDERS.split(',');
  if (process.platform === 'win32') return ['dml', 'cpu'];
  if (process.platform === 'darwin') return ['coreml', 'cpu'];
  // The CUDA provider ships as a separate library that Hearth's install skips (it is fetched from NuGet); try it
  // only where it is present, so a CPU-only box does not log a load failure on every start.
  return cudaProviderPresent() ? ['cuda', 'cpu'] : ['cpu'];
}

function cudaProviderPresent(): boolean {
  try {
    const root = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    return existsSync(join(root, 'bin', 'napi-v6', 'linux', process.arch, 'libonnxruntime_providers_cuda.so'));
  } catch {
    return false;
  }
}

let workingProvider: string | undefined;

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
}

export async function createSession(model: Uint8Array): Promise<LoadedSession> {
  const ort = await loadOrt();
  const order = workingProvider === undefined ? providerOrder() : [workingProvider];
  const failures: string[] = [];
  for (const provider of order) {
    try {
      const session = await ort.InferenceSession.create(model, {
        executionProviders: [provider],
        // One request is small; a pool of single-threaded sessions serves concurrent requests better.
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
      workingProvider = provider;
      return {
        session,
        executionProvider: provider,
        run: (feeds, fetches) => runSession(ort, session, feeds, fetches),
        release: () => session.release(),
      };
    } catch (error) {
      failures.push(`${provider}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  }
  throw new HearthError('INTERNAL', `ONNX Runtime could not load the model (${failures.join('; ')})`);
}

async function runSession(
  ort: Ort,
  session: OrtModule.InferenceSession,
  feeds: Feeds,
  fetches: readonly string[],
): Promise<Outputs> {
  const tensors: Record<string, OrtModule.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) tensors[name] = new ort.Tensor(t.type, t.data, t.dims);
  const out = await session.run(tensors, [...fetches]);
  const outputs: Outputs = {};
  for (const [name, t] of Object.entries(out)) {
    outputs[name] = { type: t.type as TensorData['type'], data: t.data as TensorData['data'], dims: [...t.dims] };
  }
  return outputs;
}

export function activeExecutionProvider(): string | null {
  return workingProvider ?? null;
}
