import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../main/accel/worker-thread.js';
import {
  accumulateHistogram,
  histogramSize,
  partitionRows,
  type KernelName,
  type TrainingArrays,
  type WasmMemory,
  type WasmModule,
} from './kernel.js';

import { addLeafValues, gradientsAndLoss, lossFromProducts } from './gradients.js';
import { GpuHistograms, type GpuReport } from './gpu-histograms.js';
import { waitUntil } from './handoff.js';

export { histStride, histogramSize } from './kernel.js';

/**
 * What the threads need to make a single-output model's gradients (gradientsAndLoss) between trees: the margins,
 * targets and weights, in shared memory.
 */
export interface GradientData {
  task: 'binary' | 'regression';
  margins: Float64Array;
  targets: Int32Array | Float64Array;
  weights: Float64Array | null;
  huberDelta: number | null;
}

/** The most leaves a tree may have (the contract's maxLeaves bound): the size of the shared leaf table. */
const maxLeafCount = 4096;

/**
 * A helper's control block: [0] sequence in, [1] sequence done, [2] start, [3] end, [4] what to do (a Work), [5] the
 * feature a partition splits on, [6] what a partition sent left (the helper's answer).
 */
const controlInts = 7;
const enum Work {
  Histogram = 0,
  Gradients = 1,
  Leaves = 2,
  Partition = 3,
}

/** Below this many rows one thread is faster than waking the helpers. */
const parallelThreshold = 16_384;

/** What a helper thread is given: its control block, and the arrays (or the wasm memory) it reads. */
export type HelperData = {
  control: Int32Array;
  /**
   * With gradient data: the gradients' pass too, its loss sum written to `loss`, and adding a grown tree's leaf values
   * to the margins (the leaf table in `leaves`, see addLeafValues).
   */
  gradients: (GradientData & { loss: Float64Array; leaves: Float64Array }) | null;
  F: number;
  rows: Int32Array;
  gradHess: Float32Array;
  bins: Uint8Array;
} & (
  | { kind: 'typescript'; hist: Float64Array }
  | {
      kind: 'wasm';
      module: WasmModule;
      memory: WasmMemory;
      at: {
        bins: number;
        rows: number;
        gradHess: number;
        hist: number;
        gather: number;
        /** For a share of a large node's partition: the column-major bins (n a feature), go-left table, scratch. */
        columns: number;
        n: number;
        toLeft: number;
        scratch: number;
        /** A binary model's gradient arrays in the memory, and this helper's loss parts (binaryGradients). */
        binary: { margins: number; targets: number; weights: number; losses: number } | null;
      };
    }
);

/**
 * Builds histograms across threads over shared memory: the calling thread and `helpers` workers each take a slice
 * of the node's rows into their own histogram, then the caller sums them (its own first, then each helper's in
 * turn: the same order for both kernels, so the same sums). Synchronisation is by Atomics on a small control block
 * per helper (sequence number in, sequence number out), so the tree builder's loop stays synchronous.
 */
export class HistogramPool {
  private readonly helpers: { worker: Worker; control: Int32Array; hist: Float64Array | null; loss: Float64Array }[] = [];
  private seq = 0;
  /** The caller's histogram in wasm memory, as float64s. */
  private readonly ownHist: Float64Array | null;
  private readonly toLeft: Uint8Array | null;
  /** Node histograms a finished tree gave back, for the next tree's nodes (tree.ts). */
  readonly spareHistograms: Float64Array[] = [];
  /** The leaf table addLeafValues hands the helpers: [count, start, end, value per leaf]. */
  private readonly leaves: Float64Array | null;
  /** Large nodes' histograms on a GPU (gpu-histograms.ts), when asked for; null on the CPU. */
  private readonly gpu: GpuHistograms | null;
  /** How many rows each thread's share of a parallel partition sent left (the caller's first). */
  private readonly shareLefts: Int32Array;
  /** The wasm memory as float64s (the loss parts binaryGradients leaves), or null for TypeScript. */
  private readonly memory: Float64Array | null;

