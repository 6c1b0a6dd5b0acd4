import { HearthError } from '../../main/contracts/errors.js';
import { startWorker } from '../../main/accel/worker-thread.js';
import { histogramSize, type TrainingArrays } from './kernel.js';

/**
 * GBDT histograms on a GPU through WebGPU: the tree builder's large nodes go to a thread that owns the device
 * (gpu-helper.ts), the small ones stay on the CPU kernel, where a GPU round trip would cost more than the pass.
 *
 * Chosen with HEARTH_GBDT_DEVICE=webgpu (default cpu): GPU sums are fixed-point, exact whatever the order, and differ
 * from the CPU kernels' float64 sums in their last bits (gpu-kernel.ts), so a GPU fit is the same model only where no
 * two splits tie that closely; it is never switched on behind the user's back. A device asked for and not found is
 * refused, not replaced by the CPU. HEARTH_GBDT_GPU_MIN_ROWS sets the smallest node sent to the GPU.
 */
export type HistogramDevice = 'cpu' | 'webgpu';
export const deviceEnv = 'HEARTH_GBDT_DEVICE';
export const gpuMinRowsEnv = 'HEARTH_GBDT_GPU_MIN_ROWS';
/**
 * Below this many rows the CPU builds a node's histogram: a GPU round trip (upload the rows, dispatch, read back
 * 4 KiB a feature) costs a few hundred microseconds, in which two CPU threads add up some fifty thousand rows.
 */
export const defaultGpuMinRows = 65_536;

export function histogramDevice(value: string | undefined = process.env[deviceEnv]): HistogramDevice {
  if (value === undefined || value === '' || value === 'cpu') return 'cpu';
  if (value === 'webgpu' || value === 'gpu') return 'webgpu';
  throw new HearthError('INVALID_INPUT', `${deviceEnv} must be cpu or webgpu, not ${JSON.stringify(value)}`);
}

export function gpuMinRows(value: string | undefined = process.env[gpuMinRowsEnv]): number {
  if (value === undefined || value === '') return defaultGpuMinRows;
  const rows = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(rows))
    throw new HearthError('INVALID_INPUT', `${gpuMinRowsEnv} must be a whole number of rows, not ${JSON.stringify(value)}`);
  return rows;
}

/** Slots of the control block the tree builder and the GPU thread share. */
export const enum GpuControl {
  /** Request sequence (the builder's), -1 to stop. */
  SeqIn = 0,
  /** The last request done (the GPU thread's). */
  SeqDone = 1,
  Start = 2,
  End = 3,
  /** 1 when the gradients changed since the last request (a new tree). */
  NewTree = 4,
  /** 0 while the GPU thread starts, 1 once ready, -1 if it could not start (the message says why). */
  Ready = 5,
  /** 1 when the last request failed, 2 when the data was refused (the message says why). */
  Failed = 6,
  MessageLength = 7,
  /** 1 once the GPU thread has let its device go and is ending. */
  Stopped = 8,
}
const controlSlots = 9;

/** Milliseconds the GPU thread spent, summed over the fit, per part of a request (GpuHelperData.timing). */
export const enum GpuTiming {
  /** Copying a tree's gradients out of shared memory, finding their scale, handing them to the device. */
  Gradients = 0,
  /** Copying a node's row list and handing it to the device. */
  Rows = 1,
  /** From submitting the pass to the histogram mapped for reading: the device's work and the round trip. */
  Device = 2,
  /** Fixed point to float64. */
  Decode = 3,
}

export interface GpuHelperData {
  control: Int32Array;
  /** UTF-8: the adapter's name once ready, else why it failed. */
  message: Uint8Array;
  /** The finished histogram, in the CPU kernels' layout. */
  result: Float64Array;
  /** Milliseconds per GpuTiming slot, summed. */
  timing: Float64Array;
  n: number;
  F: number;
  rowCapacity: number;
  bins: Uint8Array;
  rows: Int32Array;
  gradHess: Float32Array;
}

/** What a fit reports about its histograms' device. */
export interface GpuReport {
  device: 'webgpu';
  /** The adapter's name; "software:" in front for a CPU rasteriser (lavapipe), which only a test would pin. */
  adapter: string;
  /** Node histograms built on the GPU, and on the CPU (nodes under the threshold). */
  gpuNodes: number;
  cpuNodes: number;
  minRows: number;
  /**
   * Milliseconds over the fit: `wait`, the tree builder's from asking for a GPU histogram to having it; the GPU
   * thread's share of that per part (GpuTiming); the rest of `wait` is waking the threads.
   */
  ms: { wait: number; gradients: number; rows: number; device: number; decode: number };
}

/** How long a histogram may take before the GPU is taken to be hung (a driver reset, a lost device). */
const requestTimeoutMs = 120_000;

export class GpuHistograms {
  private readonly data: GpuHelperData;
  private seq = 0;
  private ready = false;
  private newTree = true;
  private adapter = '';
  gpuNodes = 0;
  cpuNodes = 0;
  private waitMs = 0;

