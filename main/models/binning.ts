import { HearthError } from '../contracts/errors.js';
import { candidateColumns, levelCounts, levelsByCount, type Frame } from '../table/frame.js';
import { seededRandom } from '../stats/random.js';
import { sortFloat64 } from '../stats/stats.js';
import { nativeBinFill, type BinFill } from '../accel/gbdt-addon.js';

/** Bin 255 holds missing values in every feature; real values use bins 0..254. */
export const missingBin = 255;
const maxValueBins = 255;

/**
 * A numeric feature's bins: value ≤ upper[b] (and > upper[b−1]) falls in bin b; values above the last edge fall in
 * bin upper.length. The edges are midpoints between neighbouring distinct values, so a split "bin ≤ b" is exactly
 * the threshold test "value ≤ upper[b]" that the exported ONNX graph applies to raw values.
 */
export interface NumericBins {
  kind: 'numeric';
  name: string;
  sourceType: 'integer' | 'number' | 'boolean' | 'datetime';
  upper: number[];
}

/**
 * A categorical feature's bins: levels by training frequency; bin `categories.length` is every other level: levels
 * outside this feature's list (past its block's 254, or in the column's other block), levels rarer than the fit's
 * `minCategoryRows` (pooled there so no split can single out a handful of rows) and levels never seen in training.
 * Prediction and the ONNX graph map any level not in the model's list to the model's "other" code.
 */
export interface CategoricalBins {
  kind: 'categorical';
  name: string;
  categories: string[];
  /**
   * A column with more levels than one feature's bins hold is binned as consecutive features of the same name, a
   * block of up to 254 levels each (see fitBins' maxCategoryBlocks): `offset` is the code of this block's first level
   * among all the column's levels (absent: 0). A block's "other" bin holds every level outside the block.
   */
  offset?: number;
}

export type FeatureBins = NumericBins | CategoricalBins;

export function binCount(f: FeatureBins): number {
  return f.kind === 'numeric' ? f.upper.length + 1 : f.categories.length + 1;
}

