import { HearthError } from '../contracts/errors.js';
import type { Column, Frame } from '../table/frame.js';
import { seededRandom } from '../stats/random.js';

const neighbours = 5;
/** Reference rows per class for the neighbour search: brute force stays affordable on big classes. */
const maxReference = 4000;
/** New rows in all, at most: SMOTE's cap. */
const maxSyntheticRows = 200_000;

type NumericColumn = Extract<Column, { kind: 'numeric' }>;

/**
 * The features SMOTE-NC interpolates (numbers, dates) and those it votes on (categories, booleans: a boolean between
 * true and false, or a category code between two codes, is a value no real row has).
 */
function featureKinds(frame: Frame, target: string): { continuous: NumericColumn[]; nominal: Column[] } {
  const features = frame.columns.filter((c) => c.name !== target);
  return {
    continuous: features.filter((c): c is NumericColumn => c.kind === 'numeric' && c.type !== 'boolean'),
    nominal: features.filter((c) => c.kind !== 'numeric' || c.type === 'boolean'),
  };
}

/** Refuses SMOTE where SMOTE-NC is undefined: with no numeric feature there is nothing to interpolate. */
export function checkSmoteApplies(frame: Frame, target: string, excluded: readonly string[] = []): void {
  const { continuous } = featureKinds({ ...frame, columns: frame.columns.filter((c) => !excluded.includes(c.name)) }, target);
  if (continuous.length === 0)
    throw new HearthError(
      'VALIDATION_FAILED',
      'SMOTE needs at least one numeric feature (SMOTE-NC interpolates numbers and votes on categories); every feature here is categorical',
    );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * SMOTE-NC (Chawla et al., 2002): new rows for each minority class, each between a real row of the class and one of
 * its five nearest neighbours in that class. The distance is Euclidean over the standardised numbers (a missing
 * value counts as the mean) plus, for every categorical (or boolean) feature on which two rows differ, the square
 * of the median of the numbers' standard deviations within the class. A new row's numbers are interpolated (a
 * missing value stays missing; integers are rounded), and each categorical takes the value most frequent among
 * the k neighbours (a tie goes to the value of the nearest of the tied), so it only ever carries a level that
 * exists. Classes are brought up to the largest class, within `maxSynthetic` new rows in all. Returns a frame with
 * the new rows appended and their class per row.
 */
export function smote(
  frame: Frame,
  trainRows: Int32Array,
  classOf: Int32Array,
  classes: number,
  target: string,
  seed: number,
  maxSynthetic = maxSyntheticRows,
): { frame: Frame; classOf: Int32Array; synthetic: Int32Array; added: number[] } {
  checkSmoteApplies(frame, target);
  const random = seededRandom(seed + 101);
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (const r of trainRows) if (classOf[r]! >= 0) byClass[classOf[r]!]!.push(r);
  const added = syntheticPerClass(
    byClass.map((c) => c.length),
    maxSynthetic,
  );
  const { continuous, nominal } = featureKinds(frame, target);
  const C = continuous.length;
  const M = nominal.length;
  const stats = continuous.map((c) => {
    let sum = 0;
    let n = 0;
    for (const r of trainRows) {
      const v = c.values[r]!;
      if (!Number.isNaN(v)) {
        sum += v;
        n++;
      }
    }
    const mean = n > 0 ? sum / n : 0;
    let sq = 0;
    for (const r of trainRows) {
      const v = c.values[r]!;
      if (!Number.isNaN(v)) sq += (v - mean) ** 2;
    }
    return { mean, std: n > 1 ? Math.sqrt(sq / n) || 1 : 1 };
  });
  // A nominal feature's value as a number: the category code (−1 missing), or the boolean (NaN missing → −1).
  const nominalValue = (c: Column, row: number): number => {
    if (c.kind !== 'numeric') return c.codes[row]!;
    const v = c.values[row]!;
    return Number.isNaN(v) ? -1 : v;
  };
  const newRows: { base: number; other: number; gap: number; votes: number[]; cls: number }[] = [];
  byClass.forEach((members, cls) => {
    if (added[cls]! === 0) return;
    // Standardised numbers and nominal values of the class's rows, row by row.
    const z = new Float64Array(members.length * C);
    const codes = new Float64Array(members.length * M);
    members.forEach((row, i) => {
      for (let j = 0; j < C; j++) {
        const v = continuous[j]!.values[row]!;
        z[i * C + j] = Number.isNaN(v) ? 0 : (v - stats[j]!.mean) / stats[j]!.std;
      }
      for (let j = 0; j < M; j++) codes[i * M + j] = nominalValue(nominal[j]!, row);
    });
    // The nominal penalty: the median over numeric features of their standard deviation within the class.
    const classStd = Array.from({ length: C }, (_, j) => {
      let sum = 0;
      for (let i = 0; i < members.length; i++) sum += z[i * C + j]!;
      const mean = sum / members.length;
      let sq = 0;
      for (let i = 0; i < members.length; i++) sq += (z[i * C + j]! - mean) ** 2;
      return Math.sqrt(sq / members.length);
    });
    const penalty = median(classStd) ** 2;
    const reference =
      members.length <= maxReference
        ? members.map((_, i) => i)
        : Array.from({ length: maxReference }, () => Math.floor(random() * members.length));
    for (let k = 0; k < added[cls]!; k++) {
      const base = Math.floor(random() * members.length);
      // The nearest neighbours of `base` among the class's reference rows (excluding itself), nearest first.
      const nearest: { i: number; d: number }[] = [];
      for (const other of reference) {
        if (other === base) continue;
        let d = 0;
        for (let j = 0; j < C; j++) d += (z[base * C + j]! - z[other * C + j]!) ** 2;
        for (let j = 0; j < M; j++) if (codes[base * M + j] !== codes[other * M + j]) d += penalty;
        if (nearest.length < neighbours || d < nearest[nearest.length - 1]!.d) {
          nearest.push({ i: other, d });
          nearest.sort((a, b) => a.d - b.d);
          if (nearest.length > neighbours) nearest.pop();
        }
      }
      const votes = Array.from({ length: M }, (_, j) => {
        if (nearest.length === 0) return codes[base * M + j]!;
        const counts = new Map<number, number>();
        for (const n of nearest) counts.set(codes[n.i * M + j]!, (counts.get(codes[n.i * M + j]!) ?? 0) + 1);
        // Nearest first, so among equally frequent values the nearest neighbour's wins.
        let best = codes[nearest[0]!.i * M + j]!;
        for (const n of nearest) if (counts.get(codes[n.i * M + j]!)! > counts.get(best)!) best = codes[n.i * M + j]!;
        return best;
      });
      const other = nearest.length === 0 ? base : nearest[Math.floor(random() * nearest.length)]!.i;
      newRows.push({ base: members[base]!, other: members[other]!, gap: random(), votes, cls });
    }
  });
  const n = frame.rowCount;
  const m = newRows.length;
  const nominalIndex = new Map(nominal.map((c, j) => [c.name, j]));
  const columns: Column[] = frame.columns.map((c) => {
    const j = nominalIndex.get(c.name);
    if (c.kind === 'numeric') {
      const values = new Float64Array(n + m);
      values.set(c.values.subarray(0, n));
      newRows.forEach((s, i) => {
        const a = c.values[s.base]!;
        const b = c.values[s.other]!;
        if (j !== undefined) values[n + i] = s.votes[j]! < 0 ? Number.NaN : s.votes[j]!;
        else if (Number.isNaN(a) || Number.isNaN(b) || c.name === target) values[n + i] = a;
        else {
          const v = a + s.gap * (b - a);
          values[n + i] = c.type === 'integer' ? Math.round(v) : v;
        }
      });
      return { ...c, values };
    }
    const codes = new Int32Array(n + m);
    codes.set(c.codes.subarray(0, n));
    // The target's level is the base row's (the same class); every other categorical takes the neighbours' vote.
    newRows.forEach((s, i) => (codes[n + i] = j === undefined ? c.codes[s.base]! : s.votes[j]!));
    return { ...c, codes };
  });
  const extended = new Int32Array(n + m);
  extended.set(classOf.subarray(0, n));
  newRows.forEach((s, i) => (extended[n + i] = s.cls));
  return {
    frame: { rowCount: n + m, columns },
    classOf: extended,
    synthetic: Int32Array.from({ length: m }, (_, i) => n + i),
    added,
  };
}

/**
 * SMOTE's projected cost on these rows, in milliseconds, and the synthetic rows it would add: timed on 256 and 512
 * synthetic rows, so the fixed part (the class statistics) and the part per synthetic row (the brute-force search
 * among up to 4,000 reference rows) are measured apart. On synth 200k a fold adds ~87,000 rows and its neighbour
 * search took ~35 s, which the search had projected as the plain candidate's cross-validation (~4 s a fold).
 */
export function projectSmote(
  frame: Frame,
  trainRows: Int32Array,
  classOf: Int32Array,
  classes: number,
  target: string,
  seed: number,
): { ms: number; added: number } {
  const timed = (rows: number): { ms: number; added: number } => {
    const started = performance.now();
    const { added } = smote(frame, trainRows, classOf, classes, target, seed, rows);
    return { ms: performance.now() - started, added: added.reduce((s, a) => s + a, 0) };
  };
  const counts = new Array<number>(classes).fill(0);
  for (const r of trainRows) if (classOf[r]! >= 0) counts[classOf[r]!]!++;
  const full = syntheticPerClass(counts, maxSyntheticRows).reduce((s, a) => s + a, 0);
  timed(64); // warms the code, so the first timed sample is not the one that pays for compiling it
  const small = timed(256);
  const large = timed(512);
  if (full <= large.added || large.added <= small.added)
    return { ms: large.ms * Math.max(1, full / Math.max(1, large.added)), added: full };
  // A pause in the larger sample can make the difference meaningless: then every row is charged the larger
  // sample's mean cost, fixed part included (an overestimate, never a free pass).
  const difference = (large.ms - small.ms) / (large.added - small.added);
  const perRow = difference > 0 ? difference : large.ms / large.added;
  return { ms: large.ms + perRow * (full - large.added), added: full };
}

/**
 * The synthetic rows SMOTE adds per class: each class of two rows or more brought up to the largest, scaled down to
 * `maxSynthetic` in all.
 */
function syntheticPerClass(counts: readonly number[], maxSynthetic: number): number[] {
  const largest = Math.max(...counts);
  const wanted = counts.map((c) => (c >= 2 ? largest - c : 0));
  const total = wanted.reduce((s, w) => s + w, 0);
  const scale = total > maxSynthetic ? maxSynthetic / total : 1;
  return wanted.map((w) => Math.floor(w * scale));
}

/**
 * The projected milliseconds of cross-validating a candidate with SMOTE on these folds: the plain candidate's
 * cross-validation scaled by the rows SMOTE adds, plus each fold's resampling (projected from the largest fold's).
 */
export function projectSmoteFolds(
  frame: Frame,
  folds: readonly { train: Int32Array }[],
  classOf: Int32Array,
  classes: number,
  target: string,
  seed: number,
  plainMs: number,
): number {
  // The last fold's training side is the largest under forward chaining (and the same size under k-fold).
  const largest = folds[folds.length - 1]!.train;
  const cost = projectSmote(frame, largest, classOf, classes, target, seed);
  return plainMs * (1 + cost.added / largest.length) + folds.length * cost.ms;
}
