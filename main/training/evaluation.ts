import { HearthError } from '../contracts/errors.js';
import type { Frame } from '../table/frame.js';
import { predictAt, rawInputsAt } from './predict-rows.js';
import type { Fit } from './fit.js';
import { learnerOf } from './learners/index.js';
import type { PredictionMatrix } from '../models/linear-model.js';
import {
  bestThreshold,
  binaryMetrics,
  brierScore,
  logLoss,
  expectedCalibrationError,
  calibrationBins,
  meanAndStd,
  multiclassMetrics,
  precisionRecallCurve,
  regressionMetrics,
  rocAuc,
  rocCurve,
  topLabelConfidence,
} from '../stats/metrics.js';
import { oneVsRestCurves, residualSample } from '../stats/curves.js';
import { modelInputs, predictModel, type TrainedModel } from '../models/model.js';
import type { InputFeature, RawInputs, Task } from '../models/preprocess.js';
import { seededRandom, shuffleInPlace } from '../stats/random.js';
import { foldPairs, type SplitScheme } from './split.js';
import type { TrainArgs } from './train-args.js';
import { float64Of, indices, matrixColumn, positiveLabels } from '../stats/arrays.js';

/**
 * The metrics of a prediction against the targets, and the report's curves: binary ROC, precision–recall and
 * reliability; multiclass one-vs-rest ROC and precision–recall per class and the top-label reliability diagram;
 * regression a residual sample (actual, predicted, actual − predicted). Bounded: 200 points a curve, 20 classes,
 * 2,000 residual rows.
 */
export function evaluate(
  task: Task,
  prediction: PredictionMatrix,
  targets: Int32Array | Float64Array,
  classes: string[] | null,
  threshold = 0.5,
  /** Curves (ROC, PR, calibration) cost sorts: skipped where only the numbers matter, as in the search. */
  withCurves = true,
): { metrics: Record<string, number>; report: Record<string, unknown> } {
  if (prediction.kind === 'regression') {
    const actual = Float64Array.from(targets);
    const m = regressionMetrics(actual, prediction.values);
    return {
      metrics: { rmse: m.rmse, mae: m.mae, r2: m.r2 },
      report: withCurves ? { residuals: residualSample(actual, prediction.values) } : {},
    };
  }
  if (task === 'binary') {
    const labels = positiveLabels(targets);
    const positive = matrixColumn(prediction.probabilities, 2, 1, labels.length);
    const m = binaryMetrics(labels, positive, threshold);
    return {
      metrics: {
        accuracy: m.accuracy,
        precision: m.precision,
        recall: m.recall,
        f1: m.f1,
        roc_auc: m.roc_auc,
        pr_auc: m.pr_auc,
        log_loss: m.log_loss,
        brier: brierScore(Int32Array.from(targets), prediction.probabilities, 2),
        ece: expectedCalibrationError(Int32Array.from(targets), prediction.probabilities, 2),
      },
      report: {
        classes,
        positiveClass: classes?.[1],
        confusionMatrix: m.confusion_matrix,
        ...(withCurves
          ? {
              rocCurve: rocCurve(labels, positive),
              prCurve: precisionRecallCurve(labels, positive),
              calibration: calibrationBins(labels, positive),
            }
          : {}),
      },
    };
  }
  const k = classes?.length ?? 0;
  const m = multiclassMetrics(Int32Array.from(targets), prediction.probabilities, k);
  return {
    metrics: {
      accuracy: m.accuracy,
      f1: m.f1,
      roc_auc: m.roc_auc,
      log_loss: m.log_loss,
      brier: brierScore(Int32Array.from(targets), prediction.probabilities, k),
      ece: expectedCalibrationError(Int32Array.from(targets), prediction.probabilities, k),
    },
    report: {
      classes,
      confusionMatrix: m.confusion_matrix,
      ...(withCurves ? multiclassCurves(Int32Array.from(targets), prediction.probabilities, k, classes ?? []) : {}),
    },
  };
}

/**
 * One metric of a prediction, as `evaluate` computes it; log loss, binary ROC AUC and the regression errors without
 * the other metrics' work (the precision–recall sort, calibration), for the search's many blends.
 */
export function metricOf(
  task: Task,
  prediction: PredictionMatrix,
  targets: Int32Array | Float64Array,
  classes: string[] | null,
  metric: string,
): number | undefined {
  if (metric === 'log_loss' && prediction.kind === 'classification')
    return logLoss(Int32Array.from(targets), prediction.probabilities, task === 'binary' ? 2 : (classes?.length ?? 0));
  if (metric === 'roc_auc' && task === 'binary' && prediction.kind === 'classification')
    return rocAuc(positiveLabels(targets), matrixColumn(prediction.probabilities, 2, 1, targets.length));
  if ((metric === 'rmse' || metric === 'mae') && prediction.kind === 'regression')
    return regressionMetrics(Float64Array.from(targets), prediction.values)[metric];
  return evaluate(task, prediction, targets, classes, 0.5, false).metrics[metric];
}

