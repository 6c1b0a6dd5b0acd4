import type { Frame } from '../table/frame.js';
import { selectRows } from '../table/frame.js';
import type { PredictionMatrix } from '../models/linear-model.js';
import { predictModel, type TrainedModel } from '../models/model.js';
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
