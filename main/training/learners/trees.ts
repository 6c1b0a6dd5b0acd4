import { HearthError } from '../../contracts/errors.js';
import { defaultFitThreads } from '../../accel/worker-thread.js';
import type { BoostParams, BoostResult } from '../../../workers/gbdt/boost.js';
import type { ForestParams, ForestResult } from '../../../workers/gbdt/forest.js';
import type { GrownTree } from '../../../workers/gbdt/tree.js';
import { binCount, binFrameRows, fitBins, type FeatureBins } from '../../models/binning.js';
import { regressionMetrics, rocAuc } from '../../stats/metrics.js';
import type { Task } from '../../models/preprocess.js';
import { treeFeaturesFromBins, treeFromGrown, treeImportance, type TreeModel } from '../../models/tree-model.js';
import { shapSummary } from '../../models/treeshap.js';
import { excludedColumns } from '../train-args.js';
import type { FitInput, Learner } from './learner.js';

/** What both tree learners take: the training rows binned into a shared matrix, and their targets. */
function binnedTraining(input: FitInput, bins: FeatureBins[]) {
  return {
    task: input.task,
    classes: input.classes?.length ?? 0,
    bins: binFrameRows(bins, input.frame, input.rows, true),
    F: bins.length,
    binCounts: bins.map(binCount),
    categorical: bins.map((b) => b.kind === 'categorical'),
    targets: input.targetsOf(input.rows),
  };
}

function treeModel(
  input: FitInput,
  algorithm: 'gbdt' | 'forest',
  bins: FeatureBins[],
  fit: { trees: GrownTree[]; treeOutputs: number[] },
  baseScore: number[],
  outputs: number,
): TreeModel {
  return {
    format: 'hearth.trees/1',
    algorithm,
    task: input.task,
    target: input.args.target,
    classes: input.classes,
    features: treeFeaturesFromBins(bins),
    trees: fit.trees.map((t) => treeFromGrown(t, bins)),
    treeOutputs: fit.treeOutputs,
    baseScore,
    outputs,
    aggregation: algorithm === 'gbdt' ? 'sum' : 'average',
  };
}

/** Exact TreeSHAP for tree models. */
const treeShap: Learner['shapSummary'] = (model, raw) => (model.format === 'hearth.trees/1' ? shapSummary(model, raw()) : null);

/**
 * Boosting's categorical regularisation by default: LightGBM's defaults (cat_smooth, cat_l2, max_cat_threshold,
 * min_data_per_group, max_cat_to_onehot), and levels with under 10 training rows pooled into the "other" bin.
 *
 * A column of many levels keeps up to 508 of them, in two blocks of 254 (fitBins), where the first 254 hold under 99%
 * of its values. On the bench's mixed set (an airport column of 1,100 levels, two more of 350 and 280), one block
 * gave ROC AUC 0.7603 and LightGBM, which keeps levels up to 99% of the values, 0.7640 (0.7607 with its levels cut
 * to 254 as Hearth's were); two blocks gave 0.7653 for 5-15% more fit time, four 0.7649 for 25-40% more.
 */
export const categoricalDefaults = {
  catSmooth: 10,
  catL2: 10,
  maxCatThreshold: 32,
  minDataPerGroup: 100,
  maxCatToOnehot: 4,
  minCategoryRows: 10,
  maxCategoryBlocks: 2,
} as const;

/**
 * In a search, boosting stops early by default only above this many training rows, as scikit-learn's
 * HistGradientBoosting does (`early_stopping='auto'`). Below it a tenth of the rows is too few to stop on, and the
 * number of trees is a searched parameter instead. A single boosted fit asked for has no search to pick its length,
 * so it stops early on its validation rows at any size. On wine (142 rows; 11 held out of a fold) stopping on those
 * rows chose boosting that tested at log loss 0.167 on one outer split; without, 0.043, and the five splits' mean
 * fell from 0.073 to 0.053.
 */
export const earlyStoppingMinRows = 10_000;

/** Rounds without improvement on the validation rows after which boosting stops, where it stops early. */
const defaultEarlyStoppingRounds = 20;