/** The per-class one-vs-rest curves and the top-label reliability bins, as the report stores them. */
function multiclassCurves(
  labels: Int32Array,
  probabilities: Float64Array,
  k: number,
  classes: string[],
): Record<string, unknown> {
  const { confidence, hit } = topLabelConfidence(labels, probabilities, k);
  // NaN (a class absent from the rows) is no JSON number: stored as null.
  const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
  return {
    perClass: oneVsRestCurves(labels, probabilities, k).map((c) => ({
      class: classes[c.classIndex] ?? String(c.classIndex),
      support: c.support,
      rocAuc: finite(c.rocAuc),
      averagePrecision: finite(c.averagePrecision),
      roc: c.roc,
      pr: c.pr,
    })),
    calibration: calibrationBins(hit, confidence),
    calibrationOf: 'top-label confidence',
  };
}

/**
 * Permutation importance (Breiman 2001; scikit-learn's permutation_importance): how much the validation loss
 * (log loss, or RMSE for regression) grows when one feature's values are shuffled, breaking its link to the target.
 */
export function permutationImportance(
  model: TrainedModel,
  raw: RawInputs,
  targets: Int32Array | Float64Array,
  seed: number,
): { feature: string; increase: number }[] {
  const loss = (prediction: PredictionMatrix): number => {
    if (prediction.kind === 'regression') return regressionMetrics(Float64Array.from(targets), prediction.values).rmse;
    const k = prediction.classes.length;
    let sum = 0;
    for (let i = 0; i < targets.length; i++) sum -= Math.log(Math.max(1e-15, prediction.probabilities[i * k + targets[i]!]!));
    return sum / targets.length;
  };
  const baseline = loss(predictModel(model, raw));
  const random = seededRandom(seed);
  let numeric = 0;
  let categorical = 0;
  return modelInputs(model)
    .map((feature) => {
      const shuffled: RawInputs = { rows: raw.rows, numeric: [...raw.numeric], categorical: [...raw.categorical] };
      const order = indices(raw.rows);
      shuffleInPlace(order, random);
      if (feature.kind === 'numeric') {
        const values = raw.numeric[numeric]!;
        shuffled.numeric[numeric++] = float64Of(order.length, (k) => values[order[k]!]!);
      } else {
        const values = raw.categorical[categorical]!;
        shuffled.categorical[categorical++] = Array.from(order, (i) => values[i]!);
      }
      return { feature: feature.name, increase: loss(predictModel(model, shuffled)) - baseline };
    })
    .sort((a, b) => b.increase - a.increase);
}

/** Mean and (sample) standard deviation of each metric over the folds, with the per-fold values. */
export function summariseFolds(perFold: Record<string, number>[]): {
  metrics: Record<string, { mean: number; std: number; folds: number[] }>;
} {
  const metrics: Record<string, { mean: number; std: number; folds: number[] }> = {};
  for (const key of Object.keys(perFold[0] ?? {})) {
    const values = perFold.map((m) => m[key]!);
    metrics[key] = { ...meanAndStd(values), folds: values };
  }
  return { metrics };
}

/** The labelled rows being evaluated: the frame, its split, and the targets of its rows. */
export interface EvaluationData {
  frame: Frame;
  task: Task;
  seed: number;
  classes: string[] | null;
  split: { train: Int32Array; validation: Int32Array; test: Int32Array };
  targetsOf: (rows: Int32Array) => Int32Array | Float64Array;
}

/** k-fold cross-validation over the training and validation rows (the test rows stay untouched), when asked. */
export async function crossValidation(
  data: EvaluationData,
  args: TrainArgs,
  scheme: SplitScheme,
  fit: Fit,
): Promise<Record<string, unknown> | null> {
  if (args.algorithm === 'auto' || args.folds === undefined || args.folds < 2) return null;
  const { frame, task, seed, classes, split, targetsOf } = data;
  const pool = Int32Array.from([...split.train, ...split.validation]).sort();
  const folds = foldPairs(pool, args.folds, seed, scheme);
  if (folds.length === 0) throw new HearthError('VALIDATION_FAILED', 'too few groups for the requested folds');
  const perFold: Record<string, number>[] = [];
  for (let k = 0; k < folds.length; k++) {
    const { train: rest, heldOut } = folds[k]!;
    const { model: foldModel } = await fit(rest, new Int32Array(0), `fold ${k + 1}/${folds.length}`);
    const prediction = predictAt(foldModel, { features: modelInputs(foldModel) }, frame, heldOut);
    perFold.push(evaluate(task, prediction, targetsOf(heldOut), classes).metrics);
  }
  return { folds: folds.length, ...summariseFolds(perFold) };
}

/**
 * Binary decision threshold tuned on the validation rows (the training rows when there are none), if asked: sets
 * the model's threshold and returns the report (null when no threshold objective applies).
 */
