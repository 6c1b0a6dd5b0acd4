import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Column, ColumnType, Frame } from './frame.js';

/** Summary statistics of one column of one dataset version. */
export interface ColumnProfile {
  name: string;
  type: ColumnType;
  count: number;
  missing: number;
  distinct: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  std: number | null;
  /** p05, p25, p50, p75, p95 (linear interpolation, as numpy's default). */
  quantiles: { p: number; value: number }[];
  topValues: { value: string; count: number }[];
  /** Equal-width bins for numeric columns; the top values for string columns. */
  histogram: { label: string; start: number | null; end: number | null; count: number }[];
}

const quantileLevels = [0.05, 0.25, 0.5, 0.75, 0.95];
const histogramBins = 20;

export function quantileSorted(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

function formatValue(column: Column, v: number): string {
  if (column.type === 'datetime') return new Date(v).toISOString();
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
      min: null,
      max: null,
      mean: null,
      std: null,
      quantiles: [],
      topValues,
      histogram: topValues.map((t) => ({ label: t.value, start: null, end: null, count: t.count })),
    };
  }
  const present = new Float64Array(rowCount);
  let n = 0;
  let sum = 0;
  for (let i = 0; i < rowCount; i++) {
    const v = column.values[i]!;
    if (!Number.isNaN(v)) {
      present[n++] = v;
      sum += v;
    }
  }
  const sorted = present.subarray(0, n).sort();
  const mean = n > 0 ? sum / n : Number.NaN;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (sorted[i]! - mean) ** 2;
  // One pass over the sorted values: distinct count and the ten most frequent values (kept in a small array,
  // not one object per distinct value, which on a continuous column would be a million allocations).
  let distinct = 0;
  const top: { value: number; count: number }[] = [];
  for (let i = 0; i < n;) {
    let j = i + 1;
    while (j < n && sorted[j] === sorted[i]) j++;
    distinct++;
    const count = j - i;
    if (top.length < 10 || count > top[top.length - 1]!.count) {
      let k = top.length < 10 ? top.length : top.length - 1;
      while (k > 0 && top[k - 1]!.count < count) k--;
      top.splice(k, 0, { value: sorted[i]!, count });
      if (top.length > 10) top.pop();
    }
    i = j;
  }
  const min = n > 0 ? sorted[0]! : Number.NaN;
  const max = n > 0 ? sorted[n - 1]! : Number.NaN;
  const histogram: ColumnProfile['histogram'] = [];
  if (n > 0) {
    const bins = min === max ? 1 : Math.min(histogramBins, column.type === 'boolean' ? 2 : histogramBins);
    const width = (max - min) / bins || 1;
    const counts = new Float64Array(bins);
    for (let i = 0; i < n; i++) counts[Math.min(bins - 1, Math.floor((sorted[i]! - min) / width))]!++;
    for (let b = 0; b < bins; b++) {
      const start = min + b * width;
      const end = b === bins - 1 ? max : min + (b + 1) * width;
      histogram.push({ label: `${formatValue(column, start)} – ${formatValue(column, end)}`, start, end, count: counts[b]! });
    }
  }
  const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
  return {
    name: column.name,
    type: column.type,
    count: n,
    missing: rowCount - n,
    distinct,
    min: finite(min),
    max: finite(max),
    mean: finite(mean),
    // Sample standard deviation (n − 1), as pandas reports it.
    std: n > 1 ? Math.sqrt(squares / (n - 1)) : null,
    quantiles: n > 0 ? quantileLevels.map((p) => ({ p, value: quantileSorted(sorted, p) })) : [],
    topValues: top.map((r) => ({ value: formatValue(column, r.value), count: r.count })),
    histogram,
  };
}

export function profileFrame(frame: Frame): ColumnProfile[] {
  return frame.columns.map((c) => profileColumn(c, frame.rowCount));
}

/**
 * Profiles a frame in worker threads, one per core (up to four): sorting each numeric column for its quantiles
 * dominates, and columns are independent. Small frames are profiled inline, where a thread would cost more.
 */
export async function profileFrameInWorkers(frame: Frame): Promise<ColumnProfile[]> {
  const threads = Math.min(4, availableParallelism(), frame.columns.length);
  if (frame.rowCount < 50_000 || threads < 2) return profileFrame(frame);
  const groups: number[][] = Array.from({ length: threads }, () => []);
  frame.columns.forEach((_, i) => groups[i % threads]!.push(i));
  const results = await Promise.all(
    groups.map(
      (indices) =>
        new Promise<ColumnProfile[]>((resolve, reject) => {
          const worker = new Worker(new URL('../../workers/profile-worker.js', import.meta.url), {
            workerData: { columns: indices.map((i) => frame.columns[i]!), rowCount: frame.rowCount },
          });
          worker.once('message', (profiles: ColumnProfile[]) => {
            resolve(profiles);
            void worker.terminate();
          });
          worker.once('error', reject);
        }),
    ),
  );
  const out = new Array<ColumnProfile>(frame.columns.length);
  groups.forEach((indices, g) => indices.forEach((column, k) => (out[column] = results[g]![k]!)));
  return out;
}
