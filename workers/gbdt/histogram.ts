import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../main/accel/worker-thread.js';
import {
  accumulateHistogram,
  histogramSize,
  maxLeafCount,
  partitionRows,
  type KernelName,
  type TrainingArrays,
  type WasmMemory,
  type WasmModule,
} from './kernel.js';

import { GpuHistograms, type GpuReport } from './gpu-histograms.js';
import { waitUntil } from './handoff.js';
import {
  searchable,
  setSplitShare,
  splitOfShare,
  splitSearch,
  splitShareBlocks,
  type GrowParams,
  type Split,
  type SplitShares,
} from './split-search.js';
import {
  closeClaims,
  firstClaim,
  gradientRows,
  leafValueRows,
  maxParts,
  runClaimedShares,
  runShare,
  shareLeft,
  taskInts,
  Work,
  type ShareResources,
} from './shares.js';

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

const helperUrl = new URL('./histogram-helper.js', import.meta.url);

/*
 * Helper threads started ahead of a fit, waiting for their data (histogram-helper.ts): a fresh helper took ~70 ms to
 * start and load its modules, from 45 ms into a fit on a fresh training worker, and the caller worked alone until
 * then. A training worker starts them as it starts, while the engine loads and splits the table. Each is parked with
 * a listener that drops it from the list if it fails; handed out, the listener goes, and the pool owns the thread.
 */
const spareHelpers: { worker: Worker; gone: () => void }[] = [];

/** Starts helpers until `count` wait (unreferenced: a parked helper never keeps its thread alive). */
export function prestartHelpers(count: number): void {
  while (spareHelpers.length < count) {
    const worker = startWorker(helperUrl);
    worker.unref();
    const gone = (): void => {
      const at = spareHelpers.findIndex((s) => s.worker === worker);
      if (at >= 0) spareHelpers.splice(at, 1);
      void worker.terminate();
    };
    worker.on('error', gone);
    worker.on('exit', gone);
    spareHelpers.push({ worker, gone });
  }
}

/** How many started helpers wait for a fit (for tests). */
export function spareHelperCount(): number {
  return spareHelpers.length;
}

/** A helper thread running on `workerData`: a parked one sent it, else a new one started with it. */
function helperWith(workerData: HelperData): Worker {
  const spare = spareHelpers.pop();
  if (spare === undefined) return startWorker(helperUrl, { workerData });
  spare.worker.off('error', spare.gone);
  spare.worker.off('exit', spare.gone);
  spare.worker.postMessage(workerData);
  return spare.worker;
}

/** Below this many rows one thread is faster than waking the helpers. */
const parallelThreshold = 16_384;

/**
 * Sibling split searches run on two threads when their features have at least this many bins between them (a
 * search of fewer is a few microseconds, the order of a hand-over).
 */
const parallelSearchBins = 512;

/**
 * ... and only in a fit expected to search at least this many sibling pairs. A helper's copy of the search starts
 * cold (a helper thread is new with each pool) and runs its first thousand or so searches at a third of the
 * caller's speed, while the caller waits on it: a fit of a few trees was slower on two threads than on one.
 */
const minParallelSearches = 2_000;

/** The most memory the shared histogram slots take (beyond it, a tree's further nodes get unshared histograms). */
const slabBytes = 16 * 1024 * 1024;

/** The split search's fixed inputs, for a pool whose threads search sibling nodes' splits. */
export interface SplitSetting {
  binCounts: readonly number[];
  categorical: readonly boolean[];
  /** The parameters every tree of the fit grows by (growTree searches in parallel only when given these). */
  params: GrowParams;
  /** Sibling searches the fit is expected to make (trees × outputs × (maxLeaves − 1)). */
  searches: number;
}

/** One of two sibling nodes to search (split-search.ts's findSplit's arguments). */
export interface SiblingNode {
  hist: Float64Array;
  rows: number;
  depth: number;
  g: number;
  h: number;
  usable: Uint8Array;
}

/**
 * What a helper thread is given: the task block and every share's outputs (shares.ts), the arrays, and which helper
 * it is (its gather buffer); with the wasm kernel, the module and memory to instantiate the kernel over.
 */
