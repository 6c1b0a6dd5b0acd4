import type { LinearModel } from '../linear-model.js';

/* Linear variants: L1 sparsification (soft-thresholding, the L1 proximal step, with the features left without
   any weight dropped from the input) and float32 weights. */

export function linearToFloat32(model: LinearModel): LinearModel {
  return { ...model, precision: 'float32', weights: model.weights.map(Math.fround) };
}

/**
 * w ← sign(w)·max(0, |w| − λ), λ the `share` quantile of |w| (so about that share of weights become 0); features
 * whose every design column is then 0 for every output leave the input. Weights are over standardised columns,
 * so one λ treats them alike.
 */
export function sparsifyLinear(model: LinearModel, share: number): { model: LinearModel; zero: number; features: number } {
  const d = model.dimension;
  const magnitudes = model.weights.map(Math.abs).sort((a, b) => a - b);
  const lambda = magnitudes[Math.min(magnitudes.length - 1, Math.floor(share * magnitudes.length))] ?? 0;
  const shrunk = model.weights.map((w) => Math.sign(w) * Math.max(0, Math.abs(w) - lambda));
  // Design columns of each feature: numerics one each, then each categorical's levels.
  const columnsOf: number[][] = [];
  let next = 0;
  for (const f of model.preprocessor.features) {
    const width = f.kind === 'numeric' ? 1 : f.categories.length;
    columnsOf.push(Array.from({ length: width }, (_, i) => next + i));
    next += width;
  }
  const keep = model.preprocessor.features
    .map((_, f) => f)
    .filter((f) =>
      columnsOf[f]!.some((j) => Array.from({ length: model.outputs }, (_, c) => shrunk[c * d + j]!).some((w) => w !== 0)),
    );
  if (keep.length === 0) keep.push(0);
  const columns = keep.flatMap((f) => columnsOf[f]!);
  const weights: number[] = [];
  for (let c = 0; c < model.outputs; c++) for (const j of columns) weights.push(shrunk[c * d + j]!);
  return {
    model: {
      ...model,
      preprocessor: { ...model.preprocessor, features: keep.map((f) => model.preprocessor.features[f]!) },
      dimension: columns.length,
      weights,
      ...(model.designMeans === undefined ? {} : { designMeans: columns.map((j) => model.designMeans![j]!) }),
    },
    zero: weights.filter((w) => w === 0).length,
    features: keep.length,
  };
}
