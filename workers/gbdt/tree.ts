import { missingBin } from '../../main/models/binning.js';
import { histStride, histogramSize, type HistogramPool, type SiblingNode } from './histogram.js';
import { findSplit, searchable, splitSearch, threshold, type GrowParams, type Split } from './split-search.js';
import { nativeSubtract } from './kernel.js';

export { orderedEnds, plainCategoricalSplits, type GrowParams } from './split-search.js';

/** A grown tree in flat arrays; node 0 is the root, feature −1 marks a leaf. */
export interface GrownTree {
  feature: number[];
  /** Numeric splits: rows with bin ≤ splitBin go left. */
  splitBin: number[];
  /** Categorical splits: the bins that go left (null for numeric splits and leaves). */
  leftBins: (number[] | null)[];
  defaultLeft: boolean[];
  left: number[];
  right: number[];
  /** Leaf output (learning rate applied); 0 for internal nodes. */
  value: number[];
  /** Training rows that reached the node (the "cover" TreeSHAP weighs paths by). */
  count: number[];
  gain: number[];
  /** Each leaf's slice of the row array after growth: the rows that reached it (not serialised). */
  leaves?: { node: number; start: number; end: number }[];
}

interface Leaf {
  node: number;
  start: number;
  end: number;
  depth: number;
  hist: Float64Array;
  g: number;
  h: number;
  best: Split | null;
}

export interface TreeContext {
  F: number;
  /** Number of binned values per feature (missing excluded). */
  binCounts: readonly number[];
  categorical: readonly boolean[];
  pool: HistogramPool;
}

/**
 * Grows one tree leaf-wise (best-first, as LightGBM): the leaf whose best split gains most is split next, until
 * `maxLeaves`. Only the smaller child's histogram is built; the larger one is the parent's minus the smaller's.
 */
/**
 * `splitFeatures`, when given, picks the features each split may use (a random forest's per-split sampling);
 * otherwise every split may use the features `allowed` for the tree.
 */
