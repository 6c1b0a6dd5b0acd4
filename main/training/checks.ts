import type { Frame } from '../table/frame.js';
import { binFrameRows, fitBins } from '../models/binning.js';
import type { Task } from '../models/preprocess.js';
import { seededRandom } from '../stats/random.js';

export interface DataWarning {
  kind: 'leakage' | 'duplicates' | 'future' | 'resampling';
  column?: string;
  message: string;
}

const sampleRows = 50_000;

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
  const random = seededRandom(17);
  const rows =
    train.length <= sampleRows
      ? train
      : Int32Array.from({ length: sampleRows }, () => train[Math.floor(random() * train.length)]!).sort();
  const { features } = fitBins(frame, rows, target);
  const bins = binFrameRows(features, frame, rows);
  const F = features.length;
  const y = Float64Array.from(rows, targetOf);
  features.forEach((feature, f) => {
    const power = task === 'regression' ? correlationRatio(bins, F, f, y) : majorityAccuracy(bins, F, f, y);
    const baseline = task === 'regression' ? 0 : majorityAccuracy(new Uint8Array(rows.length), 1, 0, y);
    const threshold = task === 'regression' ? 0.98 : 0.99;
    if (power >= threshold && power > baseline + 0.02) {
      warnings.push({
        kind: 'leakage',
        column: feature.name,
        message: `"${feature.name}" alone predicts "${target}" almost perfectly (${task === 'regression' ? 'η²' : 'accuracy'} ${power.toFixed(3)}): check it is known before the outcome`,
      });
    }
  });
  // Identical rows (features and target) on both sides of the split inflate test metrics.
  const hashes = new Set<number>();
  for (const r of train) hashes.add(rowHash(frame, r));
  let duplicated = 0;
  for (const r of test) if (hashes.has(rowHash(frame, r))) duplicated++;
  if (duplicated > 0) {
    warnings.push({
      kind: 'duplicates',
      message: `${duplicated} of ${test.length} test rows also appear, identical, among the training rows: test metrics may be optimistic`,
    });
  }
  return warnings;
}

/** Accuracy of predicting each bin's most frequent class (missing values as their own bin). */
function majorityAccuracy(bins: Uint8Array, F: number, f: number, y: Float64Array): number {
  const counts = new Map<number, Map<number, number>>();
  for (let i = 0; i < y.length; i++) {
    const b = bins[i * F + f]!;
    let byClass = counts.get(b);
    if (byClass === undefined) counts.set(b, (byClass = new Map<number, number>()));
    byClass.set(y[i]!, (byClass.get(y[i]!) ?? 0) + 1);
  }
  let correct = 0;
  for (const byClass of counts.values()) correct += Math.max(...byClass.values());
  return correct / Math.max(1, y.length);
}

/** η²: the share of the target's variance explained by the bin means. */
function correlationRatio(bins: Uint8Array, F: number, f: number, y: Float64Array): number {
  const sum = new Float64Array(256);
  const count = new Float64Array(256);
  let total = 0;
  for (let i = 0; i < y.length; i++) {
    const b = bins[i * F + f]!;
    sum[b]! += y[i]!;
    count[b]!++;
    total += y[i]!;
  }
  const mean = total / Math.max(1, y.length);
  let between = 0;
  let all = 0;
  for (let b = 0; b < 256; b++) if (count[b]! > 0) between += count[b]! * (sum[b]! / count[b]! - mean) ** 2;
  for (let i = 0; i < y.length; i++) all += (y[i]! - mean) ** 2;
  return all === 0 ? 0 : between / all;
}

/**
 * A 53-bit hash of a row's cells (two FNV-1a streams over each number's bits or each category's code): equal rows
 * hash equal, and with 53 bits a million rows make an accidental match vanishingly rare.
 */
function rowHash(frame: Frame, row: number): number {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (const column of frame.columns) {
    let lo: number;
    let hi: number;
    if (column.kind === 'numeric') {
      scratch[0] = column.values[row]!;
      lo = words[0]!;
      hi = words[1]!;
    } else {
      lo = column.codes[row]!;
      hi = 0x5bd1e995;
    }
    a = Math.imul(a ^ lo, 0x01000193);
    a = Math.imul(a ^ hi, 0x01000193);
    b = Math.imul(b ^ hi, 0x5bd1e995) ^ (b >>> 13);
    b = Math.imul(b ^ lo, 0x5bd1e995) ^ (b >>> 15);
  }
  return (a >>> 0) * 2 ** 21 + ((b >>> 0) & 0x1fffff);
}

const scratch = new Float64Array(1);
const words = new Uint32Array(scratch.buffer);
