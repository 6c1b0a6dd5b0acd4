import { HearthError } from '../../main/contracts/errors.js';
import type { Task } from '../../main/models/preprocess.js';
import { seededRandom } from '../../main/stats/random.js';
import { HistogramPool, type GradientData } from './histogram.js';
import { allocatePinned, allocateTraining, type UnusableKernel, type KernelChoice, type KernelName } from './kernel.js';
import { gpuMinRows, histogramDevice, type GpuReport, type HistogramDevice } from './gpu-histograms.js';
import { addTreeToBinnedRows, growTree, type GrowParams, type GrownTree } from './tree.js';

export interface BoostParams extends GrowParams {
  trees: number;
  rowSubsample: number;
  colSubsample: number;
  /** Stop when the validation loss has not improved for this many rounds (0: never). */
  earlyStoppingRounds: number;
  seed: number;
  /** Threads for histograms, this one included. */
  threads: number;
  /** Weight per class (classification), e.g. inverse frequency for "balanced". */
  classWeights: number[] | null;
  /** Regression loss: squared error or Huber with this delta. */
  huberDelta: number | null;
  /** Stop adding trees after the round that ends past this time (ms since the epoch); searches set it. */
  deadline?: number | null;
  /** The hot loops' kernel; by default HEARTH_GBDT_KERNEL's, else native, else wasm, whichever loads first. */
  kernel?: KernelChoice;
  /** The kernel pinned in the settings: taken where neither `kernel` nor HEARTH_GBDT_KERNEL names one, if it runs. */
  pinnedKernel?: KernelName | null;
  /** Kernels the engine's probe found unusable: a kernel chosen by pin or automatically is none of them. */
  unusableKernels?: UnusableKernel[];
  /** Where large nodes' histograms are built; by default HEARTH_GBDT_DEVICE's, else the CPU. */
  device?: HistogramDevice;
}

export interface BoostInput {
  task: Task;
  classes: number;
  bins: Uint8Array;
  F: number;
  binCounts: number[];
  categorical: boolean[];
  targets: Int32Array | Float64Array;
  validation: { bins: Uint8Array; targets: Int32Array | Float64Array } | null;
}

export interface BoostResult {
  trees: GrownTree[];
  /** Output (class) each tree adds to. */
  treeOutputs: number[];
  baseScore: number[];
  rounds: number;
  bestRound: number;
  history: { iteration: number; loss: number; validationLoss: number | null }[];
  /** The kernel that grew the trees ("native", "wasm-simd" or "typescript"). */
  kernel: KernelName;
  /** Why the pinned kernel did not grow them (it cannot run here), or null. */
  kernelPinSkipped: string | null;
  /** Which faster kernel the automatic choice passed over for failing the engine's check, and why; or null. */
  kernelPassedOver: string | null;
  /** Where large nodes' histograms were built, when on a GPU (HEARTH_GBDT_DEVICE=webgpu); null: all on the CPU. */
  gpu: GpuReport | null;
  /**
   * The training rows' margins (n × outputs) after the trees kept, summed tree by tree from the base score as a
   * prediction sums them; null when early stopping dropped trees after the best round (these margins include them).
   */
  trainMargins: Float64Array | null;
  /**
   * Wall time of the boosting rounds alone, ms: what LightGBM's own timer covers ("seconds elapsed, finished
   * iteration"), its binning and data set construction being done before it starts.
   */
  boostMs: number;
}

/** A copy of a typed array in shared memory. */
function shared<T extends Int32Array | Float64Array>(values: T): T {
  const copy = new (values.constructor as new (buffer: SharedArrayBuffer) => T)(new SharedArrayBuffer(values.byteLength));
  copy.set(values);
  return copy;
}

function outputsOf(task: Task, classes: number): number {
  return task === 'multiclass' ? classes : 1;
}

/**
 * Puts rows 0 … n−1 back in order for a round that uses every row (the last tree's partitions permuted them); returns
 * n. A loop of its own: inline in fitBoosting's round loop, with the subsample test in it, it took ~3 ns a row.
 */
function everyRow(rows: Int32Array, n: number): number {
  for (let i = 0; i < n; i++) rows[i] = i;
  return n;
}

