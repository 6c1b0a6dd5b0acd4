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
  // Nothing held out: every row trains, ascending, as the deal below would leave them (it shuffles within classes
  // and then puts each side back in row order), without counting classes and shuffling 200k rows for nothing.
  if (options.testFraction === 0 && options.validationFraction === 0)
    return sidesInRowOrder(rows, new Uint8Array(rows.length).fill(trainSide));
  const random = seededRandom(options.seed);
  // Each class's rows in the order given (a stable counting sort by class), the classes in ascending order; each
  // class shuffled in turn with one seeded stream, and its first rows dealt to test, then validation.
  const { keys, members, offsets } = byStratum(rows, options.strata);
  const side = new Uint8Array(rows.length);
  let start = 0;
  for (let k = 0; k < keys; k++) {
    const end = offsets[k + 1]!;
    // Shuffling the rows' positions draws what shuffling the rows would: the same permutation.
    const position = members.subarray(start, end);
    shuffleInPlace(position, random);
    const n = position.length;
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
    for (let i = 0; i < n; i++) side[position[i]!] = i < nTest ? testSide : i < nTest + nValidation ? validationSide : trainSide;
    start = end;
  }
  return sidesInRowOrder(rows, side);
}

const trainSide = 0;
const validationSide = 1;
const testSide = 2;

/**
 * The positions in `rows` grouped by stratum (one group without strata): groups in ascending stratum order, group k
 * at offsets[k]..offsets[k + 1], and each group's rows in the order given.
 */
function byStratum(rows: Int32Array, strata: Int32Array | undefined): { keys: number; members: Int32Array; offsets: Int32Array } {
  const n = rows.length;
  // Strata are class indices: counted in an array over their range (a Map per row cost tens of ms on 800k rows).
  let low = 0;
  let high = 0;
  if (strata !== undefined && n > 0) {
    low = high = strata[rows[0]!]!;
    for (let i = 1; i < n; i++) {
      const s = strata[rows[i]!]!;
      if (s < low) low = s;
      else if (s > high) high = s;
    }
  }
  const key = new Int32Array(n);
  let count: Int32Array;
  if (strata === undefined) (count = new Int32Array(2))[0] = n;
  else if (high - low < 1 << 20) {
    count = new Int32Array(high - low + 2);
    for (let i = 0; i < n; i++) count[(key[i] = strata[rows[i]!]! - low)]!++;
  } else {
    // Strata spread wider (none a caller makes today): their ranks stand in for them, in the same order.
    const rank = new Map([...new Set(Array.from(rows, (r) => strata[r]!))].sort((a, b) => a - b).map((v, i) => [v, i]));
    count = new Int32Array(rank.size + 1);
    for (let i = 0; i < n; i++) count[(key[i] = rank.get(strata[rows[i]!]!)!)]!++;
  }
  // Each stratum present gets a group, in ascending order.
  const group = new Int32Array(count.length);
  const offsets: number[] = [0];
  for (let s = 0; s < count.length; s++) {
    if (count[s] === 0) continue;
    group[s] = offsets.length - 1;
    offsets.push(offsets[offsets.length - 1]! + count[s]!);
  }
  const next = Int32Array.from(offsets);
  const members = new Int32Array(n);
  for (let i = 0; i < n; i++) members[next[group[key[i]!]!]!++] = i;
  return { keys: offsets.length - 1, members, offsets: Int32Array.from(offsets) };
}

/** Each side's rows, ascending: one pass when `rows` already ascend (labelled rows do), else sorted. */
function sidesInRowOrder(rows: Int32Array, side: Uint8Array): Split {
  const counts = [0, 0, 0];
  for (let i = 0; i < rows.length; i++) counts[side[i]!]!++;
  const out = counts.map((c) => new Int32Array(c));
  const filled = [0, 0, 0];
  let ascending = true;
  for (let i = 0; i < rows.length; i++) {
    const s = side[i]!;
    out[s]![filled[s]!++] = rows[i]!;
    if (i > 0 && rows[i]! < rows[i - 1]!) ascending = false;
  }
  if (!ascending) for (const o of out) o.sort();
  return { train: out[trainSide]!, validation: out[validationSide]!, test: out[testSide]! };
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
