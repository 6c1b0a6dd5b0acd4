import type { SpoolCipher } from '../crypto/spool.js';
import { HearthError } from '../contracts/errors.js';
import { readCsv } from '../data/csv.js';
import type { DatasetStore } from '../data/datasets.js';
import { cellValue, type Frame } from '../table/frame.js';
import type { ModelRegistry } from '../registry/registry.js';
import { binaryMetrics, brierScore, expectedCalibrationError, multiclassMetrics, regressionMetrics } from '../stats/metrics.js';
import type { PredictionMatrix } from '../models/linear-model.js';
import { modelInputs } from '../models/model.js';
import { rawInputsFromFrame } from '../models/preprocess.js';
import { toPredictions, type Prediction } from '../models/predictor.js';
import type { PredictorCache } from '../serving/predictor-cache.js';

/** Parses NAME[@VERSION]. */
export function parseRef(text: string): { name: string; version?: number } {
  const at = text.lastIndexOf('@');
  if (at <= 0) return { name: text };
  // Digits only: Number() would also read "0x1", "1e0" and " 1" as version 1.
  const digits = text.slice(at + 1);
  const version = /^[0-9]+$/.test(digits) ? Number(digits) : Number.NaN;
  if (!Number.isSafeInteger(version) || version < 1)
    throw new HearthError('VALIDATION_FAILED', `"${text}": the version after @ must be a positive integer`);
  return { name: text.slice(0, at), version };
}

export interface BatchPrediction {
  model: string;
  version: number;
  /** Where the rows were scored (see PredictResult.executionProvider). */
  executionProvider: string;
  frame: Frame;
  matrix: PredictionMatrix;
  predictions: Prediction[];
  quarantined: number;
}

/** What batch scoring uses: the registry to resolve a version, its predictor, and its data's PII policies. */
export interface BatchDeps {
  readonly registry: ModelRegistry;
  readonly predictors: PredictorCache;
  readonly datasets: DatasetStore;
}

/** Scores every row of a CSV file through the model's ONNX graph (rows that fail to parse are quarantined). */
export async function predictFile(deps: BatchDeps, ref: string, path: string, spool?: SpoolCipher): Promise<BatchPrediction> {
  const { name, version } = parseRef(ref);
  const resolved = deps.registry.resolve(name, version);
  const predictor = await deps.predictors.get(name, resolved);
  const read = await readCsv(path, spool === undefined ? {} : { spool });
  const frame = deps.datasets.protectFrame(deps.registry.version(name, resolved).dataset.name, read.frame);
  const quarantined = read.quarantined;
  const raw = rawInputsFromFrame({ features: modelInputs(predictor.stored) }, frame);
  const matrix = await predictor.run(raw);
  return {
    model: name,
    version: resolved,
    executionProvider: predictor.providerFor(raw),
    frame,
    matrix,
    predictions: toPredictions(matrix, predictor.threshold),
    quarantined: quarantined.length,
  };
}

/** Scores a labelled file and computes the task's metrics against its target column. */
export async function evaluateFile(
  deps: BatchDeps,
  ref: string,
  path: string,
  spool?: SpoolCipher,
): Promise<{
  model: string;
  version: number;
  rows: number;
  metrics: Record<string, number>;
  /** The labelled rows' predictions and targets (class indices in the model's order), for a baseline beside them. */
  scored: { prediction: PredictionMatrix; targets: Int32Array | Float64Array };
}> {
  const batch = await predictFile(deps, ref, path, spool);
  const predictor = await deps.predictors.get(batch.model, batch.version);
  const model = predictor.stored;
  const target = batch.frame.columns.find((c) => c.name === model.target);
  if (target === undefined) throw new HearthError('VALIDATION_FAILED', `the file has no target column "${model.target}"`);
  const rows: number[] = [];
  for (let r = 0; r < batch.frame.rowCount; r++) if (cellValue(target, r) !== null) rows.push(r);
  if (rows.length === 0) throw new HearthError('VALIDATION_FAILED', `no row of the file has a value for "${model.target}"`);
  if (batch.matrix.kind === 'regression') {
    const values = batch.matrix.values;
    const actual = Float64Array.from(rows, (r) => Number(cellValue(target, r)));
    const predicted = Float64Array.from(rows, (r) => values[r]!);
    const m = regressionMetrics(actual, predicted);
    return {
      model: batch.model,
      version: batch.version,
      rows: rows.length,
      metrics: { rmse: m.rmse, mae: m.mae, r2: m.r2 },
      scored: { prediction: { kind: 'regression', values: predicted }, targets: actual },
    };
  }
  const classes = batch.matrix.classes;
  const k = classes.length;
  const index = new Map(classes.map((c, i) => [c, i]));
  const label = (r: number): number => {
    const v = cellValue(target, r);
    const i = index.get(String(v));
    if (i === undefined)
      throw new HearthError(
        'VALIDATION_FAILED',
        `row ${r + 2}: "${String(v)}" is not a class the model knows (${classes.join(', ')})`,
      );
    return i;
  };
  const probabilities = batch.matrix.probabilities;
  const labels = Int32Array.from(rows, label);
  const selected = new Float64Array(rows.length * k);
  rows.forEach((r, i) => selected.set(probabilities.subarray(r * k, r * k + k), i * k));
  const scored = { prediction: { kind: 'classification', classes, probabilities: selected } as const, targets: labels };
  if (model.task === 'binary') {
    const m = binaryMetrics(
      Uint8Array.from(labels),
      Float64Array.from(rows, (r) => probabilities[2 * r + 1]!),
    );
    const { confusion_matrix: _c, ...metrics } = m;
    const binary = new Float64Array(rows.length * 2);
    rows.forEach((r, i) => binary.set(probabilities.subarray(2 * r, 2 * r + 2), 2 * i));
    return {
      model: batch.model,
      version: batch.version,
      rows: rows.length,
      metrics: { ...metrics, ...calibrationMetrics(Int32Array.from(rows, label), binary, 2) },
      scored,
    };
  }
  const m = multiclassMetrics(labels, selected, k);
  const { confusion_matrix: _c, ...metrics } = m;
  return {
    model: batch.model,
    version: batch.version,
    rows: rows.length,
    metrics: { ...metrics, ...calibrationMetrics(Int32Array.from(rows, label), selected, k) },
    scored,
  };
}

/** Brier score and expected calibration error, reported beside log loss. */
function calibrationMetrics(labels: Int32Array, probabilities: Float64Array, k: number): { brier: number; ece: number } {
  return { brier: brierScore(labels, probabilities, k), ece: expectedCalibrationError(labels, probabilities, k) };
}
