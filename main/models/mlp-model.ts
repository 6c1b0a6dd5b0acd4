import { predictionFromMargins, type PredictionMatrix } from './linear-model.js';
import { designFromRaw, type Design, type Preprocessor, type RawInputs, type Task } from './preprocess.js';
import type { Calibrator } from './calibration.js';
import { predictMlpInt8 } from './mlp-int8.js';

/** One dense layer as stored: weights row-major inputs × outputs (float32 values from training, kept exactly). */
export interface StoredDenseLayer {
  inputs: number;
  outputs: number;
  weights: number[];
  bias: number[];
  activation: 'relu' | 'linear';
  /**
   * An int8 variant (models/compress): `weights` are the integers (−127…127) and each output column's weight is
   * that integer times `scales[o]`; activations are quantised per row at run time (mlp-int8.ts).
   */
  scales?: number[];
}

/** A multilayer perceptron with the same preprocessing as the linear models (standardised numerics, one-hot). */
export interface MlpModel {
  format: 'hearth.mlp/1';
  task: Task;
  target: string;
  classes: string[] | null;
  preprocessor: Preprocessor;
  /** The last layer gives logits (binary: one, read through a sigmoid; multiclass: one per class) or the value. */
  layers: StoredDenseLayer[];
  /** The TensorFlow.js back end that trained it. */
  backend: string;
  decisionThreshold?: number;
  /** Classification: fitted on out-of-fold predictions, applied after the model (calibration.ts). */
  calibrator?: Calibrator;
  /**
   * How the graph stores the layers (a compressed variant, models/compress): float16 weights (already rounded to
   * half precision here, so the predictor is unchanged) or int8 (each layer's `scales`). Absent: float32.
   */
  weights?: 'float16' | 'int8';
}

/**
 * The TypeScript forward pass, in double precision. The first layer reads the design directly: a numeric input adds
 * its weight row times the value, a categorical one adds the row of its level (none for an unseen level).
 */
export function predictMlpDesign(model: MlpModel, design: Design): PredictionMatrix {
  if (model.weights === 'int8') return predictMlpInt8(model, design);
  const n = design.rows;
  const first = model.layers[0]!;
  let width = first.outputs;
  let activations = new Float64Array(n * width);
  const w0 = first.weights;
  for (let r = 0; r < n; r++) {
    const out = activations.subarray(r * width, (r + 1) * width);
    for (let o = 0; o < width; o++) out[o] = first.bias[o]!;
    design.numeric.forEach((column, j) => {
      const v = column[r]!;
      const row = j * width;
      for (let o = 0; o < width; o++) out[o]! += v * w0[row + o]!;
    });
    design.categorical.forEach((levels, k) => {
      const level = levels[r]!;
      if (level < 0) return;
      const row = (design.offsets[k]! + level) * width;
      for (let o = 0; o < width; o++) out[o]! += w0[row + o]!;
    });
    if (first.activation === 'relu') for (let o = 0; o < width; o++) out[o] = Math.max(0, out[o]!);
  }
  for (const layer of model.layers.slice(1)) {
    const next = new Float64Array(n * layer.outputs);
    for (let r = 0; r < n; r++) {
      const out = next.subarray(r * layer.outputs, (r + 1) * layer.outputs);
      for (let o = 0; o < layer.outputs; o++) out[o] = layer.bias[o]!;
      for (let i = 0; i < width; i++) {
        const a = activations[r * width + i]!;
        if (a === 0) continue;
        const row = i * layer.outputs;
        for (let o = 0; o < layer.outputs; o++) out[o]! += a * layer.weights[row + o]!;
      }
      if (layer.activation === 'relu') for (let o = 0; o < layer.outputs; o++) out[o] = Math.max(0, out[o]!);
    }
    activations = next;
    width = layer.outputs;
  }
  return predictionFromMargins(model.task, model.classes ?? [], activations, n, width);
}

export function predictMlp(model: MlpModel, raw: RawInputs): PredictionMatrix {
  return predictMlpDesign(model, designFromRaw(model.preprocessor, raw));
}
