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
  /**
   * Categorical splits, regularised as LightGBM regularises them (its parameter in brackets): added to the hessian
   * when ordering categories by gradient statistics, and the fewest rows a category needs in a node to take part in
   * a many-vs-many split [cat_smooth]; each child's extra L2 in such a split [cat_l2]; the most categories on the
   * smaller side [max_cat_threshold]; the fewest rows each step of the scan adds, and the other side keeps
   * [min_data_per_group]; up to this many categories in the node, one category against the rest [max_cat_to_onehot].
   * Without them a many-level column finds a split that fits noise in almost every node.
   */
  catSmooth: number;
  catL2: number;
  maxCatThreshold: number;
  minDataPerGroup: number;
  maxCatToOnehot: number;
}

/** Categorical parameters that reproduce the unregularised split (every prefix of the ordered categories). */
export const plainCategoricalSplits = {
  catSmooth: 0,
  catL2: 0,
  maxCatThreshold: 255,
  minDataPerGroup: 0,
  maxCatToOnehot: 0,
} as const;

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
  F: number;
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

/** threshold(g, 0) without its branches: g itself, and 0 for NaN (a NaN gradient sum, as threshold gives). */
function identity(g: number): number {
  return g === g ? g : 0;
}

/**
 * A candidate split's gain: the left side's sums GL, HL of a node whose sums are G, H and whose own score is
 * `parent`; -Infinity where a side has too little hessian or too few (estimated) rows. Numeric and categorical
 * candidates are both judged by it, so one arithmetic decides which split wins.
 */
function splitGain(
  GL: number,
  HL: number,
  G: number,
  H: number,
  parent: number,
  rowsPerHessian: number,
  l2: number,
  p: GrowParams,
): number {
  const GR = G - GL;
  const HR = H - HL;
  if (HL < p.minChildWeight || HR < p.minChildWeight) return Number.NEGATIVE_INFINITY;
  if (HL * rowsPerHessian < p.minChildSamples || HR * rowsPerHessian < p.minChildSamples) return Number.NEGATIVE_INFINITY;
  return sidesGain(GL, HL, GR, HR, p.l1, l2, parent);
}

/**
 * The gain of splitting a node whose own score is `parent` into sides (GL, HL) and (GR, HR): the one arithmetic
 * splitGain and the numeric scan share. l1 = 0's threshold is the identity but for NaN, taken without its branches.
 */
function sidesGain(GL: number, HL: number, GR: number, HR: number, l1: number, l2: number, parent: number): number {
  const tl = l1 === 0 ? identity(GL) : threshold(GL, l1);
  const tr = l1 === 0 ? identity(GR) : threshold(GR, l1);
  return (tl * tl) / (HL + l2) + (tr * tr) / (HR + l2) - parent;
}

/** What considerSet found: whether a placement of the missing values beat the gain it was given, and which. */
const considered = { found: false, gain: 0, defaultLeft: false };

/**
 * A categorical candidate (the left side's sums GL, HL without missing values) judged by splitGain with the missing
 * values (gm, hm) right and then left: the better placement past `bestGain`, if any, in `considered`. With no missing
 * rows in training, unseen missing values follow the heavier side.
 */
function considerSet(
  gl: number,
  hl: number,
  gm: number,
  hm: number,
  G: number,
  H: number,
  parent: number,
  rowsPerHessian: number,
  l2: number,
  p: GrowParams,
  bestGain: number,
): void {
  const hasMissing = hm > 0;
  let found = false;
  let defaultLeft = false;
  for (let missingLeft = 0; missingLeft < (hasMissing ? 2 : 1); missingLeft++) {
    const HL = missingLeft === 1 ? hl + hm : hl;
    const gain = splitGain(missingLeft === 1 ? gl + gm : gl, HL, G, H, parent, rowsPerHessian, l2, p);
    if (gain > bestGain) {
      bestGain = gain;
      found = true;
      defaultLeft = hasMissing ? missingLeft === 1 : HL >= H - HL;
    }
  }
  considered.found = found;
  considered.gain = bestGain;
  considered.defaultLeft = defaultLeft;
}

/** What scanNumeric found: the best candidate past the gain it was given, if any. */
const scanned = { found: false, gain: 0, bin: 0, defaultLeft: false };

/**
 * The numeric features' split scan, the hot loop of the split search (every bin of every feature of both children
 * of every split): each bin boundary, with missing values right and then left, in the order of the general
 * `consider` below and by splitGain's arithmetic (sidesGain), so the same split wins. A plain function over numbers
 * with its parameters read once: a closure per feature cost ~25 ns a bin, and calling splitGain (its checks reading
 * the parameters object) per candidate half of this scan's time. Once the right side is too
 * small, it only shrinks for the bins after (for both placements of the missing values), so the scan stops there.
 */
