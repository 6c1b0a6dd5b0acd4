/** Evaluation metrics, written to match scikit-learn's definitions (the tests pin them to hand-computed values). */

import { ascendingGroups, descendingSweep, sortedByLabel, type Sweep } from './score-order.js';
import { indices, matrixColumn, positiveLabels } from './arrays.js';

export interface CurvePoint {
  x: number;
  y: number;
  threshold: number;
}

export interface BinaryMetrics {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  roc_auc: number;
  pr_auc: number;
  log_loss: number;
  /** [[tn, fp], [fn, tp]]: rows are true classes, columns predicted, in class order (negative, positive). */
  confusion_matrix: number[][];
}

export interface MulticlassMetrics {
  accuracy: number;
  f1: number;
  roc_auc: number;
  log_loss: number;
  confusion_matrix: number[][];
}

export interface RegressionMetrics {
  rmse: number;
  mae: number;
  r2: number;
}

const epsilon = 1e-15;

function clip(p: number): number {
  return Math.min(1 - epsilon, Math.max(epsilon, p));
}

/** Area under the ROC curve via the rank statistic, with ties counted half (Mann–Whitney U). */
export function rocAuc(labels: Uint8Array, scores: Float64Array): number {
  const n = labels.length;
  const sorted = sortedByLabel(labels, scores);
  if (sorted !== null) {
    let seen = 0;
    let positives = 0;
    let rankSum = 0;
    ascendingGroups(sorted, (a, b) => {
      const averageRank = (seen + 1 + seen + a + b) / 2;
      seen += a + b;
      for (let k = 0; k < a; k++) {
        positives++;
        rankSum += averageRank;
      }
    });
    const negatives = n - positives;
    if (positives === 0 || negatives === 0) return Number.NaN;
    return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
  }
  const order = indices(n).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < n;) {
    let j = i + 1;
    while (j < n && scores[order[j]!] === scores[order[i]!]) j++;
    const averageRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) {
      if (labels[order[k]!] === 1) {
        positives++;
        rankSum += averageRank;
      }
    }
    i = j;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Distinct-threshold sweep from the highest score down: cumulative true and false positives. */
function thresholdSweep(labels: Uint8Array, scores: Float64Array): Sweep {
  const sorted = sortedByLabel(labels, scores);
  if (sorted !== null) return descendingSweep(sorted);
  const n = labels.length;
  const order = indices(n).sort((a, b) => scores[b]! - scores[a]!);
  const tps: number[] = [];
  const fps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < n; i++) {
    const r = order[i]!;
    if (labels[r] === 1) tp++;
    else fp++;
    if (i === n - 1 || scores[order[i + 1]!] !== scores[r]) {
      tps.push(tp);
      fps.push(fp);
      thresholds.push(scores[r]!);
    }
  }
  return { tps, fps, thresholds };
}

/** Average precision (scikit-learn's step-wise PR AUC): Σ (R_k − R_{k−1}) · P_k. */
export function averagePrecision(labels: Uint8Array, scores: Float64Array): number {
  const { tps, fps } = thresholdSweep(labels, scores);
  const positives = tps.length === 0 ? 0 : tps[tps.length - 1]!;
  if (positives === 0) return Number.NaN;
  let ap = 0;
  let previousRecall = 0;
  for (let k = 0; k < tps.length; k++) {
    const recall = tps[k]! / positives;
    const precision = tps[k]! / (tps[k]! + fps[k]!);
    ap += (recall - previousRecall) * precision;
    previousRecall = recall;
  }
  return ap;
}

/** ROC curve points (false positive rate, true positive rate), thinned to at most `maxPoints`. */
export function rocCurve(labels: Uint8Array, scores: Float64Array, maxPoints = 200): CurvePoint[] {
  const { tps, fps, thresholds } = thresholdSweep(labels, scores);
  const p = tps[tps.length - 1] ?? 0;
  const f = fps[fps.length - 1] ?? 0;
  const points: CurvePoint[] = [{ x: 0, y: 0, threshold: Number.POSITIVE_INFINITY }];
  const step = Math.max(1, Math.ceil(tps.length / maxPoints));
  for (let k = 0; k < tps.length; k += step) {
    points.push({ x: f === 0 ? 0 : fps[k]! / f, y: p === 0 ? 0 : tps[k]! / p, threshold: thresholds[k]! });
  }
  const last = points[points.length - 1]!;
  if (last.x !== 1 || last.y !== 1) points.push({ x: 1, y: 1, threshold: thresholds[thresholds.length - 1] ?? 0 });
  return points;
}

