import { HearthError } from '../contracts/errors.js';
import { parseIsoDate } from '../table/column-builder.js';
import { candidateColumns, levelsByFrequency, type Column, type Frame } from '../table/frame.js';

export type Task = 'binary' | 'multiclass' | 'regression';

/** A numeric input: missing → median, then standardised with the imputed column's mean and (population) std. */
export interface NumericFeature {
  kind: 'numeric';
  name: string;
  sourceType: 'integer' | 'number' | 'boolean';
  median: number;
  mean: number;
  std: number;
}

/** A categorical input, one-hot encoded: missing → mode; a level not seen in training → all zeros. */
export interface CategoricalFeature {
  kind: 'categorical';
  name: string;
  categories: string[];
  mode: string;
}

export type FeatureSpec = NumericFeature | CategoricalFeature;

/** The fitted preprocessing: part of every model, so serving applies exactly what training learned. */
export interface Preprocessor {
  /** Numeric features first, then categorical ones, in that order in the design matrix. */
  features: FeatureSpec[];
  /** Columns seen but not used, with the reason (shown in the model's report). */
  ignored: { name: string; reason: string }[];
}

/** Feature columns as the learners see them: standardised numerics and one-hot block indices (-1: no level). */
export interface Design {
  rows: number;
  numeric: Float64Array[];
  categorical: Int32Array[];
  /** Offset of each categorical block in the design, after the numerics. */
  offsets: number[];
  dimension: number;
}

/** Caps a one-hot block; rarer levels act as unseen, which keeps the design small on high-cardinality columns. */
const maxCategoriesPerFeature = 100;

/** The k-th smallest of a[lo..hi] (inclusive), moved to a[k]: Hoare's quickselect, expected linear time. */
function selectInPlace(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k]!;
}

/** The median of values with no NaN (reorders them). */
export function medianInPlace(values: Float64Array): number {
  const n = values.length;
  const upper = selectInPlace(values, n >> 1);
  if (n % 2 === 1) return upper;
  // Even: the largest value below the upper middle, which selection left in values[0 .. n/2).
  let lower = -Infinity;
  for (let i = 0; i < n >> 1; i++) if (values[i]! > lower) lower = values[i]!;
  return (lower + upper) / 2;
}

export function fitPreprocessor(
  frame: Frame,
  trainRows: Int32Array,
  target: string,
  excluded: readonly string[] = [],
): Preprocessor {
  const numeric: NumericFeature[] = [];
  const categorical: CategoricalFeature[] = [];
  const ignored: Preprocessor['ignored'] = [];
  for (const column of candidateColumns(frame, target, excluded, ignored)) {
    if (column.kind === 'numeric') {
      if (column.type === 'datetime') {
        ignored.push({ name: column.name, reason: 'datetime columns are not used by linear models yet' });
        continue;
      }
      // The median by selection, not by sorting: a number[] sorted with a comparator took ~0.3 s per 1M-row column
      // (most of the time it took to prepare the 1M-row benchmark table for training), a native sort ~0.1 s.
      let count = 0;
      const values = new Float64Array(trainRows.length);
      for (const r of trainRows) {
        const v = column.values[r]!;
        if (!Number.isNaN(v)) values[count++] = v;
      }
      if (count === 0) {
        ignored.push({ name: column.name, reason: 'no values in the training rows' });
        continue;
      }
      const median = medianInPlace(values.subarray(0, count));
      let sum = 0;
      for (const r of trainRows) {
        const v = column.values[r]!;
        sum += Number.isNaN(v) ? median : v;
      }
      const mean = sum / trainRows.length;
      let squares = 0;
      for (const r of trainRows) {
        const v = column.values[r]!;
        squares += ((Number.isNaN(v) ? median : v) - mean) ** 2;
      }
      const std = Math.sqrt(squares / trainRows.length);
      numeric.push({ kind: 'numeric', name: column.name, sourceType: column.type, median, mean, std: std > 0 ? std : 1 });
    } else if (column.type === 'text') {
      ignored.push({ name: column.name, reason: 'free text (too many distinct values to one-hot encode)' });
    } else {
      const order = levelsByFrequency(column, trainRows);
      if (order.length === 0) {
        ignored.push({ name: column.name, reason: 'no values in the training rows' });
        continue;
      }
      const kept = order.slice(0, maxCategoriesPerFeature);
      categorical.push({
        kind: 'categorical',
        name: column.name,
        categories: kept.map((k) => column.dictionary[k]!).sort(),
        mode: column.dictionary[order[0]!]!,
      });
    }
  }
  const features = [...numeric, ...categorical];
  if (features.length === 0) throw new HearthError('VALIDATION_FAILED', 'no column can be used as a feature');
  return { features, ignored };
}

