import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { backendsOf, type TfjsBackendName } from '../../main/contracts/api.js';
import type { BackendProbe } from '../../main/accel/backend-probe.js';
import { firstLine, installNavigatorGpu, probeWebGpu } from '../../main/accel/webgpu.js';
import { describeWebGpuAdapter } from '../../main/accel/webgpu-probe.js';

/**
 * TensorFlow.js back ends, in the order they are preferred. "tensorflow" is libtensorflow through tfjs-node (GPU
 * build or CPU build); "webgpu" is any GPU through Dawn (Vulkan, Metal, Direct3D 12), no vendor toolkit needed.
 */
export type BackendName = TfjsBackendName;
export const backendOrder: readonly BackendName[] = backendsOf.tfjs;

/** Back ends that run on a GPU: they want larger mini-batches, and their results are read back asynchronously. */
export const gpuBackends: ReadonlySet<BackendName> = new Set(['tensorflow-gpu', 'webgpu']);

export interface BackendCandidate {
  name: BackendName;
  /**
   * Registers the back end with tfjs-core and returns the name tfjs knows it by and the device it runs on; throws
   * when it cannot load. `pinned`: the user asked for this one by name, so a software GPU adapter is acceptable.
   */
  register(pinned: boolean): Promise<Registered>;
}

export interface Registered {
  tfName: string;
  device: string;
  software?: boolean;
}

export interface BackendChoice {
  name: BackendName;
  /** What it runs on: the GPU adapter, or the CPU and how. */
  device: string;
  /** wasm only: whether the SIMD build loaded (the plain build is several times slower). */
  simd: boolean | null;
  /** The back ends tried before this one and why each was not used. */
  skipped: { name: BackendName; reason: string }[];
}

/** A back end that loads but is not chosen unless pinned (a software GPU adapter): not a failure, a policy. */
export class NotPreferred extends Error {
  constructor(
    message: string,
    readonly device: string,
  ) {
    super(message);
  }
}

const require = createRequire(import.meta.url);

/**
 * The optional tfjs-node packages are imported by name at run time: they are optionalDependencies, absent wherever
 * libtensorflow could not be downloaded at install, and their absence is an ordinary outcome here, not an error.
 */
async function registerTensorflow(pkg: string, device: string): Promise<Registered> {
  try {
    await import(pkg);
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new Error(
      code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
        ? `${pkg} is not installed (its install downloads libtensorflow, which this box could not reach)`
        : `${pkg} did not load: ${firstLine(error)}`,
      { cause: error },
    );
  }
  if (tf.findBackend('tensorflow') === undefined && tf.findBackendFactory('tensorflow') === undefined) {
    throw new Error(`${pkg} loaded but registered no "tensorflow" back end`);
  }
  return { tfName: 'tensorflow', device };
}

async function registerWebGpu(pinned: boolean): Promise<Registered> {
  // Asked in a child first, so Dawn (and its driver chatter) loads here only when the adapter will be used.
  const described = await describeWebGpuAdapter();
  if (!described.ok) throw new Error(described.reason);
  if (described.info.software && !pinned) {
    throw new NotPreferred('software adapter: slower than the CPU back ends, so used only when pinned', described.info.device);
  }
  const probe = await probeWebGpu();
  if (!probe.ok) throw new Error(probe.reason);
  const device = probe.info.device;
  installNavigatorGpu(probe.gpu);
  await import('@tensorflow/tfjs-backend-webgpu');
  return { tfName: 'webgpu', device, software: probe.info.software };
}

async function registerWasm(): Promise<Registered> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // In Node the .wasm binaries are read from the package's own folder: nothing is fetched.
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  wasm.setWasmPaths(dist + path.sep);
  return { tfName: 'wasm', device: 'CPU (WebAssembly)' };
}

async function registerCpu(): Promise<Registered> {
  await import('@tensorflow/tfjs-backend-cpu');
  return { tfName: 'cpu', device: 'CPU (JavaScript)' };
}

