import { designFromRaw, linearMargins, type Design, type Preprocessor, type RawInputs, type Task } from './preprocess.js';

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
