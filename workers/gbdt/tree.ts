import { missingBin } from '../../main/models/binning.js';
import { histStride, histogramSize, type HistogramPool } from './histogram.js';

export interface GrowParams {
  maxLeaves: number;
  /** 0 = unlimited. */
  maxDepth: number;
  minChildSamples: number;
  minChildWeight: number;
  minSplitGain: number;
  l1: number;
  l2: number;
  learningRate: number;
  /** Added to the hessian when ordering categories by gradient statistics (LightGBM's cat_smooth). */
  catSmooth: number;
}

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

interface Split {
  gain: number;
  feature: number;
  bin: number;
  leftSet: Uint8Array | null;
  defaultLeft: boolean;
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
  bins: Uint8Array;
  /** The same bins column-major (features × rows): partitioning reads one feature, which then stays in cache. */
  columns: Uint8Array;
  /** All rows of the bin matrix (a tree may grow on a subsample of them). */
  n: number;
  F: number;
  rows: Int32Array;
  /** Number of binned values per feature (missing excluded). */
  binCounts: readonly number[];
  categorical: readonly boolean[];
  pool: HistogramPool;
}

function threshold(g: number, l1: number): number {
  if (g > l1) return g - l1;
  if (g < -l1) return g + l1;
  return 0;
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
  const score = (g: number, h: number): number => {
    const t = threshold(g, p.l1);
    return (t * t) / (h + p.l2);
  };
  const leafValue = (g: number, h: number): number => (-threshold(g, p.l1) / (h + p.l2)) * p.learningRate;
  const histLength = histogramSize(ctx.F);
  const spare: Float64Array[] = [];
  const takeHist = (): Float64Array => spare.pop() ?? new Float64Array(histLength);

  const findSplit = (leaf: Leaf): Split | null => {
    const { hist } = leaf;
    const rowsInLeaf = leaf.end - leaf.start;
    if (rowsInLeaf < 2 * p.minChildSamples) return null;
    if (p.maxDepth > 0 && leaf.depth >= p.maxDepth) return null;
    const parent = score(leaf.g, leaf.h);
    // Rows per unit of hessian in this node: turns a side's hessian sum into an estimated row count.
    const rowsPerHessian = leaf.h > 0 ? rowsInLeaf / leaf.h : 0;
    let best: Split | null = null;
    let bestGain = p.minSplitGain;
    const order: number[] = [];
    let leftSet: Uint8Array | null = null;
    const usable = splitFeatures === undefined ? allowed : splitFeatures();
    for (let f = 0; f < ctx.F; f++) {
      if (usable[f] === 0) continue;
      const base = (f << 8) * histStride;
      const mo = base + missingBin * histStride;
      const gm = hist[mo]!;
      const hm = hist[mo + 1]!;
      const hasMissing = hm > 0;
      const nb = ctx.binCounts[f]!;
      const categorical = ctx.categorical[f]!;
      let gl = 0;
      let hl = 0;
      let steps: number;
      if (categorical) {
        // Categories ordered by gradient statistics; each prefix of that order is a candidate left set
        // (LightGBM's many-vs-many categorical split).
        order.length = 0;
        for (let b = 0; b < nb; b++) if (hist[base + b * histStride + 1]! > 0) order.push(b);
        if (order.length < 2 && !hasMissing) continue;
        order.sort((a, c) => {
          const oa = base + a * histStride;
          const oc = base + c * histStride;
          return hist[oa]! / (hist[oa + 1]! + p.catSmooth) - hist[oc]! / (hist[oc + 1]! + p.catSmooth);
        });
        steps = hasMissing ? order.length : order.length - 1;
        leftSet = new Uint8Array(256);
      } else steps = hasMissing ? nb : nb - 1;
      for (let k = 0; k < steps; k++) {
        const b = categorical ? order[k]! : k;
        const o = base + b * histStride;
        const hb = hist[o + 1]!;
        gl += hist[o]!;
        hl += hb;
        if (categorical) leftSet![b] = 1;
        else if (hb === 0) continue;
        // Missing values to the right, then (when there are any) to the left: the better direction is learned.
        for (let missingLeft = 0; missingLeft < (hasMissing ? 2 : 1); missingLeft++) {
          const GL = missingLeft === 1 ? gl + gm : gl;
          const HL = missingLeft === 1 ? hl + hm : hl;
          const GR = leaf.g - GL;
          const HR = leaf.h - HL;
          if (HL < p.minChildWeight || HR < p.minChildWeight) continue;
          if (HL * rowsPerHessian < p.minChildSamples || HR * rowsPerHessian < p.minChildSamples) continue;
          const gain = score(GL, HL) + score(GR, HR) - parent;
          if (gain > bestGain) {
            bestGain = gain;
            best = {
              gain,
              feature: f,
              bin: categorical ? -1 : b,
              leftSet: categorical ? Uint8Array.from(leftSet!) : null,
              // With no missing rows in training, unseen missing values follow the heavier side.
              defaultLeft: hasMissing ? missingLeft === 1 : HL >= HR,
            };
          }
        }
      }
    }
    return best;
  };

  const rootHist = takeHist();
  ctx.pool.build(0, rowCount, rootHist);
  let g0 = 0;
  let h0 = 0;
  for (let b = 0; b < 256; b++) {
    g0 += rootHist[b * histStride]!;
    h0 += rootHist[b * histStride + 1]!;
  }
  const root: Leaf = { node: addNode(rowCount), start: 0, end: rowCount, depth: 0, hist: rootHist, g: g0, h: h0, best: null };
  root.best = findSplit(root);
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
    // Partition the leaf's rows in place: left rows first.
    const { columns, rows } = ctx;
    const f = split.feature;
    const column = columns.subarray(f * ctx.n, (f + 1) * ctx.n);
    let i = leaf.start;
    let j = leaf.end - 1;
    // One lookup table per split: for every bin (missing included), does the row go left?
    const toLeft = new Uint8Array(256);
    for (let b = 0; b < 255; b++) toLeft[b] = (split.leftSet === null ? b <= split.bin : split.leftSet[b] === 1) ? 1 : 0;
    toLeft[missingBin] = split.defaultLeft ? 1 : 0;
    while (i <= j) {
      const r = rows[i]!;
      if (toLeft[column[r]!] === 1) i++;
      else {
        rows[i] = rows[j]!;
        rows[j] = r;
        j--;
      }
    }
    const mid = i;
    const leftCount = mid - leaf.start;
    const rightCount = leaf.end - mid;
    const smallHist = takeHist();
    const leftIsSmall = leftCount <= rightCount;
    if (leftIsSmall) ctx.pool.build(leaf.start, mid, smallHist);
    else ctx.pool.build(mid, leaf.end, smallHist);
    const largeHist = leaf.hist;
    for (let k = 0; k < histLength; k++) largeHist[k]! -= smallHist[k]!;
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
    tree.leftBins[node] = split.leftSet === null ? null : [...split.leftSet.keys()].filter((b) => split.leftSet![b] === 1);
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
    leftLeaf.best = findSplit(leftLeaf);
    rightLeaf.best = findSplit(rightLeaf);
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