/** Index of the bin holding `v` (not NaN): the first edge ≥ v. */
export function numericBin(upper: readonly number[], v: number): number {
  let lo = 0;
  let hi = upper.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v <= upper[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** What fitBins keeps of categorical levels, and how many rows it fits numeric edges on (see fitBins). */
export interface BinningOptions {
  minCategoryRows?: number;
  maxCategoryBlocks?: number;
  edgeSampleRows?: number;
  /** The native addon's sample and sort (the default where it loads), or null for TypeScript's: the same edges. */
  native?: BinFill | null;
}

/**
 * Fits bin edges on the training rows (a seeded sample of at most `edgeSampleRows`, 200,000 by default as LightGBM's
 * bin_construct_sample_cnt, for numbers), with at most 255 value bins per feature. Categorical levels with fewer than
 * `minCategoryRows` training rows share the "other" bin.
 *
 * A categorical column past 254 kept levels keeps more, most frequent first, while the kept ones hold under 99% of its
 * training values (LightGBM's rule, which keeps its categorical bins past max_bin that way), in up to
 * `maxCategoryBlocks` blocks of 254: one feature per block, sharing the column's name (CategoricalBins.offset). A
 * split on a block sends a set of its levels one way; the tree model maps it back to the column's codes.
 */
export function fitBins(
  frame: Frame,
  trainRows: Int32Array,
  target: string,
  seed = 1,
  excluded: readonly string[] = [],
  { minCategoryRows = 0, maxCategoryBlocks = 1, edgeSampleRows = 200_000, native = nativeBinFill() }: BinningOptions = {},
): { features: FeatureBins[]; ignored: { name: string; reason: string }[] } {
  const features: FeatureBins[] = [];
  const ignored: { name: string; reason: string }[] = [];
  const random = seededRandom(seed);
  const sampleSize = Math.min(trainRows.length, edgeSampleRows);
  let sample = trainRows;
  if (trainRows.length > sampleSize) {
    // In row order, each column's sampled values are read forwards instead of at random (4-5x faster on 800k rows);
    // they are sorted by value next, so the order they are read in changes nothing. Put in row order by counting
    // each row's draws (a pass over the rows) rather than sorting the draws: Int32Array sort was half of fitBins.
    const draws = new Int32Array(frame.rowCount);
    for (let i = 0; i < sampleSize; i++) draws[trainRows[Math.floor(random() * trainRows.length)]!]!++;
    sample = new Int32Array(sampleSize);
    let at = 0;
    for (let row = 0; row < draws.length; row++) for (let k = draws[row]!; k > 0; k--) sample[at++] = row;
  }
  const sorted = (v: Float64Array): Float64Array => (native === null ? sortFloat64(v) : native.sortDoubles(v));
  for (const column of candidateColumns(frame, target, excluded, ignored)) {
    if (column.kind === 'numeric') {
      const buffer = new Float64Array(sample.length);
      let present = 0;
      if (native !== null) present = native.gatherPresent(column.values, sample, buffer);
      else
        for (let i = 0; i < sample.length; i++) {
          const v = column.values[sample[i]!]!;
          if (!Number.isNaN(v)) buffer[present++] = v;
        }
      // A column of at most 255 distinct values (a year, a count, a flag) needs only those, found in one pass;
      // others are sorted, by a radix sort: 2.5× TypedArray.prototype.sort on 200,000 values, and the same order
      // (−0 before +0); in C in half that time (the sorts were over half of fitting synth 1M's bins). Either way
      // numericEdges makes the same edges.
      const values = fewDistinct(buffer.subarray(0, present), maxValueBins) ?? sorted(buffer.subarray(0, present));
      if (values.length === 0) {
        ignored.push({ name: column.name, reason: 'no values in the training rows' });
        continue;
      }
      const upper = numericEdges(values);
      if (upper.length === 0) {
        ignored.push({ name: column.name, reason: 'constant in the training rows' });
        continue;
      }
      features.push({ kind: 'numeric', name: column.name, sourceType: column.type, upper });
    } else if (column.type === 'text') {
      ignored.push({ name: column.name, reason: 'free text (too many distinct values to split on)' });
    } else {
      const counts = levelCounts(column, trainRows);
      const order = levelsByCount(counts);
      if (order.length === 0) {
        ignored.push({ name: column.name, reason: 'no values in the training rows' });
        continue;
      }
      // Levels come most frequent first, so the rare ones are a tail; one level is always kept, so the feature
      // still separates it from the pooled rest.
      const kept = minCategoryRows <= 1 ? order : order.filter((k, i) => i === 0 || counts[k]! >= minCategoryRows);
      const wide = maxCategoryBlocks > 1 && kept.length > levelsPerBlock;
      const levels = wide ? levelsToKeep(kept, counts, maxCategoryBlocks) : Math.min(kept.length, levelsPerBlock);
      for (let offset = 0; offset < levels; offset += levelsPerBlock) {
        const categories = kept.slice(offset, Math.min(levels, offset + levelsPerBlock)).map((k) => column.dictionary[k]!);
        features.push(
          offset === 0
            ? { kind: 'categorical', name: column.name, categories }
            : { kind: 'categorical', name: column.name, categories, offset },
        );
      }
    }
  }
  if (features.length === 0) throw new HearthError('VALIDATION_FAILED', 'no column can be used as a feature');
  return { features, ignored };
}

/**
 * Bin edges over a sorted sample (no NaN): a midpoint between each pair of neighbouring distinct values when there
 * are at most 255, else equal-frequency edges, each placed between two distinct values. Walks the sorted values in
 * place (a distinct value's run ends where the next value differs), with no arrays of distinct values and counts:
 * those made this a third of fitting the bins.
 */
function numericEdges(values: Float64Array): number[] {
  const n = values.length;
  let distinct = n === 0 ? 0 : 1;
  for (let i = 1; i < n && distinct <= maxValueBins; i++) if (values[i] !== values[i - 1]) distinct++;
  const upper: number[] = [];
  if (distinct <= maxValueBins) {
    for (let i = 0; i + 1 < n; i++) {
      if (values[i] === values[i + 1]) continue;
      const edge = midpoint(values[i]!, values[i + 1]!);
      if (edge !== null) upper.push(edge);
    }
    return upper;
  }
  const perBin = n / maxValueBins;
  let nextCut = perBin;
  for (let i = 0; i + 1 < n && upper.length < maxValueBins - 1; i++) {
    if (values[i] === values[i + 1]) continue;
    // Rows up to the end of this distinct value's run.
    const cumulative = i + 1;
    if (cumulative >= nextCut) {
      const edge = midpoint(values[i]!, values[i + 1]!);
      if (edge !== null) upper.push(edge);
      while (nextCut <= cumulative) nextCut += perBin;
    }
  }
  return upper;
}

/**
 * The distinct values of `values` (no NaN), ascending, when there are at most `most` of them; null as soon as there
 * are more. −0 counts as 0 (they are one value to numericEdges, whose edges between them and their neighbours are
 * the same either way). An open-addressed table of the values' bits: one pass, where sorting 200,000 values of a
 * year column took 7–25 ms (a fresh process's first radix sort runs cold).
 */
function fewDistinct(values: Float64Array, most: number): Float64Array | null {
  const slots = 1024;
  const keys = new Float64Array(slots);
  const used = new Uint8Array(slots);
  // A value's two words, to hash its bits.
  const probe = new Float64Array(1);
  const bits = new Uint32Array(probe.buffer);
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]! === 0 ? 0 : values[i]!;
    probe[0] = v;
    let slot = Math.imul(bits[0]! ^ Math.imul(bits[1]!, 0x9e3779b1), 0x85ebca6b) >>> 22;
    for (;;) {
      if (used[slot] === 0) {
        if (++count > most) return null;
        used[slot] = 1;
        keys[slot] = v;
        break;
      }
      if (keys[slot] === v) break;
      slot = (slot + 1) & (slots - 1);
    }
  }
  const distinct = new Float64Array(count);
  let at = 0;
  for (let slot = 0; slot < slots; slot++) if (used[slot] === 1) distinct[at++] = keys[slot]!;
  return distinct.sort();
}