/** Binary metrics from P(positive) per row; the predicted label is positive when p > threshold (default 0.5). */
export function binaryMetrics(labels: Uint8Array, probabilities: Float64Array, threshold = 0.5): BinaryMetrics {
  const n = labels.length;
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const p = probabilities[i]!;
    const predicted = p > threshold ? 1 : 0;
    const y = labels[i]!;
    if (predicted === 1 && y === 1) tp++;
    else if (predicted === 1) fp++;
    else if (y === 1) fn++;
    else tn++;
    loss -= y === 1 ? Math.log(clip(p)) : Math.log(clip(1 - p));
  }
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  return {
    accuracy: (tp + tn) / n,
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    roc_auc: rocAuc(labels, probabilities),
    pr_auc: averagePrecision(labels, probabilities),
    log_loss: loss / n,
    confusion_matrix: [
      [tn, fp],
      [fn, tp],
    ],
  };
}

/**
 * Multiclass metrics from a row-major n × k probability matrix. Prediction is the argmax (first on ties);
 * F1 is the unweighted mean over classes; ROC AUC is the macro mean of one-vs-rest AUCs over classes present.
 */
export function multiclassMetrics(labels: Int32Array, probabilities: Float64Array, k: number): MulticlassMetrics {
  const n = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let sum = 0;
    for (let c = 0; c < k; c++) sum += probabilities[i * k + c]!;
    for (let c = 1; c < k; c++) if (probabilities[i * k + c]! > probabilities[i * k + best]!) best = c;
    confusion[labels[i]!]![best]!++;
    loss -= Math.log(clip(probabilities[i * k + labels[i]!]! / sum));
  }
  let correct = 0;
  let f1Sum = 0;
  for (let c = 0; c < k; c++) {
    correct += confusion[c]![c]!;
    const tp = confusion[c]![c]!;
    let predicted = 0;
    let actual = 0;
    for (let j = 0; j < k; j++) {
      predicted += confusion[j]![c]!;
      actual += confusion[c]![j]!;
    }
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = actual === 0 ? 0 : tp / actual;
    f1Sum += precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  }
  let aucSum = 0;
  let aucCount = 0;
  const oneVsRest = new Uint8Array(n);
  const scores = new Float64Array(n);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n; i++) {
      oneVsRest[i] = labels[i] === c ? 1 : 0;
      scores[i] = probabilities[i * k + c]!;
    }
    const auc = rocAuc(oneVsRest, scores);
    if (!Number.isNaN(auc)) {
      aucSum += auc;
      aucCount++;
    }
  }
  return {
    accuracy: correct / n,
    f1: f1Sum / k,
    roc_auc: aucCount === 0 ? Number.NaN : aucSum / aucCount,
    log_loss: loss / n,
    confusion_matrix: confusion,
  };
}

export function regressionMetrics(actual: Float64Array, predicted: Float64Array): RegressionMetrics {
  const n = actual.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += actual[i]!;
  mean /= n;
  let squared = 0;
  let absolute = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const e = actual[i]! - predicted[i]!;
    squared += e * e;
    absolute += Math.abs(e);
    total += (actual[i]! - mean) ** 2;
  }
  return { rmse: Math.sqrt(squared / n), mae: absolute / n, r2: total === 0 ? Number.NaN : 1 - squared / total };
}

/**
 * The decision threshold t (label positive when p > t) that maximises F1, or minimises the total cost of errors
 * for the given false-positive and false-negative costs, over the rows' own probabilities.
 */
export function bestThreshold(
  labels: Uint8Array,
  probabilities: Float64Array,
  objective: { kind: 'f1' } | { kind: 'cost'; falsePositive: number; falseNegative: number },
): number {
  const n = labels.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += labels[i]!;
  // Start with everything negative (t = the highest probability), then lower t past one distinct value at a time.
  let tp = 0;
  let fp = 0;
  const score = (): number => {
    const fn = positives - tp;
    if (objective.kind === 'f1') return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
    return -(fp * objective.falsePositive + fn * objective.falseNegative);
  };
  let bestScore = score();
  const sorted = labels.every((y) => y <= 1) ? sortedByLabel(labels, probabilities) : null;
  if (sorted !== null) {
    const sweep = descendingSweep(sorted);
    let best = n > 0 ? sweep.thresholds[0]! : 0.5;
    for (let k = 0; k < sweep.tps.length; k++) {
      tp = sweep.tps[k]!;
      fp = sweep.fps[k]!;
      // Every row with probability ≥ p is now positive: the threshold sits just below p (midway to the next value).
      const s = score();
      if (s > bestScore) {
        bestScore = s;
        best = (sweep.thresholds[k]! + (sweep.thresholds[k + 1] ?? 0)) / 2;
      }
    }
    return best;
  }
  const order = indices(n).sort((a, b) => probabilities[b]! - probabilities[a]!);
  let best = n > 0 ? probabilities[order[0]!]! : 0.5;
  for (let i = 0; i < n;) {
    const p = probabilities[order[i]!]!;
    while (i < n && probabilities[order[i]!] === p) {
      if (labels[order[i]!] === 1) tp++;
      else fp++;
      i++;
    }
    // Every row with probability ≥ p is now positive: the threshold sits just below p (midway to the next value).
    const next = i < n ? probabilities[order[i]!]! : 0;
    const s = score();
    if (s > bestScore) {
      bestScore = s;
      best = (p + next) / 2;
    }
  }
  return best;
}

