import type { Frame } from '../table/frame.js';
import { selectRows } from '../table/frame.js';
import type { PredictionMatrix } from '../models/linear-model.js';
import { predictModel, type TrainedModel } from '../models/model.js';
import { applyCalibrator } from '../models/calibration.js';
import { predictionFromTreeScores } from '../models/tree-model.js';
import { rawInputsFromFrame, type InputFeature, type RawInputs } from '../models/preprocess.js';

/**
 * Rows predicted at a time: a tree model's input matrix is rows × features float64s, so a million rows of 32
 * features would take 256 MB at once; this bounds it to about 13 MB for any row count.
 */
export const predictChunkRows = 50_000;

/**
 * The raw inputs of some rows of the frame. Only the model's columns are copied (selecting every column of a wide
 * frame for a million rows would copy hundreds of megabytes the model never reads).
 */
export function rawInputsAt(inputs: { features: readonly InputFeature[] }, frame: Frame, rows: Int32Array): RawInputs {
  const wanted = new Set(inputs.features.map((f) => f.name));
  const narrowed: Frame = { rowCount: frame.rowCount, columns: frame.columns.filter((c) => wanted.has(c.name)) };
  return rawInputsFromFrame(inputs, selectRows(narrowed, rows));
}

/**
 * The model's predictions of some rows of the frame, made a chunk of rows at a time and joined: every model here
 * predicts a row from that row alone, so the result is the one a single call on all the rows gives, without its
 * memory.
 */
export function predictAt(
  model: TrainedModel,
  inputs: { features: readonly InputFeature[] },
  frame: Frame,
  rows: Int32Array,
): PredictionMatrix {
  if (rows.length <= predictChunkRows) return predictModel(model, rawInputsAt(inputs, frame, rows));
  const parts: PredictionMatrix[] = [];
  for (let start = 0; start < rows.length; start += predictChunkRows)
    parts.push(predictModel(model, rawInputsAt(inputs, frame, rows.subarray(start, start + predictChunkRows))));
  const first = parts[0]!;
  const join = (arrays: Float64Array[]): Float64Array => {
    const out = new Float64Array(arrays.reduce((n, a) => n + a.length, 0));
    let at = 0;
    for (const a of arrays) {
      out.set(a, at);
      at += a.length;
    }
    return out;
  };
  if (first.kind === 'regression')
    return { kind: 'regression', values: join(parts.map((p) => (p.kind === 'regression' ? p.values : new Float64Array(0)))) };
  return {
    kind: 'classification',
    classes: first.classes,
    probabilities: join(parts.map((p) => (p.kind === 'classification' ? p.probabilities : new Float64Array(0)))),
  };
}

/** Rows of the training rows predicted again, to check the fit's own scores before they stand in for a prediction. */
const checkedRows = 1000;

/**
 * The model's prediction of its training rows from the scores its fit left (boosting sums the same leaf values in
 * the same order over the binned rows, and a split on bins is exactly its threshold on values), checked against a
 * prediction of the first 1,000 rows: any difference, and every row is predicted.
 */
export function predictTrainingRows(
  model: TrainedModel,
  inputs: { features: readonly InputFeature[] },
  frame: Frame,
  rows: Int32Array,
  trainScores: Float64Array | undefined,
): { prediction: PredictionMatrix; reused: boolean } {
  if (trainScores === undefined || model.format !== 'hearth.trees/1' || trainScores.length !== rows.length * model.outputs)
    return { prediction: predictAt(model, inputs, frame, rows), reused: false };
  const prediction = applyCalibrator(model.calibrator, predictionFromTreeScores(model, trainScores, rows.length));
  const check = predictAt(model, inputs, frame, rows.subarray(0, checkedRows));
  const a = prediction.kind === 'regression' ? prediction.values : prediction.probabilities;
  const b = check.kind === 'regression' ? check.values : check.probabilities;
  for (let i = 0; i < b.length; i++)
    if (a[i] !== b[i]) return { prediction: predictAt(model, inputs, frame, rows), reused: false };
  return { prediction, reused: true };
}
