import type { LinearModel, PredictionMatrix } from './linear-model.js';
import type { MlpModel } from './mlp-model.js';
import type { InputFeature, RawInputs, Task } from './preprocess.js';
import type { TreeModel } from './tree-model.js';
import type { Calibrator } from './calibration.js';

export type SingleModel = LinearModel | TreeModel | MlpModel;

/**
 * A weighted blend of models found by ensemble selection: the average of the members' probabilities (or values),
 * weighted. Each member keeps its own preprocessing; the blend takes the union of their inputs.
 */
export interface EnsembleModel {
  format: 'hearth.ensemble/1';
  task: Task;
  target: string;
  classes: string[] | null;
  members: SingleModel[];
  /** Non-negative, summing to 1. */
  weights: number[];
  decisionThreshold?: number;
  /** Classification: fitted on out-of-fold predictions, applied after the model (calibration.ts). */
  calibrator?: Calibrator;
}

/** The learner's name: gbdt or forest for trees, else the format's (linear, mlp). */
export function modelAlgorithm(model: SingleModel): string {
  return model.format === 'hearth.trees/1' ? model.algorithm : model.format === 'hearth.linear/1' ? 'linear' : 'mlp';
}

export function singleModelInputs(model: SingleModel): InputFeature[] {
  return model.format === 'hearth.trees/1' ? model.features : model.preprocessor.features;
}

/** The union of the members' inputs: numerics in order of first use, then categoricals likewise. */
export function ensembleInputs(model: EnsembleModel): InputFeature[] {
  const seen = new Map<string, InputFeature>();
  for (const member of model.members) {
    for (const feature of singleModelInputs(member)) {
      const key = `${feature.kind}:${feature.name}`;
      if (!seen.has(key)) seen.set(key, feature);
    }
  }
  const all = [...seen.values()];
  return [...all.filter((f) => f.kind === 'numeric'), ...all.filter((f) => f.kind === 'categorical')];
}

/** Where each of a member's numeric and categorical inputs sits among the ensemble's. */
export function memberColumns(model: EnsembleModel, member: SingleModel): { numeric: number[]; categorical: number[] } {
  const inputs = ensembleInputs(model);
  const numericNames = inputs.filter((f) => f.kind === 'numeric').map((f) => f.name);
  const categoricalNames = inputs.filter((f) => f.kind === 'categorical').map((f) => f.name);
  const own = singleModelInputs(member);
  return {
    numeric: own.filter((f) => f.kind === 'numeric').map((f) => numericNames.indexOf(f.name)),
    categorical: own.filter((f) => f.kind === 'categorical').map((f) => categoricalNames.indexOf(f.name)),
  };
}

export function blendPredictions(predictions: PredictionMatrix[], weights: readonly number[]): PredictionMatrix {
  const first = predictions[0]!;
  if (first.kind === 'regression') {
    const values = new Float64Array(first.values.length);
    predictions.forEach((p, m) => {
      if (p.kind !== 'regression') return;
      for (let i = 0; i < values.length; i++) values[i]! += weights[m]! * p.values[i]!;
    });
    return { kind: 'regression', values };
  }
  const probabilities = new Float64Array(first.probabilities.length);
  predictions.forEach((p, m) => {
    if (p.kind !== 'classification') return;
    for (let i = 0; i < probabilities.length; i++) probabilities[i]! += weights[m]! * p.probabilities[i]!;
  });
  return { kind: 'classification', classes: first.classes, probabilities };
}

export function predictEnsemble(
  model: EnsembleModel,
  raw: RawInputs,
  predictMember: (member: SingleModel, raw: RawInputs) => PredictionMatrix,
): PredictionMatrix {
  const predictions = model.members.map((member) => {
    const columns = memberColumns(model, member);
    return predictMember(member, {
      rows: raw.rows,
      numeric: columns.numeric.map((j) => raw.numeric[j]!),
      categorical: columns.categorical.map((j) => raw.categorical[j]!),
    });
  });
  return blendPredictions(predictions, model.weights);
}
