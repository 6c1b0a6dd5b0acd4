import type { Task } from './preprocess.js';
import type { InputFeature } from './preprocess.js';

/** Element types an imported graph's inputs may have: what JSON rows can be turned into. */
export type ImportedInputType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'string';

/**
 * A model made elsewhere (scikit-learn through skl2onnx, XGBoost, PyTorch…) and imported as an ONNX file. Hearth
 * has no TypeScript predictor for it: ONNX Runtime alone runs it. Its inputs were read from the graph; each graph
 * input of shape [N] or [N, k] becomes k features that JSON rows name.
 */
export interface ImportedModel {
  format: 'onnx.imported/1';
  task: Task;
  /** What the model predicts: named on import (the graph does not say). */
  target: string;
  classes: string[] | null;
  decisionThreshold?: number;
  graphInputs: { name: string; type: ImportedInputType; rank: 1 | 2; features: string[] }[];
  outputs: { probabilities: string | null; label: string | null; value: string | null };
  producer: string;
}

export function importedInputs(model: ImportedModel): InputFeature[] {
  return model.graphInputs.flatMap((input) =>
    input.features.map((name): InputFeature =>
      input.type === 'string'
        ? { kind: 'categorical', name }
        : {
            kind: 'numeric',
            name,
            sourceType: input.type === 'bool' ? 'boolean' : input.type.startsWith('int') ? 'integer' : 'number',
          },
    ),
  );
}
