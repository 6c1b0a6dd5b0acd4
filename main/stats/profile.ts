import type { ColumnProfile } from '../contracts/api.js';
import { seededRandom } from './random.js';
import type { Column, Frame } from '../table/frame.js';

const quantileLevels = [0.05, 0.25, 0.5, 0.75, 0.95];
const histogramBins = 20;
const sampleLimit = 200_000;

export function quantileSorted(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

const dayMs = 86_400_000;

/** An instant as ISO 8601: the date alone in a column of whole days (a file's "2024-01-05" stays that). */
export function isoInstant(v: number, wholeDays: boolean): string {
  const iso = new Date(v).toISOString();
  return wholeDays ? iso.slice(0, 10) : iso;
}

function formatValue(column: Column, v: number, wholeDays = false): string {
  if (column.type === 'datetime') return isoInstant(v, wholeDays);
  if (column.type === 'boolean') return v === 1 ? 'true' : 'false';
  return String(v);
}

export function profileColumn(column: Column, rowCount: number): ColumnProfile {
  if (column.kind === 'string') {
    const counts = new Float64Array(column.dictionary.length);
    let missing = 0;
    for (let i = 0; i < rowCount; i++) {
      const c = column.codes[i]!;
      if (c < 0) missing++;
      else counts[c]!++;
    }
    const order = [...counts.keys()].filter((k) => counts[k]! > 0).sort((a, b) => counts[b]! - counts[a]!);
    const topValues = order.slice(0, 10).map((k) => ({ value: column.dictionary[k]!, count: counts[k]! }));
    return {
      name: column.name,
      type: column.type,
      count: rowCount - missing,
      missing,
      distinct: order.length,
      sampled: false,
      min: null,
      max: null,
      mean: null,
      std: null,
      quantiles: [],
      topValues,
      histogram: topValues.map((t) => ({ label: t.value, start: null, end: null, count: t.count })),
    };
  }
  // Exact single passes: count, sum, min, max; then the squared deviations and the histogram.
  let n = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  const values = column.values;
  const isDate = column.type === 'datetime';
  let wholeDays = isDate;
  for (let i = 0; i < rowCount; i++) {
    const v = values[i]!;
    if (!Number.isNaN(v)) {
      n++;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
      if (wholeDays && v % dayMs !== 0) wholeDays = false;
    }
  }
  const mean = n > 0 ? sum / n : Number.NaN;
  let squares = 0;
  const histogram: ColumnProfile['histogram'] = [];
  const bins = n === 0 ? 0 : min === max ? 1 : column.type === 'boolean' ? 2 : histogramBins;
  const width = (max - min) / bins || 1;
  const binCounts = new Float64Array(bins);
  for (let i = 0; i < rowCount; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    squares += (v - mean) ** 2;
    binCounts[Math.min(bins - 1, Math.floor((v - min) / width))]!++;
  }
  for (let b = 0; b < bins; b++) {
    const start = min + b * width;
    const end = b === bins - 1 ? max : min + (b + 1) * width;
    // A date bin's bounds are instants between days: shown to the minute, or as dates in a column of whole days.
    const label = isDate
      ? `${binBound(start, wholeDays)} – ${binBound(end, wholeDays)}`
      : `${formatValue(column, start)} – ${formatValue(column, end)}`;
    histogram.push({ label, start, end, count: binCounts[b]! });
  }
  // Order statistics (quantiles, distinct values, most frequent values) need the values sorted. Above
  // `sampleLimit` present values they come from a seeded random sample instead (sorting every column of a
  // million-row table dominated ingest time); the profile says so with `sampled`.
  const sampled = n > sampleLimit;
  const m = sampled ? sampleLimit : n;
  const sorted = new Float64Array(m);
  if (sampled) {
    const random = seededRandom(0x5eed);
    let k = 0;
    while (k < m) {
      const v = values[Math.floor(random() * rowCount)]!;
      if (!Number.isNaN(v)) sorted[k++] = v;
    }
  } else {
    let k = 0;
    for (let i = 0; i < rowCount; i++) if (!Number.isNaN(values[i]!)) sorted[k++] = values[i]!;
  }
  sorted.sort();
  // One pass over the sorted values: distinct values, how many were seen once (for the estimate below), and the
  // ten most frequent values (kept in a small array, not one object per distinct value).
  let distinct = 0;
  let singletons = 0;
  const top: { value: number; count: number }[] = [];
  for (let i = 0; i < m;) {
    let j = i + 1;
    while (j < m && sorted[j] === sorted[i]) j++;
    distinct++;
    const count = j - i;
    if (count === 1) singletons++;
    if (top.length < 10 || count > top[top.length - 1]!.count) {
      let k = top.length < 10 ? top.length : top.length - 1;
      while (k > 0 && top[k - 1]!.count < count) k--;
      top.splice(k, 0, { value: sorted[i]!, count });
      if (top.length > 10) top.pop();
    }
    i = j;
  }
  // Guaranteed-error estimator of the distinct count (Charikar et al., PODS 2000): values seen once in the sample
  // stand for √(N/n) values each, the others for themselves.
  const scale = n / Math.max(1, m);
  const distinctEstimate = sampled ? Math.min(n, Math.round(Math.sqrt(scale) * singletons + (distinct - singletons))) : distinct;
  const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
  return {
    name: column.name,
    type: column.type,
    count: n,
    missing: rowCount - n,
    distinct: distinctEstimate,
    sampled,
    min: finite(min),
    max: finite(max),
    mean: finite(mean),
    // Sample standard deviation (n − 1), as pandas reports it.
    std: n > 1 ? Math.sqrt(squares / (n - 1)) : null,
    quantiles: n > 0 ? quantileLevels.map((p) => ({ p, value: quantileSorted(sorted, p) })) : [],
    topValues: top.map((r) => ({ value: formatValue(column, r.value, wholeDays), count: Math.round(r.count * scale) })),
    histogram,
    ...(isDate
      ? { kind: 'date' as const, dates: n > 0 ? { min: isoInstant(min, wholeDays), max: isoInstant(max, wholeDays) } : null }
      : {}),
  };
}

/** A date histogram bin's bound: the day it falls in for whole-day columns, else the ISO instant to the minute. */
function binBound(v: number, wholeDays: boolean): string {
  const iso = new Date(v).toISOString();
  return wholeDays ? iso.slice(0, 10) : `${iso.slice(0, 16)}Z`;
}

export function profileFrame(frame: Frame): ColumnProfile[] {
  return frame.columns.map((c) => profileColumn(c, frame.rowCount));
}