export type HelperData = {
  index: number;
  task: Int32Array;
  shareLoss: Float64Array;
  gradients: ShareResources['gradients'];
  /** The split shares' blocks and the search's fixed inputs (the helper makes its own scratch); null: none. */
  splits: (Omit<SplitShares, 'search'> & { setting: SplitSetting }) | null;
  F: number;
  rows: Int32Array;
  gradHess: Float32Array;
  bins: Uint8Array;
} & (
  | { kind: 'typescript'; hists: Float64Array[] }
  | {
      kind: 'wasm';
      module: WasmModule;
      memory: WasmMemory;
      /** The native addon's histogram and partition loops over the memory (WasmKernel.native). */
      native: boolean;
      at: Omit<Extract<ShareResources['kernel'], { kind: 'wasm' }>['at'], 'gather'> & { gathers: number[] };
    }
);

/**
 * Runs the tree builder's parallel steps across threads over shared memory: a histogram (each share of the node's
 * rows into its own histogram, summed by the caller in share order: the same order for both kernels, so the same
 * sums), a large node's partition, the gradients' pass, adding leaf values, two sibling nodes' split searches (a
 * share each, over histograms in the pool's shared slots). Synchronisation is by Atomics on one
 * shared task block (shares.ts: any thread claims any share but the caller's first), so the tree builder's loop
 * stays synchronous.
 */
export class HistogramPool {
  private readonly helpers: Worker[] = [];
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
  /** The task block every thread watches, each share's loss, and what this thread needs to run any share. */
  private readonly task = new Int32Array(new SharedArrayBuffer(4 * taskInts));
  private readonly shareLoss: Float64Array;
  private readonly own: ShareResources;
  /** With the TypeScript kernel: the histograms of shares 1 and up (share 0 writes the caller's output). */
  private readonly shareHists: Float64Array[];
  /** Sibling searches run as two shares so far. */
  parallelSearches = 0;

