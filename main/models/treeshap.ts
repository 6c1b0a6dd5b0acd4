import type { Explanation, Prediction } from '../contracts/api.js';
import type { RawInputs } from './preprocess.js';
import { leafOf, treeInputMatrix, type TreeModel, type TreeNodes } from './tree-model.js';

/*
 * Exact path-dependent TreeSHAP (Lundberg, Erion & Lee, "Consistent Individualized Feature Attribution for Tree
 * Ensembles", 2018, Algorithm 2): polynomial time per tree, with node covers (training rows through each node)
 * standing in for the conditional expectation. Contributions of a row sum to its margin minus the expected margin.
 */

/*
 * The path of (feature, zero fraction, one fraction, weight) elements lives in typed arrays, one segment per depth
 * of the recursion (a child copies its parent's segment and extends it), as in the reference implementation
 * (shap's tree_shap.h): no objects are allocated per node, which made explaining 500 rows cost seconds.
 */
interface PathBuffer {
  /** Elements per segment: the deepest path has one element per level plus the root's. */
  stride: number;
  feature: Int32Array;
  zero: Float64Array;
  one: Float64Array;
  weight: Float64Array;
}

const buffers = new WeakMap<TreeNodes, PathBuffer>();

function pathBuffer(tree: TreeNodes): PathBuffer {
  let buffer = buffers.get(tree);
  if (buffer !== undefined) return buffer;
  const depthOf = (node: number): number =>
    tree.feature[node]! < 0 ? 0 : 1 + Math.max(depthOf(tree.left[node]!), depthOf(tree.right[node]!));
  const stride = depthOf(0) + 2;
  buffer = pathSegments(stride, stride);
  buffers.set(tree, buffer);
  return buffer;
}

/** A path buffer of `segments` segments of `stride` elements. */
function pathSegments(stride: number, segments: number): PathBuffer {
  const size = stride * segments;
  return {
    stride,
    feature: new Int32Array(size),
    zero: new Float64Array(size),
    one: new Float64Array(size),
    weight: new Float64Array(size),
  };
}

/** Appends an element to the path of `length` elements at `at` (Algorithm 2's EXTEND). */
function extend(p: PathBuffer, at: number, length: number, zero: number, one: number, feature: number): void {
  const l = length;
  p.feature[at + l] = feature;
  p.zero[at + l] = zero;
  p.one[at + l] = one;
  p.weight[at + l] = l === 0 ? 1 : 0;
  const w = p.weight;
  for (let i = l - 1; i >= 0; i--) {
    w[at + i + 1]! += (one * w[at + i]! * (i + 1)) / (l + 1);
    w[at + i] = (zero * w[at + i]! * (l - i)) / (l + 1);
  }
}

/** Removes element `index` from the path of `length` elements at `at`, in place (Algorithm 2's UNWIND). */
function unwind(p: PathBuffer, at: number, length: number, index: number): void {
  const l = length - 1;
  const w = p.weight;
  const one = p.one[at + index]!;
  const zero = p.zero[at + index]!;
  let n = w[at + l]!;
  for (let j = l - 1; j >= 0; j--) {
    if (one !== 0) {
      const t = w[at + j]!;
      w[at + j] = (n * (l + 1)) / ((j + 1) * one);
      n = t - (w[at + j]! * zero * (l - j)) / (l + 1);
    } else {
      w[at + j] = (w[at + j]! * (l + 1)) / (zero * (l - j));
    }
  }
  for (let j = index; j < l; j++) {
    p.feature[at + j] = p.feature[at + j + 1]!;
    p.zero[at + j] = p.zero[at + j + 1]!;
    p.one[at + j] = p.one[at + j + 1]!;
  }
}

/**
 * The total weight of the path with element `index` unwound, leaving the path as it was (shap's unwound_path_sum):
 * unwind's recurrence, summed as it goes, with its divisions by loop constants taken once. The hot loop of a leaf.
 */
