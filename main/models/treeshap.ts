import type { Explanation, Prediction } from '../contracts/api.js';
import type { RawInputs } from './preprocess.js';
import { leafOf, treeInputMatrix, type TreeModel, type TreeNodes } from './tree-model.js';

/*
 * Exact path-dependent TreeSHAP (Lundberg, Erion & Lee, "Consistent Individualized Feature Attribution for Tree
 * Ensembles", 2018, Algorithm 2): polynomial time per tree, with node covers (training rows through each node)
 * standing in for the conditional expectation. Contributions of a row sum to its margin minus the expected margin.
 */

interface PathElement {
  feature: number;
  zero: number;
  one: number;
  weight: number;
}

function extend(path: PathElement[], zero: number, one: number, feature: number): PathElement[] {
  const m = path.map((e) => ({ ...e }));
  const l = m.length;
  m.push({ feature, zero, one, weight: l === 0 ? 1 : 0 });
  for (let i = l - 1; i >= 0; i--) {
    m[i + 1]!.weight += (one * m[i]!.weight * (i + 1)) / (l + 1);
    m[i]!.weight = (zero * m[i]!.weight * (l - i)) / (l + 1);
  }
  return m;
}

function unwind(path: PathElement[], index: number): PathElement[] {
  const l = path.length - 1;
  const m = path.map((e) => ({ ...e }));
  const { one, zero } = m[index]!;
  let n = m[l]!.weight;
  for (let j = l - 1; j >= 0; j--) {
    if (one !== 0) {
      const t = m[j]!.weight;
      m[j]!.weight = (n * (l + 1)) / ((j + 1) * one);
      n = t - (m[j]!.weight * zero * (l - j)) / (l + 1);
    } else {
      m[j]!.weight = (m[j]!.weight * (l + 1)) / (zero * (l - j));
    }
  }
  for (let j = index; j < l; j++) {
    m[j]!.feature = m[j + 1]!.feature;
    m[j]!.zero = m[j + 1]!.zero;
    m[j]!.one = m[j + 1]!.one;
  }
  m.pop();
  return m;
}

function unwoundSum(path: PathElement[], index: number): number {
  return unwind(path, index).reduce((s, e) => s + e.weight, 0);
}

/** Which child a row follows at an internal node (missing values take the learned default). */
function hotChild(tree: TreeNodes, node: number, x: Float64Array, offset: number): number {
  const v = x[offset + tree.feature[node]!]!;
  let left: boolean;
  if (Number.isNaN(v)) left = tree.defaultLeft[node]!;
  else {
    const threshold = tree.threshold[node];
    left = threshold === null || threshold === undefined ? tree.leftCodes[node]!.includes(v) : v <= threshold;
  }
  return left ? tree.left[node]! : tree.right[node]!;
}

/** Adds one tree's contributions for the row at `offset` of the input matrix into `phi`. */
export function treeShap(tree: TreeNodes, x: Float64Array, offset: number, phi: Float64Array, scale = 1): void {
  const recurse = (node: number, path: PathElement[], zero: number, one: number, feature: number): void => {
    const m = extend(path, zero, one, feature);
    if (tree.feature[node]! < 0) {
      for (let i = 1; i < m.length; i++) {
        const w = unwoundSum(m, i);
        phi[m[i]!.feature]! += w * (m[i]!.one - m[i]!.zero) * tree.value[node]! * scale;
      }
      return;
    }
    const hot = hotChild(tree, node, x, offset);
    const cold = hot === tree.left[node] ? tree.right[node]! : tree.left[node]!;
    const f = tree.feature[node]!;
    let incomingZero = 1;
    let incomingOne = 1;
    let current = m;
    const k = current.findIndex((e, i) => i > 0 && e.feature === f);
    if (k > 0) {
      incomingZero = current[k]!.zero;
      incomingOne = current[k]!.one;
      current = unwind(current, k);
    }
    const cover = tree.count[node]!;
    recurse(hot, current, (incomingZero * tree.count[hot]!) / cover, incomingOne, f);
    recurse(cold, current, (incomingZero * tree.count[cold]!) / cover, 0, f);
  };
  recurse(0, [], 1, 1, -1);
}