export const defaultCandidates: readonly BackendCandidate[] = [
  { name: 'tensorflow-gpu', register: () => registerTensorflow('@tensorflow/tfjs-node-gpu', 'CUDA GPU (libtensorflow)') },
  { name: 'webgpu', register: registerWebGpu },
  { name: 'tensorflow', register: () => registerTensorflow('@tensorflow/tfjs-node', 'CPU (libtensorflow)') },
  { name: 'wasm', register: registerWasm },
  { name: 'cpu', register: registerCpu },
];

/** A small product every back end must get right before it is trusted with a fit. */
async function checkArithmetic(): Promise<void> {
  const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = tf.tensor2d([1, 0, -1, 2, 0.5, 0], [3, 2]);
  const product = tf.matMul(a, b);
  const got = await product.data();
  tf.dispose([a, b, product]);
  const want = [1 * 1 + 2 * -1 + 3 * 0.5, 1 * 0 + 2 * 2 + 0, 4 - 5 + 3, 0 + 10 + 0];
  if (want.some((w, i) => Math.abs(w - got[i]!) > 1e-5))
    throw new Error(`a 2×3 by 3×2 product came out wrong (${Array.from(got).join(', ')})`);
}

async function activate(candidate: BackendCandidate, pinned: boolean): Promise<BackendChoice & { software: boolean }> {
  const { tfName, device, software = false } = await candidate.register(pinned);
  if (!(await tf.setBackend(tfName))) throw new Error(`tfjs could not initialise the "${tfName}" back end`);
  await tf.ready();
  // tfjs' WebGPU back end falls back to cpu quietly when its initialisation fails: check what is actually active.
  if (tf.getBackend() !== tfName) throw new Error(`tfjs switched to "${tf.getBackend()}" instead of "${tfName}"`);
  await checkArithmetic();
  const simd = tfName === 'wasm' ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : null;
  return {
    name: candidate.name,
    device: tfName === 'wasm' ? `CPU (WebAssembly${simd === true ? ' SIMD' : ''})` : device,
    simd,
    skipped: [],
    software,
  };
}

/**
 * Walks the candidates in order and activates the first that registers, initialises and computes right. `only`
 * (a run's own `backend`, benchmarks, tests) allows that back end alone and fails if it cannot run; `preferred`
 * (the pin in the settings) is tried first, and when it cannot run the others follow in order, its reason kept in
 * `skipped`.
 */
export async function selectBackend(
  candidates: readonly BackendCandidate[] = defaultCandidates,
  only?: BackendName,
  preferred?: BackendName,
): Promise<BackendChoice> {
  // tfjs prints a "you should install tfjs-node" banner to the console on first use: not in a CLI's output.
  tf.env().set('PROD', true);
  const skipped: BackendChoice['skipped'] = [];
  const ordered =
    preferred === undefined
      ? candidates
      : [...candidates.filter((c) => c.name === preferred), ...candidates.filter((c) => c.name !== preferred)];
  for (const candidate of ordered) {
    if (only !== undefined && candidate.name !== only) continue;
    try {
      const { software: _software, ...choice } = await activate(candidate, only !== undefined || candidate.name === preferred);
      return { ...choice, skipped };
    } catch (error) {
      skipped.push({ name: candidate.name, reason: firstLine(error) });
    }
  }
  throw new Error(
    `no TensorFlow.js back end could load${only === undefined ? '' : ` (asked for ${only})`}: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`,
  );
}

/** Tries every candidate (each pinned, so a software adapter is exercised too) and says what each did. */
export async function probeBackends(candidates: readonly BackendCandidate[] = defaultCandidates): Promise<BackendProbe[]> {
  tf.env().set('PROD', true);
  const probes: BackendProbe[] = [];
  for (const candidate of candidates) {
    try {
      let preferred = true;
      let reason = 'loads and computes a known product correctly';
      try {
        await candidate.register(false);
      } catch (error) {
        if (!(error instanceof NotPreferred)) throw error;
        preferred = false;
        reason = `${error.message}; it loads and computes correctly`;
      }
      const choice = await activate(candidate, true);
      probes.push({ name: candidate.name, usable: true, preferred, reason, device: choice.device, software: choice.software });
    } catch (error) {
      probes.push({
        name: candidate.name,
        usable: false,
        preferred: false,
        reason: firstLine(error),
        device: null,
        software: false,
      });
    }
  }
  return probes;
}