/** Histogram gradient-boosted trees, with early stopping on the validation rows (see decideDefaults). */
export const gbdtLearner: Learner = {
  async fit(input, host) {
    const { task, classes, frame, rows, validationRows, targetsOf, args: a, seed, classWeights, deadline } = input;
    const minCategoryRows = a.minCategoryRows ?? categoricalDefaults.minCategoryRows;
    const { features: bins, ignored } = fitBins(frame, rows, a.target, seed, excludedColumns(a), {
      minCategoryRows,
      maxCategoryBlocks: categoricalDefaults.maxCategoryBlocks,
    });
    const boost: BoostParams = {
      trees: a.trees ?? 100,
      learningRate: a.learningRate ?? 0.1,
      maxLeaves: a.maxLeaves ?? 31,
      maxDepth: a.maxDepth ?? 0,
      minChildSamples: a.minChildSamples ?? 20,
      minChildWeight: 1e-3,
      minSplitGain: a.minSplitGain ?? 0,
      l1: a.l1 ?? 0,
      // XGBoost's default: keeps leaf values finite where hessians are tiny (rare classes, confident rows).
      l2: a.l2 ?? 1,
      catSmooth: a.catSmooth ?? categoricalDefaults.catSmooth,
      catL2: a.catL2 ?? categoricalDefaults.catL2,
      maxCatThreshold: a.maxCatThreshold ?? categoricalDefaults.maxCatThreshold,
      minDataPerGroup: a.minDataPerGroup ?? categoricalDefaults.minDataPerGroup,
      maxCatToOnehot: a.maxCatToOnehot ?? categoricalDefaults.maxCatToOnehot,
      rowSubsample: a.rowSubsample ?? 1,
      colSubsample: a.colSubsample ?? 1,
      // In a search, decided for the run by decideDefaults (the fitter applies it); otherwise it stops early.
      earlyStoppingRounds: a.earlyStoppingRounds ?? defaultEarlyStoppingRounds,
      seed,
      threads: a.threads ?? defaultFitThreads(),
      pinnedKernel: host.pinnedKernel(),
      unusableKernels: host.unusableKernels(),
      classWeights,
      huberDelta: a.huberDelta ?? null,
      deadline,
    };
    const validation =
      validationRows.length > 0 ? { bins: binFrameRows(bins, frame, validationRows), targets: targetsOf(validationRows) } : null;
    const reply = await host.runWorker(
      {
        seq: host.nextSeq(),
        type: 'fit-gbdt',
        ...binnedTraining(input, bins),
        validation,
        params: boost,
        cancel: host.cancel,
      },
      input.label,
    );
    if (reply.type !== 'trees') throw new HearthError('INTERNAL', 'unexpected worker reply');
    const fit = reply.result;
    const model = treeModel(input, 'gbdt', bins, fit, fit.baseScore, task === 'multiclass' ? classes!.length : 1);
    return {
      model,
      params: {
        ...recordedParams(boost),
        minCategoryRows,
        seed,
        classWeight: a.classWeight ?? null,
        validationFraction: input.validationFraction,
        testFraction: input.testFraction,
      },
      fitReport: {
        ignoredColumns: ignored,
        trees: model.trees.length,
        rounds: fit.rounds,
        bestRound: fit.bestRound,
        ...kernelReport(fit),
        // The boosting rounds' wall time alone (the fit's fitMs also covers binning and moving the data to the
        // worker): the figure LightGBM's own timer gives.
        boostMs: fit.boostMs,
        // Where the large nodes' histograms were built: null on the CPU, else the GPU adapter and its share of nodes.
        histogramDevice: fit.gpu,
        importance: treeImportance(model),
        features: model.features.map((f) => ({ name: f.name, kind: f.kind })),
      },
      workerCpuMs: reply.cpuMs,
      ...(fit.trainMargins === null ? {} : { trainScores: fit.trainMargins }),
    };
  },
  searchGrid: {
    trees: [50, 100, 200, 300],
    learningRate: [0.02, 0.035, 0.05, 0.08, 0.12, 0.2, 0.3],
    maxLeaves: [7, 15, 31, 63],
    minChildSamples: [5, 10, 20, 50],
    l2: [0, 1, 5],
    colSubsample: [0.6, 0.8, 1],
    rowSubsample: [0.7, 0.85, 1],
  },
  // Early stopping by default only on tables over earlyStoppingMinRows rows; asked for (or off), at any size.
  decideDefaults: (args, runRows) =>
    args.earlyStoppingRounds !== undefined
      ? args
      : { ...args, earlyStoppingRounds: runRows > earlyStoppingMinRows ? defaultEarlyStoppingRounds : 0 },
  // Where the run stops early, boosting stops early on a seeded tenth of each fold's training rows, as the final fit
  // stops on the validation rows: without it, the folds would score a model the final fit never makes.
  earlyStopsInSearch: (args) => (args.earlyStoppingRounds ?? defaultEarlyStoppingRounds) > 0,
  takesClassWeights: true,
  fixedIterations: (a, report) =>
    typeof report.bestRound === 'number' && report.bestRound > 0 ? { ...a, trees: report.bestRound, earlyStoppingRounds: 0 } : a,
  shapSummary: treeShap,
};

/**
 * A tree fit's parameters as its run records them: without what the worker was told for this fit alone (its seed,
 * recorded as the run's; its threads, deadline and kernel choice).
 */
