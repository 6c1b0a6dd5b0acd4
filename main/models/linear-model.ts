import { HearthError } from '../contracts/errors.js';
import {
  designFromRaw,
  levelIndex,
  linearMargins,
  type Design,
  type Preprocessor,
  type RawInputs,
  type Task,
} from './preprocess.js';
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
  /**
   * Each design column's mean over the training rows (standardised numerics, then one-hot levels' shares): E[x] of
   * exact linear SHAP. Absent from models stored before it was kept.
   */
  designMeans?: number[];
  /** float32: the graph multiplies in single precision (a compressed variant, models/compress). Absent: double. */
  precision?: 'float32';
}

/** Predictions for n rows: class probabilities (n × classes, row-major) or regression values. */
export type PredictionMatrix =
  { kind: 'classification'; classes: string[]; probabilities: Float64Array } | { kind: 'regression'; values: Float64Array };

/**
 * A model's weights and intercepts as typed arrays, made once per model (a served request of one row would otherwise
 * copy every weight), and made again only if the model's weights or precision are replaced.
 */
const typedWeights = new WeakMap<
  LinearModel,
  { source: LinearModel['weights']; single: boolean; weights: Float64Array; intercepts: Float64Array }
>();

function weightsOf(model: LinearModel): { weights: Float64Array; intercepts: Float64Array } {
  const single = model.precision === 'float32';
  let typed = typedWeights.get(model);
  if (typed === undefined || typed.source !== model.weights || typed.single !== single) {
    // The float32 graph rounds the weights to single precision before its product.
    const weights = single ? Float64Array.from(model.weights, Math.fround) : Float64Array.from(model.weights);
    typed = { source: model.weights, single, weights, intercepts: Float64Array.from(model.intercepts) };
    typedWeights.set(model, typed);
  }
  return typed;
}

export function predictLinearDesign(model: LinearModel, design: Design): PredictionMatrix {
  const single = model.precision === 'float32';
  // The float32 graph rounds the design to single precision before its product, as it does the weights.
  const x = single ? { ...design, numeric: design.numeric.map((c) => c.map(Math.fround)) } : design;
  const { weights, intercepts } = weightsOf(model);
  const margins = linearMargins(x, weights, intercepts, model.outputs);
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

/**
 * What predicting from raw inputs needs of a preprocessor, made once per preprocessor (a model's is never changed once
 * built): each numeric feature's imputation and scaling, each categorical feature's level index, mode and block offset.
 */
interface RawPlan {
  dimension: number;
  median: Float64Array;
  mean: Float64Array;
  std: Float64Array;
  levels: Map<string, number>[];
  modes: Int32Array;
  offsets: Int32Array;
}

const rawPlans = new WeakMap<Preprocessor, RawPlan>();

function rawPlanOf(prep: Preprocessor): RawPlan {
  let plan = rawPlans.get(prep);
  if (plan === undefined) {
    const numeric = prep.features.filter((f) => f.kind === 'numeric');
    const categorical = prep.features.filter((f) => f.kind === 'categorical');
    const levels = categorical.map((f) => levelIndex(f.categories));
    const offsets = new Int32Array(categorical.length);
    let dimension = numeric.length;
    categorical.forEach((f, k) => {
      offsets[k] = dimension;
      dimension += f.categories.length;
    });
    plan = {
      dimension,
      median: Float64Array.from(numeric, (f) => f.median),
      mean: Float64Array.from(numeric, (f) => f.mean),
      std: Float64Array.from(numeric, (f) => f.std),
      levels,
      modes: Int32Array.from(categorical, (f, k) => levels[k]!.get(f.mode) ?? -1),
      offsets,
    };
    rawPlans.set(prep, plan);
  }
  return plan;
}

/**
 * Predictions from raw inputs: designFromRaw then linearMargins, in one pass that builds no design. A served row
 * otherwise allocated a one-element array per feature and read the preprocessor's levels again (1.5 µs of a
 * single-row REST prediction's ~47 on this box). Each margin sums the same terms in the same order as linearMargins
 * (intercept, numerics, one-hot levels), so the result is the same to the bit; the float32 variant rounds each
 * standardised value as predictLinearDesign does.
 */
export function predictLinear(model: LinearModel, raw: RawInputs): PredictionMatrix {
  const plan = rawPlanOf(model.preprocessor);
  const single = model.precision === 'float32';
  const { weights, intercepts } = weightsOf(model);
  const n = raw.rows;
  const k = model.outputs;
  const d = plan.dimension;
  const margins = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) margins[i * k + c] = intercepts[c]!;
  for (let j = 0; j < plan.median.length; j++) {
    const values = raw.numeric[j]!;
    const median = plan.median[j]!;
    const mean = plan.mean[j]!;
    const std = plan.std[j]!;
    for (let c = 0; c < k; c++) {
      const w = weights[c * d + j]!;
      if (w === 0) continue;
      for (let i = 0; i < n; i++) {
        const v = values[i]!;
        const x = ((Number.isNaN(v) ? median : v) - mean) / std;
        margins[i * k + c]! += w * (single ? Math.fround(x) : x);
      }
    }
  }
  for (let b = 0; b < plan.levels.length; b++) {
    const values = raw.categorical[b]!;
    const index = plan.levels[b]!;
    const mode = plan.modes[b]!;
    const offset = plan.offsets[b]!;
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      const code = v === '' ? mode : (index.get(v) ?? -1);
      if (code < 0) continue;
      for (let c = 0; c < k; c++) margins[i * k + c]! += weights[c * d + offset + code]!;
    }
  }
  return predictionFromMargins(model.task, model.classes ?? [], margins, n, k);
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

