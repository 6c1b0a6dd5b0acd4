import type { ColumnDrift, DatasetDrift, DriftTest } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import { holm } from './significance.js';
import { chiSquareSf, jensenShannon, ksTwoSample, normalCdf, psi, sortFloat64, std, wasserstein } from './stats.js';

/**
 * Drift of one column between a reference sample (the model's training data) and a current one (what it served),
 * with the test picked the way Evidently picks it by default:
 *
 * | reference rows | numeric (> 5 distinct values)          | categorical, or numeric with ≤ 5 distinct     |
 * | ≤ 1,000        | Kolmogorov–Smirnov, drift at p < 0.05   | chi-square (z-test for two values), p < 0.05  |
 * | > 1,000        | Wasserstein / reference std, ≥ 0.1      | Jensen–Shannon distance, ≥ 0.1                |
 *
 * PSI (≥ 0.1) is there on request. A data set drifts when at least half of its columns do. Across a data set's
 * columns the p-values are adjusted together (Holm); a column with under 30 rows on a side is
 * reported as not enough data, never as drift.
 */
export type DriftColumn =
  | { name: string; kind: 'numeric'; reference: Float64Array; current: Float64Array }
  | { name: string; kind: 'categorical'; reference: Categories; current: Categories };

/**
 * A categorical sample: its values (null missing), or already counted per value (missing left out), as the
 * prediction log's segments keep them: every test on categories reads only the counts, so both give one answer.
 */
export type Categories = (string | null)[] | Map<string, number>;

/** Rows per value (missing left out), and how many rows had one. */
interface Counted {
  counts: Map<string, number>;
  total: number;
}

function counted(values: Categories): Counted {
  if (values instanceof Map) {
    // A value counted zero times is not one of the sample's categories (it would add an empty bin).
    const counts = new Map<string, number>();
    let total = 0;
    for (const [v, n] of values)
      if (n > 0) {
        counts.set(v, n);
        total += n;
      }
    return { counts, total };
  }
  const counts = new Map<string, number>();
  let total = 0;
  for (const v of values)
    if (v !== null) {
      counts.set(v, (counts.get(v) ?? 0) + 1);
      total++;
    }
  return { counts, total };
}

/**
 * A numeric sample's values as text, counted (missing left out): per distinct number, so no string per row is made
 * and the sample need not be sorted. (-0 and 0 share a key, as they share the text "0".)
 */
function countedNumbers(values: Float64Array): Counted {
  const byNumber = new Map<number, number>();
  let total = 0;
  for (const v of values)
    if (!Number.isNaN(v)) {
      byNumber.set(v, (byNumber.get(v) ?? 0) + 1);
      total++;
    }
  const counts = new Map<string, number>();
  for (const [v, n] of byNumber) counts.set(String(v), (counts.get(String(v)) ?? 0) + n);
  return { counts, total };
}

function presentCount(values: Float64Array): number {
  let n = 0;
  for (const v of values) if (!Number.isNaN(v)) n++;
  return n;
}

export type { ColumnDrift, DatasetDrift, DriftTest };

export interface DriftOptions {
  /** Per-column test and threshold, overriding the automatic choice. */
  tests?: Record<string, { test?: DriftTest; threshold?: number }>;
  shareThreshold?: number;
}

const defaultThresholds: Record<DriftTest, number> = {
  ks: 0.05,
  chisquare: 0.05,
  z: 0.05,
  wasserstein: 0.1,
  jensenshannon: 0.1,
  psi: 0.1,
};

/**
 * Rows each side needs before a column's drift is judged: below it the report says "not enough data" rather than
 * raising an alarm. 30 is where the KS and z tests' large-sample p-values and the chi-square's expected counts of
 * about 5 per category (for up to 6 categories) start to hold.
 */
export const minimumDriftRows = 30;

const isTest = (test: DriftTest): boolean => test === 'ks' || test === 'chisquare' || test === 'z';

function present(values: Float64Array): Float64Array {
  let n = 0;
  for (const v of values) if (!Number.isNaN(v)) n++;
  const out = new Float64Array(n);
  let k = 0;
  for (const v of values) if (!Number.isNaN(v)) out[k++] = v;
  return sortFloat64(out);
}

function distinctCount(sorted: Float64Array, limit: number): number {
  let count = 0;
  for (let i = 0; i < sorted.length && count <= limit; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) count++;
  return count;
}

/** Shares per category over the union of both samples' categories (missing values left out). */
function categoryShares(reference: Counted, current: Counted): { bins: string[]; reference: number[]; current: number[] } {
  const r = reference.counts;
  const c = current.counts;
  const bins = [...new Set([...r.keys(), ...c.keys()])].sort();
  return {
    bins,
    reference: bins.map((b) => (r.get(b) ?? 0) / Math.max(1, reference.total)),
    current: bins.map((b) => (c.get(b) ?? 0) / Math.max(1, current.total)),
  };
}

/** The most categories a categorical drift test compares one by one; past it, levels are grouped (groupRareLevels). */
export const maxDriftCategories = 20;

