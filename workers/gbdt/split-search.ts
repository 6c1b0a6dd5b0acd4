/*
 * The split search: for one node's histogram, the best split over the features it may use (numeric thresholds with
 * missing values on either side, one-vs-rest and LightGBM's many-vs-many categorical splits), by one arithmetic
 * (splitGain) so the same split wins whichever thread searches. A pure function of the histogram and the node's sums:
 * the tree builder runs the two children of a split on two threads (histogram.ts, shares.ts).
 */
import { missingBin } from '../../main/models/binning.js';
import { histStride, nativeKernel, type NativeFindSplit } from './kernel.js';

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

export interface Split {
  gain: number;
  feature: number;
  bin: number;
  leftSet: Uint8Array | null;
  defaultLeft: boolean;
}

/** A thread's working arrays for categorical features (categories, their sort keys, the two ends, the sets). */
export interface SplitScratch {
  order: Int32Array;
  usedOrder: Int32Array;
  sortKeys: Float64Array;
  ends: readonly [Int32Array, Int32Array];
  set: Uint8Array;
  bestSet: Uint8Array;
}

/**
 * What a split search needs besides the node: the features' bin counts and kinds, the parameters, and this thread's
 * scratch. A categorical feature's working arrays are made once (per tree or per thread) rather than per feature
 * and node: its categories (in bin order), those of them a many-vs-many split orders, their sort keys, the two ends
 * of that order, and the candidate left set.
 */
export interface SplitSearch {
  F: number;
  /** Number of binned values per feature (missing excluded). */
  binCounts: readonly number[];
  categorical: readonly boolean[];
  p: GrowParams;
  scratch: SplitScratch;
  /** The native search (split.c) with its arrays, where the training's kernel is native; null: this file's. */
  native: NativeSearch | null;
}

/** The native findSplit and what it reads and writes besides the node's histogram and usable features. */
interface NativeSearch {
  find: NativeFindSplit;
  setting: Float64Array;
  node: Float64Array;
  out: Float64Array;
  outSet: Uint8Array;
}

/** Fields of a native search's setting before each feature's bin count and kind (split.c's SETTING_FIELDS). */
const settingFields = 12;

/** The native search's setting: F, the parameters in split.c's Params order, the bin counts, the kinds (1 categorical). */
function nativeSetting(F: number, binCounts: readonly number[], categorical: readonly boolean[], p: GrowParams): Float64Array {
  const setting = new Float64Array(settingFields + 2 * F);
  setting.set([
    F,
    p.maxDepth,
    p.minChildSamples,
    p.minChildWeight,
    p.minSplitGain,
    p.l1,
    p.l2,
    p.catSmooth,
    p.catL2,
    p.maxCatThreshold,
    p.minDataPerGroup,
    p.maxCatToOnehot,
  ]);
  for (let f = 0; f < F; f++) {
    setting[settingFields + f] = binCounts[f]!;
    setting[settingFields + F + f] = categorical[f] ? 1 : 0;
  }
  return setting;
}

/**
 * A split search over F features with the given bin counts, kinds and parameters, and a fresh scratch; `native`
 * (the training's kernel is the native one, so its addon loads) searches in C, the same splits at full speed from
 * the first node (the TypeScript search runs cold for much of a short fit in a fresh process).
 */
export function splitSearch(
  F: number,
  binCounts: readonly number[],
  categorical: readonly boolean[],
  p: GrowParams,
  native = false,
): SplitSearch {
  const addon = native ? nativeKernel() : null;
  if (addon instanceof Error) throw addon;
  return {
    F,
    binCounts,
    categorical,
    p,
    scratch: splitScratch(),
    native:
      addon === null
        ? null
        : {
            find: addon.findSplit,
            setting: nativeSetting(F, binCounts, categorical, p),
            node: new Float64Array(4),
            out: new Float64Array(4),
            outSet: new Uint8Array(256),
          },
  };
}

function splitScratch(): SplitScratch {
  return {
    order: new Int32Array(256),
    usedOrder: new Int32Array(256),
    sortKeys: new Float64Array(256),
    ends: [new Int32Array(256), new Int32Array(256)] as const,
    set: new Uint8Array(256),
    bestSet: new Uint8Array(256),
  };
}