function unwoundSum(p: PathBuffer, at: number, length: number, index: number): number {
  const l = length - 1;
  const w = p.weight;
  const one = p.one[at + index]!;
  const zero = p.zero[at + index]!;
  let total = 0;
  if (one !== 0) {
    const perOne = (l + 1) / one;
    const perLength = zero / (l + 1);
    let n = w[at + l]!;
    for (let j = l - 1; j >= 0; j--) {
      const u = (n * perOne) / (j + 1);
      total += u;
      n = w[at + j]! - u * perLength * (l - j);
    }
  } else {
    const perZero = (l + 1) / zero;
    for (let j = l - 1; j >= 0; j--) total += (w[at + j]! * perZero) / (l - j);
  }
  return total;
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
  const p = pathBuffer(tree);
  const { stride } = p;
  // `level` is the recursion's depth: its path segment starts at level × stride; the parent's path (of `length`
  // elements) is copied there and extended.
  const recurse = (node: number, level: number, length: number, zero: number, one: number, feature: number): void => {
    const at = level * stride;
    if (level > 0) {
      // Plain loops: a path is a few to a few tens of elements, and four copyWithin calls a node cost more in calls
      // than in copying.
      const from = at - stride;
      for (let i = 0; i < length; i++) {
        p.feature[at + i] = p.feature[from + i]!;
        p.zero[at + i] = p.zero[from + i]!;
        p.one[at + i] = p.one[from + i]!;
        p.weight[at + i] = p.weight[from + i]!;
      }
    }
    extend(p, at, length, zero, one, feature);
    let size = length + 1;
    if (tree.feature[node]! < 0) {
      const value = tree.value[node]!;
      for (let i = 1; i < size; i++) {
        const w = unwoundSum(p, at, size, i);
        phi[p.feature[at + i]!]! += w * (p.one[at + i]! - p.zero[at + i]!) * value * scale;
      }
      return;
    }
    const hot = hotChild(tree, node, x, offset);
    const cold = hot === tree.left[node] ? tree.right[node]! : tree.left[node]!;
    const f = tree.feature[node]!;
    let incomingZero = 1;
    let incomingOne = 1;
    let k = -1;
    for (let i = 1; i < size; i++)
      if (p.feature[at + i] === f) {
        k = i;
        break;
      }
    if (k > 0) {
      incomingZero = p.zero[at + k]!;
      incomingOne = p.one[at + k]!;
      unwind(p, at, size, k);
      size--;
    }
    const cover = tree.count[node]!;
    recurse(hot, level + 1, size, (incomingZero * tree.count[hot]!) / cover, incomingOne, f);
    recurse(cold, level + 1, size, (incomingZero * tree.count[cold]!) / cover, 0, f);
  };
  recurse(0, 0, 0, 1, 1, -1);
}

/*
 * Many rows at once. In path-dependent TreeSHAP a leaf's contribution to a row depends on the row only through which
 * of the features on the leaf's path it satisfies (a feature's "one" fraction is 1 when the row meets all of that
 * feature's conditions on the path, else 0); the "zero" fractions are the tree's own. So each leaf is computed once
 * per distinct set of satisfied features among the rows, and a row adds up its leaves' remembered contributions. On
 * 500 rows of a 100-tree, 31-leaf model, 92–95% of (leaf, row) pairs repeat one already computed: the summary took
 * 570–610 ms a run, and most of a train job's explain phase.
 */

/** Leaves whose paths have more distinct features than this are explained row by row (a leaf's memo has 2^width slots). */
const maxMemoWidth = 14;
/** A categorical split's left codes are looked up in a table of this many entries at most. */
const maxTableCode = 1 << 16;

/** A tree's leaves as paths of distinct features, and each split as the bit of its feature on the paths through it. */
interface LeafPaths {
  /** Per internal node: its feature's position among the distinct features on the path from the root to it. */
  bit: Int32Array;
  /** Per leaf (by node): its path's distinct features and their zero fractions, at `start`, `width` of them. */
  start: Int32Array;
  width: Int32Array;
  features: Int32Array;
  zeros: Float64Array;
  /** Per leaf: where its memo's 2^width slots start. */
  memoStart: Int32Array;
  memoSlots: number;
  /** Per categorical split: the left codes as a lookup table (a split has up to hundreds of codes). */
  leftTable: (Uint8Array | null)[];
  /**
   * The widest leaf's path: wider than maxMemoWidth (or Infinity: codes no table holds, nodes reached by two paths),
   * the tree is explained row by row.
   */
  widest: number;
  /** The highest feature index a split reads (Infinity for one that is not an integer). */
  highestFeature: number;
  /**
   * The tree's arrays as typed arrays, for the walk's hot loop (a stored tree's are plain arrays, its thresholds
   * mixed with nulls): the threshold NaN at categorical splits, no nulls.
   */
  feature: Int32Array;
  threshold: Float64Array;
  defaultLeft: Uint8Array;
  left: Int32Array;
  right: Int32Array;
}

