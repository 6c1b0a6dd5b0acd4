/*
 * A parallel step of the tree builder (a histogram, a partition, the gradients' pass, adding leaf values, the two
 * children's split searches) is cut into shares, one per thread (two for the split searches), that any thread may
 * claim: the caller takes share 0 and then claims what is left, the helpers claim as they wake. Each share writes
 * only its own outputs (its histogram, its rows' right side in the scratch, its loss, how many rows it sent left, the
 * split it found), which the caller combines in share order: the same sums and the same rows whichever thread ran
 * which share, so the same trees.
 *
 * Why claims rather than one fixed share per thread: on a small box the OS now and then preempts a helper for a few
 * milliseconds (a V8 background thread, a GC task); with fixed shares the caller then spun until it came back. On
 * mixed_255k (2 threads) the caller spun 150–200 ms of an ~800 ms fit that way; with claims it waits 18–48 ms.
 */
import { accumulateHistogram, type KernelExports } from './kernel.js';
import { addLeafValues, gradientsAndLoss, lossFromProducts } from './gradients.js';
import { runSplitShare, type SplitShares } from './split-search.js';

export const enum Work {
  Histogram = 0,
  Gradients = 1,
  Leaves = 2,
  Partition = 3,
  /** Two sibling nodes' split searches (split-search.ts), a share each. */
  Split = 4,
}

/** Threads a pool may have (a share's index fits the claim word's low 7 bits). */
export const maxParts = 64;

/**
 * The task block, shared by the caller and every helper: [0] sequence number (−1: stop), [1] the claim word
 * (sequence number's low 24 bits above the next unclaimed share), [2] claimed shares done, [3] the work, [4] start,
 * [5] end, [6] rows a share, [7] the feature a partition splits on, [8] shares, then per share how many rows its
 * partition sent left.
 */
export const taskInts = 9 + maxParts;
const leftAt = 9;

/** The claim word of a task just handed out, share 0 already the caller's. */
export function firstClaim(seq: number): number {
  return ((seq & 0xffffff) << 7) | 1;
}

/**
 * The first store of handing out task `seq`, before any of its fields: a claim word of the new tag with no share left
 * (127 is past any share count). A helper that woke late for the last task may have read that task's exhausted claim
 * word and be about to compare its next share with the share count; tasks differ in share count (a histogram has one
 * a thread, a pair of split searches two), so once the new count is stored that share could look unclaimed, and
 * the helper's claim would run it with the new task's fields. Its claim is a compare-and-swap on the old word, which
 * this store has already replaced, so it fails.
 */
export function closeClaims(task: Int32Array, seq: number): void {
  Atomics.store(task, 1, ((seq & 0xffffff) << 7) | 127);
}

/**
 * Claims the next share of task `seq` for this thread: its index, or −1 when every share is taken or the task is no
 * longer `seq` (a helper that woke late must not take a share of the next task on the word of this one: the word is
 * replaced, by closeClaims, before any field of the next task is stored).
 */
export function claimShare(task: Int32Array, seq: number): number {
  const tag = seq & 0xffffff;
  for (;;) {
    const word = Atomics.load(task, 1);
    if (word >>> 7 !== tag) return -1;
    const share = word & 127;
    if (share >= Atomics.load(task, 8)) return -1;
    if (Atomics.compareExchange(task, 1, word, word + 1) === word) return share;
  }
}

/** Rows [from, to) of share j of the current task. */
export function shareRange(task: Int32Array, j: number): [number, number] {
  const start = Atomics.load(task, 4);
  const end = Atomics.load(task, 5);
  const chunk = Atomics.load(task, 6);
  const from = Math.min(start + chunk * j, end);
  return [from, Math.min(from + chunk, end)];
}

/** How many rows share j's partition sent left. */
export function shareLeft(task: Int32Array, j: number): number {
  return Atomics.load(task, leftAt + j);
}