function recordedParams<P extends BoostParams | ForestParams>(
  p: P,
): Omit<P, 'seed' | 'threads' | 'deadline' | 'pinnedKernel' | 'unusableKernels'> {
  const {
    seed: _seed,
    threads: _threads,
    deadline: _deadline,
    pinnedKernel: _pinned,
    unusableKernels: _unusable,
    ...recorded
  } = p;
  return recorded;
}

/**
 * Which hot-loop kernel grew the trees ("native", "wasm-simd" or "typescript": HEARTH_GBDT_KERNEL, a pin, or what is
 * built and usable), and why a pinned one, or a faster one, did not, where either was passed over.
 */
function kernelReport(fit: BoostResult | ForestResult): Record<string, unknown> {
  return {
    kernel: fit.kernel,
    ...(fit.kernelPinSkipped === null ? {} : { kernelPinSkipped: fit.kernelPinSkipped }),
    ...(fit.kernelPassedOver === null ? {} : { kernelPassedOver: fit.kernelPassedOver }),
  };
}

/** A random forest over the same shared bin matrix, scored out of bag. */
export const forestLearner: Learner = {
  async fit(input, host) {
    const { task, frame, rows, args: a, seed, deadline } = input;
    const { features: bins, ignored } = fitBins(frame, rows, a.target, seed, excludedColumns(a));
    const forest: ForestParams = {
      trees: a.trees ?? 100,
      maxLeaves: a.maxLeaves ?? 1024,
      maxDepth: a.maxDepth ?? 0,
      minChildSamples: a.minChildSamples ?? 2,
      featuresPerSplit: a.featuresPerSplit ?? 0,
      sampleFraction: a.sampleFraction ?? 1,
      seed,
      threads: a.threads ?? defaultFitThreads(),
      pinnedKernel: host.pinnedKernel(),
      unusableKernels: host.unusableKernels(),
      deadline,
    };
    const training = binnedTraining(input, bins);
    const reply = await host.runWorker(
      { seq: host.nextSeq(), type: 'fit-forest', ...training, params: forest, cancel: host.cancel },
      input.label,
    );
    if (reply.type !== 'forest') throw new HearthError('INTERNAL', 'unexpected worker reply');
    const fit = reply.result;
    const model = treeModel(input, 'forest', bins, fit, new Array<number>(fit.outputs).fill(0), fit.outputs);
    return {
      model,
      params: { ...recordedParams(forest), seed, validationFraction: input.validationFraction, testFraction: input.testFraction },
      fitReport: {
        ignoredColumns: ignored,
        trees: model.trees.length,
        oobScore: outOfBagScore(task, fit.oob, training.targets, fit.outputs),
        ...kernelReport(fit),
        // Where the large nodes' histograms were built: null on the CPU, else the GPU adapter and its share of nodes.
        histogramDevice: fit.gpu,
        importance: treeImportance(model),
        features: model.features.map((f) => ({ name: f.name, kind: f.kind })),
      },
      workerCpuMs: reply.cpuMs,
    };
  },
  searchGrid: { trees: [50, 100, 200], maxLeaves: [256, 1024, 4096], minChildSamples: [1, 2, 5] },
  decideDefaults: (args) => args,
  earlyStopsInSearch: () => false,
  takesClassWeights: false,
  fixedIterations: (a) => a,
  shapSummary: treeShap,
};

/**
 * The forest's out-of-bag score on the training rows that some tree left out: ROC AUC (binary), accuracy
 * (multiclass) or R² (regression), with the row count it rests on.
 */
function outOfBagScore(
  task: Task,
  oob: Float64Array,
  targets: Int32Array | Float64Array,
  K: number,
): { metric: string; value: number; rows: number } {
  const rows: number[] = [];
  for (let i = 0; i < targets.length; i++) if (!Number.isNaN(oob[i * K]!)) rows.push(i);
  if (task === 'regression') {
    const m = regressionMetrics(
      Float64Array.from(rows, (i) => targets[i]!),
      Float64Array.from(rows, (i) => oob[i]!),
    );
    return { metric: 'r2', value: m.r2, rows: rows.length };
  }
  if (task === 'binary') {
    return {
      metric: 'roc_auc',
      value: rocAuc(
        Uint8Array.from(rows, (i) => targets[i]!),
        Float64Array.from(rows, (i) => oob[i]!),
      ),
      rows: rows.length,
    };
  }
  let correct = 0;
  for (const i of rows) {
    let best = 0;
    for (let c = 1; c < K; c++) if (oob[i * K + c]! > oob[i * K + best]!) best = c;
    if (best === targets[i]) correct++;
  }
  return { metric: 'accuracy', value: rows.length === 0 ? Number.NaN : correct / rows.length, rows: rows.length };
}