/** Precision–recall curve points (x: recall, y: precision), thinned to at most `maxPoints`. */
export function precisionRecallCurve(labels: Uint8Array, scores: Float64Array, maxPoints = 200): CurvePoint[] {
  const { tps, fps, thresholds } = thresholdSweep(labels, scores);
  const positives = tps[tps.length - 1] ?? 0;
  const points: CurvePoint[] = [];
  const step = Math.max(1, Math.ceil(tps.length / maxPoints));
  for (let k = 0; k < tps.length; k += step) {
    points.push({ x: positives === 0 ? 0 : tps[k]! / positives, y: tps[k]! / (tps[k]! + fps[k]!), threshold: thresholds[k]! });
  }
  return points;
}

/**
 * Reliability diagram: rows grouped into ten equal-width bins of predicted probability, each with its mean
 * prediction and the observed share of positives (a calibrated model sits on the diagonal).
 */
export function calibrationBins(
  labels: Uint8Array,
  probabilities: Float64Array,
  bins = 10,
): { predicted: number; observed: number; count: number }[] {
  const sum = new Float64Array(bins);
  const hits = new Float64Array(bins);
  const count = new Float64Array(bins);
  for (let i = 0; i < labels.length; i++) {
    const p = probabilities[i]!;
    const b = Math.min(bins - 1, Math.floor(p * bins));
    sum[b]! += p;
    hits[b]! += labels[i]!;
    count[b]!++;
  }
  const out: { predicted: number; observed: number; count: number }[] = [];
  for (let b = 0; b < bins; b++)
    if (count[b]! > 0) out.push({ predicted: sum[b]! / count[b]!, observed: hits[b]! / count[b]!, count: count[b]! });
  return out;
}

/** Mean and sample standard deviation (0 for a single value): how cross-validation scores are summarised. */
export function meanAndStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const std = values.length > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, std };
}

/**
 * Log loss alone, as `binaryMetrics` (k = 2: P(positive) in column 1) and `multiclassMetrics` (each row's
 * probabilities normalised) compute it, without their sorts: the search scores blends hundreds of times.
 */
export function logLoss(labels: Int32Array, probabilities: Float64Array, k: number): number {
  let loss = 0;
  for (let i = 0; i < labels.length; i++) loss += rowLogLoss(labels, probabilities, k, i);
  return loss / labels.length;
}

function rowLogLoss(labels: Int32Array, probabilities: Float64Array, k: number, i: number): number {
  if (k === 2) {
    const p = probabilities[2 * i + 1]!;
    return labels[i] === 1 ? -Math.log(clip(p)) : -Math.log(clip(1 - p));
  }
  let sum = 0;
  for (let c = 0; c < k; c++) sum += probabilities[i * k + c]!;
  return -Math.log(clip(probabilities[i * k + labels[i]!]! / sum));
}

/**
 * Brier score (Brier 1950): the mean squared distance between the probabilities and the one-hot truth. Binary
 * (k = 2): mean (p − y)² over P(positive), as scikit-learn's brier_score_loss; multiclass: mean Σ_c (p_c − y_c)²,
 * Brier's own definition (and scikit-learn's for more than two classes). Lower is better; 0 is perfect.
 */
export function brierScore(labels: Int32Array, probabilities: Float64Array, k: number): number {
  const n = labels.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (k === 2) sum += (probabilities[2 * i + 1]! - (labels[i] === 1 ? 1 : 0)) ** 2;
    else for (let c = 0; c < k; c++) sum += (probabilities[i * k + c]! - (labels[i] === c ? 1 : 0)) ** 2;
  }
  return sum / n;
}

/**
 * Each row's top-label confidence (max_c p_c) and whether that label is right: the reliability diagram and ECE of
 * a multiclass model (Guo et al. 2017) bin these as a binary model's P(positive) and label.
 */
export function topLabelConfidence(
  labels: Int32Array,
  probabilities: Float64Array,
  k: number,
): { confidence: Float64Array; hit: Uint8Array } {
  const n = labels.length;
  const confidence = new Float64Array(n);
  const hit = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probabilities[i * k + c]! > probabilities[i * k + best]!) best = c;
    confidence[i] = probabilities[i * k + best]!;
    hit[i] = labels[i] === best ? 1 : 0;
  }
  return { confidence, hit };
}

