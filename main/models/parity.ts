import type { PredictionMatrix } from './linear-model.js';
import type { TrainedModel } from './model.js';

/**
 * How far the ONNX graph may be from the TypeScript model: 1e-6 where both compute in float64; a network's layers
 * run in float32 in the graph (see export-mlp.ts), as do float32 variants, so there 1e-5, relative to the values'
 * scale for regression.
 */
export function parityTolerance(model: TrainedModel, reference: PredictionMatrix): number {
  // Compressed variants (models/compress) in float32 or float16/int8 weights compute in single precision too.
  const single = (m: TrainedModel): boolean =>
    m.format === 'hearth.mlp/1' ||
    ((m.format === 'hearth.trees/1' || m.format === 'hearth.linear/1') && m.precision === 'float32') ||
    (m.format === 'hearth.ensemble/1' && m.members.some(single));
  const float32 = single(model);
  if (!float32) return 1e-6;
  if (reference.kind !== 'regression') return 1e-5;
  let scale = 1;
  for (const v of reference.values) scale = Math.max(scale, Math.abs(v));
  return 1e-5 * scale;
}

export function maxAbsDifference(a: PredictionMatrix, b: PredictionMatrix): number {
  const x = a.kind === 'regression' ? a.values : a.probabilities;
  const y = b.kind === 'regression' ? b.values : b.probabilities;
  if (x.length !== y.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]! - y[i]!));
  return max;
}
