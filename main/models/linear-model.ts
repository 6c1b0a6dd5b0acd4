import { designFromRaw, linearMargins, type Design, type Preprocessor, type RawInputs, type Task } from './preprocess.js';
import type { Calibrator } from './calibration.js';

/** A fitted linear or logistic model with its preprocessing: what is stored as the model blob. */
export interface LinearModel {
  format: 'hearth.linear/1';
  task: Task;
  target: string;
  /** Class labels in output order (for binary, index 1 is the positive class); null for regression. */
  classes: string[] | null;
  preprocessor: Preprocessor;
  outputs: number;
  dimension: number;
  /** Row-major outputs × dimension. */
  weights: number[];
  intercepts: number[];
  /** Binary only: positive when P(positive) > this, when tuned (otherwise 0.5). */
  decisionThreshold?: number;
  /** Classification: fitted on out-of-fold predictions, applied after the model (calibration.ts). */
  calibrator?: Calibrator;
}

/** Predictions for n rows: class probabilities (n × classes, row-major) or regression values. */
export type PredictionMatrix =
  { kind: 'classification'; classes: string[]; probabilities: Float64Array } | { kind: 'regression'; values: Float64Array };

export function predictLinearDesign(model: LinearModel, design: Design): PredictionMatrix {
  const margins = linearMargins(design, Float64Array.from(model.weights), Float64Array.from(model.intercepts), model.outputs);
  return predictionFromMargins(model.task, model.classes ?? [], margins, design.rows, model.outputs);
}

/**
 * Margins (n × k, row-major) to predictions: the value itself (regression), a sigmoid over one margin (binary) or a
 * softmax over k (multiclass). Shared by every model whose last step is linear.
 */
export function predictionFromMargins(
  task: Task,
  classes: string[],
  margins: Float64Array,
  n: number,
  k: number,
): PredictionMatrix {
  if (task === 'regression') return { kind: 'regression', values: margins };
  if (task === 'binary') {
    const probabilities = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + Math.exp(-margins[i]!));
      probabilities[2 * i] = 1 - p;
      probabilities[2 * i + 1] = p;
    }
    return { kind: 'classification', classes, probabilities };
  }
  const probabilities = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < k; c++) max = Math.max(max, margins[i * k + c]!);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += probabilities[i * k + c] = Math.exp(margins[i * k + c]! - max);
    for (let c = 0; c < k; c++) probabilities[i * k + c]! /= sum;
  }
  return { kind: 'classification', classes, probabilities };
}

export function predictLinear(model: LinearModel, raw: RawInputs): PredictionMatrix {
  return predictLinearDesign(model, designFromRaw(model.preprocessor, raw));
}

/**
 * A SHAP summary for a linear model: each feature's mean |contribution| to the margin over the rows, with the rows
 * themselves as the background (for a linear margin the exact SHAP value is w·(x − E[x]); a one-hot block's
 * contribution sums over its levels). Summed over outputs for multinomial models; largest first.
 */
export function linearShapSummary(model: LinearModel, raw: RawInputs): { feature: string; meanAbs: number }[] {
  const design = designFromRaw(model.preprocessor, raw);
  const n = design.rows;
  const d = model.dimension;
  const numericFeatures = model.preprocessor.features.filter((f) => f.kind === 'numeric');
  const categoricalFeatures = model.preprocessor.features.filter((f) => f.kind === 'categorical');
  const totals: { feature: string; meanAbs: number }[] = [];
  design.numeric.forEach((column, j) => {
    const mean = column.reduce((s, v) => s + v, 0) / Math.max(1, n);
    let total = 0;
    for (let c = 0; c < model.outputs; c++) {
      const w = model.weights[c * d + j]!;
      for (let i = 0; i < n; i++) total += Math.abs(w * (column[i]! - mean));
    }
    totals.push({ feature: numericFeatures[j]!.name, meanAbs: n === 0 ? 0 : total / n });
  });
  design.categorical.forEach((levels, k) => {
    const feature = categoricalFeatures[k]!;
    const offset = design.offsets[k]!;
    const share = new Float64Array(feature.categories.length);
    for (const level of levels) if (level >= 0) share[level]! += 1 / n;
    let total = 0;
    for (let c = 0; c < model.outputs; c++) {
      // E[w·x] over the block, then each row's w at its level (none for an unseen level) minus that.
      let expected = 0;
      share.forEach((p, l) => (expected += p * model.weights[c * d + offset + l]!));
      for (const level of levels) total += Math.abs((level >= 0 ? model.weights[c * d + offset + level]! : 0) - expected);
    }
    totals.push({ feature: feature.name, meanAbs: n === 0 ? 0 : total / n });
  });
  return totals.sort((a, b) => b.meanAbs - a.meanAbs);
}
