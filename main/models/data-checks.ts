import type { Frame } from '../table/frame.js';
import { binFrameRows, fitBins, missingBin } from './binning.js';
import type { Task } from './preprocess.js';
import { seededRandom } from '../stats/random.js';
import { benjaminiHochberg, binomialSf, wilsonUpper } from '../stats/significance.js';
import { normalCdf } from '../stats/stats.js';

export interface DataWarning {
  kind: 'leakage' | 'duplicates' | 'future' | 'baseline' | 'resampling' | 'calibration';
  /** A stable code for programs: LEAKAGE, DUPLICATES, FUTURE_ROWS, BELOW_BASELINE, RESAMPLING, CALIBRATION. */
  code?: string;
  column?: string;
  message: string;
}

const sampleRows = 50_000;
const edgeSampleRows = 10_000;
/** The false discovery rate across the columns tested at once (Benjamini–Hochberg). */
export const leakageFdr = 0.05;

/** One feature's leave-one-out power alone, and the p-value that it beats knowing nothing. */
export interface LeakageScore {
  feature: string;
  /** Leave-one-out accuracy (classification) or R² (regression) of the feature's bins alone. */
  power: number;
  /** What knowing nothing scores: the majority class's share, or 0 (R² of the mean). */
  baseline: number;
  /** Upper end of the power's 95 % confidence interval: the best it could plausibly be on this many rows. */
  upper: number;
  pValue: number;
  /** Benjamini–Hochberg adjusted across the features tested. */
  adjustedPValue: number;
  leaks: boolean;
}

/**
 * Checks worth a warning before trusting a model: a feature that alone predicts the target almost perfectly
 * (leakage: an ID, a post-outcome field), and test rows that also appear, identical, among the training rows.
 */
export function dataChecks(
  frame: Frame,
  target: string,
  task: Task,
  train: Int32Array,
  test: Int32Array,
  targetOf: (row: number) => number,
): DataWarning[] {
  const warnings: DataWarning[] = [];
  for (const s of leakageScores(frame, target, task, train, targetOf)) {
    if (!s.leaks) continue;
    warnings.push({
      kind: 'leakage',
      code: 'LEAKAGE',
      column: s.feature,
      message: `"${s.feature}" alone predicts "${target}" almost perfectly (held-out ${task === 'regression' ? 'R²' : 'accuracy'} ${s.power.toFixed(3)} against ${s.baseline.toFixed(3)} knowing nothing, adjusted p = ${s.adjustedPValue.toPrecision(2)}): check it is known before the outcome`,
    });
  }
  // Identical rows (features and target) on both sides of the split inflate test metrics. The test rows' hashes are
  // the set (the smaller side, and none at all when nothing is held out), the training rows probe it.
  const duplicated = test.length === 0 ? 0 : duplicatedRows(rowHashes(frame, test), rowHashes(frame, train));
  if (duplicated > 0) {
    warnings.push({
      kind: 'duplicates',
      code: 'DUPLICATES',
      message: `${duplicated} of ${test.length} test rows also appear, identical, among the training rows: test metrics may be optimistic`,
    });
  }
  return warnings;
}

/**
 * Each feature's power to predict the target alone, measured so that small data cannot fake it. In-sample, a
 * feature with a distinct value per row "predicts" every row (on 48 rows, 29 of 30 noise columns did); here each
 * row is predicted from the other rows of its bin (the nearest non-empty bin by value when it is alone), a
 * leave-one-out estimate. A feature leaks when (1) that power beats knowing nothing significantly after a
 * Benjamini–Hochberg correction across the columns (binomial test on the rows predicted right; Fisher's z on the
 * correlation of prediction and target for regression), (2) the upper end of its 95 % interval reaches almost
 * perfect (accuracy 0.99, R² 0.98, the thresholds of old), and (3) for classification, it beats the majority rate
 * by more than 2 points.
 */
export function leakageScores(
  frame: Frame,
  target: string,
  task: Task,
  train: Int32Array,
  targetOf: (row: number) => number,
): LeakageScore[] {
  const random = seededRandom(17);
  const rows =
    train.length <= sampleRows
      ? train
      : Int32Array.from({ length: sampleRows }, () => train[Math.floor(random() * train.length)]!).sort();
  // Edges from 10,000 of the sample's rows: a screen for near-perfect predictors needs no finer quantiles, and
  // sorting 50,000 values of each of synth 1M's 28 numeric columns was a fifth of the checks.
  const { features } = fitBins(frame, rows, target, 1, [], { edgeSampleRows });
  const bins = binFrameRows(features, frame, rows);
  const F = features.length;
  const y = Float64Array.from(rows, targetOf);
  const n = y.length;
  // Class indices as integers, once for every feature: a double read from y as an array index took the slow keyed path.
  const classOf = task === 'regression' ? null : Int32Array.from(y);
  const raw = features.map((feature, f) => {
    const column = frame.columns.find((c) => c.name === feature.name);
    const values = feature.kind === 'numeric' && column?.kind === 'numeric' ? column.values : null;
    const groups = binGroups(bins, F, f, rows, values);
    return classOf === null ? looRegression(groups, bins, F, f, y) : looClassification(groups, bins, F, f, classOf);
  });
  const adjusted = benjaminiHochberg(raw.map((r) => r.pValue));
  return features.map((feature, f) => {
    const r = raw[f]!;
    const adjustedPValue = adjusted[f]!;
    const nearPerfect = task === 'regression' ? r.upper >= 0.98 : r.upper >= 0.99 && r.power > r.baseline + 0.02;
    return { feature: feature.name, ...r, adjustedPValue, leaks: n >= 3 && adjustedPValue < leakageFdr && nearPerfect };
  });
}