/** A tree's expected output: leaf values weighted by the share of training rows that reach them. */
export function treeExpectation(tree: TreeNodes): number {
  let sum = 0;
  tree.feature.forEach((f, node) => {
    if (f < 0) sum += tree.value[node]! * tree.count[node]!;
  });
  return sum / tree.count[0]!;
}

/**
 * Explains each prediction: the predicted class's output for multiclass, the positive class's log-odds for
 * binary, the value for regression.
 */
export function explainPredictions(model: TreeModel, raw: RawInputs, predictions: readonly Prediction[]): Explanation[] {
  const F = model.features.length;
  const x = treeInputMatrix(model, raw);
  const classes = model.classes ?? [];
  return predictions.map((p, i) => {
    const k = model.task === 'multiclass' && 'label' in p ? classes.indexOf(p.label) : 0;
    const { expectedValue, phi } = explainTrees(model, x.subarray(i * F, (i + 1) * F), 1, k);
    const output = model.task === 'regression' ? model.target : model.task === 'binary' ? (classes[1] ?? '') : (classes[k] ?? '');
    return {
      output,
      space:
        model.task === 'regression'
          ? 'value'
          : model.aggregation === 'average'
            ? 'probability'
            : model.task === 'binary'
              ? 'log-odds'
              : 'softmax-logit',
      method: 'treeshap',
      expectedValue,
      contributions: Object.fromEntries(model.features.map((f, j) => [f.name, phi[0]![j]!])),
    };
  });
}

/** Contributions of each feature to output `k` for every row of the input matrix (gbdt: margins). */
export function explainTrees(
  model: TreeModel,
  x: Float64Array,
  rows: number,
  k: number,
): { expectedValue: number; phi: Float64Array[] } {
  const F = model.features.length;
  const scale = model.aggregation === 'average' ? 1 / Math.max(1, model.treeOutputs.filter((c) => c === k).length) : 1;
  let expectedValue = model.baseScore[k]!;
  model.trees.forEach((tree, t) => {
    if (model.treeOutputs[t] === k) expectedValue += treeExpectation(tree) * scale;
  });
  const phi: Float64Array[] = [];
  for (let i = 0; i < rows; i++) {
    const contributions = new Float64Array(F);
    model.trees.forEach((tree, t) => {
      if (model.treeOutputs[t] === k) treeShap(tree, x, i * F, contributions, scale);
    });
    phi.push(contributions);
  }
  return { expectedValue, phi };
}

/** For tests: the tree output expected given only the features in `known` (path-dependent conditioning). */
export function conditionalExpectation(tree: TreeNodes, x: Float64Array, offset: number, known: Set<number>): number {
  const walk = (node: number): number => {
    if (tree.feature[node]! < 0) return tree.value[node]!;
    if (known.has(tree.feature[node]!)) return walk(hotChild(tree, node, x, offset));
    const l = tree.left[node]!;
    const r = tree.right[node]!;
    return (walk(l) * tree.count[l]! + walk(r) * tree.count[r]!) / tree.count[node]!;
  };
  return walk(0);
}

export { leafOf };

/**
 * A SHAP summary: each feature's mean |contribution| over the rows (summed over classes for multiclass), largest
 * first. What a beeswarm plot summarises, small enough to keep in a run's record.
 */
export function shapSummary(model: TreeModel, raw: RawInputs): { feature: string; meanAbs: number }[] {
  const F = model.features.length;
  const x = treeInputMatrix(model, raw);
  const totals = new Float64Array(F);
  const outputs = model.task === 'multiclass' ? (model.classes?.length ?? 1) : 1;
  for (let k = 0; k < outputs; k++) {
    const { phi } = explainTrees(model, x, raw.rows, k);
    for (const row of phi) for (let j = 0; j < F; j++) totals[j]! += Math.abs(row[j]!);
  }
  return model.features
    .map((f, j) => ({ feature: f.name, meanAbs: raw.rows === 0 ? 0 : totals[j]! / raw.rows }))
    .sort((a, b) => b.meanAbs - a.meanAbs);
}