const leafPathsOf = new WeakMap<TreeNodes, LeafPaths>();

function leafPaths(tree: TreeNodes): LeafPaths {
  let paths = leafPathsOf.get(tree);
  if (paths !== undefined) return paths;
  const nodes = tree.feature.length;
  const bit = new Int32Array(nodes).fill(-1);
  const start = new Int32Array(nodes);
  const width = new Int32Array(nodes);
  const memoStart = new Int32Array(nodes);
  const features: number[] = [];
  const zeros: number[] = [];
  let memoSlots = 0;
  let widest = 0;
  // The path's distinct features in order of first appearance, with their zero fractions so far.
  const pathFeatures: number[] = [];
  const pathZeros: number[] = [];
  // A stored tree whose nodes share a child (each child need only have a higher index than its parent) reaches a
  // node by two paths: such a tree, or one whose features index past the rows', is explained row by row.
  const visited = new Uint8Array(nodes);
  let shared = false;
  let highestFeature = -1;
  const walk = (node: number): void => {
    if (visited[node] === 1) shared = true;
    visited[node] = 1;
    const f = tree.feature[node]!;
    if (f < 0) {
      start[node] = features.length;
      width[node] = pathFeatures.length;
      features.push(...pathFeatures);
      zeros.push(...pathZeros);
      widest = Math.max(widest, pathFeatures.length);
      memoStart[node] = memoSlots;
      if (pathFeatures.length <= maxMemoWidth) memoSlots += 2 ** pathFeatures.length;
      return;
    }
    highestFeature = Math.max(highestFeature, Number.isInteger(f) ? f : Infinity);
    let b = pathFeatures.indexOf(f);
    const added = b < 0;
    if (added) {
      b = pathFeatures.length;
      pathFeatures.push(f);
      pathZeros.push(1);
    }
    bit[node] = b;
    const before = pathZeros[b]!;
    const cover = tree.count[node]!;
    for (const child of [tree.left[node]!, tree.right[node]!]) {
      pathZeros[b] = (before * tree.count[child]!) / cover;
      walk(child);
    }
    pathZeros[b] = before;
    if (added) {
      pathFeatures.pop();
      pathZeros.pop();
    }
  };
  walk(0);
  if (shared) widest = Infinity;
  // Codes are category indices; a stored model with codes no table can hold is explained row by row.
  const tableable = (codes: number[]): boolean => codes.every((c) => Number.isInteger(c) && c >= 0 && c < maxTableCode);
  const leftTable = tree.leftCodes.map((codes) => {
    if (codes === null || codes === undefined) return null;
    if (!tableable(codes)) {
      widest = Infinity;
      return null;
    }
    const table = new Uint8Array(codes.reduce((top, c) => Math.max(top, c + 1), 0));
    for (const code of codes) table[code] = 1;
    return table;
  });
  paths = {
    bit,
    start,
    width,
    features: Int32Array.from(features),
    zeros: Float64Array.from(zeros),
    memoStart,
    memoSlots,
    leftTable,
    widest,
    highestFeature,
    feature: Int32Array.from(tree.feature),
    threshold: Float64Array.from(tree.threshold, (t) => t ?? Number.NaN),
    defaultLeft: Uint8Array.from(tree.defaultLeft, (d) => (d ? 1 : 0)),
    left: Int32Array.from(tree.left),
    right: Int32Array.from(tree.right),
  };
  leafPathsOf.set(tree, paths);
  return paths;
}

/** Scratch for one leaf's path: a root element and up to maxMemoWidth features. */
const leafScratch = pathSegments(maxMemoWidth + 2, 1);

/**
 * One leaf's contributions, for rows satisfying the features in `satisfied` (bit j: the path's j-th feature), into
 * `out` at `at`: Algorithm 2 at the leaf, its path built from the root element and the leaf's distinct features.
 */