export function tuneDecisionThreshold(
  data: EvaluationData,
  args: TrainArgs,
  model: TrainedModel,
  inputs: { features: InputFeature[] },
  tune: boolean,
  /** The model's prediction of the validation rows, when already made (the threshold does not change it). */
  validationPrediction: PredictionMatrix | null = null,
): Record<string, unknown> | null {
  const { frame, task, split, targetsOf } = data;
  let thresholdReport: Record<string, unknown> | null = null;
  if (task === 'binary' && args.threshold !== undefined && !tune) {
    thresholdReport = {
      objective: args.threshold,
      threshold: 0.5,
      tunedOn: 'none: the default scored better on cross-validation',
    };
  }
  if (task === 'binary' && args.threshold !== undefined && tune) {
    const tuneRows = split.validation.length > 0 ? split.validation : split.train;
    const tuned =
      split.validation.length > 0 && validationPrediction !== null
        ? validationPrediction
        : predictAt(model, inputs, frame, tuneRows);
    if (tuned.kind === 'classification') {
      const labels = positiveLabels(targetsOf(tuneRows));
      const positive = matrixColumn(tuned.probabilities, 2, 1, labels.length);
      const objective =
        args.threshold === 'f1'
          ? ({ kind: 'f1' } as const)
          : ({ kind: 'cost', falsePositive: args.falsePositiveCost ?? 1, falseNegative: args.falseNegativeCost ?? 1 } as const);
      model.decisionThreshold = bestThreshold(labels, positive, objective);
      thresholdReport = {
        objective,
        threshold: model.decisionThreshold,
        tunedOn: split.validation.length > 0 ? 'validation' : 'train',
      };
    }
  }
  return thresholdReport;
}

/** The model's metrics on some rows of the frame, at its decision threshold. */
export function evaluateOn(
  data: EvaluationData,
  model: TrainedModel,
  inputs: { features: InputFeature[] },
  rows: Int32Array,
  /** The model's prediction of these rows, when already made. */
  prediction: PredictionMatrix = predictAt(model, inputs, data.frame, rows),
): { metrics: Record<string, number>; report: Record<string, unknown> } {
  return evaluate(data.task, prediction, data.targetsOf(rows), data.classes, model.decisionThreshold);
}

/** Permutation importance on up to 2,000 validation rows. */
export function validationImportance(
  data: EvaluationData,
  model: TrainedModel,
  inputs: { features: InputFeature[] },
): { feature: string; increase: number }[] {
  const rows = data.split.validation.subarray(0, 2000);
  return permutationImportance(model, rawInputsAt(inputs, data.frame, rows), data.targetsOf(rows), data.seed);
}

/**
 * Mean |SHAP| per feature over up to 500 of the rows: the learner's exact summary where it has one (TreeSHAP,
 * linear SHAP); none for MLPs and ensembles, which have permutation importance. Under a deadline (a time budget),
 * TreeSHAP explains five rows to measure its rate, then chunks sized to the time left, and stops with the rows
 * explained so far (a row's values do not depend on the other rows explained, so the mean over fewer rows is the
 * same quantity, less precisely); none when the deadline has passed. Linear SHAP, which takes the rows as its
 * background and costs one pass, explains them all.
 */
export function shapSummaryOn(
  data: EvaluationData,
  model: TrainedModel,
  inputs: { features: InputFeature[] },
  rows: Int32Array,
  deadline: number | null = null,
): { summary: { feature: string; meanAbs: number }[] | null; rows: number } {
  if (model.format === 'hearth.ensemble/1') return { summary: null, rows: 0 };
  const learner = learnerOf(model);
  const explain = (part: Int32Array) => learner.shapSummary(model, () => rawInputsAt(inputs, data.frame, part));
  const all = rows.subarray(0, 500);
  if (deadline === null || model.format !== 'hearth.trees/1') return { summary: explain(all), rows: all.length };
  // Five rows first, to measure; then chunks sized to what is left at that rate, until the deadline.
  const totals = new Map<string, number>();
  let explained = 0;
  let msPerRow = 0;
  while (explained < all.length) {
    const left = deadline - Date.now();
    const size = explained === 0 ? 5 : Math.floor(left / Math.max(1e-3, msPerRow));
    if (left <= 0 || size < 1) break;
    const part = all.subarray(explained, explained + size);
    const started = Date.now();
    for (const f of explain(part) ?? []) totals.set(f.feature, (totals.get(f.feature) ?? 0) + f.meanAbs * part.length);
    explained += part.length;
    msPerRow = Math.max(msPerRow, (Date.now() - started) / part.length);
  }
  if (explained === 0) return { summary: null, rows: 0 };
  const summary = [...totals].map(([feature, total]) => ({ feature, meanAbs: explained === 0 ? 0 : total / explained }));
  return { summary: summary.sort((a, b) => b.meanAbs - a.meanAbs), rows: explained };
}