  constructor(
    arrays: TrainingArrays,
    readonly minRows: number,
  ) {
    const { n, F, rows, gradHess } = arrays;
    this.data = {
      control: new Int32Array(new SharedArrayBuffer(4 * controlSlots)),
      message: new Uint8Array(new SharedArrayBuffer(1024)),
      result: new Float64Array(new SharedArrayBuffer(histogramSize(F) * 8)),
      timing: new Float64Array(new SharedArrayBuffer(4 * 8)),
      n,
      F,
      rowCapacity: rows.length,
      bins: arrays.bins,
      rows,
      gradHess,
    };
    const worker = startWorker(new URL('./gpu-helper.js', import.meta.url), { workerData: this.data });
    worker.unref();
    // A thread that dies (an error it did not catch) sets Stopped as it goes, and the builder stops waiting on it;
    // its error event, delivered once the builder's loop is free again, must not end the training thread too.
    worker.on('error', () => undefined);
  }

  /** Whether a node of this many rows goes to the GPU. */
  takes(rows: number): boolean {
    const taken = rows >= this.minRows;
    if (taken) this.gpuNodes++;
    else this.cpuNodes++;
    return taken;
  }

  /** The gradients changed (a new tree): the next request uploads them. */
  beginTree(): void {
    this.newTree = true;
  }

  build(start: number, end: number, out: Float64Array): void {
    this.waitReady();
    const { control } = this.data;
    const seq = ++this.seq;
    Atomics.store(control, GpuControl.Start, start);
    Atomics.store(control, GpuControl.End, end);
    Atomics.store(control, GpuControl.NewTree, this.newTree ? 1 : 0);
    Atomics.store(control, GpuControl.SeqIn, seq);
    Atomics.notify(control, GpuControl.SeqIn);
    const now = performance.now();
    this.waitMs -= now;
    const deadline = now + requestTimeoutMs;
    // A round trip takes a few hundred microseconds: spin through it (as the CPU helpers' handoff does) rather than
    // sleep and pay a futex wake-up on top, then sleep in slices.
    const spinUntil = now + 2;
    for (let done = Atomics.load(control, GpuControl.SeqDone); done !== seq; done = Atomics.load(control, GpuControl.SeqDone)) {
      if (performance.now() < spinUntil) continue;
      if (Atomics.load(control, GpuControl.Stopped) === 1)
        throw new HearthError('INTERNAL', 'the GPU histogram thread ended unexpectedly');
      if (performance.now() > deadline)
        throw new HearthError('INTERNAL', `the GPU histogram did not finish in ${requestTimeoutMs / 1000} s`);
      Atomics.wait(control, GpuControl.SeqDone, done, 1000);
    }
    const failed = Atomics.load(control, GpuControl.Failed);
    if (failed === 2) throw new HearthError('VALIDATION_FAILED', `${deviceEnv}=webgpu: ${this.message()}`);
    if (failed !== 0) throw new HearthError('INTERNAL', `the GPU histogram failed: ${this.message()}`);
    this.newTree = false;
    out.set(this.data.result);
    this.waitMs += performance.now();
  }

  report(): GpuReport {
    const [gradients, rows, device, decode] = Array.from(this.data.timing, (ms) => Math.round(ms));
    return {
      device: 'webgpu',
      adapter: this.adapter,
      gpuNodes: this.gpuNodes,
      cpuNodes: this.cpuNodes,
      minRows: this.minRows,
      ms: { wait: Math.round(this.waitMs), gradients: gradients!, rows: rows!, device: device!, decode: decode! },
    };
  }

  /** Blocks until the GPU thread holds the bins, or throws why it cannot (no adapter, data too large). */
  waitReady(): void {
    if (this.ready) return;
    const { control } = this.data;
    const deadline = performance.now() + requestTimeoutMs;
    while (Atomics.load(control, GpuControl.Ready) === 0) {
      if (Atomics.load(control, GpuControl.Stopped) === 1)
        throw new HearthError('NOT_SUPPORTED', `${deviceEnv}=webgpu: the GPU thread ended before it was ready`);
      if (performance.now() > deadline) throw new HearthError('NOT_SUPPORTED', `${deviceEnv}=webgpu: the GPU did not start`);
      Atomics.wait(control, GpuControl.Ready, 0, 1000);
    }
    if (Atomics.load(control, GpuControl.Ready) !== 1)
      throw new HearthError('NOT_SUPPORTED', `${deviceEnv}=webgpu: ${this.message()}`);
    this.adapter = this.message();
    this.ready = true;
  }

  private message(): string {
    const length = Atomics.load(this.data.control, GpuControl.MessageLength);
    return new TextDecoder().decode(this.data.message.slice(0, length));
  }

  /**
   * Stops the GPU thread and waits (a few seconds at most) until it has let the device go. It is never terminated:
   * Dawn aborts the whole process when a thread holding it is torn down with a request in flight (seen with the
   * `webgpu` package: "Promise not resolved or rejected: mapAsync()"), and a server must outlive a cancelled fit.
   */
  close(): void {
    const { control } = this.data;
    Atomics.store(control, GpuControl.SeqIn, -1);
    Atomics.notify(control, GpuControl.SeqIn);
    const deadline = performance.now() + 10_000;
    while (Atomics.load(control, GpuControl.Stopped) === 0 && performance.now() < deadline)
      Atomics.wait(control, GpuControl.Stopped, 0, 100);
  }
}