/**
 * Expected calibration error (Naeini et al. 2015; Guo et al. 2017): rows in ten equal-width bins of a confidence,
 * Σ_b (n_b / n) · |mean confidence_b − observed rate_b|. Binary: the confidence is P(positive) and the rate the
 * share of positives (the bins of `calibrationBins`); multiclass: the top-label confidence max_c p_c and the rate
 * the share labelled right. Lower is better; 0 is perfect.
 */
export function expectedCalibrationError(labels: Int32Array, probabilities: Float64Array, k: number, bins = 10): number {
  const n = labels.length;
  const { confidence, hit } =
    k === 2
      ? {
          confidence: matrixColumn(probabilities, 2, 1, n),
          hit: positiveLabels(labels),
        }
      : topLabelConfidence(labels, probabilities, k);
  let ece = 0;
  for (const bin of calibrationBins(hit, confidence, bins)) ece += (bin.count / n) * Math.abs(bin.predicted - bin.observed);
  return ece;
}

/**
 * The classification metrics `evaluate` gives (without curves) for a prediction that answers every row with the
 * same probabilities `shares` (the baseline's class prior), from the targets' class counts alone: each metric is
 * the formula above with every score tied. Equal to evaluating the constant matrix row by row up to summation
 * rounding (the tests compare both), without the n × k matrix and its sorts: on a 204k-row evaluation the row-by-row
 * path was 40–50 ms of a train job.
 */
export function constantPredictionMetrics(
  shares: Float64Array,
  counts: Float64Array,
  binary: boolean,
  threshold = 0.5,
): Record<string, number> {
  const k = shares.length;
  let n = 0;
  for (let c = 0; c < k; c++) n += counts[c]!;
  // Both classes present: every row tied, the rank statistic counts each pair half (0.5); otherwise undefined.
  const presentBoth = (c: number): boolean => counts[c]! > 0 && counts[c]! < n;
  // P(class 1) against class 1: how brierScore and expectedCalibrationError score two classes, whatever the task. One
  // bin of the reliability diagram holds every row: its mean prediction p, its observed rate the class's share.
  const p = shares[1]!;
  const positives = counts[1]!;
  const negatives = n - positives;
  const binaryBrier = (positives * (p - 1) ** 2 + negatives * p ** 2) / n;
  const binaryEce = n === 0 ? 0 : Math.abs(p - positives / n);
  if (binary) {
    const predictedPositive = p > threshold;
    const tp = predictedPositive ? positives : 0;
    const fp = predictedPositive ? negatives : 0;
    const tn = predictedPositive ? 0 : negatives;
    const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
    const recall = positives === 0 ? 0 : tp / positives;
    return {
      accuracy: (tp + tn) / n,
      precision,
      recall,
      f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
      roc_auc: presentBoth(1) ? 0.5 : Number.NaN,
      // One threshold: recall 0 → 1 at precision positives / n.
      pr_auc: positives === 0 ? Number.NaN : positives / n,
      log_loss: (-positives * Math.log(clip(p)) - negatives * Math.log(clip(1 - p))) / n,
      brier: binaryBrier,
      ece: binaryEce,
    };
  }
  let sum = 0;
  let best = 0;
  for (let c = 0; c < k; c++) sum += shares[c]!;
  for (let c = 1; c < k; c++) if (shares[c]! > shares[best]!) best = c;
  let loss = 0;
  let squares = 0;
  let present = 0;
  for (let c = 0; c < k; c++) {
    if (counts[c]! > 0) loss -= counts[c]! * Math.log(clip(shares[c]! / sum));
    squares += shares[c]! ** 2;
    if (presentBoth(c)) present++;
  }
  // Σ_c (s_c − [y = c])² for a row of class y is Σ s² − 2 s_y + 1.
  let brier = 0;
  for (let c = 0; c < k; c++) brier += counts[c]! * (squares - 2 * shares[c]! + 1);
  // Only the argmax class is ever predicted: precision n_best / n, recall 1 (when it occurs); every other class's F1 is 0.
  const precision = n === 0 ? 0 : counts[best]! / n;
  const recall = counts[best]! > 0 ? 1 : 0;
  const f1Best = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return {
    accuracy: counts[best]! / n,
    f1: f1Best / k,
    roc_auc: present === 0 ? Number.NaN : 0.5,
    log_loss: loss / n,
    brier: k === 2 ? binaryBrier : brier / n,
    ece: k === 2 ? binaryEce : n === 0 ? 0 : Math.abs(shares[best]! - counts[best]! / n),
  };
}
