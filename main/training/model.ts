import { HearthError } from '../contracts/errors.js';
import { exportLinearToOnnx } from '../registry/onnx/export-linear.js';
import { exportTreesToOnnx } from '../registry/onnx/export-trees.js';
import { predictLinear, type LinearModel, type PredictionMatrix } from './linear-model.js';
import type { InputFeature, RawInputs } from './preprocess.js';
import { predictTrees, type TreeModel } from './tree-model.js';

/** Every kind of model Hearth stores. */
export type StoredModel = LinearModel | TreeModel;

export function parseStoredModel(json: string): StoredModel {
  const model = JSON.parse(json) as StoredModel;
  if (model.format !== 'hearth.linear/1' && model.format !== 'hearth.trees/1') {
    throw new HearthError('INTERNAL', `unknown model format ${String((model as { format?: unknown }).format)}`);
  }
  return model;
}

/** The model's inputs, in the order its ONNX graph takes them. */
export function modelInputs(model: StoredModel): InputFeature[] {
  return model.format === 'hearth.linear/1' ? model.preprocessor.features : model.features;
}

/** The TypeScript predictor: what the ONNX graph must reproduce. */
export function predictModel(model: StoredModel, raw: RawInputs): PredictionMatrix {
  return model.format === 'hearth.linear/1' ? predictLinear(model, raw) : predictTrees(model, raw);
}

export function exportModelToOnnx(model: StoredModel, producerVersion: string): Uint8Array {
  return model.format === 'hearth.linear/1'
    ? exportLinearToOnnx(model, producerVersion)
    : exportTreesToOnnx(model, producerVersion);
}

/** The ONNX input schema: one [N, 1] tensor per feature. */
export function onnxInputSchema(model: StoredModel): { name: string; type: 'double' | 'string' }[] {
  return modelInputs(model).map((f) => ({ name: f.name, type: f.kind === 'numeric' ? 'double' : 'string' }));
}