export function growTree(
  ctx: TreeContext,
  rowCount: number,
  allowed: Uint8Array,
  p: GrowParams,
  splitFeatures?: () => Uint8Array,
): GrownTree {
  const tree: GrownTree = {
    feature: [],
    splitBin: [],
    leftBins: [],
    defaultLeft: [],
    left: [],
    right: [],
    value: [],
    count: [],
    gain: [],
  };
  const addNode = (count: number): number => {
    tree.feature.push(-1);
    tree.splitBin.push(0);
    tree.leftBins.push(null);
    tree.defaultLeft.push(true);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(0);
    tree.count.push(count);
    tree.gain.push(0);
    return tree.feature.length - 1;
  };
  const leafValue = (g: number, h: number): number => (-threshold(g, p.l1) / (h + p.l2)) * p.learningRate;
  const histLength = histogramSize(ctx.F);
  // Histograms left by earlier trees are reused (every build overwrites its whole histogram): 31 fresh 128 KB
  // arrays a tree were a millisecond of allocation and zeroing, and garbage.
  const spare = ctx.pool.spareHistograms;
  const takeHist = (): Float64Array => spare.pop() ?? new Float64Array(histLength);

  const native = ctx.pool.kernel === 'native';
  const search = splitSearch(ctx.F, ctx.binCounts, ctx.categorical, p, native);
  // The native kernel's subtraction: the same differences, without the loop's cold start in a fresh process.
  const subtract = native ? nativeSubtract() : null;
  // The features a node's search may use: a copy of a forest's per-split draw (splitFeatures reuses its array, and
  // a child's draw must survive its sibling's), else the tree's. A node that cannot split draws nothing, so the
  // draws of the nodes that can follow one another in the seeded sequence as they always have.
  const none = new Uint8Array(ctx.F);
  const usableFor = (leaf: Leaf): Uint8Array =>
    splitFeatures === undefined ? allowed : searchable(leaf.end - leaf.start, leaf.depth, p) ? splitFeatures().slice() : none;
  const searchLeaf = (leaf: Leaf, usable: Uint8Array): Split | null =>
    findSplit(search, leaf.hist, leaf.end - leaf.start, leaf.depth, leaf.g, leaf.h, usable);
  const sibling = (leaf: Leaf, usable: Uint8Array): SiblingNode => ({
    hist: leaf.hist,
    rows: leaf.end - leaf.start,
    depth: leaf.depth,
    g: leaf.g,
    h: leaf.h,
    usable,
  });

  const rootHist = takeHist();
  ctx.pool.beginTree();
  ctx.pool.build(0, rowCount, rootHist);
  let g0 = 0;
  let h0 = 0;
  for (let b = 0; b < 256; b++) {
    g0 += rootHist[b * histStride]!;
    h0 += rootHist[b * histStride + 1]!;
  }
  const root: Leaf = { node: addNode(rowCount), start: 0, end: rowCount, depth: 0, hist: rootHist, g: g0, h: h0, best: null };
  root.best = searchLeaf(root, usableFor(root));
  const leaves: Leaf[] = [root];

  while (leaves.length < p.maxLeaves) {
    let pick = -1;
    for (let i = 0; i < leaves.length; i++) {
      const b = leaves[i]!.best;
      if (b !== null && (pick < 0 || b.gain > leaves[pick]!.best!.gain)) pick = i;
    }
    if (pick < 0) break;
    const leaf = leaves[pick]!;
    const split = leaf.best!;
    // Partition the leaf's rows in place (left rows first) by one lookup table per split: for every bin (missing
    // included), does the row go left?
    const f = split.feature;
    const toLeft = new Uint8Array(256);
    for (let b = 0; b < 255; b++) toLeft[b] = (split.leftSet === null ? b <= split.bin : split.leftSet[b] === 1) ? 1 : 0;
    toLeft[missingBin] = split.defaultLeft ? 1 : 0;
    const mid = ctx.pool.partition(f, leaf.start, leaf.end, toLeft);
    const leftCount = mid - leaf.start;
    const rightCount = leaf.end - mid;
    const smallHist = takeHist();
    const leftIsSmall = leftCount <= rightCount;
    if (leftIsSmall) ctx.pool.build(leaf.start, mid, smallHist);
    else ctx.pool.build(mid, leaf.end, smallHist);
    const largeHist = leaf.hist;
    if (subtract !== null) subtract(largeHist, smallHist);
    else for (let k = 0; k < histLength; k++) largeHist[k]! -= smallHist[k]!;
    const sums = (h: Float64Array): [number, number] => {
      // Any feature's bins partition the rows, so feature 0's bins give the node totals.
      let g = 0;
      let hs = 0;
      for (let b = 0; b < 256; b++) {
        g += h[b * histStride]!;
        hs += h[b * histStride + 1]!;
      }
      return [g, hs];
    };
    const leftHist = leftIsSmall ? smallHist : largeHist;
    const rightHist = leftIsSmall ? largeHist : smallHist;
    const [gl, hl] = sums(leftHist);
    const [gr, hr] = sums(rightHist);
    const node = leaf.node;
    tree.feature[node] = f;
    tree.splitBin[node] = split.bin;
    tree.leftBins[node] = split.leftSet === null ? null : binsOf(split.leftSet);
    tree.defaultLeft[node] = split.defaultLeft;
    tree.gain[node] = split.gain;
    const leftLeaf: Leaf = {
      node: addNode(leftCount),
      start: leaf.start,
      end: mid,
      depth: leaf.depth + 1,
      hist: leftHist,
      g: gl,
      h: hl,
      best: null,
    };
    const rightLeaf: Leaf = {
      node: addNode(rightCount),
      start: mid,
      end: leaf.end,
      depth: leaf.depth + 1,
      hist: rightHist,
      g: gr,
      h: hr,
      best: null,
    };
    tree.left[node] = leftLeaf.node;
    tree.right[node] = rightLeaf.node;
    // The children's searches, on two threads where the pool can (the left's features drawn first, as before). This
    // thread takes the larger child, whose search is the longer (more categories present): a helper's search runs
    // slower, its copy of the code less warmed up and the histogram in the other core's cache.
    const usableLeft = usableFor(leftLeaf);
    const usableRight = usableFor(rightLeaf);
    const large = leftIsSmall ? sibling(rightLeaf, usableRight) : sibling(leftLeaf, usableLeft);
    const small = leftIsSmall ? sibling(leftLeaf, usableLeft) : sibling(rightLeaf, usableRight);
    const found = ctx.pool.searchSiblings(p, large, small);
    leftLeaf.best = found === null ? searchLeaf(leftLeaf, usableLeft) : found[leftIsSmall ? 1 : 0];
    rightLeaf.best = found === null ? searchLeaf(rightLeaf, usableRight) : found[leftIsSmall ? 0 : 1];
    leaves.splice(pick, 1, leftLeaf, rightLeaf);
  }
  tree.leaves = [];
  for (const leaf of leaves) {
    tree.value[leaf.node] = leafValue(leaf.g, leaf.h);
    tree.leaves.push({ node: leaf.node, start: leaf.start, end: leaf.end });
    spare.push(leaf.hist);
  }
  return tree;
}