/** Each design column's mean over the rows: standardised numerics, then the share of rows at each one-hot level. */
export function designColumnMeans(design: Design): number[] {
  const means = new Array<number>(design.dimension).fill(0);
  const n = Math.max(1, design.rows);
  design.numeric.forEach((column, j) => (means[j] = column.reduce((s, v) => s + v, 0) / n));
  design.categorical.forEach((levels, k) => {
    for (const level of levels) if (level >= 0) means[design.offsets[k]! + level]! += 1 / n;
  });
  return means;
}

/** One row's exact SHAP values for one output of a linear model, per raw feature, with the base value. */
export interface LinearExplanation {
  expectedValue: number;
  contributions: Record<string, number>;
}

/**
 * Exact SHAP values of a linear margin (Lundberg & Lee 2017, "linear SHAP"): with independent features the
 * Shapley value of design column j is φ_j = w_j (x_j − E[x_j]), E over the training rows. A one-hot block's columns
 * sum into their raw feature; the base value is b + Σ w_j E[x_j], so base + Σ φ = the row's margin exactly. The
 * margin is the value (regression), the positive class's log-odds (binary) or the class's softmax logit
 * (multiclass): output `outputOf(i)` of row i.
 */
export function explainLinear(model: LinearModel, raw: RawInputs, outputOf: (row: number) => number): LinearExplanation[] {
  const design = designFromRaw(model.preprocessor, raw);
  const d = model.dimension;
  const categoricals = model.preprocessor.features.filter((f) => f.kind === 'categorical');
  // Standardised with the training mean, a numeric column has mean 0 over the training rows; a one-hot level's
  // share was not kept before designMeans was, and no other value would be exact.
  const means = model.designMeans ?? (categoricals.length === 0 ? new Array<number>(d).fill(0) : null);
  if (means === null)
    throw new HearthError(
      'NOT_SUPPORTED',
      'this linear model was stored without its training means for categorical levels (E[x] of linear SHAP): retrain it to explain it',
    );
  const numericNames = model.preprocessor.features.filter((f) => f.kind === 'numeric').map((f) => f.name);
  const out: LinearExplanation[] = [];
  for (let i = 0; i < raw.rows; i++) {
    const c = outputOf(i);
    const w = (j: number): number => model.weights[c * d + j]!;
    let expectedValue = model.intercepts[c]!;
    for (let j = 0; j < d; j++) expectedValue += w(j) * means[j]!;
    const contributions: Record<string, number> = {};
    design.numeric.forEach((column, j) => (contributions[numericNames[j]!] = w(j) * (column[i]! - means[j]!)));
    design.categorical.forEach((levels, k) => {
      const offset = design.offsets[k]!;
      const level = levels[i]!;
      let phi = level >= 0 ? w(offset + level) : 0;
      for (let l = 0; l < categoricals[k]!.categories.length; l++) phi -= w(offset + l) * means[offset + l]!;
      contributions[categoricals[k]!.name] = phi;
    });
    out.push({ expectedValue, contributions });
  }
  return out;
}