/**
 * Past maxDriftCategories levels (an airport or product code column has thousands), categories are compared as the
 * reference's 18 most frequent levels, one bin for the reference's other levels and one for levels the reference
 * never had. Level by level, sampling noise alone put the Jensen-Shannon distance of two samples of one 1,100-level
 * distribution at 0.12-0.43 (drift at 0.1), and a column's report carried a share for each of up to 65,536 levels.
 * A rare level turned common still moves its bin's share, and levels all new fill the last bin.
 */
function groupRareLevels(given: { reference: Counted; current: Counted }): { reference: Counted; current: Counted } {
  const levels = new Set([...given.reference.counts.keys(), ...given.current.counts.keys()]);
  if (levels.size <= maxDriftCategories) return given;
  const kept = new Set(
    [...given.reference.counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, maxDriftCategories - 2)
      .map(([level]) => level),
  );
  // The two groups' names, kept apart from any real level's (a level may be spelt like them).
  const unused = (name: string): string => (levels.has(name) ? unused(`${name}*`) : name);
  const rare = unused(`(${(given.reference.counts.size - kept.size).toLocaleString('en-US')} other levels)`);
  const unseen = unused('(levels not in the reference)');
  const group = (side: Counted): Counted => {
    const counts = new Map<string, number>();
    for (const [level, n] of side.counts) {
      const bin = kept.has(level) ? level : given.reference.counts.has(level) ? rare : unseen;
      counts.set(bin, (counts.get(bin) ?? 0) + n);
    }
    return { counts, total: side.total };
  };
  return { reference: group(given.reference), current: group(given.current) };
}

/** Shares per bin, Sturges' rule over both samples' range (as Evidently bins numeric columns for JS and PSI). */
function histogramShares(
  reference: Float64Array,
  current: Float64Array,
): { bins: string[]; reference: number[]; current: number[] } {
  const lo = Math.min(reference[0]!, current[0]!);
  const hi = Math.max(reference[reference.length - 1]!, current[current.length - 1]!);
  const k = Math.max(1, Math.ceil(Math.log2(reference.length + current.length) + 1));
  const width = hi > lo ? (hi - lo) / k : 1;
  const shares = (values: Float64Array) => {
    const counts = new Array<number>(k).fill(0);
    for (const v of values) counts[Math.min(k - 1, Math.floor((v - lo) / width))]!++;
    return counts.map((c) => c / values.length);
  };
  const bins = Array.from({ length: k }, (_, i) => `${(lo + i * width).toPrecision(4)}–${(lo + (i + 1) * width).toPrecision(4)}`);
  return { bins, reference: shares(reference), current: shares(current) };
}

/** Evidently's zero filling: an empty bin gets a small share so logarithms and ratios stay finite. */
function fillZeroes(shares: number[]): number[] {
  // A loop, not Math.min(...shares): a column of 200,000 categories overflowed the call stack with the spread.
  let smallest = Infinity;
  for (const s of shares) if (s > 0 && s < smallest) smallest = s;
  if (smallest === Infinity) smallest = 1;
  const fill = smallest <= 0.0001 ? smallest / 1e6 : 0.0001;
  return shares.map((s) => (s === 0 ? fill : s));
}

function chiSquare(reference: Counted, current: Counted): { statistic: number; pValue: number } {
  const shares = categoryShares(reference, current);
  if (shares.bins.length < 2) return { statistic: 0, pValue: 1 };
  let statistic = 0;
  for (let k = 0; k < shares.bins.length; k++) {
    const expected = shares.reference[k]! * current.total;
    const observed = shares.current[k]! * current.total;
    statistic += expected === 0 ? (observed > 0 ? Infinity : 0) : (observed - expected) ** 2 / expected;
  }
  return { statistic, pValue: chiSquareSf(statistic, shares.bins.length - 1) };
}

/** Two-proportion z-test on a two-valued column: the share of its first value (sorted) in each sample. */
function zTest(reference: Counted, current: Counted): { statistic: number; pValue: number } {
  const key = [...new Set([...reference.counts.keys(), ...current.counts.keys()])].sort()[0]!;
  const n1 = reference.total;
  const n2 = current.total;
  const p1 = (reference.counts.get(key) ?? 0) / n1;
  const p2 = (current.counts.get(key) ?? 0) / n2;
  const pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return { statistic: 0, pValue: 1 };
  const z = (p1 - p2) / se;
  return { statistic: z, pValue: 2 * (1 - normalCdf(Math.abs(z))) };
}