/** Levels one categorical feature's bins hold (bin 254 is "other", 255 missing). */
const levelsPerBlock = maxValueBins - 1;

/**
 * How many of the kept levels (most frequent first) a wide column keeps: at least one block's worth, then on while
 * the levels kept so far hold under 99% of the column's training values, up to `maxBlocks` blocks; a last block
 * that holds under 1% of them is dropped.
 */
function levelsToKeep(kept: readonly number[], counts: Float64Array, maxBlocks: number): number {
  // Over every level's values, the rare ones pooled in "other" too (as LightGBM counts all non-missing values).
  let total = 0;
  for (const c of counts) total += c;
  const cut = 0.99 * total;
  let covered = 0;
  let levels = 0;
  const most = Math.min(kept.length, maxBlocks * levelsPerBlock);
  while (levels < most && (levels < levelsPerBlock || covered < cut)) covered += counts[kept[levels++]!]!;
  // A further block costs a feature's pass over every row in each histogram: one holding under 1% of the values
  // (operator in the bench's mixed set: 2 levels past the 254th reached 99%) is left in "other".
  for (let start = levels - ((levels - 1) % levelsPerBlock) - 1; start >= levelsPerBlock; start -= levelsPerBlock) {
    let share = 0;
    for (let i = start; i < levels; i++) share += counts[kept[i]!]!;
    if (share >= 0.01 * total) break;
    levels = start;
  }
  return levels;
}

/**
 * An index over 16,384 equal-width buckets between the first and last edge: `first[k]` is the first bin a value in
 * bucket k can fall in, so binning scans forward from there (exactly the bin numericBin finds). Bytes (a bin is at
 * most 254), so the table is 16 KiB and stays in L1: against 4,096 int32 buckets, a quarter fewer values land in a
 * bucket holding an edge (a scan step the branch predictor misses), and binning synth 1M's rows took 22% less time.
 */
function bucketLookup(upper: readonly number[]): { low: number; scale: number; first: Uint8Array } {
  const buckets = 16_384;
  const low = upper[0]!;
  const high = upper[upper.length - 1]!;
  const scale = high > low ? buckets / (high - low) : 0;
  const first = new Uint8Array(buckets + 1);
  // The bin of each bucket's lowest value: most buckets hold no edge, so a value's bin is its bucket's, found with
  // one compare each way; binFrameRows scans forward past edges inside the bucket and back where the bucket's
  // rounding put a value one bucket high, so any start gives the same bin. (Starting two bins back, as before, made
  // every value's forward scan two or three steps of branches the predictor missed: a quarter of the binning.)
  for (let k = 0; k <= buckets; k++) first[k] = numericBin(upper, scale > 0 ? low + k / scale : low);
  return { low, scale, first };
}

/**
 * An edge e with a <= e < b, finite: the midpoint, never rounded up to b, or a where it would be (a column spanning
 * more than the largest double). Between -Infinity and b, the lowest finite double: a model is stored as JSON, which
 * has no infinities (a -Infinity threshold came back as null and was read as a category split). Null where no finite
 * edge separates a and b (-Infinity and the lowest double), which then share a bin.
 */