function emptyDesign(prep: Preprocessor, rows: number): Design {
  const offsets: number[] = [];
  let dimension = 0;
  for (const f of prep.features) if (f.kind === 'numeric') dimension++;
  for (const f of prep.features) {
    if (f.kind === 'categorical') {
      offsets.push(dimension);
      dimension += f.categories.length;
    }
  }
  return { rows, numeric: [], categorical: [], offsets, dimension };
}

/*
 * A model's level → index map, made once per list of levels (a model's are never changed once built): a served row
 * would otherwise rebuild it for every categorical feature, a few hundred levels each, most of its time.
 */
const levelIndexes = new WeakMap<readonly string[], Map<string, number>>();

export function levelIndex(levels: readonly string[]): Map<string, number> {
  let index = levelIndexes.get(levels);
  if (index === undefined) {
    index = new Map(levels.map((c, i) => [c, i]));
    levelIndexes.set(levels, index);
  }
  return index;
}

/** Applies the preprocessor to rows of a stored frame. */
export function designFromFrame(prep: Preprocessor, frame: Frame, rows: Int32Array): Design {
  const design = emptyDesign(prep, rows.length);
  for (const feature of prep.features) {
    const column = frame.columns.find((c) => c.name === feature.name);
    if (column === undefined) {
      throw new HearthError('VALIDATION_FAILED', `the data has no column "${feature.name}", which the model needs`);
    }
    if (feature.kind === 'numeric') {
      if (column.kind !== 'numeric') {
        throw new HearthError('VALIDATION_FAILED', `column "${feature.name}" must be numeric`);
      }
      const out = new Float64Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const v = column.values[rows[i]!]!;
        out[i] = ((Number.isNaN(v) ? feature.median : v) - feature.mean) / feature.std;
      }
      design.numeric.push(out);
    } else {
      design.categorical.push(encodeCategorical(feature, column, rows));
    }
  }
  return design;
}

function encodeCategorical(feature: CategoricalFeature, column: Column, rows: Int32Array): Int32Array {
  const index = levelIndex(feature.categories);
  const modeIndex = index.get(feature.mode) ?? -1;
  const out = new Int32Array(rows.length);
  if (column.kind === 'string') {
    const byCode = column.dictionary.map((level) => index.get(level) ?? -1);
    for (let i = 0; i < rows.length; i++) {
      const c = column.codes[rows[i]!]!;
      out[i] = c < 0 ? modeIndex : byCode[c]!;
    }
  } else {
    for (let i = 0; i < rows.length; i++) {
      const v = column.values[rows[i]!]!;
      out[i] = Number.isNaN(v) ? modeIndex : (index.get(String(v)) ?? -1);
    }
  }
  return out;
}

/** What reading raw inputs needs to know of a model's features (linear and tree models both have these). */
export type InputFeature =
  | { kind: 'numeric'; name: string; sourceType: 'integer' | 'number' | 'boolean' | 'datetime' }
  | { kind: 'categorical'; name: string };

/** The raw inputs of JSON rows, column by column, as both the TypeScript predictor and ONNX Runtime take them. */
export interface RawInputs {
  rows: number;
  /** One array per numeric feature, NaN for missing. */
  numeric: Float64Array[];
  /** One array per categorical feature, "" for missing. */
  categorical: string[][];
}

function toNumber(value: unknown, feature: Extract<InputFeature, { kind: 'numeric' }>, row: number): number {
  // A blank string is a missing value: Number('  ') would read it as 0.
  if (value === null || value === undefined || (typeof value === 'string' && value.trim() === '')) return Number.NaN;
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    if (feature.sourceType === 'boolean') {
      if (/^(true|yes)$/i.test(value)) return 1;
      if (/^(false|no)$/i.test(value)) return 0;
    }
    if (feature.sourceType === 'datetime') {
      const t = parseIsoDate(value.trim());
      if (!Number.isNaN(t)) return t;
    }
    // Finite only: "Infinity" (or "1e999") would give a prediction without probabilities, logged as an answer.
    const n = Number(value);
    if (Number.isFinite(n)) return n;
  }
  throw new HearthError('VALIDATION_FAILED', `row ${row}: "${feature.name}" must be a number`, {
    row,
    column: feature.name,
  });
}

/**
 * A row's value of a column, from its own keys: a column named as something every object inherits ("constructor",
 * "toString", "__proto__") would otherwise read Object.prototype's function, or the prototype itself, from a row
 * without it. Only those two kinds of value are looked at again (a JSON value is never either).
 */