export function columnDrift(column: DriftColumn, override: { test?: DriftTest; threshold?: number } = {}): ColumnDrift {
  // The current sample is sorted only when it is compared as numbers: a column of few values is counted instead.
  let sortedCurrent: Float64Array | null = null;
  const numeric =
    column.kind === 'numeric'
      ? {
          reference: present(column.reference),
          get current(): Float64Array {
            return (sortedCurrent ??= present(column.current));
          },
        }
      : null;
  const given = column.kind === 'categorical' ? { reference: counted(column.reference), current: counted(column.current) } : null;
  const referenceRows = numeric?.reference.length ?? given!.reference.total;
  const currentRows = column.kind === 'numeric' ? presentCount(column.current) : given!.current.total;
  if (referenceRows === 0 || currentRows === 0)
    throw new HearthError(
      'VALIDATION_FAILED',
      `column "${column.name}" has no values in the ${referenceRows === 0 ? 'reference' : 'current'} data`,
    );
  // A numeric column with five or fewer distinct values is compared as categories, as Evidently does.
  const treatAsNumeric = numeric !== null && distinctCount(numeric.reference, 5) > 5;
  // Categories are counted only when they are compared; numbers are counted by runs of their sorted values.
  let categories: { reference: Counted; current: Counted } | null = given && groupRareLevels(given);
  const categorical = (): { reference: Counted; current: Counted } =>
    (categories ??= {
      reference: countedNumbers(numeric!.reference),
      current: countedNumbers((column as { current: Float64Array }).current),
    });
  const small = referenceRows <= 1000;
  const test: DriftTest =
    override.test ??
    (treatAsNumeric
      ? small
        ? 'ks'
        : 'wasserstein'
      : small
        ? categorical().reference.counts.size <= 2
          ? 'z'
          : 'chisquare'
        : 'jensenshannon');
  if ((test === 'ks' || test === 'wasserstein') && numeric === null)
    throw new HearthError('VALIDATION_FAILED', `${test} compares numbers; "${column.name}" is categorical`);
  const threshold = override.threshold ?? defaultThresholds[test];
  const distribution =
    numeric !== null && treatAsNumeric
      ? histogramShares(numeric.reference, numeric.current)
      : categoryShares(categorical().reference, categorical().current);
  let statistic: number;
  let pValue: number | null = null;
  switch (test) {
    case 'ks': {
      const r = ksTwoSample(numeric!.reference, numeric!.current);
      statistic = r.statistic;
      pValue = r.pValue;
      break;
    }
    case 'wasserstein':
      statistic = wasserstein(numeric!.reference, numeric!.current) / Math.max(std(numeric!.reference), 0.001);
      break;
    case 'chisquare': {
      const r = chiSquare(categorical().reference, categorical().current);
      statistic = r.statistic;
      pValue = r.pValue;
      break;
    }
    case 'z': {
      const r = zTest(categorical().reference, categorical().current);
      statistic = r.statistic;
      pValue = r.pValue;
      break;
    }
    case 'jensenshannon':
      statistic = jensenShannon(fillZeroes(distribution.reference), fillZeroes(distribution.current));
      break;
    case 'psi':
      statistic = psi(fillZeroes(distribution.reference), fillZeroes(distribution.current));
      break;
  }
  const enoughData = referenceRows >= minimumDriftRows && currentRows >= minimumDriftRows;
  const drifted = enoughData && (isTest(test) ? pValue! < threshold : statistic >= threshold);
  return {
    column: column.name,
    kind: treatAsNumeric ? 'numeric' : 'categorical',
    test,
    statistic,
    pValue,
    adjustedPValue: pValue,
    threshold,
    enoughData,
    drifted,
    referenceRows,
    currentRows,
    distribution,
  };
}

/** A column with no values on one side (all missing in the window) cannot be tested: it is listed, not guessed. */
function emptySide(c: DriftColumn): 'reference' | 'current' | null {
  const has = (values: Float64Array | Categories) =>
    values instanceof Float64Array
      ? values.some((v) => !Number.isNaN(v))
      : values instanceof Map
        ? [...values.values()].some((n) => n > 0)
        : values.some((v) => v !== null);
  return !has(c.reference) ? 'reference' : !has(c.current) ? 'current' : null;
}

export function datasetDrift(columns: DriftColumn[], options: DriftOptions = {}): DatasetDrift {
  const skipped: DatasetDrift['skipped'] = [];
  const testable = columns.filter((c) => {
    const empty = emptySide(c);
    if (empty !== null) skipped.push({ column: c.name, reason: `no values in the ${empty} data` });
    return empty === null;
  });
  const tested = testable.map((c) => columnDrift(c, options.tests?.[c.name]));
  // Testing 30 columns at p < 0.05 alarms on one or two of them by chance alone: the p-values of the columns with
  // enough data are adjusted together by Holm's method, which bounds the chance of any false column alarm at the
  // threshold (Benjamini–Hochberg bounds only their share, and let a null column ride on a real shift's coat-tails).
  // The distances used above 1,000 rows are effect sizes, not tests, and stay as they are.
  const adjusted = holm(tested.map((r) => (r.enoughData && isTest(r.test) ? r.pValue : null)));
  const results = tested.map((r, i) =>
    r.enoughData && isTest(r.test) ? { ...r, adjustedPValue: adjusted[i]!, drifted: adjusted[i]! < r.threshold } : r,
  );
  const decided = results.filter((r) => r.enoughData);
  const drifted = decided.filter((r) => r.drifted).length;
  const share = decided.length === 0 ? 0 : drifted / decided.length;
  const shareThreshold = options.shareThreshold ?? 0.5;
  return {
    columns: results,
    skipped,
    drifted,
    share,
    shareThreshold,
    minimumRows: minimumDriftRows,
    notEnoughData: results.length - decided.length,
    datasetDrifted: decided.length > 0 && share >= shareThreshold,
  };
}
