import { sortFloat64 } from './stats.js';

/*
 * The rows' scores in order, for the rank and threshold metrics, without sorting row indices through a comparator:
 * the positive rows' scores and the others' are each sorted natively (a typed array sorts numerically in C++, tens
 * of times faster on a million rows) and walked together. Rows with equal scores form one group; within a group
 * the metrics only count rows, so the result is the one the comparator sort gives.
 */

export type SortedScores = { readonly pos: Float64Array; readonly neg: Float64Array };

/*
 * An evaluation asks for several metrics of the same scores (ROC AUC, average precision, both curves, then again
 * beside the baseline), and each sorted them afresh: a tenth of a second a time on 800k rows. Inside
 * withSharedScoreOrders, an order is kept with a copy of the labels and scores it was made from, and given again only
 * for arrays whose contents equal that copy element by element (a millisecond on 800k rows; Object.is, so NaN and the
 * sign of zero count). Buffers reused in place (one-vs-rest per class) are therefore sorted again whenever their
 * contents differ, and the copies are dropped when the scope ends.
 */
interface KeptOrder {
  labels: Uint8Array;
  scores: Float64Array;
  sorted: SortedScores | null;
}
let kept: KeptOrder[] | null = null;
const keptOrders = 4;

/** Runs `evaluate` with the score orders it makes shared between its metrics, and forgets them after. */
export function withSharedScoreOrders<T>(evaluate: () => T): T {
  if (kept !== null) return evaluate();
  kept = [];
  try {
    return evaluate();
  } finally {
    kept = null;
  }
}

function sameContents(order: KeptOrder, labels: Uint8Array, scores: Float64Array): boolean {
  if (order.scores.length !== scores.length || order.labels.length !== labels.length) return false;
  for (let i = 0; i < labels.length; i++) if (order.labels[i] !== labels[i]) return false;
  for (let i = 0; i < scores.length; i++) if (!Object.is(order.scores[i], scores[i])) return false;
  return true;
}

/** The scores of rows labelled 1 and of the others, each ascending; null when a score is NaN (no order). */
export function sortedByLabel(labels: Uint8Array, scores: Float64Array): SortedScores | null {
  if (kept === null) return sortScores(labels, scores);
  const known = kept.find((order) => sameContents(order, labels, scores));
  if (known !== undefined) return known.sorted;
  const sorted = sortScores(labels, scores);
  kept.unshift({ labels: labels.slice(), scores: scores.slice(), sorted });
  kept.length = Math.min(kept.length, keptOrders);
  return sorted;
}

function sortScores(labels: Uint8Array, scores: Float64Array): SortedScores | null {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) positives++;
  const pos = new Float64Array(positives);
  const neg = new Float64Array(labels.length - positives);
  let p = 0;
  let q = 0;
  for (let i = 0; i < labels.length; i++) {
    const s = scores[i]!;
    if (Number.isNaN(s)) return null;
    if (labels[i] === 1) pos[p++] = s;
    else neg[q++] = s;
  }
  return { pos: ascending(pos), neg: ascending(neg) };
}

/**
 * `values` (no NaN) sorted ascending, in place, −0 before +0 as TypedArray sort orders them (so a threshold reported
 * at zero keeps its sign); one pass first, since scores already in order are common (a constant baseline's, where
 * sorting 800k equal scores took 50 ms). The radix sort: TypedArray sort took 88 ms of synth 1M's evaluation for
 * its 800k training rows' scores, and the binning's sorts have warmed the radix sort by then.
 */
function ascending(values: Float64Array): Float64Array {
  for (let i = 1; i < values.length; i++) {
    const v = values[i]!;
    if (v < values[i - 1]! || (v === 0 && 1 / v < 1 / values[i - 1]!)) return sortFloat64(values);
  }
  return values;
}

/**
 * Each distinct score from the highest down with the cumulative rows labelled 1 (tps) and others (fps) at or
 * above it.
 */
export function descendingSweep(sorted: SortedScores): Sweep {
  const known = sweeps.get(sorted);
  if (known !== undefined) return known;
  const sweep = sweepOf(sorted);
  sweeps.set(sorted, sweep);
  return sweep;
}

export interface Sweep {
  readonly tps: ArrayLike<number>;
  readonly fps: ArrayLike<number>;
  readonly thresholds: ArrayLike<number>;
}

/** Sweeps made, by the sorted scores they were made from (kept while those are). */
const sweeps = new WeakMap<SortedScores, Sweep>();

function sweepOf(sorted: SortedScores): Sweep {
  const { pos, neg } = sorted;
  // Typed arrays of the most distinct scores there can be, cut to those found: pushing 800k distinct scores onto
  // three arrays took a tenth of a second.
  const most = pos.length + neg.length;
  const tps = new Float64Array(most);
  const fps = new Float64Array(most);
  const thresholds = new Float64Array(most);
  let count = 0;
  let i = pos.length - 1;
  let j = neg.length - 1;
  let tp = 0;
  let fp = 0;
  while (i >= 0 || j >= 0) {
    const v = i < 0 ? neg[j]! : j < 0 ? pos[i]! : Math.max(pos[i]!, neg[j]!);
    while (i >= 0 && pos[i] === v) {
      tp++;
      i--;
    }
    while (j >= 0 && neg[j] === v) {
      fp++;
      j--;
    }
    tps[count] = tp;
    fps[count] = fp;
    thresholds[count] = v;
    count++;
  }
  // Cut to their length (copies when much shorter: a sweep is kept while its sorted scores are, and 800k rows of one
  // score would otherwise hold 19 MB for one entry).
  const cut = (column: Float64Array): Float64Array => (count * 2 < most ? column.slice(0, count) : column.subarray(0, count));
  return { tps: cut(tps), fps: cut(fps), thresholds: cut(thresholds) };
}

/**
 * Each distinct score from the lowest up: how many rows labelled 1 and others have it. Calls `group` once per
 * distinct score, in ascending order.
 */
export function ascendingGroups(sorted: SortedScores, group: (positives: number, negatives: number) => void): void {
  const { pos, neg } = sorted;
  let i = 0;
  let j = 0;
  while (i < pos.length || j < neg.length) {
    const v = i >= pos.length ? neg[j]! : j >= neg.length ? pos[i]! : Math.min(pos[i]!, neg[j]!);
    let a = 0;
    let b = 0;
    while (i < pos.length && pos[i] === v) {
      a++;
      i++;
    }
    while (j < neg.length && neg[j] === v) {
      b++;
      j++;
    }
    group(a, b);
  }
}