/** A node's own score, which its split's gain is measured against (splitGain's terms, for the whole node). */
export function nodeScore(g: number, h: number, p: GrowParams): number {
  const t = threshold(g, p.l1);
  return (t * t) / (h + p.l2);
}

export function threshold(g: number, l1: number): number {
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

/** Whether a node of `rows` rows at `depth` may split at all (findSplit returns null at once where not). */
export function searchable(rows: number, depth: number, p: GrowParams): boolean {
  return rows >= 2 * p.minChildSamples && (p.maxDepth <= 0 || depth < p.maxDepth);
}

/**
 * The best split of a node (its histogram, rows, depth and gradient sums G, H) over the features `usable` marks, or
 * null where none gains more than minSplitGain or the node may not split.
 */
export function findSplit(
  search: SplitSearch,
  hist: Float64Array,
  rowsInLeaf: number,
  depth: number,
  G: number,
  H: number,
  usable: Uint8Array,
): Split | null {
  const { p } = search;
  const { order, usedOrder, sortKeys, ends, set, bestSet } = search.scratch;
  if (!searchable(rowsInLeaf, depth, p)) return null;
  if (search.native !== null) return nativeSplit(search.native, hist, rowsInLeaf, depth, G, H, usable);
  const parent = nodeScore(G, H, p);
  // Rows per unit of hessian in this node: turns a side's hessian sum into an estimated row count.
  const rowsPerHessian = H > 0 ? rowsInLeaf / H : 0;
  // The best candidate so far, as numbers (a categorical one's set copied into bestSet): one Split made at the end
  // rather than an object and a set copy at every improvement.
  let bestGain = p.minSplitGain;
  let bestFeature = -1;
  let bestBin = 0;
  let bestDefaultLeft = false;
  let bestIsSet = false;
  for (let f = 0; f < search.F; f++) {
    if (usable[f] === 0) continue;
    const base = (f << 8) * histStride;
    const mo = base + missingBin * histStride;
    const gm = hist[mo]!;
    const hm = hist[mo + 1]!;
    const hasMissing = hm > 0;
    const nb = search.binCounts[f]!;
    const categorical = search.categorical[f]!;
    // One categorical candidate (the categories in `set` go left), tried with missing values on either side.
    const consider = (gl: number, hl: number, l2: number): void => {
      considerSet(gl, hl, gm, hm, G, H, parent, rowsPerHessian, l2, p, bestGain);
      if (!considered.found) return;
      bestGain = considered.gain;
      bestFeature = f;
      bestBin = -1;
      bestDefaultLeft = considered.defaultLeft;
      bestIsSet = true;
      bestSet.set(set);
    };
    if (!categorical) {
      scanNumeric(hist, base, hasMissing ? nb : nb - 1, gm, hm, G, H, parent, rowsPerHessian, p, bestGain);
      if (scanned.found) {
        bestGain = scanned.gain;
        bestFeature = f;
        bestBin = scanned.bin;
        bestDefaultLeft = scanned.defaultLeft;
        bestIsSet = false;
      }
      continue;
    }
    // The categories present in this node, ascending; and, for a many-vs-many split, those with enough rows in it
    // (in `used`, with their sort keys: the smoothed mean gradient), in the same pass over the bins.
    let present = 0;
    let used = 0;
    for (let b = 0; b < nb; b++) {
      const o = base + b * histStride;
      const hb = hist[o + 1]!;
      if (!(hb > 0)) continue;
      order[present++] = b;
      if (hb * rowsPerHessian >= p.catSmooth) {
        usedOrder[used++] = b;
        sortKeys[b] = hist[o]! / (hb + p.catSmooth);
      }
    }
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
    if (used === 0) continue;
    const most = Math.min(p.maxCatThreshold, Math.floor((used + 1) / 2), hasMissing ? used : used - 1);
    orderedEnds(usedOrder, used, sortKeys, most, ends[0], ends[1]);
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
        if ((H - hl) * rowsPerHessian < p.minDataPerGroup) break;
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
    leftSet: bestIsSet ? bestSet.slice() : null,
    defaultLeft: bestDefaultLeft,
  };
}

/** findSplit through the native search: the same Split. */
function nativeSplit(
  n: NativeSearch,
  hist: Float64Array,
  rowsInLeaf: number,
  depth: number,
  G: number,
  H: number,
  usable: Uint8Array,
): Split | null {
  n.node[0] = rowsInLeaf;
  n.node[1] = depth;
  n.node[2] = G;
  n.node[3] = H;
  const found = n.find(hist, n.setting, usable, n.node, n.out, n.outSet);
  if (found === 0) return null;
  return {
    gain: n.out[0]!,
    feature: n.out[1]!,
    bin: n.out[2]!,
    leftSet: found === 2 ? n.outSet.slice() : null,
    defaultLeft: n.out[3] === 1,
  };
}

/**
 * Two sibling nodes' split searches as shares of one task (shares.ts), searched by whichever threads claim them:
 * the histograms in a slab of shared slots, and per share its node ([slot, rows, depth, G, H]), the features it may
 * use (F bytes), and what it found ([found, gain, feature, bin, defaultLeft, isSet] and the left set's 256 bytes).
 */
export interface SplitShares {
  search: SplitSearch;
  slab: Float64Array;
  /** Float64s a slot. */
  slotLength: number;
  inputs: Float64Array;
  usable: Uint8Array;
  results: Float64Array;
  sets: Uint8Array;
}

const inputFields = 5;
const resultFields = 6;

/** The shared blocks of two split shares for F features (the slab is the pool's). */
export function splitShareBlocks(F: number): Pick<SplitShares, 'inputs' | 'usable' | 'results' | 'sets'> {
  return {
    inputs: new Float64Array(new SharedArrayBuffer(8 * 2 * inputFields)),
    usable: new Uint8Array(new SharedArrayBuffer(2 * F)),
    results: new Float64Array(new SharedArrayBuffer(8 * 2 * resultFields)),
    sets: new Uint8Array(new SharedArrayBuffer(2 * 256)),
  };
}

/** Sets share j's node: its histogram's slot, rows, depth, gradient sums and usable features. */
export function setSplitShare(
  s: SplitShares,
  j: number,
  slot: number,
  rows: number,
  depth: number,
  G: number,
  H: number,
  usable: Uint8Array,
): void {
  const at = j * inputFields;
  s.inputs[at] = slot;
  s.inputs[at + 1] = rows;
  s.inputs[at + 2] = depth;
  s.inputs[at + 3] = G;
  s.inputs[at + 4] = H;
  s.usable.set(usable, j * s.search.F);
}

/** Runs share j's split search with this thread's scratch and writes what it found. */
export function runSplitShare(s: SplitShares, j: number): void {
  const at = j * inputFields;
  const slot = s.inputs[at]!;
  const F = s.search.F;
  const hist = s.slab.subarray(slot * s.slotLength, (slot + 1) * s.slotLength);
  const usable = s.usable.subarray(j * F, (j + 1) * F);
  const split = findSplit(s.search, hist, s.inputs[at + 1]!, s.inputs[at + 2]!, s.inputs[at + 3]!, s.inputs[at + 4]!, usable);
  const out = j * resultFields;
  s.results[out] = split === null ? 0 : 1;
  if (split === null) return;
  s.results[out + 1] = split.gain;
  s.results[out + 2] = split.feature;
  s.results[out + 3] = split.bin;
  s.results[out + 4] = split.defaultLeft ? 1 : 0;
  s.results[out + 5] = split.leftSet === null ? 0 : 1;
  if (split.leftSet !== null) s.sets.set(split.leftSet, j * 256);
}

/** What share j found, as findSplit returns it. */
export function splitOfShare(s: SplitShares, j: number): Split | null {
  const out = j * resultFields;
  if (s.results[out] === 0) return null;
  return {
    gain: s.results[out + 1]!,
    feature: s.results[out + 2]!,
    bin: s.results[out + 3]!,
    defaultLeft: s.results[out + 4] === 1,
    leftSet: s.results[out + 5] === 1 ? s.sets.slice(j * 256, (j + 1) * 256) : null,
  };
}