  constructor(
    private readonly data: TrainingArrays,
    helperCount: number,
    /** For gradientsAndLoss: the arrays it reads, shared with the helpers. */
    private readonly gradients: GradientData | null = null,
    /** Send nodes of at least this many rows to the GPU (HEARTH_GBDT_DEVICE=webgpu); null: the CPU builds all. */
    gpuMinRows: number | null = null,
    /** The split search's fixed inputs: given, sibling nodes' splits are searched on two threads (searchSiblings). */
    splitSetting: SplitSetting | null = null,
    /** The most shared histogram slots (by default as many as 16 MB holds, up to a tree's leaves). */
    slotLimit?: number,
  ) {
    // A table with no node that large never starts the GPU thread.
    this.gpu = gpuMinRows !== null && data.rows.length >= gpuMinRows ? new GpuHistograms(data, gpuMinRows) : null;
    const { F, wasm } = data;
    const length = histogramSize(F);
    const hists = wasm?.layout.hists ?? [];
    // No node of a table under the threshold is ever built in parallel: its helpers would only cost their start-up
    // (tens of milliseconds a thread, more than a whole fit of a search's small folds).
    const wanted = Math.min(data.rows.length < parallelThreshold ? 0 : helperCount, maxParts - 1);
    const helpers = wasm === null ? wanted : Math.min(wanted, hists.length - 1);
    this.ownHist = wasm === null ? null : new Float64Array(wasm.memory.buffer, hists[0], length);
    this.toLeft = wasm === null ? null : new Uint8Array(wasm.memory.buffer, wasm.layout.toLeft, 256);
    // In the wasm memory with a binary model's margins (the kernel adds the leaf values there), else shared.
    this.leaves =
      gradients === null ? null : (data.binary?.leaves ?? new Float64Array(new SharedArrayBuffer(8 * (1 + 3 * maxLeafCount))));
    // The wasm gradient pass reads the margins the booster updates: they must be the ones in the kernel's memory.
    if (gradients !== null && data.binary !== null && gradients.margins !== data.binary.margins)
      throw new Error('a binary model with wasm gradient space must keep its margins there');
    this.shareLoss = new Float64Array(new SharedArrayBuffer(8 * (helpers + 1)));
    this.shareHists =
      wasm === null
        ? Array.from({ length: helpers + 1 }, (_, j) => new Float64Array(new SharedArrayBuffer(j === 0 ? 0 : length * 8)))
        : [];
    // Node histograms in shared slots, so that a helper can search a node's splits: as many as a tree has leaves (the
    // most alive at once: a leaf's each, the one being split's reused by its larger child, one for its smaller),
    // handed to the tree builder through spareHistograms.
    const searching = splitSetting !== null && helpers > 0 && splitSetting.searches >= minParallelSearches;
    const slots = searching ? Math.min(splitSetting.params.maxLeaves, slotLimit ?? Math.floor(slabBytes / (8 * length))) : 0;
    const slab = new Float64Array(new SharedArrayBuffer(8 * length * slots));
    for (let slot = slots - 1; slot >= 0; slot--) this.spareHistograms.push(slab.subarray(slot * length, (slot + 1) * length));
    const splitBlocks = searching ? { slab, slotLength: length, ...splitShareBlocks(F) } : null;
    const common = {
      task: this.task,
      shareLoss: this.shareLoss,
      gradients: gradients === null ? null : { ...gradients, leaves: this.leaves! },
      F,
      rows: data.rows,
      gradHess: data.gradHess,
      bins: data.bins,
    };
    const at =
      wasm === null
        ? null
        : {
            bins: wasm.layout.bins,
            rows: wasm.layout.rows,
            gradHess: wasm.layout.gradHess,
            columns: wasm.layout.columns,
            n: data.n,
            toLeft: wasm.layout.toLeft,
            scratch: wasm.layout.scratch,
            hists,
            binary: wasm.layout.binary,
          };
    this.own = {
      ...common,
      splits:
        splitBlocks === null
          ? null
          : {
              ...splitBlocks,
              search: splitSearch(
                F,
                splitSetting!.binCounts,
                splitSetting!.categorical,
                splitSetting!.params,
                wasm?.native ?? false,
              ),
            },
      kernel:
        wasm === null || at === null
          ? { kind: 'typescript', hists: this.shareHists }
          : {
              kind: 'wasm',
              exports: wasm.exports,
              memory: new Float64Array(wasm.memory.buffer),
              at: { ...at, gather: wasm.layout.gathers[0]! },
            },
    };
    for (let i = 0; i < helpers; i++) {
      const splits = splitBlocks === null ? null : { ...splitBlocks, setting: splitSetting! };
      const workerData: HelperData =
        wasm === null || at === null
          ? { ...common, splits, index: i + 1, kind: 'typescript', hists: this.shareHists }
          : {
              ...common,
              splits,
              index: i + 1,
              kind: 'wasm',
              module: wasm.module,
              memory: wasm.memory,
              native: wasm.native,
              at: { ...at, gathers: wasm.layout.gathers },
            };
      const worker = helperWith(workerData);
      worker.unref();
      this.helpers.push(worker);
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
    if (parallel) this.handOut(Work.Histogram, start, end, chunk);
    const own = Math.min(start + chunk, end);
    if (wasm === null) {
      out.fill(0);
      accumulateHistogram(bins, F, rows, start, own, gradHess, out);
    } else {
      const { layout, exports } = wasm;
      exports.histogram(layout.bins, F, layout.rows, start, own, layout.gradHess, layout.hists[0]!, layout.gathers[0]!);
    }
    if (parallel) {
      this.finish();
      for (let j = 1; j < parts; j++) {
        if (wasm !== null) wasm.exports.addInto(wasm.layout.hists[0]!, wasm.layout.hists[j]!, out.length);
        else {
          const hist = this.shareHists[j]!;
          for (let k = 0; k < out.length; k++) out[k]! += hist[k]!;
        }
      }
    }
    if (this.ownHist !== null) out.set(this.ownHist);
  }

  /**
   * gradientsAndLoss over rows [0, n), split across the threads as a histogram is: each share writes its rows'
   * gradients, and the shares' loss sums are added in share order (whatever thread ran them, so the same loss).
   */
  gradientsAndLoss(n: number): number {
    const g = this.gradients;
    if (g === null) throw new Error('this pool was made without gradient data');
    const parallel = this.helpers.length > 0 && n >= parallelThreshold;
    if (!parallel) return gradientRows(this.own, 0, n, 0);
    const chunk = Math.ceil(n / (this.helpers.length + 1));
    this.handOut(Work.Gradients, 0, n, chunk);
    let loss = gradientRows(this.own, 0, Math.min(chunk, n), 0);
    this.finish();
    for (let j = 1; j <= this.helpers.length; j++) loss += this.shareLoss[j]!;
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
    const parallel = this.helpers.length > 0 && n >= parallelThreshold;
    if (!parallel) return leafValueRows(this.own, 0, n);
    const chunk = Math.ceil(n / (this.helpers.length + 1));
    this.handOut(Work.Leaves, 0, n, chunk);
    runShare(this.own, 0);
    this.finish();
  }

  /**
   * Hands out `work` over rows [start, end) in shares of `chunk` rows, by default one per thread (the caller keeps
   * share 0; a pair of split searches is rows [0, 2) in shares of one, share j the j-th node): the last task's claims
   * are closed first, the task's fields stored before the sequence number the helpers wait on, and the claim word
   * names this task.
   */
  private handOut(work: Work, start: number, end: number, chunk: number, feature = 0, shares = this.helpers.length + 1): void {
    const seq = ++this.seq;
    const task = this.task;
    closeClaims(task, seq);
    Atomics.store(task, 3, work);
    Atomics.store(task, 4, start);
    Atomics.store(task, 5, end);
    Atomics.store(task, 6, chunk);
    Atomics.store(task, 7, feature);
    Atomics.store(task, 8, shares);
    Atomics.store(task, 2, 0);
    Atomics.store(task, 1, firstClaim(seq));
    Atomics.store(task, 0, seq);
    Atomics.notify(task, 0);
  }

  /** After its own share: runs the shares no helper has claimed yet, then waits for those a helper is running. */
  private finish(shares = this.helpers.length + 1): void {
    runClaimedShares(this.own, this.seq);
    waitUntil(this.task, 2, shares - 1);
  }

  /**
   * The best splits of two sibling nodes, searched as two shares (the caller's and one any thread claims) when this
   * pool was made to search with the tree's parameters `p`, both histograms are in its shared slots, and the search
   * is worth a hand-over; otherwise null, and the caller searches both itself. Either way the same splits: each is
   * findSplit of its own node.
   */
  searchSiblings(p: GrowParams, a: SiblingNode, b: SiblingNode): [Split | null, Split | null] | null {
    const s = this.own.splits;
    if (s === null || p !== s.search.p) return null;
    const slotA = this.slotOf(s, a.hist);
    const slotB = this.slotOf(s, b.hist);
    if (slotA < 0 || slotB < 0) return null;
    // A node findSplit refuses at once, or features of few bins between them: not worth waking a helper.
    if (!searchable(a.rows, a.depth, p) || !searchable(b.rows, b.depth, p)) return null;
    const { binCounts } = s.search;
    let bins = 0;
    for (let f = 0; f < binCounts.length; f++) if (a.usable[f] !== 0 || b.usable[f] !== 0) bins += binCounts[f]!;
    if (bins < parallelSearchBins) return null;
    setSplitShare(s, 0, slotA, a.rows, a.depth, a.g, a.h, a.usable);
    setSplitShare(s, 1, slotB, b.rows, b.depth, b.g, b.h, b.usable);
    this.parallelSearches++;
    this.handOut(Work.Split, 0, 2, 1, 0, 2);
    runShare(this.own, 0);
    this.finish(2);
    return [splitOfShare(s, 0), splitOfShare(s, 1)];
  }

  /** The slot of a histogram in the shared slab, or −1 for one outside it. */
  private slotOf(s: SplitShares, hist: Float64Array): number {
    if (hist.buffer !== s.slab.buffer || hist.length !== s.slotLength) return -1;
    return (hist.byteOffset - s.slab.byteOffset) / (8 * s.slotLength);
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
    // A large node's rows split into shares as a histogram's are: each share partitioned in place, its rights to the
    // scratch at the share's own offset; then the shares' lefts are closed up in share order and their rights follow,
    // in share order: the single-thread partition's rows exactly, so the same trees. (The copies are wasm's
    // memory.copy: TypedArray copyWithin and set over shared memory went element by element, and took a third of
    // what the second thread saved.)
    const parts = this.helpers.length + 1;
    const chunk = Math.ceil(count / parts);
    this.handOut(Work.Partition, start, end, chunk, f);
    runShare(this.own, 0);
    this.finish();
    const left = (j: number): number => shareLeft(this.task, j);
    let at = start + left(0);
    for (let j = 1; j < parts; j++) {
      exports.moveInts(layout.rows + at * 4, layout.rows + Math.min(start + chunk * j, end) * 4, left(j));
      at += left(j);
    }
    const mid = at;
    for (let j = 0; j < parts; j++) {
      const from = Math.min(start + chunk * j, end);
      const rights = Math.min(from + chunk, end) - from - left(j);
      exports.moveInts(layout.rows + at * 4, layout.scratch + from * 4, rights);
      at += rights;
    }
    return mid;
  }

  close(): void {
    this.gpu?.close();
    Atomics.store(this.task, 0, -1);
    Atomics.notify(this.task, 0);
    for (const worker of this.helpers) void worker.terminate();
  }
}
