import { workerData } from 'node:worker_threads';
import { probeWebGpu } from '../../main/accel/webgpu.js';
import {
  copyGradients,
  decodeHistogram,
  histogramShader,
  isIdentity,
  shiftFor,
  workgroupSize,
  wordsPerFeature,
} from './gpu-kernel.js';
import { GpuControl, GpuTiming, type GpuHelperData } from './gpu-histograms.js';

/**
 * The GPU histogram thread: owns the WebGPU device, holds the training's bins on it for the whole fit, and builds
 * the histograms the tree builder asks for (gpu-histograms.ts). It is a thread of its own because WebGPU answers
 * through promises, which need an event loop, while the tree builder's loop is synchronous and waits on Atomics.
 *
 * Dawn's Node binding crashes the process when handed a view of a SharedArrayBuffer (seen with the `webgpu`
 * package on Node 20), so everything that goes up is first copied into this thread's own staging memory.
 */
const data = workerData as GpuHelperData;
const { control, message, result, timing, n, F, rows, gradHess } = data;
const words = Math.ceil(F / 4);

function report(error: unknown): void {
  const text = new TextEncoder().encode(error instanceof Error ? error.message : String(error));
  const length = Math.min(text.length, message.length);
  message.set(text.subarray(0, length));
  Atomics.store(control, GpuControl.MessageLength, length);
}

interface Gpu {
  device: GPUDevice;
  pipeline: GPUComputePipeline;
  bind: GPUBindGroup;
  rowsBuffer: GPUBuffer;
  gradBuffer: GPUBuffer;
  histBuffer: GPUBuffer;
  readBuffer: GPUBuffer;
  paramsBuffer: GPUBuffer;
}

const aligned = (bytes: number): number => Math.max(16, Math.ceil(bytes / 16) * 16);

/** A refusal the data causes (too large for the adapter, gradients not finite), not a failure of the GPU. */
class GpuRefusal extends Error {}

/** Pops the two error scopes pushed before a step (validation inside out-of-memory) and throws the first error. */
async function checkScopes(device: GPUDevice, step: string): Promise<void> {
  const validation = await device.popErrorScope();
  const memory = await device.popErrorScope();
  const error = validation ?? memory;
  if (error !== null) throw new Error(`${step}: ${error.message.split('\n')[0]}`);
}