function leafContributions(
  paths: LeafPaths,
  leaf: number,
  satisfied: number,
  value: number,
  scale: number,
  out: Float64Array,
  at: number,
): void {
  const p = leafScratch;
  const first = paths.start[leaf]!;
  const width = paths.width[leaf]!;
  extend(p, 0, 0, 1, 1, -1);
  for (let j = 0; j < width; j++) extend(p, 0, j + 1, paths.zeros[first + j]!, (satisfied >> j) & 1, j);
  for (let j = 0; j < width; j++) {
    const w = unwoundSum(p, 0, width + 1, j + 1);
    // As treeShap rounds it: times the value, then the scale.
    out[at + j] = w * (p.one[j + 1]! - p.zero[j + 1]!) * value * scale;
  }
}

/** Grows a typed array to hold at least `size` elements, keeping its contents. */
function grown<T extends Int32Array | Float64Array>(array: T, size: number): T {
  if (array.length >= size) return array;
  const bigger = new (array.constructor as new (n: number) => T)(Math.max(size, array.length * 2));
  bigger.set(array);
  return bigger;
}

/** A call's memo of leaves and their remembered contributions, grown as its trees need and dropped after the call. */
interface LeafMemo {
  slots: Int32Array;
  contributions: Float64Array;
}

/** Adds one tree's contributions for `rows` rows of the input matrix into `phi` (row i's at i × F). */
function treeShapRows(
  tree: TreeNodes,
  x: Float64Array,
  rows: number,
  F: number,
  phi: Float64Array,
  scale: number,
  memo: LeafMemo,
): void {
  const paths = leafPaths(tree);
  if (paths.widest > maxMemoWidth || paths.highestFeature >= F) {
    for (let i = 0; i < rows; i++) {
      const contributions = phi.subarray(i * F, (i + 1) * F);
      treeShap(tree, x, i * F, contributions, scale);
    }
    return;
  }
  const slots = (memo.slots = grown(memo.slots, paths.memoSlots));
  slots.fill(-1, 0, paths.memoSlots);
  let kept = memo.contributions;
  let used = 0;
  const { value } = tree;
  const { feature, threshold, defaultLeft, left, right, bit, start, width, features, memoStart, leftTable } = paths;
  const nodes = feature.length;
  // A node's two children are pushed when it is popped: the stack holds at most a path's siblings plus one.
  const stackNode = new Int32Array(nodes + 1);
  const stackMask = new Int32Array(nodes + 1);
  for (let i = 0; i < rows; i++) {
    const offset = i * F;
    // Depth first from the root; a node's mask has the bits of the path's features the row still satisfies.
    let top = 1;
    stackNode[0] = 0;
    stackMask[0] = -1;
    while (top > 0) {
      top--;
      const node = stackNode[top]!;
      const mask = stackMask[top]!;
      const f = feature[node]!;
      if (f < 0) {
        const w = width[node]!;
        const satisfied = mask & ((1 << w) - 1);
        const slot = memoStart[node]! + satisfied;
        let at = slots[slot]!;
        if (at < 0) {
          at = used;
          used += w;
          if (kept.length < used) memo.contributions = kept = grown(kept, used);
          leafContributions(paths, node, satisfied, value[node]!, scale, kept, at);
          slots[slot] = at;
        }
        const first = start[node]!;
        for (let j = 0; j < w; j++) phi[offset + features[first + j]!]! += kept[at + j]!;
        continue;
      }
      const v = x[offset + f]!;
      let goesLeft: boolean;
      if (v !== v) goesLeft = defaultLeft[node] === 1;
      else {
        const t = threshold[node]!;
        goesLeft = t === t ? v <= t : leftTable[node]![v | 0] === 1 && (v | 0) === v;
      }
      // The cold child pushed first, so the hot one is walked first: leaves add into phi in treeShap's order.
      stackNode[top] = goesLeft ? right[node]! : left[node]!;
      stackMask[top] = mask & ~(1 << bit[node]!);
      top++;
      stackNode[top] = goesLeft ? left[node]! : right[node]!;
      stackMask[top] = mask;
      top++;
    }
  }
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
  // Tree by tree over the rows: a tree's leaf memo serves every row (one row has nothing to share it with).
  const all = new Float64Array(rows * F);
  const memo: LeafMemo = { slots: new Int32Array(1024), contributions: new Float64Array(4096) };
  model.trees.forEach((tree, t) => {
    if (model.treeOutputs[t] !== k) return;
    if (rows === 1) treeShap(tree, x, 0, all, scale);
    else treeShapRows(tree, x, rows, F, all, scale, memo);
  });
  const phi = Array.from({ length: rows }, (_, i) => all.subarray(i * F, (i + 1) * F));
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