function scanNumeric(
  hist: Float64Array,
  base: number,
  steps: number,
  gm: number,
  hm: number,
  G: number,
  H: number,
  parent: number,
  rowsPerHessian: number,
  p: GrowParams,
  bestGain: number,
): void {
  const hasMissing = hm > 0;
  const { minChildWeight, minChildSamples, l1, l2 } = p;
  let found = false;
  let bin = 0;
  let defaultLeft = false;
  let gl = 0;
  let hl = 0;
  for (let b = 0; b < steps; b++) {
    const o = base + b * histStride;
    const hb = hist[o + 1]!;
    gl += hist[o]!;
    hl += hb;
    if (!(hb > 0)) continue;
    let HR = H - hl;
    if (HR < minChildWeight || HR * rowsPerHessian < minChildSamples) break;
    // Missing values right.
    if (hl >= minChildWeight && hl * rowsPerHessian >= minChildSamples) {
      const gain = sidesGain(gl, hl, G - gl, HR, l1, l2, parent);
      if (gain > bestGain) {
        bestGain = gain;
        found = true;
        bin = b;
        // With no missing rows in training, unseen missing values follow the heavier side.
        defaultLeft = hasMissing ? false : hl >= H - hl;
      }
    }
    if (!hasMissing) continue;
    // Missing values left.
    const HL = hl + hm;
    const GL = gl + gm;
    HR = H - HL;
    if (
      HL >= minChildWeight &&
      HR >= minChildWeight &&
      HL * rowsPerHessian >= minChildSamples &&
      HR * rowsPerHessian >= minChildSamples
    ) {
      const gain = sidesGain(GL, HL, G - GL, HR, l1, l2, parent);
      if (gain > bestGain) {
        bestGain = gain;
        found = true;
        bin = b;
        defaultLeft = true;
      }
    }
  }
  scanned.found = found;
  scanned.gain = bestGain;
  scanned.bin = bin;
  scanned.defaultLeft = defaultLeft;
}

/**
 * The two ends of items[0, count) ordered by keys[item] ascending, stably (equal keys keep their order, as
 * Array.prototype.sort with a key comparator): `first` gets the first k of that order, `last` the last k from the
 * end inwards (last[0] is the greatest). A many-vs-many categorical split scans at most maxCatThreshold categories
 * from either end, so the middle of the order is never needed: bounded insertion keeps only k a side, 9–12 µs for
 * 254 categories and k = 32 where a whole merge sort took 21–23 (its compares are coin flips the branch predictor
 * loses; here most items fail one predictable compare against the kth). Items arrive in their order, so an item
 * goes after every kept one of equal key on the `first` side, and before them (nearer the end) on the `last` side.
 */