/** Mean loss (weighted by nothing) of margins against targets: log loss, multiclass log loss or squared error. */
export function marginLoss(task: Task, margins: Float64Array, targets: Int32Array | Float64Array, K: number): number {
  const n = targets.length;
  let loss = 0;
  if (task === 'regression') {
    for (let i = 0; i < n; i++) loss += 0.5 * (margins[i]! - targets[i]!) ** 2;
  } else if (task === 'binary') {
    for (let i = 0; i < n; i++) {
      const m = margins[i]!;
      loss += (m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m))) - targets[i]! * m;
    }
  } else {
    for (let i = 0; i < n; i++) {
      let max = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < K; c++) max = Math.max(max, margins[i * K + c]!);
      let sum = 0;
      for (let c = 0; c < K; c++) sum += Math.exp(margins[i * K + c]! - max);
      loss += max + Math.log(sum) - margins[i * K + targets[i]!]!;
    }
  }
  return loss / n;
}

/**
 * Gradient boosting with histogram trees: binary log loss, softmax for multiclass (one tree per class per
 * round), squared error or Huber for regression; row and column subsampling, class weights and early stopping
 * on a validation set. The same seed gives the same model.
 */
export function fitBoosting(
  input: BoostInput,
  p: BoostParams,
  onRound?: (round: number, loss: number, validationLoss: number | null) => void,
): BoostResult {
  const { task, F, bins, targets } = input;
  const n = targets.length;
  if (n === 0) throw new HearthError('VALIDATION_FAILED', 'no training rows');
  const K = outputsOf(task, input.classes);
  const random = seededRandom(p.seed);
  // Gradients are float32, as LightGBM keeps them: half the memory traffic of the histogram pass; sums stay float64.
  const weights =
    p.classWeights !== null && task !== 'regression' ? Float64Array.from(targets, (y) => p.classWeights![y]!) : null;
  // A binary model's gradient pass runs in the wasm kernel, over margins, targets and weights kept in its memory.
  const binarySpace = task === 'binary' ? { weighted: weights !== null } : null;
  const { arrays, pinSkipped, passedOver } = allocatePinned(
    p.pinnedKernel,
    p.kernel,
    (choice) => allocateTraining(bins, n, F, n, p.threads, choice, binarySpace),
    p.unusableKernels,
  );
  const { rows, gradHess } = arrays;

  // Base score: the best constant (weighted): log-odds, log-priors or the mean.
  const baseScore = new Array<number>(K).fill(0);
  if (task === 'regression') {
    let s = 0;
    for (let i = 0; i < n; i++) s += targets[i]!;
    baseScore[0] = s / n;
  } else {
    const totals = new Float64Array(Math.max(2, K));
    let all = 0;
    for (let i = 0; i < n; i++) {
      const w = weights === null ? 1 : weights[i]!;
      totals[targets[i]!]! += w;
      all += w;
    }
    const clampP = (q: number): number => Math.min(1 - 1e-12, Math.max(1e-12, q));
    if (task === 'binary') baseScore[0] = Math.log(clampP(totals[1]! / all) / (1 - clampP(totals[1]! / all)));
    else for (let c = 0; c < K; c++) baseScore[c] = Math.log(clampP(totals[c]! / all));
  }
  // Shared, with the targets and weights, so the pool's threads can make a single-output model's gradients (in the
  // wasm memory for a binary model, when the kernel is wasm).
  const inKernel = arrays.binary;
  if (inKernel !== null) {
    inKernel.targets.set(targets);
    if (weights !== null) inKernel.weights!.set(weights);
  }
  const margins = inKernel?.margins ?? new Float64Array(new SharedArrayBuffer(n * K * 8));
  for (let i = 0; i < n; i++) for (let c = 0; c < K; c++) margins[i * K + c] = baseScore[c]!;
  const single = task !== 'multiclass';
  const gradientData: GradientData | null =
    task === 'multiclass'
      ? null
      : inKernel !== null
        ? { task, margins, targets: inKernel.targets, weights: inKernel.weights, huberDelta: p.huberDelta }
        : { task, margins, targets: shared(targets), weights: weights && shared(weights), huberDelta: p.huberDelta };
  const pool = new HistogramPool(
    arrays,
    Math.max(0, p.threads - 1),
    gradientData,
    (p.device ?? histogramDevice()) === 'webgpu' ? gpuMinRows() : null,
    { binCounts: input.binCounts, categorical: input.categorical, params: p, searches: p.trees * K * (p.maxLeaves - 1) },
  );
  let gpu: GpuReport | null;
  const validation = input.validation;
  const vn = validation?.targets.length ?? 0;
  const vMargins = new Float64Array(vn * K);
  for (let i = 0; i < vn; i++) for (let c = 0; c < K; c++) vMargins[i * K + c] = baseScore[c]!;

  const trees: GrownTree[] = [];
  const treeOutputs: number[] = [];
  const history: BoostResult['history'] = [];
  let best = Number.POSITIVE_INFINITY;
  let bestRound = 0;
  const allowed = new Uint8Array(F);
  const probabilities = new Float64Array(K);
  const boostStarted = performance.now();
  try {
    for (let round = 1; round <= p.trees; round++) {
      // Rows for this round (Bernoulli subsample, seeded) and features for its trees.
      let count = 0;
      if (p.rowSubsample >= 1) count = everyRow(rows, n);
      else for (let i = 0; i < n; i++) if (random() < p.rowSubsample) rows[count++] = i;
      allowed.fill(p.colSubsample >= 1 ? 1 : 0);
      if (p.colSubsample < 1) {
        const take = Math.max(1, Math.round(F * p.colSubsample));
        const order = Array.from({ length: F }, (_, f) => f);
        for (let k = 0; k < take; k++) {
          const j = k + Math.floor(random() * (F - k));
          [order[k], order[j]] = [order[j]!, order[k]!];
          allowed[order[k]!] = 1;
        }
      }
      for (let c = 0; c < K; c++) {
        // Gradients and hessians of the loss at the current margins, for output c. A single-output model has them
        // from the pass that measured the last round's loss (below), made at the same margins.
        if (single) {
          if (round === 1) pool.gradientsAndLoss(n);
        } else
          for (let i = 0; i < n; i++) {
            // Softmax: each output's gradient at the margins as they stand, this round's earlier trees included.
            const w = weights === null ? 1 : weights[i]!;
            let max = Number.NEGATIVE_INFINITY;
            for (let k = 0; k < K; k++) max = Math.max(max, margins[i * K + k]!);
            let sum = 0;
            for (let k = 0; k < K; k++) sum += probabilities[k] = Math.exp(margins[i * K + k]! - max);
            const q = probabilities[c]! / sum;
            gradHess[2 * i] = (q - (targets[i] === c ? 1 : 0)) * w;
            gradHess[2 * i + 1] = Math.max(q * (1 - q), 1e-16) * w;
          }
        const tree = growTree({ F, binCounts: input.binCounts, categorical: input.categorical, pool }, count, allowed, p);
        trees.push(tree);
        treeOutputs.push(c);
        const leafValue = tree.value;
        if (count === n && single) {
          // Every row took part: the leaves' slices of the row array say where each row ended up (split across the
          // threads, as a histogram's rows are).
          pool.addLeafValues(tree.leaves!, leafValue, n);
        } else if (count === n) {
          for (const leaf of tree.leaves!) {
            const v = leafValue[leaf.node]!;
            for (let k = leaf.start; k < leaf.end; k++) margins[rows[k]! * K + c]! += v;
          }
        } else addTreeToBinnedRows(tree, bins, F, n, margins, K, c, input.categorical);
        delete tree.leaves;
        if (validation !== null) addTreeToBinnedRows(tree, validation.bins, F, vn, vMargins, K, c, input.categorical);
      }
      // A single-output model's loss comes from the pass that also makes the next round's gradients.
      const loss = single ? pool.gradientsAndLoss(n) / n : marginLoss(task, margins, targets, K);
      const validationLoss = validation !== null && vn > 0 ? marginLoss(task, vMargins, validation.targets, K) : null;
      history.push({ iteration: round, loss, validationLoss });
      onRound?.(round, loss, validationLoss);
      if (validationLoss !== null) {
        if (validationLoss < best - 1e-12) {
          best = validationLoss;
          bestRound = round;
        } else if (p.earlyStoppingRounds > 0 && round - bestRound >= p.earlyStoppingRounds) break;
      } else bestRound = round;
      if (p.deadline !== undefined && p.deadline !== null && Date.now() > p.deadline) break;
    }
  } finally {
    gpu = pool.gpuReport;
    pool.close();
  }
  const boostMs = Math.round(performance.now() - boostStarted);
  const rounds = history.length;
  const keep = (validation !== null && vn > 0 && p.earlyStoppingRounds > 0 ? bestRound : rounds) * K;
  return {
    trees: trees.slice(0, keep),
    treeOutputs: treeOutputs.slice(0, keep),
    baseScore,
    rounds,
    bestRound: keep / K,
    history,
    kernel: arrays.kernel,
    kernelPinSkipped: pinSkipped,
    kernelPassedOver: passedOver,
    gpu,
    // A plain copy: the shared buffer is the threads' working memory, and the caller keeps these.
    trainMargins: keep === trees.length ? margins.slice() : null,
    boostMs,
  };
}