  constructor(
    private readonly data: TrainingArrays,
    helperCount: number,
    /** For gradientsAndLoss: the arrays it reads, shared with the helpers. */
    private readonly gradients: GradientData | null = null,
    /** Send nodes of at least this many rows to the GPU (HEARTH_GBDT_DEVICE=webgpu); null: the CPU builds all. */
    gpuMinRows: number | null = null,
  ) {
    // A table with no node that large never starts the GPU thread.
    this.gpu = gpuMinRows !== null && data.rows.length >= gpuMinRows ? new GpuHistograms(data, gpuMinRows) : null;
    const { F, wasm } = data;
    const length = histogramSize(F);
    const hists = wasm?.layout.hists ?? [];
    // No node of a table under the threshold is ever built in parallel: its helpers would only cost their start-up
    // (tens of milliseconds a thread, more than a whole fit of a search's small folds).
    const wanted = data.rows.length < parallelThreshold ? 0 : helperCount;
    const helpers = wasm === null ? wanted : Math.min(wanted, hists.length - 1);
    this.ownHist = wasm === null ? null : new Float64Array(wasm.memory.buffer, hists[0], length);
    this.toLeft = wasm === null ? null : new Uint8Array(wasm.memory.buffer, wasm.layout.toLeft, 256);
    this.leaves = gradients === null ? null : new Float64Array(new SharedArrayBuffer(8 * (1 + 3 * maxLeafCount)));
    this.shareLefts = new Int32Array(helpers + 1);
    // The wasm gradient pass reads the margins the booster updates: they must be the ones in the kernel's memory.
    if (gradients !== null && data.binary !== null && gradients.margins !== data.binary.margins)
      throw new Error('a binary model with wasm gradient space must keep its margins there');
    this.memory = wasm === null ? null : new Float64Array(wasm.memory.buffer);
    for (let i = 0; i < helpers; i++) {
      const control = new Int32Array(new SharedArrayBuffer(4 * controlInts));
      const loss = new Float64Array(new SharedArrayBuffer(8));
      const common = {
        control,
        gradients: gradients === null ? null : { ...gradients, loss, leaves: this.leaves! },
        F,
        rows: data.rows,
        gradHess: data.gradHess,
        bins: data.bins,
      };
      let workerData: HelperData;
      let hist: Float64Array | null = null;
      if (wasm === null) {
        hist = new Float64Array(new SharedArrayBuffer(length * 8));
        workerData = { ...common, kind: 'typescript', hist };
      } else {
        const { layout } = wasm;
        const at = {
          bins: layout.bins,
          rows: layout.rows,
          gradHess: layout.gradHess,
          hist: hists[i + 1]!,
          gather: layout.gathers[i + 1]!,
          columns: layout.columns,
          n: data.n,
          toLeft: layout.toLeft,
          scratch: layout.scratch,
          binary: layout.binary === null ? null : { ...layout.binary, losses: layout.binary.losses[i + 1]! },
        };
        workerData = { ...common, kind: 'wasm', module: wasm.module, memory: wasm.memory, at };
      }
      const worker = startWorker(new URL('./histogram-helper.js', import.meta.url), { workerData });
      worker.unref();
      this.helpers.push({ worker, control, hist, loss });
    }
  }

  get threads(): number {
    return this.helpers.length + 1;
  }

  get kernel(): KernelName {
    return this.data.kernel;
  }

  /** What the fit reports of its histograms' device: null when every histogram was the CPU's. */
  get gpuReport(): GpuReport | null {
    return this.gpu?.report() ?? null;
  }

  /** A tree begins: its gradients are new (the GPU thread uploads them with the next node it is sent). */
  beginTree(): void {
    this.gpu?.beginTree();
  }

  build(start: number, end: number, out: Float64Array): void {
    const n = end - start;
    if (this.gpu?.takes(n) === true) return this.gpu.build(start, end, out);
    const { bins, F, rows, gradHess, wasm } = this.data;
    const parallel = this.helpers.length > 0 && n >= parallelThreshold;
    const parts = this.helpers.length + 1;
    const chunk = parallel ? Math.ceil(n / parts) : n;
    const seq = parallel ? this.handOut(Work.Histogram, start, end, chunk) : 0;
    const own = Math.min(start + chunk, end);
    if (wasm === null) {
      out.fill(0);
      accumulateHistogram(bins, F, rows, start, own, gradHess, out);
    } else {
      const { layout, exports } = wasm;
      exports.histogram(layout.bins, F, layout.rows, start, own, layout.gradHess, layout.hists[0]!, layout.gathers[0]!);
    }
    if (parallel)
      this.helpers.forEach((h, i) => {
        waitUntil(h.control, 1, seq);
        if (wasm !== null) wasm.exports.addInto(wasm.layout.hists[0]!, wasm.layout.hists[i + 1]!, out.length);
        else {
          const hist = h.hist!;
          for (let k = 0; k < out.length; k++) out[k]! += hist[k]!;
        }
      });
    if (this.ownHist !== null) out.set(this.ownHist);
  }

  /**
   * gradientsAndLoss over rows [0, n), split across the threads as a histogram is: each writes its rows' gradients,
   * and the loss sums are added in thread order (the same order whatever the timing, so the same loss).
   */
  gradientsAndLoss(n: number): number {
    const g = this.gradients;
    if (g === null) throw new Error('this pool was made without gradient data');
    const { gradHess, wasm } = this.data;
    const binary = g.task === 'binary' ? (wasm?.layout.binary ?? null) : null;
    // This thread's rows: the wasm kernel's pass for a binary model with its arrays in the memory, else TypeScript's.
    const own = (end: number): number => {
      if (binary === null) return gradientsAndLoss(g.task, g.margins, g.targets, g.weights, g.huberDelta, gradHess, 0, end);
      const { margins, targets, weights, losses } = binary;
      const count = wasm!.exports.binaryGradients(margins, targets, weights, wasm!.layout.gradHess, 0, end, losses[0]!);
      return lossFromProducts(this.memory!, losses[0]! / 8, count);
    };
    const parallel = this.helpers.length > 0 && n >= parallelThreshold;
    if (!parallel) return own(n);
    const chunk = Math.ceil(n / (this.helpers.length + 1));
    const seq = this.handOut(Work.Gradients, 0, n, chunk);
    let loss = own(Math.min(chunk, n));
    for (const h of this.helpers) {
      waitUntil(h.control, 1, seq);
      loss += h.loss[0]!;
    }
    return loss;
  }

