import type { GrownTree } from '../../workers/gbdt/tree.js';
import type { FeatureBins } from './binning.js';
import type { PredictionMatrix } from './linear-model.js';
import type { RawInputs, Task } from './preprocess.js';

/** A tree model's input: numbers as given (NaN missing); categories as codes (see `categoricalCode`). */
export type TreeFeature =
  | { kind: 'numeric'; name: string; sourceType: 'integer' | 'number' | 'boolean' | 'datetime' }
  | { kind: 'categorical'; name: string; categories: string[] };

/** One tree in flat arrays over its nodes; node 0 is the root, feature −1 marks a leaf. */
export interface TreeNodes {
  feature: number[];
  /** Numeric splits: x ≤ threshold goes left. Null for categorical splits and leaves. */
  threshold: (number | null)[];
  /** Categorical splits: the category codes that go left. */
  leftCodes: (number[] | null)[];
  /** Where a missing value goes. */
  defaultLeft: boolean[];
  left: number[];
  right: number[];
  value: number[];
  /** Training rows through the node. */
  count: number[];
  gain: number[];
}

/** A gradient-boosted or random-forest tree ensemble with its input encoding: what is stored as the model blob. */
export interface TreeModel {
  format: 'hearth.trees/1';
  algorithm: 'gbdt' | 'forest';
  task: Task;
  target: string;
  classes: string[] | null;
  features: TreeFeature[];
  trees: TreeNodes[];
  /** The output (class) each tree contributes to. */
  treeOutputs: number[];
  /** Added to the summed tree outputs (margins); 0 for forests. */
  baseScore: number[];
  outputs: number;
  /** gbdt sums tree outputs into margins; a forest averages probabilities (or values). */
  aggregation: 'sum' | 'average';
}

export function treeFeaturesFromBins(bins: readonly FeatureBins[]): TreeFeature[] {
  return bins.map((b) =>
    b.kind === 'numeric'
      ? { kind: 'numeric', name: b.name, sourceType: b.sourceType }
      : { kind: 'categorical', name: b.name, categories: b.categories },
  );
}

/** Converts a grown tree over bins into thresholds over raw values: bin ≤ b is exactly value ≤ upper[b]. */
export function treeFromGrown(tree: GrownTree, bins: readonly FeatureBins[]): TreeNodes {
  return {
    feature: [...tree.feature],
    threshold: tree.feature.map((f, node) => {
      if (f < 0) return null;
      const feature = bins[f]!;
      if (feature.kind !== 'numeric') return null;
      // A split after the last edge sends every present value left and only missing ones right. JSON has no
      // Infinity, so the largest double stands for it.
      const bin = tree.splitBin[node]!;
      return bin < feature.upper.length ? feature.upper[bin]! : Number.MAX_VALUE;
    }),
    leftCodes: tree.leftBins.map((b) => (b === null ? null : [...b])),
    defaultLeft: [...tree.defaultLeft],
    left: [...tree.left],
    right: [...tree.right],
    value: [...tree.value],
    count: [...tree.count],
    gain: [...tree.gain],
  };
}

/** The code of a category for the trees: its index, `categories.length` for any other level, NaN for missing. */
export function categoricalCode(categories: Map<string, number>, other: number, value: string): number {
  if (value === '') return Number.NaN;
  return categories.get(value) ?? other;
}

/** Row-major n × F matrix of tree inputs from raw inputs (the same encoding the ONNX graph applies). */
export function treeInputMatrix(model: TreeModel, raw: RawInputs): Float64Array {
  const F = model.features.length;
  const out = new Float64Array(raw.rows * F);
  let n = 0;
  let k = 0;
  model.features.forEach((feature, f) => {
    if (feature.kind === 'numeric') {
      const values = raw.numeric[n++]!;
      for (let i = 0; i < raw.rows; i++) out[i * F + f] = values[i]!;
    } else {
      const index = new Map(feature.categories.map((c, i) => [c, i]));
      const values = raw.categorical[k++]!;
      for (let i = 0; i < raw.rows; i++) out[i * F + f] = categoricalCode(index, feature.categories.length, values[i]!);
    }
  });
  return out;
}

/** The leaf a row of the input matrix reaches. */
export function leafOf(tree: TreeNodes, x: Float64Array, offset: number): number {
  let node = 0;
  for (;;) {
    const f = tree.feature[node]!;
    if (f < 0) return node;
    const v = x[offset + f]!;
    let left: boolean;
    if (Number.isNaN(v)) left = tree.defaultLeft[node]!;
    else {
      const threshold = tree.threshold[node];
      left = threshold === null || threshold === undefined ? tree.leftCodes[node]!.includes(v) : v <= threshold;
    }
    node = left ? tree.left[node]! : tree.right[node]!;
  }
}

/** Sums (gbdt) or averages (forest) the trees into raw scores, n × outputs. */
export function treeScores(model: TreeModel, x: Float64Array, rows: number): Float64Array {
  const F = model.features.length;
  const K = model.outputs;
  const scores = new Float64Array(rows * K);
  const perOutput = new Array<number>(K).fill(0);
  for (const c of model.treeOutputs) perOutput[c]!++;
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < K; c++) scores[i * K + c] = model.baseScore[c]!;
    model.trees.forEach((tree, t) => {
      scores[i * K + model.treeOutputs[t]!]! += tree.value[leafOf(tree, x, i * F)]!;
    });
    if (model.aggregation === 'average') for (let c = 0; c < K; c++) scores[i * K + c]! /= Math.max(1, perOutput[c]!);
  }
  return scores;
}

export const minimumTotal = 1e-300;

/** Probabilities or values, computed as the exported ONNX graph computes them. */
export function predictTrees(model: TreeModel, raw: RawInputs): PredictionMatrix {
  const n = raw.rows;
  const scores = treeScores(model, treeInputMatrix(model, raw), n);
  if (model.task === 'regression') return { kind: 'regression', values: scores };
  const classes = model.classes ?? [];
  if (model.task === 'binary') {
    const probabilities = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      // A forest's binary output is already the averaged share of positives in the leaves.
      const p = model.aggregation === 'sum' ? 1 / (1 + Math.exp(-scores[i]!)) : scores[i]!;
      probabilities[2 * i] = 1 - p;
      probabilities[2 * i + 1] = p;
    }
    return { kind: 'classification', classes, probabilities };
  }
  const K = model.outputs;
  const probabilities = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < K; c++) max = Math.max(max, scores[i * K + c]!);
    let sum = 0;
    for (let c = 0; c < K; c++) {
      const e = model.aggregation === 'sum' ? Math.exp(scores[i * K + c]! - max) : scores[i * K + c]!;
      probabilities[i * K + c] = e;
      sum += e;
    }
    // A forest's per-class averages are normalised; the floor keeps an all-zero row at zero, as in the graph.
    for (let c = 0; c < K; c++) probabilities[i * K + c]! /= Math.max(sum, minimumTotal);
  }
  return { kind: 'classification', classes, probabilities };
}

/** Split-count and total-gain importance per feature. */
export function treeImportance(model: TreeModel): { feature: string; gain: number; splits: number }[] {
  const gain = new Float64Array(model.features.length);
  const splits = new Float64Array(model.features.length);
  for (const tree of model.trees) {
    tree.feature.forEach((f, node) => {
      if (f >= 0) {
        gain[f]! += tree.gain[node]!;
        splits[f]!++;
      }
    });
  }
  return model.features.map((f, i) => ({ feature: f.name, gain: gain[i]!, splits: splits[i]! })).sort((a, b) => b.gain - a.gain);
}
