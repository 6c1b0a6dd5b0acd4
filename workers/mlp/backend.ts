import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

/** TensorFlow.js back ends, fastest first. "tensorflow" is libtensorflow through tfjs-node (GPU build or CPU build). */
export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export const backendOrder: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export interface BackendCandidate {
  name: BackendName;
  /** Registers the back end with tfjs-core and returns the name tfjs knows it by; throws when it cannot load. */
  register(): Promise<string>;
}

export interface BackendChoice {
  name: BackendName;
  /** wasm only: whether the SIMD build loaded (the plain build is several times slower). */
  simd: boolean | null;
  /** The back ends tried before this one and why each failed. */
  skipped: { name: BackendName; reason: string }[];
}

const require = createRequire(import.meta.url);

/**
 * The optional tfjs-node packages are imported by name at run time: they are optionalDependencies, absent wherever
 * libtensorflow could not be downloaded at install, and their absence is an ordinary outcome here, not an error.
 */
async function registerTensorflow(pkg: string): Promise<string> {
  await import(pkg);
  if (tf.findBackend('tensorflow') === undefined && tf.findBackendFactory('tensorflow') === undefined) {
    throw new Error(`${pkg} loaded but registered no "tensorflow" back end`);
  }
  return 'tensorflow';
}

async function registerWasm(): Promise<string> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // In Node the .wasm binaries are read from the package's own folder: nothing is fetched.
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  wasm.setWasmPaths(dist + path.sep);
  return 'wasm';
}

async function registerCpu(): Promise<string> {
  await import('@tensorflow/tfjs-backend-cpu');
  return 'cpu';
}

export const defaultCandidates: readonly BackendCandidate[] = [
  { name: 'tensorflow-gpu', register: () => registerTensorflow('@tensorflow/tfjs-node-gpu') },
  { name: 'tensorflow', register: () => registerTensorflow('@tensorflow/tfjs-node') },
  { name: 'wasm', register: registerWasm },
  { name: 'cpu', register: registerCpu },
];

/**
 * Walks the candidates in order and activates the first that registers and initialises; `only` pins one back end
 * (for benchmarks and for users who want a given one), still failing over to nothing else.
 */
export async function selectBackend(
  candidates: readonly BackendCandidate[] = defaultCandidates,
  only?: BackendName,
): Promise<BackendChoice> {
  // tfjs prints a "you should install tfjs-node" banner to the console on first use: not in a CLI's output.
  tf.env().set('PROD', true);
  const skipped: BackendChoice['skipped'] = [];
  for (const candidate of candidates) {
    if (only !== undefined && candidate.name !== only) continue;
    try {
      const tfName = await candidate.register();
      if (!(await tf.setBackend(tfName))) throw new Error(`tfjs could not initialise the "${tfName}" back end`);
      await tf.ready();
      const simd = tfName === 'wasm' ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : null;
      return { name: candidate.name, simd, skipped };
    } catch (error) {
      skipped.push({ name: candidate.name, reason: error instanceof Error ? error.message.split('\n')[0]! : String(error) });
    }
  }
  throw new Error(
    `no TensorFlow.js back end could load${only === undefined ? '' : ` (asked for ${only})`}: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`,
  );
}
