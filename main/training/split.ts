import { seededRandom, shuffleInPlace } from '../stats/random.js';

export interface Split {
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
}

export interface SplitOptions {
  seed: number;
  validationFraction: number;
  testFraction: number;
  /** Class index per row for stratification (-1 rows are excluded); omit for a plain shuffled split. */
  strata?: Int32Array;
}

/**
 * Seeded train/validation/test split of `rows`. With strata, every class is split in the same proportions
 * (rounded per class), so a rare class appears on every side when it has at least three rows.
 */
export function splitRows(rows: Int32Array, options: SplitOptions): Split {
  const random = seededRandom(options.seed);
  const groups = new Map<number, number[]>();
  for (const r of rows) {
    const key = options.strata === undefined ? 0 : options.strata[r]!;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = []));
    g.push(r);
  }
  const train: number[] = [];
  const validation: number[] = [];
  const test: number[] = [];
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const members = Int32Array.from(groups.get(key)!);
    shuffleInPlace(members, random);
    const n = members.length;
    let nTest = Math.round(n * options.testFraction);
    let nValidation = Math.round(n * options.validationFraction);
    if (n >= 3) {
      // A side asked for gets at least one row of every class; a side asked to be empty stays empty.
      if (options.testFraction > 0) nTest = Math.max(1, nTest);
      if (options.validationFraction > 0) nValidation = Math.max(1, nValidation);
    }
    if (nTest + nValidation >= n) {
      nTest = Math.min(nTest, Math.max(0, n - 1));
      nValidation = Math.min(nValidation, Math.max(0, n - 1 - nTest));
    }
    for (let i = 0; i < n; i++) {
      const r = members[i]!;
      if (i < nTest) test.push(r);
      else if (i < nTest + nValidation) validation.push(r);
      else train.push(r);
    }
  }
  const sorted = (a: number[]): Int32Array => Int32Array.from(a).sort();
  return { train: sorted(train), validation: sorted(validation), test: sorted(test) };
}

/**
 * Splits rows into k folds of near-equal size, seeded; with strata, every class is dealt round-robin across the
 * folds after a shuffle, so each fold keeps the class proportions (scikit-learn's StratifiedKFold does the same).
 */
export function stratifiedFolds(rows: Int32Array, k: number, seed: number, strata?: Int32Array): Int32Array[] {
  const random = seededRandom(seed + 7919);
  const groups = new Map<number, number[]>();
  for (const r of rows) {
    const key = strata === undefined ? 0 : strata[r]!;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = []));
    g.push(r);
  }
  const folds: number[][] = Array.from({ length: k }, () => []);
  let next = 0;
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const members = Int32Array.from(groups.get(key)!);
    shuffleInPlace(members, random);
    for (const r of members) {
      folds[next]!.push(r);
      next = (next + 1) % k;
    }
  }
  return folds.map((f) => Int32Array.from(f).sort());
}

/** One round of cross-validation: the rows to fit on and the rows to score. */
export interface FoldPair {
  train: Int32Array;
  heldOut: Int32Array;
}

/** How rows are kept apart: shuffled (stratified by class when given), by time order, or by group. */
export type SplitScheme =
  { kind: 'random'; strata?: Int32Array } | { kind: 'time'; times: Float64Array } | { kind: 'group'; groups: Int32Array };

function withoutRows(pool: Int32Array, excluded: Int32Array): Int32Array {
  const drop = new Set(excluded);
  return pool.filter((r) => !drop.has(r)).sort();
}

/**
 * Train/validation/test split under a scheme. Time: the earliest rows train, the next validate, the latest test,
 * so no model is scored on a past it was not allowed to see. Group: whole groups go to one side (a patient, a
 * machine, a customer is never both trained on and tested on).
 */
export function splitByScheme(rows: Int32Array, scheme: SplitScheme, options: Omit<SplitOptions, 'strata'>): Split {
  if (scheme.kind === 'random')
    return splitRows(rows, { ...options, ...(scheme.strata === undefined ? {} : { strata: scheme.strata }) });
  if (scheme.kind === 'time') {
    const ordered = Int32Array.from(rows).sort((a, b) => scheme.times[a]! - scheme.times[b]! || a - b);
    const n = ordered.length;
    const nTest = Math.round(n * options.testFraction);
    const nValidation = Math.round(n * options.validationFraction);
    const trainEnd = n - nTest - nValidation;
    return {
      train: ordered.slice(0, trainEnd).sort(),
      validation: ordered.slice(trainEnd, n - nTest).sort(),
      test: ordered.slice(n - nTest).sort(),
    };
  }
  // Group: split the distinct groups with the row split's own logic, then map back to rows.
  const groupIds = Int32Array.from(new Set(Array.from(rows, (r) => scheme.groups[r]!))).sort();
  const byGroup = splitRows(groupIds, options);
  const side = new Map<number, 0 | 1 | 2>();
  for (const g of byGroup.train) side.set(g, 0);
  for (const g of byGroup.validation) side.set(g, 1);
  for (const g of byGroup.test) side.set(g, 2);
  const out: number[][] = [[], [], []];
  for (const r of rows) out[side.get(scheme.groups[r]!)!]!.push(r);
  return { train: Int32Array.from(out[0]!), validation: Int32Array.from(out[1]!), test: Int32Array.from(out[2]!) };
}

/**
 * Cross-validation rounds under a scheme: stratified k-fold; for time, forward chaining (fit on the first j
 * blocks, score on block j + 1, as scikit-learn's TimeSeriesSplit); for groups, k folds of whole groups.
 */
export function foldPairs(pool: Int32Array, k: number, seed: number, scheme: SplitScheme): FoldPair[] {
  if (scheme.kind === 'time') {
    const ordered = Int32Array.from(pool).sort((a, b) => scheme.times[a]! - scheme.times[b]! || a - b);
    const block = Math.floor(ordered.length / (k + 1));
    return Array.from({ length: k }, (_, j) => ({
      train: ordered.slice(0, block * (j + 1)).sort(),
      heldOut: ordered.slice(block * (j + 1), j === k - 1 ? ordered.length : block * (j + 2)).sort(),
    }));
  }
  if (scheme.kind === 'group') {
    const groupIds = Int32Array.from(new Set(Array.from(pool, (r) => scheme.groups[r]!))).sort();
    if (groupIds.length < k) return [];
    const groupFolds = stratifiedFolds(groupIds, k, seed);
    return groupFolds.map((groups) => {
      const inFold = new Set(groups);
      const heldOut = pool.filter((r) => inFold.has(scheme.groups[r]!)).sort();
      return { train: withoutRows(pool, heldOut), heldOut };
    });
  }
  return stratifiedFolds(pool, k, seed, scheme.strata).map((heldOut) => ({ train: withoutRows(pool, heldOut), heldOut }));
}

/** A seeded share of the rows held out (for early stopping), and the rest; both keep the rows' order. */
export function holdOut(rows: Int32Array, share: number, seed: number): { kept: Int32Array; held: Int32Array } {
  const random = seededRandom(seed);
  const flags = Uint8Array.from(rows, () => (random() < share ? 1 : 0));
  return { kept: rows.filter((_, i) => flags[i] === 0), held: rows.filter((_, i) => flags[i] === 1) };
}