/** The bins a categorical split's set sends left, ascending (a loop: spreading the set's 256 keys and filtering them
 * took a thirtieth of a fit on a table of many-level categoricals). */
function binsOf(set: Uint8Array): number[] {
  const bins: number[] = [];
  for (let b = 0; b < set.length; b++) if (set[b] === 1) bins.push(b);
  return bins;
}

/**
 * Adds the tree's leaf value for each binned row i < n to out[i * K + c] (the leaf leafOfBinnedRow finds). Each
 * split node gets a 256-entry table of where a bin goes (its child, or −1 − leaf for a leaf), so a step is one lookup
 * whatever the split, where leafOfBinnedRow searches a category set's list at each set node: boosting's validation
 * rows, 20,000 of the mixed bench set under 30 trees, 133 → 30 ms.
 */
export function addTreeToBinnedRows(
  tree: GrownTree,
  bins: Uint8Array,
  F: number,
  n: number,
  out: Float64Array,
  K: number,
  c: number,
  categorical: readonly boolean[],
): void {
  const nodes = tree.feature.length;
  // The tables cost 256 entries a node: a big tree over few rows is walked as leafOfBinnedRow walks it (an attack
  // review timed 4,096 leaves over 500 rows: 54 ms of tables against 0.5 ms of walking).
  if (n < 8 * nodes) {
    for (let i = 0; i < n; i++) out[i * K + c]! += tree.value[leafOfBinnedRow(tree, bins, F, i, categorical)]!;
    return;
  }
  if (tree.feature[0]! < 0) {
    for (let i = 0; i < n; i++) out[i * K + c]! += tree.value[0]!;
    return;
  }
  const next = new Int32Array(nodes << 8);
  const feature = Int32Array.from(tree.feature);
  for (let node = 0; node < nodes; node++) {
    const f = feature[node]!;
    if (f < 0) continue;
    const [left, right] = [tree.left[node]!, tree.right[node]!].map((child) => (feature[child]! < 0 ? -1 - child : child));
    const row = node << 8;
    if (categorical[f]) {
      // Every bin right, then the set's bins left: one pass over the set, not a search of it for each bin.
      next.fill(right!, row, row + missingBin);
      for (const b of tree.leftBins[node]!) if (b >= 0 && b < missingBin) next[row + b] = left!;
    } else for (let b = 0; b < missingBin; b++) next[row + b] = b <= tree.splitBin[node]! ? left! : right!;
    next[row + missingBin] = tree.defaultLeft[node]! ? left! : right!;
  }
  const value = Float64Array.from(tree.value);
  for (let i = 0, row = 0; i < n; i++, row += F) {
    let v = 0;
    do v = next[(v << 8) + bins[row + feature[v]!]!]!;
    while (v >= 0);
    out[i * K + c]! += value[-1 - v]!;
  }
}

/** Follows a tree for one binned row; returns the leaf's node id. */
export function leafOfBinnedRow(
  tree: GrownTree,
  bins: Uint8Array,
  F: number,
  row: number,
  categorical: readonly boolean[],
): number {
  let node = 0;
  for (;;) {
    const f = tree.feature[node]!;
    if (f < 0) return node;
    const b = bins[row * F + f]!;
    const left =
      b === missingBin ? tree.defaultLeft[node]! : categorical[f] ? tree.leftBins[node]!.includes(b) : b <= tree.splitBin[node]!;
    node = left ? tree.left[node]! : tree.right[node]!;
  }
}
