import { seededRandom, shuffleInPlace } from './random.js';

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
