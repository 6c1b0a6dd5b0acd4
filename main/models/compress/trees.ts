import { HearthError } from '../../contracts/errors.js';
import { leafOf, treeInputMatrix, type TreeModel } from '../tree-model.js';
import type { RawInputs } from '../preprocess.js';
import { marginLoss, type Targets } from './loss.js';

/* Tree-ensemble variants: fewer trees (a prefix of rounds, or those whose removal costs least on validation),
   float32 thresholds and leaves, and a narrower input without the features no tree uses. */

/** Boosting rounds: a round has one tree per output (multiclass), one otherwise. */
export function treeRounds(model: TreeModel): number {
  const perOutput = new Array<number>(model.outputs).fill(0);
  for (const o of model.treeOutputs) perOutput[o]!++;
  return Math.max(...perOutput);
}

/** The model with only the trees at `indices` (kept in their order). */
export function keepTrees(model: TreeModel, indices: readonly number[]): TreeModel {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  if (sorted.length === 0) throw new HearthError('VALIDATION_FAILED', 'a tree model needs at least one tree');
  for (const t of sorted)
    if (!Number.isInteger(t) || t < 0 || t >= model.trees.length) throw new HearthError('VALIDATION_FAILED', `no tree ${t}`);
  return { ...model, trees: sorted.map((t) => model.trees[t]!), treeOutputs: sorted.map((t) => model.treeOutputs[t]!) };
}

/** The first `rounds` boosting rounds: each output's first `rounds` trees, exactly what boosting had summed then. */
export function truncateRounds(model: TreeModel, rounds: number): TreeModel {
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > treeRounds(model))
    throw new HearthError('VALIDATION_FAILED', `rounds must be 1…${treeRounds(model)}, not ${rounds}`);
  const seen = new Array<number>(model.outputs).fill(0);
  const kept: number[] = [];
  model.treeOutputs.forEach((o, t) => {
    if (seen[o]!++ < rounds) kept.push(t);
  });
  return keepTrees(model, kept);
}

/** The largest float32. */
const float32Max = 3.4028234663852886e38;

/**
 * Thresholds and leaf values rounded to single precision; the predictor and the graph then work in float32. A
 * threshold past float32's range is clamped to it, not rounded to an infinity: a model is stored as JSON, which has
 * none (an infinite threshold came back as null and was read as a category split), and in float32 the two compare
 * alike but for the infinities themselves.
 */
export function treesToFloat32(model: TreeModel): TreeModel {
  return {
    ...model,
    precision: 'float32',
    trees: model.trees.map((tree) => ({
      ...tree,
      threshold: tree.threshold.map((v) => (v === null ? null : Math.fround(Math.min(float32Max, Math.max(-float32Max, v))))),
      value: tree.value.map((v) => Math.fround(v)),
    })),
  };
}

/** The features some tree splits on, in the model's order. */
export function usedFeatures(model: TreeModel): number[] {
  const used = new Set<number>();
  for (const tree of model.trees) for (const f of tree.feature) if (f >= 0) used.add(f);
  return [...used].sort((a, b) => a - b);
}

/** The model without the features no tree uses: a narrower input, the same predictions. */
export function dropUnusedFeatures(model: TreeModel): TreeModel {
  const used = usedFeatures(model);
  // A model of single leaves still takes one input (the graph's TreeEnsemble reads a column).
  const keep = used.length === 0 ? [0] : used;
  const index = new Map(keep.map((f, i) => [f, i]));
  return {
    ...model,
    features: keep.map((f) => model.features[f]!),
    trees: model.trees.map((tree) => ({ ...tree, feature: tree.feature.map((f) => (f < 0 ? f : index.get(f)!)) })),
  };
}

/** Each tree's leaf value for each row (trees × rows), the margins' parts; gbdt (summed) models only. */
export function treeContributions(model: TreeModel, raw: RawInputs): Float64Array[] {
  const x = treeInputMatrix(model, raw);
  const F = model.features.length;
  return model.trees.map((tree) => Float64Array.from({ length: raw.rows }, (_, i) => tree.value[leafOf(tree, x, i * F)]!));
}

