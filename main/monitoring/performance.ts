import type { MonitorReport, MonitorWindow } from '../contracts/api.js';
import type { ModelRegistry } from '../registry/registry.js';
import type { PredictorCache } from '../serving/predictor-cache.js';
import { binaryMetrics, regressionMetrics } from '../stats/metrics.js';
import { servedRows, type LoggedPrediction, type PredictionLog } from '../serving/prediction-log.js';

/**
 * Confidence-based performance estimation (the idea of NannyML's CBPE) for a binary classifier: if its
 * probabilities are calibrated, a row predicted positive with P(positive) = p is a true positive with probability p
 * and a false positive with 1 − p (and a row predicted negative a false negative with p, a true negative with
 * 1 − p). Summing gives the expected confusion matrix, hence accuracy, precision, recall and F1 without a label; the
 * ROC AUC comes from the expected true- and false-positive rates along the rows sorted by p.
 */
export function estimateBinary(positive: Float64Array, predictedPositive: Uint8Array): Record<string, number> {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < positive.length; i++) {
    const p = positive[i]!;
    if (predictedPositive[i] === 1) {
      tp += p;
      fp += 1 - p;
    } else {
      fn += p;
      tn += 1 - p;
    }
  }
  const n = positive.length;
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const order = Array.from(positive.keys()).sort((a, b) => positive[b]! - positive[a]!);
  const expectedPositives = tp + fn;
  const expectedNegatives = fp + tn;
  let auc = 0;
  let tpr = 0;
  let fpr = 0;
  for (let k = 0; k < order.length;) {
    // Rows with the same score move along the curve together (a diagonal step), as in the realised ROC.
    let dp = 0;
    let dn = 0;
    const score = positive[order[k]!]!;
    for (; k < order.length && positive[order[k]!] === score; k++) {
      dp += positive[order[k]!]!;
      dn += 1 - positive[order[k]!]!;
    }
    const nextTpr = tpr + dp / expectedPositives;
    const nextFpr = fpr + dn / expectedNegatives;
    auc += ((nextFpr - fpr) * (nextTpr + tpr)) / 2;
    tpr = nextTpr;
    fpr = nextFpr;
  }
  return {
    accuracy: (tp + tn) / n,
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    roc_auc: auc,
  };
}

/**
 * The multiclass counterpart: with calibrated probabilities a row is right with the probability the model gave its
 * chosen class, so expected accuracy is the mean of those confidences.
 */
export function estimateMulticlass(confidence: Float64Array): Record<string, number> {
  let sum = 0;
  for (const c of confidence) sum += c;
  return { accuracy: sum / confidence.length };
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** What live performance reads: the model's versions, its predictor and its prediction log. */
export interface MonitorDeps {
  readonly registry: ModelRegistry;
  readonly predictors: PredictorCache;
  readonly predictionLog: PredictionLog;
}

/**
 * Live performance of a model over time windows of its prediction log: rows served, latency, and, for the rows
 * whose labels arrived, the realised metrics; for classifiers also the label-free estimate over every row.
 */
export async function monitorReport(
  deps: MonitorDeps,
  name: string,
  options: { version?: number; since?: string; until?: string; windowSeconds?: number } = {},
): Promise<MonitorReport> {
  const version = deps.registry.resolve(name, options.version);
  const info = deps.registry.version(name, version);
  const predictor = await deps.predictors.get(name, version);
  const classes = predictor.stored.classes ?? [];
  const windowMs = (options.windowSeconds ?? 3600) * 1000;
  const logged = await servedRows(deps.predictionLog, name, version, options);
  const byWindow = new Map<number, LoggedPrediction[]>();
  for (const row of logged) {
    const start = Math.floor(Date.parse(row.at) / windowMs) * windowMs;
    const list = byWindow.get(start) ?? [];
    list.push(row);
    byWindow.set(start, list);
  }
  const windows: MonitorWindow[] = [...byWindow.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([start, rows]) => {
      const latencies = rows.map((r) => r.latencyUs / 1000).sort((a, b) => a - b);
      const labelled = rows.filter((r) => r.label !== null);
      return {
        start: new Date(start).toISOString(),
        end: new Date(start + windowMs).toISOString(),
        rows: rows.length,
        latencyMs: { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99) },
        labelled: labelled.length,
        realised: labelled.length === 0 ? null : realised(info.task, classes, labelled),
        estimated:
          info.task === 'binary'
            ? estimated(classes, rows)
            : info.task === 'multiclass'
              ? estimateMulticlass(
                  Float64Array.from(rows, (r) => ('label' in r.prediction ? r.prediction.probability : Number.NaN)),
                )
              : null,
      };
    });
  return { model: name, version, task: info.task, windowSeconds: windowMs / 1000, windows };
}

function positiveProbability(classes: string[], row: LoggedPrediction): number {
  if (!('label' in row.prediction)) return Number.NaN;
  return row.prediction.label === classes[1] ? row.prediction.probability : 1 - row.prediction.probability;
}

function realised(task: string, classes: string[], rows: LoggedPrediction[]): Record<string, number> {
  if (task === 'regression') {
    const m = regressionMetrics(
      Float64Array.from(rows, (r) => Number(r.label)),
      Float64Array.from(rows, (r) => ('value' in r.prediction ? r.prediction.value : Number.NaN)),
    );
    return { rmse: m.rmse, mae: m.mae, r2: m.r2 };
  }
  if (task === 'binary') {
    const labels = Uint8Array.from(rows, (r) => (r.label === classes[1] ? 1 : 0));
    const predicted = Uint8Array.from(rows, (r) => ('label' in r.prediction && r.prediction.label === classes[1] ? 1 : 0));
    const m = binaryMetrics(
      labels,
      Float64Array.from(rows, (r) => positiveProbability(classes, r)),
    );
    // Accuracy, precision, recall and F1 of the labels the model actually gave (its own threshold), not of p > 0.5.
    let tp = 0;
    let fp = 0;
    let fn = 0;
    let correct = 0;
    for (let i = 0; i < rows.length; i++) {
      if (predicted[i] === labels[i]) correct++;
      if (predicted[i] === 1 && labels[i] === 1) tp++;
      else if (predicted[i] === 1) fp++;
      else if (labels[i] === 1) fn++;
    }
    const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
    const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
    return {
      accuracy: correct / rows.length,
      precision,
      recall,
      f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
      roc_auc: m.roc_auc,
    };
  }
  const correct = rows.filter((r) => 'label' in r.prediction && r.prediction.label === r.label).length;
  return { accuracy: correct / rows.length };
}

function estimated(classes: string[], rows: LoggedPrediction[]): Record<string, number> {
  return estimateBinary(
    Float64Array.from(rows, (r) => positiveProbability(classes, r)),
    Uint8Array.from(rows, (r) => ('label' in r.prediction && r.prediction.label === classes[1] ? 1 : 0)),
  );
}