function ownValue(record: Record<string, unknown>, name: string): unknown {
  const v = record[name];
  if ((typeof v === 'function' || v === Object.prototype) && !Object.hasOwn(record, name)) return undefined;
  return v;
}

export function rawInputsFromRecords(
  prep: { features: readonly InputFeature[] },
  records: readonly Record<string, unknown>[],
): RawInputs {
  const numeric: Float64Array[] = [];
  const categorical: string[][] = [];
  // Plain loops, not forEach and map with a closure per feature: a served row reads every feature this way.
  const n = records.length;
  for (const feature of prep.features) {
    const name = feature.name;
    if (feature.kind === 'numeric') {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = toNumber(ownValue(records[i]!, name), feature, i);
      numeric.push(out);
    } else {
      const out = new Array<string>(n);
      for (let i = 0; i < n; i++) {
        const v = ownValue(records[i]!, name);
        out[i] = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
      }
      categorical.push(out);
    }
  }
  return { rows: records.length, numeric, categorical };
}

/** Reads the model's raw inputs out of a frame (for batch prediction and evaluation of files). */
export function rawInputsFromFrame(prep: { features: readonly InputFeature[] }, frame: Frame): RawInputs {
  const all = Int32Array.from({ length: frame.rowCount }, (_, i) => i);
  const numeric: Float64Array[] = [];
  const categorical: string[][] = [];
  for (const feature of prep.features) {
    const column = frame.columns.find((c) => c.name === feature.name);
    if (column === undefined) {
      throw new HearthError('VALIDATION_FAILED', `the file has no column "${feature.name}", which the model needs`);
    }
    if (feature.kind === 'numeric') {
      if (column.kind !== 'numeric') throw new HearthError('VALIDATION_FAILED', `column "${feature.name}" must be numeric`);
      numeric.push(column.values);
    } else if (column.kind === 'string') {
      categorical.push(Array.from(all, (r) => (column.codes[r]! < 0 ? '' : column.dictionary[column.codes[r]!]!)));
    } else {
      categorical.push(Array.from(all, (r) => (Number.isNaN(column.values[r]!) ? '' : String(column.values[r]!))));
    }
  }
  return { rows: frame.rowCount, numeric, categorical };
}

/** Applies the preprocessor to raw inputs: the same arithmetic, in the same order, as the ONNX graph. */
export function designFromRaw(prep: Preprocessor, raw: RawInputs): Design {
  const design = emptyDesign(prep, raw.rows);
  let n = 0;
  let k = 0;
  for (const feature of prep.features) {
    if (feature.kind === 'numeric') {
      const values = raw.numeric[n++]!;
      const out = new Float64Array(raw.rows);
      for (let i = 0; i < raw.rows; i++) {
        const v = values[i]!;
        out[i] = ((Number.isNaN(v) ? feature.median : v) - feature.mean) / feature.std;
      }
      design.numeric.push(out);
    } else {
      const index = levelIndex(feature.categories);
      const modeIndex = index.get(feature.mode) ?? -1;
      const values = raw.categorical[k++]!;
      // A plain loop: Int32Array.from with a mapper goes through the iterator protocol, a visible cost per served row.
      const codes = new Int32Array(raw.rows);
      for (let i = 0; i < raw.rows; i++) {
        const v = values[i]!;
        codes[i] = v === '' ? modeIndex : (index.get(v) ?? -1);
      }
      design.categorical.push(codes);
    }
  }
  return design;
}

/** Margins (n × outputs, row-major) = X·Wᵀ + b, with W row-major (outputs × dimension). */
export function linearMargins(design: Design, weights: Float64Array, intercepts: Float64Array, outputs: number): Float64Array {
  const n = design.rows;
  const d = design.dimension;
  const margins = new Float64Array(n * outputs);
  for (let i = 0; i < n; i++) for (let c = 0; c < outputs; c++) margins[i * outputs + c] = intercepts[c]!;
  design.numeric.forEach((x, j) => {
    for (let c = 0; c < outputs; c++) {
      const w = weights[c * d + j]!;
      if (w === 0) continue;
      for (let i = 0; i < n; i++) margins[i * outputs + c]! += w * x[i]!;
    }
  });
  design.categorical.forEach((codes, k) => {
    const offset = design.offsets[k]!;
    for (let i = 0; i < n; i++) {
      const code = codes[i]!;
      if (code < 0) continue;
      for (let c = 0; c < outputs; c++) margins[i * outputs + c]! += weights[c * d + offset + code]!;
    }
  });
  return margins;
}
