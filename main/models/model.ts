import { HearthError } from '../contracts/errors.js';
import { applyCalibrator } from './calibration.js';
import { encodeOnnxModel } from '../onnx/graph.js';
import { modelGraph } from './onnx/export-model.js';
import { predictLinear, type PredictionMatrix } from './linear-model.js';
import { ensembleInputs, predictEnsemble, singleModelInputs, type EnsembleModel, type SingleModel } from './ensemble-model.js';
import { importedInputs, type ImportedModel } from './imported-model.js';
import { predictMlp } from './mlp-model.js';
import type { InputFeature, RawInputs } from './preprocess.js';
import { predictTrees, treeDepths } from './tree-model.js';

/** Every kind of model Hearth stores. */
export type StoredModel = SingleModel | EnsembleModel | ImportedModel;

/** The models Hearth trained, which it can also predict with in TypeScript, export and explain. */
export type TrainedModel = SingleModel | EnsembleModel;

const formats = new Set(['hearth.linear/1', 'hearth.trees/1', 'hearth.mlp/1', 'hearth.ensemble/1', 'onnx.imported/1']);

export function parseStoredModel(json: string): StoredModel {
  const model = JSON.parse(json) as StoredModel;
  if (!formats.has(model.format)) {
    throw new HearthError('INTERNAL', `unknown model format ${String((model as { format?: unknown }).format)}`);
  }
  return model;
}

/** The model's inputs, in the order its ONNX graph takes them. */
export function modelInputs(model: StoredModel): InputFeature[] {
  if (model.format === 'onnx.imported/1') return importedInputs(model);
  return model.format === 'hearth.ensemble/1' ? ensembleInputs(model) : singleModelInputs(model);
}

/**
 * The most work scoring one row takes in TypeScript (multiply-adds, or tree nodes visited on the longest paths):
 * what keeps a request scored on the HTTP thread short (see Predictor). Checks a tree model's shape on the way.
 */
export function rowCost(model: TrainedModel): number {
  switch (model.format) {
    case 'hearth.linear/1':
      return (model.preprocessor.features.length + 1) * model.outputs;
    case 'hearth.trees/1':
      return treeDepths(model).reduce((s, d) => s + d, 0);
    case 'hearth.mlp/1':
      return model.preprocessor.features.length + model.layers.reduce((s, l) => s + l.inputs * l.outputs, 0);
    case 'hearth.ensemble/1':
      return model.members.reduce((s, m) => s + rowCost(m), 0);
  }
}

/** The TypeScript predictor: what the ONNX graph must reproduce. */
export function predictModel(model: TrainedModel, raw: RawInputs): PredictionMatrix {
  return applyCalibrator(model.calibrator, predictUncalibrated(model, raw));
}

/** The model's own probabilities, before its calibrator (what the calibrator was fitted on). */
export function predictUncalibrated(model: TrainedModel, raw: RawInputs): PredictionMatrix {
  switch (model.format) {
    case 'hearth.linear/1':
      return predictLinear(model, raw);
    case 'hearth.trees/1':
      return predictTrees(model, raw);
    case 'hearth.mlp/1':
      return predictMlp(model, raw);
    case 'hearth.ensemble/1':
      return predictEnsemble(model, raw, predictModel);
  }
}

export function exportModelToOnnx(model: TrainedModel, producerVersion: string): Uint8Array {
  return encodeOnnxModel(modelGraph(model, producerVersion));
}

/** The ONNX input schema: one [N, 1] tensor per feature. */
export function onnxInputSchema(model: TrainedModel): { name: string; type: 'double' | 'string' }[] {
  return modelInputs(model).map((f) => ({ name: f.name, type: f.kind === 'numeric' ? 'double' : 'string' }));
}