/** The bins of one feature that hold rows, each with its mean raw value (numbers) to find the nearest neighbour. */
interface BinGroups {
  /** Neighbour bins to borrow from for a row alone in bin b (empty: fall back on all rows). */
  neighbours: (b: number) => number[];
}

function binGroups(bins: Uint8Array, F: number, f: number, rows: Int32Array, values: Float64Array | null): BinGroups {
  if (values === null) return { neighbours: () => [] };
  const sum = new Float64Array(256);
  const count = new Float64Array(256);
  for (let i = 0; i < rows.length; i++) {
    const b = bins[i * F + f]!;
    if (b === missingBin) continue;
    sum[b]! += values[rows[i]!]!;
    count[b]!++;
  }
  const filled: number[] = [];
  for (let b = 0; b < missingBin; b++) if (count[b]! > 0) filled.push(b);
  const mean = (b: number) => sum[b]! / count[b]!;
  return {
    neighbours: (b) => {
      if (b === missingBin) return [];
      const at = filled.indexOf(b);
      const lower = at > 0 ? filled[at - 1]! : null;
      const upper = at >= 0 && at < filled.length - 1 ? filled[at + 1]! : null;
      if (lower === null) return upper === null ? [] : [upper];
      if (upper === null) return [lower];
      const dl = mean(b) - mean(lower);
      const du = mean(upper) - mean(b);
      return dl < du ? [lower] : du < dl ? [upper] : [lower, upper];
    },
  };
}

/** Leave-one-out majority-of-bin accuracy, the majority rate, the Wilson upper bound and the binomial p-value. */
function looClassification(
  groups: BinGroups,
  bins: Uint8Array,
  F: number,
  f: number,
  classOf: Int32Array,
): { power: number; baseline: number; upper: number; pValue: number } {
  const n = classOf.length;
  let k = 0;
  for (const v of classOf) k = Math.max(k, v + 1);
  const counts = new Float64Array(256 * k);
  const total = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const c = classOf[i]!;
    counts[bins[i * F + f]! * k + c]!++;
    total[c]!++;
  }
  // Ties go to the class more frequent overall: what a predictor knowing nothing would say.
  const byFrequency = Array.from({ length: k }, (_, c) => c).sort((a, b) => total[b]! - total[a]!);
  const majority = total[byFrequency[0]!]!;
  const binTotal = (b: number) => {
    let s = 0;
    for (let c = 0; c < k; c++) s += counts[b * k + c]!;
    return s;
  };
  // A row's prediction depends only on its bin and its own class: each (bin, class) pair is predicted once and
  // counted for all its rows (per row, with a votes array each, this was most of a check on 50,000 rows).
  let correct = 0;
  const votes = new Float64Array(k);
  for (let b = 0; b < 256; b++) {
    const inBin = binTotal(b);
    if (inBin === 0) continue;
    const near = inBin > 1 ? [] : groups.neighbours(b);
    for (let own = 0; own < k; own++) {
      const rows = counts[b * k + own]!;
      if (rows === 0) continue;
      votes.fill(0);
      if (inBin > 1) for (let c = 0; c < k; c++) votes[c] = counts[b * k + c]! - (c === own ? 1 : 0);
      else if (near.length > 0) for (const nb of near) for (let c = 0; c < k; c++) votes[c]! += counts[nb * k + c]!;
      else for (let c = 0; c < k; c++) votes[c] = total[c]! - (c === own ? 1 : 0);
      let best = byFrequency[0]!;
      for (const c of byFrequency) if (votes[c]! > votes[best]!) best = c;
      if (best === own) correct += rows;
    }
  }
  const baseline = majority / Math.max(1, n);
  return {
    power: correct / Math.max(1, n),
    baseline,
    upper: wilsonUpper(correct, n, 1.96),
    // Any predictor independent of the target is right at most the majority rate on average: the null hypothesis.
    pValue: binomialSf(correct, n, baseline),
  };
}