  /**
   * Adds a grown tree's leaf values to a single-output model's margins, every row having taken part (each leaf is its
   * slice [start, end) of the row array): the row array split across the threads as a histogram's rows are.
   */
  addLeafValues(leaves: readonly { node: number; start: number; end: number }[], values: readonly number[], n: number): void {
    const g = this.gradients;
    const table = this.leaves;
    if (g === null || table === null) throw new Error('this pool was made without gradient data');
    if (leaves.length > maxLeafCount) throw new Error(`a tree of ${leaves.length} leaves; at most ${maxLeafCount}`);
    table[0] = leaves.length;
    leaves.forEach((leaf, l) => {
      table[1 + 3 * l] = leaf.start;
      table[2 + 3 * l] = leaf.end;
      table[3 + 3 * l] = values[leaf.node]!;
    });
    const { rows } = this.data;
    const parallel = this.helpers.length > 0 && n >= parallelThreshold;
    if (!parallel) return addLeafValues(g.margins, rows, table, 0, n);
    const chunk = Math.ceil(n / (this.helpers.length + 1));
    const seq = this.handOut(Work.Leaves, 0, n, chunk);
    addLeafValues(g.margins, rows, table, 0, Math.min(chunk, n));
    for (const h of this.helpers) waitUntil(h.control, 1, seq);
  }

  /**
   * Gives helper i the rows [start + chunk·(i+1), start + chunk·(i+2)) ∩ [start, end) for `work` (the caller keeps the
   * first chunk) and wakes it: the range and the work are stored before the sequence number the helper waits on.
   */
  private handOut(work: Work, start: number, end: number, chunk: number, feature = 0): number {
    const seq = ++this.seq;
    this.helpers.forEach((h, i) => {
      const s = start + chunk * (i + 1);
      Atomics.store(h.control, 2, Math.min(s, end));
      Atomics.store(h.control, 3, Math.min(s + chunk, end));
      Atomics.store(h.control, 4, work);
      Atomics.store(h.control, 5, feature);
      Atomics.store(h.control, 0, seq);
      Atomics.notify(h.control, 0);
    });
    return seq;
  }

  /** Partitions rows[start, end) by feature f's go-left table (256 entries, missing included); returns the split. */
  partition(f: number, start: number, end: number, toLeft: Uint8Array): number {
    const { columns, rows, n, scratch, wasm } = this.data;
    if (wasm === null) return partitionRows(columns.subarray(f * n, (f + 1) * n), rows, start, end, toLeft, scratch);
    this.toLeft!.set(toLeft);
    const { layout, exports } = wasm;
    const column = layout.columns + f * n;
    const count = end - start;
    if (this.helpers.length === 0 || count < parallelThreshold)
      return exports.partition(column, layout.rows, start, end, layout.toLeft, layout.scratch);
    // A large node's rows split across the threads as a histogram's are: each partitions its share, lefts in place and
    // rights to the scratch at the share's own offset; then the shares' lefts are closed up in thread order and their
    // rights follow, in thread order: the single-thread partition's rows exactly, so the same trees.
    // (The copies are wasm's memory.copy: TypedArray copyWithin and set over shared memory copied element by element,
    // and took a third of what the second thread saved.)
    const chunk = Math.ceil(count / (this.helpers.length + 1));
    const seq = this.handOut(Work.Partition, start, end, chunk, f);
    const own = Math.min(start + chunk, end);
    const lefts = this.shareLefts;
    lefts[0] = exports.partitionSide(column, layout.rows, start, own, layout.toLeft, layout.scratch + start * 4);
    this.helpers.forEach((h, i) => {
      waitUntil(h.control, 1, seq);
      lefts[i + 1] = Atomics.load(h.control, 6);
    });
    const parts = this.helpers.length + 1;
    let at = start + lefts[0];
    for (let i = 1; i < parts; i++) {
      exports.moveInts(layout.rows + at * 4, layout.rows + Math.min(start + chunk * i, end) * 4, lefts[i]!);
      at += lefts[i]!;
    }
    const mid = at;
    for (let i = 0; i < parts; i++) {
      const from = Math.min(start + chunk * i, end);
      const rights = Math.min(from + chunk, end) - from - lefts[i]!;
      exports.moveInts(layout.rows + at * 4, layout.scratch + from * 4, rights);
      at += rights;
    }
    return mid;
  }

  close(): void {
    this.gpu?.close();
    for (const h of this.helpers) {
      Atomics.store(h.control, 0, -1);
      Atomics.notify(h.control, 0);
      void h.worker.terminate();
    }
  }
}
