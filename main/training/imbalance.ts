import type { PredictionMatrix } from '../models/linear-model.js';
import { bestThreshold, meanAndStd } from '../stats/metrics.js';

export type ThresholdObjective =
  { kind: 'f1'; metric: 'f1' } | { kind: 'cost'; metric: 'cost_per_row'; falsePositive: number; falseNegative: number };

/** The binary decision-threshold objective the user asked for, if any. */
export function thresholdObjective(args: {
  threshold?: 'f1' | 'cost';
  falsePositiveCost?: number;
  falseNegativeCost?: number;
}): ThresholdObjective | null {
  if (args.threshold === undefined) return null;
  if (args.threshold === 'f1') return { kind: 'f1', metric: 'f1' };
  return {
    kind: 'cost',
    metric: 'cost_per_row',
    falsePositive: args.falsePositiveCost ?? 1,
    falseNegative: args.falseNegativeCost ?? 1,
  };
}

/** F1, or the mean cost of errors per row, of labelling positive when p > threshold. */
export function objectiveValue(
  labels: Uint8Array,
  positive: Float64Array,
  threshold: number,
  objective: ThresholdObjective,
): number {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const predicted = positive[i]! > threshold;
    if (predicted && labels[i] === 1) tp++;
    else if (predicted) fp++;
    else if (labels[i] === 1) fn++;
  }
  if (objective.kind === 'f1') return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  return (fp * objective.falsePositive + fn * objective.falseNegative) / Math.max(1, labels.length);
}

function meanStd(values: number[]): { cvMetric: number; cvStd: number } {
  const { mean, std } = meanAndStd(values);
  return { cvMetric: mean, cvStd: std };
}

/**
 * The objective per fold at the default threshold (0.5) and at a cross-fitted one: fold k is scored at the
 * threshold that is best on the other folds' out-of-fold predictions, so no fold picks its own threshold.
 */
export function crossFittedThresholdScores(
  oof: PredictionMatrix,
  foldIndices: readonly Int32Array[],
  foldTargets: readonly (Int32Array | Float64Array)[],
  objective: ThresholdObjective,
): { fixed: { cvMetric: number; cvStd: number }; tuned: { cvMetric: number; cvStd: number }; thresholds: number[] } {
  if (oof.kind !== 'classification') throw new Error('threshold tuning needs class probabilities');
  const positives = foldIndices.map((rows) => Float64Array.from(rows, (i) => oof.probabilities[2 * i + 1]!));
  const labels = foldTargets.map((t) => Uint8Array.from(t, (y) => (y === 1 ? 1 : 0)));
  const fixed: number[] = [];
  const tuned: number[] = [];
  const thresholds: number[] = [];
  foldIndices.forEach((_, k) => {
    const otherLabels = Uint8Array.from(labels.flatMap((l, j) => (j === k ? [] : Array.from(l))));
    const otherScores = Float64Array.from(positives.flatMap((p, j) => (j === k ? [] : Array.from(p))));
    const threshold = bestThreshold(otherLabels, otherScores, objective);
    thresholds.push(threshold);
    fixed.push(objectiveValue(labels[k]!, positives[k]!, 0.5, objective));
    tuned.push(objectiveValue(labels[k]!, positives[k]!, threshold, objective));
  });
  return { fixed: meanStd(fixed), tuned: meanStd(tuned), thresholds };
}

/** Writes a fold's predictions into the pool-aligned out-of-fold matrix (allocated on the first fold). */
export function scatterPrediction(
  oof: PredictionMatrix | null,
  prediction: PredictionMatrix,
  indices: Int32Array,
  poolSize: number,
): PredictionMatrix {
  if (prediction.kind === 'regression') {
    const target = oof?.kind === 'regression' ? oof : { kind: 'regression' as const, values: new Float64Array(poolSize) };
    indices.forEach((i, row) => (target.values[i] = prediction.values[row]!));
    return target;
  }
  const k = prediction.classes.length;
  const target =
    oof?.kind === 'classification'
      ? oof
      : { kind: 'classification' as const, classes: prediction.classes, probabilities: new Float64Array(poolSize * k) };
  indices.forEach((i, row) => target.probabilities.set(prediction.probabilities.subarray(row * k, row * k + k), i * k));
  return target;
}