/** Leave-one-out R² of the bin means, with Fisher's z test and upper bound on the prediction–target correlation. */
function looRegression(
  groups: BinGroups,
  bins: Uint8Array,
  F: number,
  f: number,
  y: Float64Array,
): { power: number; baseline: number; upper: number; pValue: number } {
  const n = y.length;
  const sum = new Float64Array(256);
  const count = new Float64Array(256);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const b = bins[i * F + f]!;
    sum[b]! += y[i]!;
    count[b]!++;
    total += y[i]!;
  }
  const predicted = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const b = bins[i * F + f]!;
    if (count[b]! > 1) predicted[i] = (sum[b]! - y[i]!) / (count[b]! - 1);
    else {
      const near = groups.neighbours(b);
      let s = 0;
      let c = 0;
      for (const nb of near) {
        s += sum[nb]!;
        c += count[nb]!;
      }
      predicted[i] = c > 0 ? s / c : n > 1 ? (total - y[i]!) / (n - 1) : 0;
    }
  }
  const mean = total / Math.max(1, n);
  let sse = 0;
  let sst = 0;
  let mp = 0;
  for (let i = 0; i < n; i++) mp += predicted[i]!;
  mp /= Math.max(1, n);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sse += (y[i]! - predicted[i]!) ** 2;
    sst += (y[i]! - mean) ** 2;
    sxy += (predicted[i]! - mp) * (y[i]! - mean);
    sxx += (predicted[i]! - mp) ** 2;
  }
  const power = sst === 0 ? 0 : Math.max(0, 1 - sse / sst);
  const r = sxx === 0 || sst === 0 ? 0 : Math.max(-0.999999, Math.min(0.999999, sxy / Math.sqrt(sxx * sst)));
  if (n < 4) return { power, baseline: 0, upper: 1, pValue: 1 };
  const z = Math.atanh(r) * Math.sqrt(n - 3);
  const upperR = Math.tanh(Math.atanh(r) + 1.96 / Math.sqrt(n - 3));
  return { power, baseline: 0, upper: r > 0 && power > 0 ? upperR ** 2 : 0, pValue: 1 - normalCdf(z) };
}

/**
 * Each row's 53-bit hash of its cells (two FNV-1a streams over each number's bits or each category's code): equal
 * rows hash equal, and with 53 bits a million rows make an accidental match vanishingly rare. Made column by column
 * for all the rows at once (a row at a time, each row walked the frame's column objects).
 */
function rowHashes(frame: Frame, rows: Int32Array): Float64Array {
  const n = rows.length;
  const a = new Int32Array(n).fill(0x811c9dc5 | 0);
  const b = new Int32Array(n).fill(0x01000193);
  const scratch = new Float64Array(1);
  const words = new Uint32Array(scratch.buffer);
  const mix = (i: number, lo: number, hi: number): void => {
    a[i] = Math.imul(Math.imul(a[i]! ^ lo, 0x01000193) ^ hi, 0x01000193);
    let h = b[i]!;
    h = Math.imul(h ^ hi, 0x5bd1e995) ^ (h >>> 13);
    b[i] = Math.imul(h ^ lo, 0x5bd1e995) ^ (h >>> 15);
  };
  for (const column of frame.columns) {
    if (column.kind === 'numeric') {
      const values = column.values;
      for (let i = 0; i < n; i++) {
        scratch[0] = values[rows[i]!]!;
        mix(i, words[0]!, words[1]!);
      }
    } else {
      const codes = column.codes;
      for (let i = 0; i < n; i++) mix(i, codes[rows[i]!]!, 0x5bd1e995);
    }
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (a[i]! >>> 0) * 2 ** 21 + ((b[i]! >>> 0) & 0x1fffff);
  return out;
}

/**
 * How many of the test rows share their hash with a training row: an open-addressed table of the test hashes and
 * their counts, probed by the training ones (a Map keyed by 53-bit numbers boxed every key).
 */
function duplicatedRows(test: Float64Array, train: Float64Array): number {
  let size = 16;
  while (size < 2 * test.length) size *= 2;
  const mask = size - 1;
  const keys = new Float64Array(size);
  const counts = new Int32Array(size);
  const matched = new Uint8Array(size);
  const slotOf = (h: number): number => {
    let slot = (Math.imul((h % 2 ** 21) ^ Math.floor(h / 2 ** 21), 0x9e3779b1) >>> 0) & mask;
    while (counts[slot] !== 0 && keys[slot] !== h) slot = (slot + 1) & mask;
    return slot;
  };
  for (const h of test) {
    const slot = slotOf(h);
    keys[slot] = h;
    counts[slot]!++;
  }
  for (const h of train) {
    const slot = slotOf(h);
    if (counts[slot] !== 0) matched[slot] = 1;
  }
  let duplicated = 0;
  for (let slot = 0; slot < size; slot++) if (matched[slot] === 1) duplicated += counts[slot]!;
  return duplicated;
}