/** What every thread needs to run any share: the same arrays and offsets for all, this thread's own scratch. */
export interface ShareResources {
  task: Int32Array;
  /** Each share's loss (the gradients' pass). */
  shareLoss: Float64Array;
  F: number;
  rows: Int32Array;
  gradHess: Float32Array;
  bins: Uint8Array;
  /** Single-output gradient data (margins, targets, weights) and the leaf table addLeafValues reads; null: none. */
  gradients: {
    task: 'binary' | 'regression';
    margins: Float64Array;
    targets: Int32Array | Float64Array;
    weights: Float64Array | null;
    huberDelta: number | null;
    leaves: Float64Array;
  } | null;
  /** The split shares' blocks and this thread's search scratch; null: the pool searches splits on its own thread. */
  splits: SplitShares | null;
  kernel:
    | {
        kind: 'typescript';
        /** Share j's histogram (j ≥ 1; the caller's share 0 writes its own output). */
        hists: Float64Array[];
      }
    | {
        kind: 'wasm';
        /** This thread's instance of the kernel over the shared memory. */
        exports: KernelExports;
        memory: Float64Array;
        at: {
          bins: number;
          rows: number;
          gradHess: number;
          columns: number;
          n: number;
          toLeft: number;
          scratch: number;
          /** Share j's histogram. */
          hists: number[];
          /** This thread's gather buffer. */
          gather: number;
          binary: { margins: number; targets: number; weights: number; losses: number[]; leaves: number } | null;
        };
      };
}

/** Runs share j of the current task with this thread's resources. */
export function runShare(r: ShareResources, j: number): void {
  const { task, F, rows, gradHess, bins, kernel } = r;
  const [from, to] = shareRange(task, j);
  const work = Atomics.load(task, 3) as Work;
  const g = r.gradients;
  if (work === Work.Histogram) {
    if (kernel.kind === 'typescript') {
      const hist = kernel.hists[j]!;
      hist.fill(0);
      accumulateHistogram(bins, F, rows, from, to, gradHess, hist);
    } else {
      const { at } = kernel;
      kernel.exports.histogram(at.bins, F, at.rows, from, to, at.gradHess, at.hists[j]!, at.gather);
    }
  } else if (work === Work.Gradients && g !== null) r.shareLoss[j] = gradientRows(r, from, to, j);
  else if (work === Work.Leaves && g !== null) leafValueRows(r, from, to);
  else if (work === Work.Split && r.splits !== null) runSplitShare(r.splits, j);
  else if (work === Work.Partition && kernel.kind === 'wasm') {
    const { at } = kernel;
    const column = at.columns + Atomics.load(task, 7) * at.n;
    Atomics.store(task, leftAt + j, kernel.exports.partitionSide(column, at.rows, from, to, at.toLeft, at.scratch + from * 4));
  } else throw new Error(`no share of work ${work} for this kernel`);
}

/**
 * The gradients of rows [from, to) at the margins, and the rows' loss: the wasm kernel's pass for a binary model with
 * its arrays in the memory (its loss parts in share j's slot), else TypeScript's. The pool's own rows come here too.
 */
export function gradientRows(r: ShareResources, from: number, to: number, j: number): number {
  const g = r.gradients!;
  const { kernel } = r;
  const binary = g.task === 'binary' && kernel.kind === 'wasm' ? kernel.at.binary : null;
  if (binary === null || kernel.kind !== 'wasm')
    return gradientsAndLoss(g.task, g.margins, g.targets, g.weights, g.huberDelta, r.gradHess, from, to);
  const out = binary.losses[j]!;
  const count = kernel.exports.binaryGradients(binary.margins, binary.targets, binary.weights, kernel.at.gradHess, from, to, out);
  return lossFromProducts(kernel.memory, out / 8, count);
}

/**
 * Adds the leaf table's values to the margins of rows [from, to): the kernel's loop where a binary model's margins
 * and the table are in the wasm memory, else TypeScript's.
 */
export function leafValueRows(r: ShareResources, from: number, to: number): void {
  const g = r.gradients!;
  const { kernel } = r;
  const binary = kernel.kind === 'wasm' ? kernel.at.binary : null;
  if (binary === null || kernel.kind !== 'wasm') addLeafValues(g.margins, r.rows, g.leaves, from, to);
  else kernel.exports.addLeafValues(binary.margins, kernel.at.rows, binary.leaves, from, to);
}

/** Claims and runs shares of task `seq` until none is left; returns how many this thread ran. */
export function runClaimedShares(r: ShareResources, seq: number): number {
  let ran = 0;
  for (let j = claimShare(r.task, seq); j >= 0; j = claimShare(r.task, seq)) {
    runShare(r, j);
    ran++;
    // The caller waits for the count of claimed shares done to reach shares − 1.
    if (Atomics.add(r.task, 2, 1) + 2 === Atomics.load(r.task, 8)) Atomics.notify(r.task, 2);
  }
  return ran;
}