function midpoint(a: number, b: number): number | null {
  if (a === Number.NEGATIVE_INFINITY) return b > -Number.MAX_VALUE ? -Number.MAX_VALUE : null;
  const m = a + (b - a) / 2;
  return m < b ? m : a;
}

/** Rows a block of binFrameRows covers: its rows' bins (F bytes each) stay in the cache while every feature fills them. */
const binBlockRows = 4096;

/** Row-major bin matrix (rows × features) for the given rows of a frame, optionally in shared memory. */
export function binFrameRows(
  features: readonly FeatureBins[],
  frame: Frame,
  rows: Int32Array,
  shared = false,
  /** The native addon's fill (the default where it loads), or null for the TypeScript loops: the same bytes. */
  native: BinFill | null = nativeBinFill(),
): Uint8Array {
  const F = features.length;
  const out = shared ? new Uint8Array(new SharedArrayBuffer(rows.length * F)) : new Uint8Array(rows.length * F);
  const fillers = features.map((feature, f) => binFiller(feature, f, frame, rows, F, out, native));
  // Block by block, each feature in turn: a feature's bytes are F apart, so filling one feature over all the rows
  // would pull the whole matrix through the cache once per feature. (Training splits and folds hand their rows in
  // ascending order, so each column is read forwards.)
  for (let start = 0; start < rows.length; start += binBlockRows) {
    const end = Math.min(rows.length, start + binBlockRows);
    for (const fill of fillers) fill(start, end);
  }
  return out;
}

/** What fills feature f's byte of rows[start, end) in `out` (checked against the frame once, not per block). */
function binFiller(
  feature: FeatureBins,
  f: number,
  frame: Frame,
  rows: Int32Array,
  F: number,
  out: Uint8Array,
  native: BinFill | null,
): (start: number, end: number) => void {
  const column = frame.columns.find((c) => c.name === feature.name);
  if (column === undefined)
    throw new HearthError('VALIDATION_FAILED', `the data has no column "${feature.name}", which the model needs`);
  if (feature.kind === 'numeric') {
    if (column.kind !== 'numeric') throw new HearthError('VALIDATION_FAILED', `column "${feature.name}" must be numeric`);
    const { low, scale, first } = bucketLookup(feature.upper);
    const upper = Float64Array.from(feature.upper);
    const last = upper.length;
    const lastFirst = first[first.length - 1]!;
    const values = column.values;
    // In C (bins.c), the same steps: 11 ns a cell here, 0.28 s of synth 1M's 800k rows on the thread the fit waits on.
    if (native !== null) return (start, end) => native.fillNumeric(values, rows, upper, first, low, scale, out, F, f, start, end);
    return (start, end) => {
      for (let i = start, o = start * F + f; i < end; i++, o += F) {
        const v = values[rows[i]!]!;
        if (Number.isNaN(v)) {
          out[o] = missingBin;
          continue;
        }
        // Start from the bin of the value's bucket and step to the right one: a compare or two instead of a binary
        // search. The bucket is compared as a double, then truncated (x | 0) to read the table: Math.floor's double
        // made the read a slow keyed load. Below the lowest edge the start is bin 0; past the last bucket (+Infinity,
        // or NaN when an infinite value meets a single edge), the last bucket's bin; the scans correct any start.
        const x = (v - low) * scale;
        let b = x < first.length ? (x >= 0 ? first[x | 0]! : 0) : lastFirst;
        while (b < last && v > upper[b]!) b++;
        // The bucket's rounding can land a value past bins whose edges are packed within a few ulps: step back to
        // the first edge at or above it, so the bin is always numericBin's.
        while (b > 0 && v <= upper[b - 1]!) b--;
        out[o] = b;
      }
    };
  }
  const index = new Map(feature.categories.map((c, i) => [c, i]));
  const other = feature.categories.length;
  if (column.kind === 'string') {
    const byCode = Uint8Array.from(column.dictionary, (level) => index.get(level) ?? other);
    const codes = column.codes;
    if (native !== null) return (start, end) => native.fillCodes(codes, rows, byCode, out, F, f, start, end);
    return (start, end) => {
      for (let i = start, o = start * F + f; i < end; i++, o += F) {
        const c = codes[rows[i]!]!;
        out[o] = c < 0 ? missingBin : byCode[c]!;
      }
    };
  }
  const values = column.values;
  return (start, end) => {
    for (let i = start, o = start * F + f; i < end; i++, o += F) {
      const v = values[rows[i]!]!;
      out[o] = Number.isNaN(v) ? missingBin : (index.get(String(v)) ?? other);
    }
  };
}
