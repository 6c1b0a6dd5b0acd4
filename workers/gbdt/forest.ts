import { HearthError } from '../../main/contracts/errors.js';
import type { Task } from '../../main/models/preprocess.js';
import { seededRandom } from '../../main/stats/random.js';
import { HistogramPool } from './histogram.js';
import { allocatePinned, allocateTraining, type UnusableKernel, type KernelChoice, type KernelName } from './kernel.js';
import { gpuMinRows, histogramDevice, type GpuReport, type HistogramDevice } from './gpu-histograms.js';
import { growTree, leafOfBinnedRow, plainCategoricalSplits, type GrownTree } from './tree.js';
import type { BoostInput } from './boost.js';

export interface ForestParams {
  trees: number;
  maxLeaves: number;
  maxDepth: number;
  minChildSamples: number;
  /** Features tried per split: 0 means √F for classification and F/3 for regression (Breiman's defaults). */
  featuresPerSplit: number;
  /** Bootstrap sample size as a share of the rows. */
  sampleFraction: number;
  seed: number;
  threads: number;
  /** Stop growing after the tree that ends past this time (ms since the epoch); searches set it. */
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

export interface ForestResult {
  trees: GrownTree[];
  treeOutputs: number[];
  /** Out-of-bag estimate per row (n × outputs), NaN where a row was in every bag. */
  oob: Float64Array;
  outputs: number;
  /** The kernel that grew the trees. */
  kernel: KernelName;
  /** Why the pinned kernel did not grow them (it cannot run here), or null. */
  kernelPinSkipped: string | null;
  /** Which faster kernel the automatic choice passed over for failing the engine's check, and why; or null. */
  kernelPassedOver: string | null;
  /** Where large nodes' histograms were built, when on a GPU (HEARTH_GBDT_DEVICE=webgpu); null: all on the CPU. */
  gpu: GpuReport | null;
}

/**
 * Random forest from the boosting tree builder: each tree is grown on a bootstrap sample to the squared-error
 * criterion (with gradient −y and hessian 1, a leaf's value is the mean target of its rows, and the split gain is
 * the variance reduction, i.e. the Gini reduction for 0/1 targets). Classification grows one probability tree per
 * class on the same bootstrap sample; predictions average the trees.
 */
export function fitForest(
  input: BoostInput,
  p: ForestParams,
  onTree?: (tree: number, oobLoss: number | null) => void,
): ForestResult {
  const { task, F, bins, targets } = input;
  const n = targets.length;
  if (n === 0) throw new HearthError('VALIDATION_FAILED', 'no training rows');
  const K = task === 'multiclass' ? input.classes : 1;
  const random = seededRandom(p.seed);
  const sampleSize = Math.max(1, Math.round(n * p.sampleFraction));
  // Gradients are float32, as LightGBM keeps them: half the memory traffic of the histogram pass; sums stay float64.
  const { arrays, pinSkipped, passedOver } = allocatePinned(
    p.pinnedKernel,
    p.kernel,
    (choice) => allocateTraining(bins, n, F, sampleSize, p.threads, choice),
    p.unusableKernels,
  );
  const { rows, gradHess } = arrays;
  const grow = {
    learningRate: 1,
    l1: 0,
    l2: 0,
    minChildWeight: 0,
    minSplitGain: 0,
    ...plainCategoricalSplits,
    maxLeaves: p.maxLeaves,
    maxDepth: p.maxDepth,
    minChildSamples: p.minChildSamples,
  };
  const pool = new HistogramPool(
    arrays,
    Math.max(0, p.threads - 1),
    null,
    (p.device ?? histogramDevice()) === 'webgpu' ? gpuMinRows() : null,
    { binCounts: input.binCounts, categorical: input.categorical, params: grow, searches: p.trees * K * (p.maxLeaves - 1) },
  );
  let gpu: GpuReport | null;
  const perSplit =
    p.featuresPerSplit > 0
      ? Math.min(F, p.featuresPerSplit)
      : Math.max(1, task === 'regression' ? Math.floor(F / 3) : Math.round(Math.sqrt(F)));
  const mask = new Uint8Array(F);
  const order = Array.from({ length: F }, (_, f) => f);
  const splitFeatures = (): Uint8Array => {
    mask.fill(0);
    for (let k = 0; k < perSplit; k++) {
      const j = k + Math.floor(random() * (F - k));
      [order[k], order[j]] = [order[j]!, order[k]!];
      mask[order[k]!] = 1;
    }
    return mask;
  };
  const all = new Uint8Array(F).fill(1);
  const trees: GrownTree[] = [];
  const treeOutputs: number[] = [];
  const oobSum = new Float64Array(n * K);
  const oobCount = new Float64Array(n);
  const inBag = new Uint8Array(n);
  try {
    for (let t = 1; t <= p.trees; t++) {
      inBag.fill(0);
      for (let k = 0; k < sampleSize; k++) {
        const r = Math.floor(random() * n);
        rows[k] = r;
        inBag[r] = 1;
      }
      for (let c = 0; c < K; c++) {
        for (let i = 0; i < n; i++) {
          const y = task === 'regression' ? targets[i]! : task === 'binary' ? targets[i]! : targets[i] === c ? 1 : 0;
          gradHess[2 * i] = -y;
          gradHess[2 * i + 1] = 1;
        }
        // growTree reorders `rows`; every class's tree must see the same bootstrap sample.
        const sample = rows.slice(0, sampleSize);
        const tree = growTree(
          { F, binCounts: input.binCounts, categorical: input.categorical, pool },
          sampleSize,
          all,
          grow,
          splitFeatures,
        );
        rows.set(sample);
        delete tree.leaves;
        trees.push(tree);
        treeOutputs.push(c);
        for (let i = 0; i < n; i++) {
          if (inBag[i] === 0) oobSum[i * K + c]! += tree.value[leafOfBinnedRow(tree, bins, F, i, input.categorical)]!;
        }
      }
      for (let i = 0; i < n; i++) if (inBag[i] === 0) oobCount[i]!++;
      onTree?.(t, oobLoss(task, oobSum, oobCount, targets, K));
      if (p.deadline !== undefined && p.deadline !== null && Date.now() > p.deadline) break;
    }
  } finally {
    gpu = pool.gpuReport;
    pool.close();
  }
  const oob = new Float64Array(n * K).fill(Number.NaN);
  for (let i = 0; i < n; i++)
    if (oobCount[i]! > 0) for (let c = 0; c < K; c++) oob[i * K + c] = oobSum[i * K + c]! / oobCount[i]!;
  return {
    trees,
    treeOutputs,
    oob,
    outputs: K,
    kernel: arrays.kernel,
    kernelPinSkipped: pinSkipped,
    kernelPassedOver: passedOver,
    gpu,
  };
}

/** Out-of-bag loss so far: Brier-style squared error of the averaged predictions, over rows with any OOB tree. */
function oobLoss(
  task: Task,
  sum: Float64Array,
  count: Float64Array,
  targets: Int32Array | Float64Array,
  K: number,
): number | null {
  let loss = 0;
  let rows = 0;
  for (let i = 0; i < count.length; i++) {
    if (count[i] === 0) continue;
    rows++;
    for (let c = 0; c < K; c++) {
      const y = task === 'multiclass' ? (targets[i] === c ? 1 : 0) : targets[i]!;
      loss += (sum[i * K + c]! / count[i]! - y) ** 2;
    }
  }
  return rows === 0 ? null : loss / rows;
}