function marginsOf(model: TreeModel, parts: readonly Float64Array[], kept: readonly number[], rows: number): Float64Array {
  const K = model.outputs;
  const margins = new Float64Array(rows * K);
  for (let i = 0; i < rows; i++) for (let k = 0; k < K; k++) margins[i * K + k] = model.baseScore[k]!;
  for (const t of kept) {
    const o = model.treeOutputs[t]!;
    const c = parts[t]!;
    for (let i = 0; i < rows; i++) margins[i * K + o]! += c[i]!;
  }
  return margins;
}

/** The validation loss (log loss, or squared error for regression) after each round; index r is r + 1 rounds. */
export function lossByRound(model: TreeModel, parts: readonly Float64Array[], targets: Targets): number[] {
  requireSum(model);
  const rows = targets.length;
  const K = model.outputs;
  const margins = marginsOf(model, parts, [], rows);
  const seen = new Array<number>(K).fill(0);
  const losses: number[] = [];
  const R = treeRounds(model);
  // Trees in order; a round is complete once every output has that many trees.
  let t = 0;
  for (let r = 1; r <= R; r++) {
    for (; t < model.trees.length; t++) {
      const o = model.treeOutputs[t]!;
      if (seen[o]! >= r) break;
      seen[o]!++;
      const c = parts[t]!;
      for (let i = 0; i < rows; i++) margins[i * K + o]! += c[i]!;
    }
    losses.push(marginLoss(model.task, margins, K, targets));
  }
  return losses;
}

/** One pruned set on the way down: the trees kept and the validation loss with them. */
export interface PruneStep {
  kept: number[];
  loss: number;
}

/**
 * Backward elimination on validation: from all trees, repeatedly remove the trees whose removal raises the
 * validation loss least, each measured alone, a few at a time (5% of those left, never past the next target), and
 * record the loss actually reached at each target count. O(steps × trees × rows).
 */
export function pruneOnValidation(
  model: TreeModel,
  parts: readonly Float64Array[],
  targets: Targets,
  keepCounts: readonly number[],
): { fullLoss: number; steps: Map<number, PruneStep> } {
  requireSum(model);
  const rows = targets.length;
  const K = model.outputs;
  let kept = model.trees.map((_, t) => t);
  let margins = marginsOf(model, parts, kept, rows);
  const fullLoss = marginLoss(model.task, margins, K, targets);
  const goals = [...new Set(keepCounts)].filter((c) => c >= 1 && c < kept.length).sort((a, b) => b - a);
  const steps = new Map<number, PruneStep>();
  const trial = new Float64Array(rows * K);
  for (const goal of goals) {
    while (kept.length > goal) {
      const costs = kept.map((t) => {
        trial.set(margins);
        const o = model.treeOutputs[t]!;
        const c = parts[t]!;
        for (let i = 0; i < rows; i++) trial[i * K + o]! -= c[i]!;
        return { t, loss: marginLoss(model.task, trial, K, targets) };
      });
      costs.sort((a, b) => a.loss - b.loss || a.t - b.t);
      const take = Math.min(kept.length - goal, Math.max(1, Math.ceil(kept.length * 0.05)));
      const drop = new Set(costs.slice(0, take).map((c) => c.t));
      kept = kept.filter((t) => !drop.has(t));
      margins = marginsOf(model, parts, kept, rows);
    }
    steps.set(goal, { kept: [...kept], loss: marginLoss(model.task, margins, K, targets) });
  }
  return { fullLoss, steps };
}

function requireSum(model: TreeModel): void {
  if (model.aggregation !== 'sum')
    throw new HearthError('NOT_SUPPORTED', 'only boosted (summed) trees are pruned on validation; a forest keeps a prefix');
}
