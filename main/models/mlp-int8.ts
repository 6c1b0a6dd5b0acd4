import { predictionFromMargins, type PredictionMatrix } from './linear-model.js';
import type { Design, Task } from './preprocess.js';

/** What the int8 forward pass reads of an MLP (mlp-model.ts's MlpModel, whose predictor calls this one). */
interface QuantisedMlp {
  task: Task;
  classes: string[] | null;
  layers: {
    outputs: number;
    weights: number[];
    bias: number[];
    activation: 'relu' | 'linear';
    scales?: number[];
  }[];
}

/**
 * The int8 MLP's own reference: exactly the arithmetic its graph runs (export-mlp-int8.ts), in single precision
 * where the graph is. For each layer and each row, the float32 activations a are quantised symmetrically per row,
 *   s = max(max|a|, ε) / 127,   q = round_half_even(a / s)   (−127…127),
 * the integer product Σ q·W is exact (MatMulInteger, int32), and the layer's output is
 *   ((float(Σ q·W) · s) · scale[o]) + bias[o]   (float32, one rounding per operation), then ReLU.
 * Per row, not per batch (ONNX's DynamicQuantizeLinear takes one scale for the whole tensor): a row's answer then
 * never depends on which other rows share its request.
 */
export const activationFloor = Math.fround(1e-12);

/** round(x) with ties to even, as ONNX Round does. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round sends ties up; a tie whose upper neighbour is odd goes down instead.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Per-row quantisation of one row of float32 activations: the integers and the row's scale. */
export function quantiseRow(values: Float32Array | Float64Array): { q: Int8Array; scale: number } {
  let max = 0;
  for (const v of values) max = Math.max(max, Math.abs(Math.fround(v)));
  const scale = Math.fround(Math.max(max, activationFloor) / 127);
  const q = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) q[i] = roundHalfEven(Math.fround(Math.fround(values[i]!) / scale));
  return { q, scale };
}

/** One quantised dense layer on a row's quantised activations (weights row-major inputs × outputs, integers). */
function layerOutput(
  q: Int8Array,
  rowScale: number,
  layer: QuantisedMlp['layers'][number],
  rowOf: (i: number) => number,
): Float32Array {
  const out = new Float32Array(layer.outputs);
  const scales = layer.scales!;
  for (let o = 0; o < layer.outputs; o++) {
    let acc = 0;
    for (let i = 0; i < q.length; i++) {
      const qi = q[i]!;
      if (qi !== 0) acc += qi * layer.weights[rowOf(i) * layer.outputs + o]!;
    }
    let v = Math.fround(Math.fround(Math.fround(acc) * rowScale) * Math.fround(scales[o]!));
    v = Math.fround(v + Math.fround(layer.bias[o]!));
    out[o] = layer.activation === 'relu' ? Math.max(0, v) : v;
  }
  return out;
}

export function predictMlpInt8(model: QuantisedMlp, design: Design): PredictionMatrix {
  const n = design.rows;
  const last = model.layers[model.layers.length - 1]!;
  const margins = new Float64Array(n * last.outputs);
  // The first layer's input is the design as the graph lays it out, with its one-hot columns expanded: a row's
  // numerics, then a 1 at each present level (its weight row is the level's row of the stored weights).
  const numericCount = design.numeric.length;
  for (let r = 0; r < n; r++) {
    const present: number[] = [];
    design.categorical.forEach((levels, k) => {
      const level = levels[r]!;
      if (level >= 0) present.push(design.offsets[k]! + level);
    });
    const input = new Float32Array(numericCount + present.length);
    design.numeric.forEach((column, j) => (input[j] = column[r]!));
    present.forEach((_, p) => (input[numericCount + p] = 1));
    let { q, scale } = quantiseRow(input);
    let activations = layerOutput(q, scale, model.layers[0]!, (i) => (i < numericCount ? i : present[i - numericCount]!));
    for (const layer of model.layers.slice(1)) {
      ({ q, scale } = quantiseRow(activations));
      activations = layerOutput(q, scale, layer, (i) => i);
    }
    for (let o = 0; o < last.outputs; o++) margins[r * last.outputs + o] = activations[o]!;
  }
  return predictionFromMargins(model.task, model.classes ?? [], margins, n, last.outputs);
}
