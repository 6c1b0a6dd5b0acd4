import { roundToFloat16 } from '../../onnx/graph.js';
import { roundHalfEven } from '../mlp-int8.js';
import type { MlpModel, StoredDenseLayer } from '../mlp-model.js';
import { designFromRaw, type RawInputs } from '../preprocess.js';

/* MLP variants: float16 weights, int8 weights with per-row dynamic quantisation of activations, and the hidden
   units that never fire on the training rows removed. */

/** Weights and biases rounded to half precision; the graph stores them as FLOAT16. */
export function mlpToFloat16(model: MlpModel): MlpModel {
  return {
    ...model,
    weights: 'float16',
    layers: model.layers.map((layer) => ({
      ...layer,
      weights: layer.weights.map(roundToFloat16),
      bias: layer.bias.map(roundToFloat16),
    })),
  };
}

/**
 * Symmetric int8 weights, one scale per output column (max |w| / 127): W ≈ q · scale. Biases stay float32. The
 * activations are quantised per row when the graph runs (mlp-int8.ts).
 */
export function mlpToInt8(model: MlpModel): MlpModel {
  return {
    ...model,
    weights: 'int8',
    layers: model.layers.map((layer) => {
      const scales = Array.from({ length: layer.outputs }, (_, o) => {
        let max = 0;
        for (let i = 0; i < layer.inputs; i++) max = Math.max(max, Math.abs(layer.weights[i * layer.outputs + o]!));
        return max === 0 ? 1 : Math.fround(max / 127);
      });
      const q = layer.weights.map((w, at) => Math.max(-127, Math.min(127, roundHalfEven(w / scales[at % layer.outputs]!))));
      return { ...layer, weights: q, bias: layer.bias.map(Math.fround), scales };
    }),
  };
}

/** Each hidden layer's largest activation over the rows (float path): 0 marks a unit that never fires. */
function hiddenPeaks(model: MlpModel, raw: RawInputs): Float64Array[] {
  const design = designFromRaw(model.preprocessor, raw);
  const peaks = model.layers.slice(0, -1).map((l) => new Float64Array(l.outputs));
  for (let r = 0; r < design.rows; r++) {
    const first = model.layers[0]!;
    let a = Float64Array.from(first.bias);
    design.numeric.forEach((column, j) => {
      const v = column[r]!;
      for (let o = 0; o < first.outputs; o++) a[o]! += v * first.weights[j * first.outputs + o]!;
    });
    design.categorical.forEach((levels, k) => {
      const level = levels[r]!;
      if (level < 0) return;
      const row = design.offsets[k]! + level;
      for (let o = 0; o < first.outputs; o++) a[o]! += first.weights[row * first.outputs + o]!;
    });
    for (let l = 0; l < model.layers.length - 1; l++) {
      const layer = model.layers[l]!;
      if (layer.activation === 'relu') for (let o = 0; o < a.length; o++) a[o] = Math.max(0, a[o]!);
      for (let o = 0; o < a.length; o++) peaks[l]![o] = Math.max(peaks[l]![o]!, layer.activation === 'relu' ? a[o]! : 1);
      const next = model.layers[l + 1]!;
      const b = Float64Array.from(next.bias);
      for (let i = 0; i < a.length; i++) {
        if (a[i] === 0) continue;
        for (let o = 0; o < next.outputs; o++) b[o]! += a[i]! * next.weights[i * next.outputs + o]!;
      }
      a = b;
    }
  }
  return peaks;
}

/**
 * Removes hidden ReLU units whose output is 0 on every given row (training rows): on those rows the network's
 * answer is unchanged; a row that would have woken one is scored without it. Null when no unit is dead.
 */
export function pruneDeadUnits(model: MlpModel, raw: RawInputs): { model: MlpModel; removed: number; hidden: number } | null {
  const peaks = hiddenPeaks(model, raw);
  const alive = peaks.map((p, l) => {
    const keep = [...p.keys()].filter((o) => p[o]! > 0 || model.layers[l]!.activation !== 'relu');
    // A layer keeps at least one unit, so the graph stays well formed.
    return keep.length === 0 ? [0] : keep;
  });
  const hidden = peaks.reduce((s, p) => s + p.length, 0);
  const removed = hidden - alive.reduce((s, a) => s + a.length, 0);
  if (removed === 0) return null;
  const layers: StoredDenseLayer[] = model.layers.map((layer, l) => {
    const rowsKept = l === 0 ? [...Array(layer.inputs).keys()] : alive[l - 1]!;
    const colsKept = l < model.layers.length - 1 ? alive[l]! : [...Array(layer.outputs).keys()];
    const weights: number[] = [];
    for (const i of rowsKept) for (const o of colsKept) weights.push(layer.weights[i * layer.outputs + o]!);
    return {
      ...layer,
      inputs: rowsKept.length,
      outputs: colsKept.length,
      weights,
      bias: colsKept.map((o) => layer.bias[o]!),
    };
  });
  return { model: { ...model, layers }, removed, hidden };
}