export function orderedEnds(
  items: Int32Array,
  count: number,
  keys: Float64Array,
  k: number,
  first: Int32Array,
  last: Int32Array,
): void {
  if (k <= 0) return;
  let nf = 0;
  let nl = 0;
  for (let i = 0; i < count; i++) {
    const item = items[i]!;
    const key = keys[item]!;
    if (nf < k || key < keys[first[nf - 1]!]!) {
      let j = nf < k ? nf++ : nf - 1;
      for (; j > 0 && key < keys[first[j - 1]!]!; j--) first[j] = first[j - 1]!;
      first[j] = item;
    }
    if (nl < k || !(key < keys[last[nl - 1]!]!)) {
      let j = nl < k ? nl++ : nl - 1;
      for (; j > 0 && !(key < keys[last[j - 1]!]!); j--) last[j] = last[j - 1]!;
      last[j] = item;
    }
  }
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
  // A node's own score, which its split's gain is measured against (splitGain's terms, for the whole node).
  const score = (g: number, h: number): number => {
    const t = threshold(g, p.l1);
    return (t * t) / (h + p.l2);
  };
  const leafValue = (g: number, h: number): number => (-threshold(g, p.l1) / (h + p.l2)) * p.learningRate;
  const histLength = histogramSize(ctx.F);
  // Histograms left by earlier trees are reused (every build overwrites its whole histogram): 31 fresh 128 KB
  // arrays a tree were a millisecond of allocation and zeroing, and garbage.
  const spare = ctx.pool.spareHistograms;
  const takeHist = (): Float64Array => spare.pop() ?? new Float64Array(histLength);

  // A categorical feature's working arrays, made once a tree rather than per feature and node: its categories (in
  // bin order), their sort keys, the two ends of their order by key, and the candidate left set.
  const order = new Int32Array(256);
  const sortKeys = new Float64Array(256);
  const ends = [new Int32Array(256), new Int32Array(256)] as const;
  const set = new Uint8Array(256);
  const bestSet = new Uint8Array(256);

  const findSplit = (leaf: Leaf): Split | null => {
    const { hist } = leaf;
    const rowsInLeaf = leaf.end - leaf.start;
    if (rowsInLeaf < 2 * p.minChildSamples) return null;
    if (p.maxDepth > 0 && leaf.depth >= p.maxDepth) return null;
    const parent = score(leaf.g, leaf.h);
    // Rows per unit of hessian in this node: turns a side's hessian sum into an estimated row count.
    const rowsPerHessian = leaf.h > 0 ? rowsInLeaf / leaf.h : 0;
    // The best candidate so far, as numbers (a categorical one's set copied into bestSet): one Split made at the end
    // rather than an object and a set copy at every improvement.
    let bestGain = p.minSplitGain;
    let bestFeature = -1;
    let bestBin = 0;
    let bestDefaultLeft = false;
    let bestIsSet = false;
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
      // One categorical candidate (the categories in `set` go left), tried with missing values on either side.
      const consider = (gl: number, hl: number, l2: number): void => {
        considerSet(gl, hl, gm, hm, leaf.g, leaf.h, parent, rowsPerHessian, l2, p, bestGain);
        if (!considered.found) return;
        bestGain = considered.gain;
        bestFeature = f;
        bestBin = -1;
        bestDefaultLeft = considered.defaultLeft;
        bestIsSet = true;
        bestSet.set(set);
      };
      if (!categorical) {
        scanNumeric(hist, base, hasMissing ? nb : nb - 1, gm, hm, leaf.g, leaf.h, parent, rowsPerHessian, p, bestGain);
        if (scanned.found) {
          bestGain = scanned.gain;
          bestFeature = f;
          bestBin = scanned.bin;
          bestDefaultLeft = scanned.defaultLeft;
          bestIsSet = false;
        }
        continue;
      }
      // The categories present in this node, ascending.
      let present = 0;
      for (let b = 0; b < nb; b++) if (hist[base + b * histStride + 1]! > 0) order[present++] = b;
      if (present < 2 && !hasMissing) continue;
      set.fill(0);
      if (hasMissing) {
        // Every category against missing values alone (the set goes left: a category split needs a category).
        let g = 0;
        let h = 0;
        for (let k = 0; k < present; k++) {
          const b = order[k]!;
          set[b] = 1;
          g += hist[base + b * histStride]!;
          h += hist[base + b * histStride + 1]!;
        }
        consider(g, h, p.l2);
        set.fill(0);
      }
      if (present <= p.maxCatToOnehot) {
        // Few categories: each one against the rest, with the ordinary penalty.
        for (let k = 0; k < present; k++) {
          const b = order[k]!;
          set[b] = 1;
          consider(hist[base + b * histStride]!, hist[base + b * histStride + 1]!, p.l2);
          set[b] = 0;
        }
        continue;
      }
      // Many categories (LightGBM's many-vs-many split): the categories with enough rows in this node, ordered by
      // smoothed mean gradient; prefixes from either end are the candidate left sets, at most maxCatThreshold
      // categories and growing by at least minDataPerGroup rows between candidates. Rarer categories stay right.
      let used = 0;
      for (let k = 0; k < present; k++) {
        const b = order[k]!;
        if (hist[base + b * histStride + 1]! * rowsPerHessian >= p.catSmooth) {
          order[used++] = b;
          sortKeys[b] = hist[base + b * histStride]! / (hist[base + b * histStride + 1]! + p.catSmooth);
        }
      }
      if (used === 0) continue;
      const most = Math.min(p.maxCatThreshold, Math.floor((used + 1) / 2), hasMissing ? used : used - 1);
      orderedEnds(order, used, sortKeys, most, ends[0], ends[1]);
      for (const end of ends) {
        set.fill(0);
        let gl = 0;
        let hl = 0;
        let group = 0;
        for (let k = 0; k < most; k++) {
          const b = end[k]!;
          const o = base + b * histStride;
          gl += hist[o]!;
          hl += hist[o + 1]!;
          group += hist[o + 1]! * rowsPerHessian;
          set[b] = 1;
          if ((leaf.h - hl) * rowsPerHessian < p.minDataPerGroup) break;
          if (group < p.minDataPerGroup) continue;
          group = 0;
          consider(gl, hl, p.l2 + p.catL2);
        }
      }
    }
    if (bestFeature < 0) return null;
    return {
      gain: bestGain,
      feature: bestFeature,
      bin: bestBin,
      leftSet: bestIsSet ? Uint8Array.from(bestSet) : null,
      defaultLeft: bestDefaultLeft,
    };
  };

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

/** The bins a categorical split's set sends left, ascending (a loop: spreading the set's 256 keys and filtering them
 * took a thirtieth of a fit on a table of many-level categoricals). */
function binsOf(set: Uint8Array): number[] {
  const bins: number[] = [];
  for (let b = 0; b < set.length; b++) if (set[b] === 1) bins.push(b);
  return bins;
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