async function setUp(): Promise<Gpu> {
  const probe = await probeWebGpu();
  if (!probe.ok) throw new Error(probe.reason);
  const { adapter, info } = probe;
  const binBytes = n * words * 4;
  const histBytes = words * 4 * wordsPerFeature * 4;
  const limits = adapter.limits;
  // Every buffer is made a multiple of 16 bytes, and the device is asked for exactly the limits it needs: Dawn grants
  // what is asked, so a limit of the unrounded size would refuse its own buffer.
  const largest = aligned(Math.max(binBytes, n * 8, data.rowCapacity * 4, histBytes));
  if (largest > limits.maxStorageBufferBindingSize || largest > limits.maxBufferSize)
    throw new GpuRefusal(
      `${n} rows × ${F} features need a ${largest}-byte GPU buffer; the adapter binds at most ${limits.maxStorageBufferBindingSize}`,
    );
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: Math.max(largest, 134_217_728),
      maxBufferSize: Math.max(largest, 268_435_456),
    },
  });
  // Dawn reports a refused call (a validation error, memory it could not get) only to an error scope or the console;
  // unchecked, the pass reads back zeros. Setting up and every pass are checked.
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const binsBuffer = device.createBuffer({ size: aligned(binBytes), usage });
  // The bins as u32 words, four features a word, a slab of rows at a time through a staging copy.
  const slabRows = Math.max(1, Math.floor((4 << 20) / (words * 4)));
  const staging = new Uint8Array(slabRows * words * 4);
  for (let from = 0; from < n; from += slabRows) {
    const count = Math.min(slabRows, n - from);
    if (F % 4 === 0) staging.set(data.bins.subarray(from * F, (from + count) * F));
    else {
      staging.fill(0);
      for (let i = 0; i < count; i++) staging.set(data.bins.subarray((from + i) * F, (from + i + 1) * F), i * words * 4);
    }
    device.queue.writeBuffer(binsBuffer, from * words * 4, staging, 0, count * words * 4);
  }
  const rowsBuffer = device.createBuffer({ size: aligned(data.rowCapacity * 4), usage });
  const gradBuffer = device.createBuffer({ size: aligned(n * 8), usage });
  const histBuffer = device.createBuffer({ size: histBytes, usage: usage | GPUBufferUsage.COPY_SRC });
  const readBuffer = device.createBuffer({ size: histBytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const paramsBuffer = device.createBuffer({ size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  const module = device.createShaderModule({ code: histogramShader });
  const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const bind = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [binsBuffer, rowsBuffer, gradBuffer, histBuffer, paramsBuffer].map((buffer, binding) => ({
      binding,
      resource: { buffer },
    })),
  });
  const adapterName = new TextEncoder().encode(`${info.software ? 'software:' : ''}${info.device}`);
  message.set(adapterName.subarray(0, Math.min(adapterName.length, message.length)));
  Atomics.store(control, GpuControl.MessageLength, Math.min(adapterName.length, message.length));
  await checkScopes(device, 'setting up the GPU');
  return { device, pipeline, bind, rowsBuffer, gradBuffer, histBuffer, readBuffer, paramsBuffer };
}

let rowStaging = new Int32Array(0);
let gradStaging = new Float32Array(0);
let gradShift = 0;
let hessShift = 0;

async function histogram(gpu: Gpu, start: number, end: number, newTree: boolean): Promise<void> {
  const { device } = gpu;
  let t = performance.now();
  const lap = (slot: number): void => {
    const now = performance.now();
    timing[slot]! += now - t;
    t = now;
  };
  if (newTree) {
    // This tree's gradients: the fixed-point scales from their largest magnitudes (a bound for any node's sums).
    if (gradStaging.length !== 2 * n) gradStaging = new Float32Array(2 * n);
    const { grad, hess } = copyGradients(gradHess, gradStaging, n);
    if (!Number.isFinite(grad) || !Number.isFinite(hess))
      throw new GpuRefusal('a gradient or hessian is not finite (a target or weight beyond float32, or a loss that diverged)');
    gradShift = shiftFor(grad, data.rowCapacity);
    hessShift = shiftFor(hess, data.rowCapacity);
  }
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  if (newTree) {
    device.queue.writeBuffer(gpu.gradBuffer, 0, gradStaging);
    lap(GpuTiming.Gradients);
  }
  const count = end - start;
  // A boosting tree's root (no subsampling) is every row in order: the shader indexes the rows itself.
  const identity = start === 0 && count === n && isIdentity(rows, count);
  if (!identity && count > 0) {
    if (rowStaging.length < count) rowStaging = new Int32Array(Math.max(count, Math.min(data.rowCapacity, 2 * count)));
    rowStaging.set(rows.subarray(start, end));
    device.queue.writeBuffer(gpu.rowsBuffer, 0, rowStaging, 0, count);
  }
  lap(GpuTiming.Rows);
  // Workgroups along the rows: at least 4,096 rows each (sixteen a thread), so that adding a workgroup's 16 KiB into
  // the global histogram stays a small part of its work, and about a thousand in all, enough to fill a GPU of a
  // hundred-odd multiprocessors several times over.
  const groups = Math.max(1, Math.min(Math.ceil(count / (16 * workgroupSize)), Math.floor(1024 / words)));
  const rowsPerGroup = Math.max(1, Math.ceil(count / groups));
  const params = new Int32Array([count, words, rowsPerGroup, gradShift, hessShift, identity ? 1 : 0, 0, 0]);
  device.queue.writeBuffer(gpu.paramsBuffer, 0, params);
  const encoder = device.createCommandEncoder();
  encoder.clearBuffer(gpu.histBuffer);
  if (count > 0) {
    const pass = encoder.beginComputePass();
    pass.setPipeline(gpu.pipeline);
    pass.setBindGroup(0, gpu.bind);
    pass.dispatchWorkgroups(words, Math.ceil(count / rowsPerGroup));
    pass.end();
  }
  encoder.copyBufferToBuffer(gpu.histBuffer, 0, gpu.readBuffer, 0, gpu.histBuffer.size);
  device.queue.submit([encoder.finish()]);
  // Both settled before either is acted on: the scopes' answer costs no second round trip, and no map is left in
  // flight (destroying a device with one pending aborts the process).
  const [mapped, checked] = await Promise.allSettled([
    gpu.readBuffer.mapAsync(GPUMapMode.READ),
    checkScopes(device, 'a histogram pass'),
  ]);
  if (checked.status === 'rejected') {
    if (mapped.status === 'fulfilled') gpu.readBuffer.unmap();
    throw checked.reason;
  }
  if (mapped.status === 'rejected') throw mapped.reason;
  lap(GpuTiming.Device);
  decodeHistogram(new Uint32Array(gpu.readBuffer.getMappedRange()), F, gradShift, hessShift, result);
  gpu.readBuffer.unmap();
  lap(GpuTiming.Decode);
}

/** Atomics.waitAsync (Node 16+, V8's), which this project's ES2022 lib carries no type for. */
type WaitAsync = { async: false } | { async: true; value: Promise<string> };
const waitAsync = (array: Int32Array, index: number, value: number): WaitAsync =>
  (Atomics as unknown as { waitAsync(array: Int32Array, index: number, value: number): WaitAsync }).waitAsync(
    array,
    index,
    value,
  );

async function serve(): Promise<void> {
  let gpu: Gpu;
  try {
    gpu = await setUp();
  } catch (error) {
    report(error);
    Atomics.store(control, GpuControl.Ready, -1);
    Atomics.notify(control, GpuControl.Ready);
    return;
  }
  const health: { lost: Error | null } = { lost: null };
  void gpu.device.lost.then((info) => {
    health.lost = new Error(`the GPU device was lost: ${info.message}`);
  });
  Atomics.store(control, GpuControl.Ready, 1);
  Atomics.notify(control, GpuControl.Ready);
  // Atomics.waitAsync holds no handle on the event loop: with nothing else pending, the thread would end while it
  // waits for the next node. This timer keeps it until the builder says stop.
  const alive = setInterval(() => undefined, 1 << 30);
  let seen = 0;
  for (;;) {
    const wait = waitAsync(control, GpuControl.SeqIn, seen);
    if (wait.async) await wait.value;
    const seq = Atomics.load(control, GpuControl.SeqIn);
    if (seq < 0) break;
    if (seq === seen) continue;
    seen = seq;
    let failed = 0;
    try {
      if (health.lost !== null) throw health.lost;
      await histogram(
        gpu,
        Atomics.load(control, GpuControl.Start),
        Atomics.load(control, GpuControl.End),
        Atomics.load(control, GpuControl.NewTree) === 1,
      );
    } catch (error) {
      report(error);
      failed = error instanceof GpuRefusal ? 2 : 1;
    }
    Atomics.store(control, GpuControl.Failed, failed);
    Atomics.store(control, GpuControl.SeqDone, seq);
    Atomics.notify(control, GpuControl.SeqDone);
  }
  clearInterval(alive);
  gpu.device.destroy();
}

try {
  await serve();
} finally {
  Atomics.store(control, GpuControl.Stopped, 1);
  Atomics.notify(control, GpuControl.Stopped);
}
