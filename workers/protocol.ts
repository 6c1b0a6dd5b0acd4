import type { SerializedError } from '../main/contracts/errors.js';
import type { Design, RawInputs, Task } from '../main/models/preprocess.js';
import type { TreeModel } from '../main/models/tree-model.js';
import type { DataWarning } from '../main/models/data-checks.js';
import type { Frame } from '../main/table/frame.js';
import type { BoostInput, BoostParams, BoostResult } from './gbdt/boost.js';
import type { ForestParams, ForestResult } from './gbdt/forest.js';
import type { BackendChoice, BackendName } from './mlp/backend.js';
import type { MlpParams, MlpResult } from './mlp/fit-mlp.js';

/** Messages between the engine and a training worker. Every message carries the request's sequence number. */
export interface FitLinearRequest {
  seq: number;
  type: 'fit-linear';
  task: Task;
  classes: number;
  l2: number;
  maxIterations: number;
  train: Design;
  trainTargets: Int32Array | Float64Array;
  validation: Design;
  validationTargets: Int32Array | Float64Array;
  /** Int32 flag the engine sets to 1 to cancel; the worker checks it every iteration. */
  cancel: SharedArrayBuffer;
  /** The fit stops unconverged after the iteration past this time (ms since the epoch); null: none. */
  deadline: number | null;
}

/** Gradient boosting over a shared bin matrix (rows × features, row-major). */
export interface FitGbdtRequest extends BoostInput {
  seq: number;
  type: 'fit-gbdt';
  params: BoostParams;
  cancel: SharedArrayBuffer;
}

/** A random forest over the same shared bin matrix. */
export interface FitForestRequest extends Omit<BoostInput, 'validation'> {
  seq: number;
  type: 'fit-forest';
  params: ForestParams;
  cancel: SharedArrayBuffer;
}

/** A multilayer perceptron on the best TensorFlow.js back end that loads (or the one pinned by `backend`). */
export interface FitMlpRequest {
  seq: number;
  type: 'fit-mlp';
  task: Task;
  classes: number;
  train: Design;
  trainTargets: Int32Array | Float64Array;
  validation: Design | null;
  validationTargets: Int32Array | Float64Array | null;
  params: MlpParams;
  /** The run's own back end: that one or a failure. */
  backend: BackendName | null;
  /** The pinned back end from the settings: tried first, others after it if it cannot run. */
  preferredBackend: BackendName | null;
  cancel: SharedArrayBuffer;
}

/** A tree model's SHAP summary over some rows, computed beside the trainer's evaluation of the same model. */
export interface ShapSummaryRequest {
  seq: number;
  type: 'shap-summary';
  model: TreeModel;
  raw: RawInputs;
}

/**
 * The data checks on a run's split (data-checks.ts), beside the trainer's own work: the frame's columns are on shared
 * memory (a store-loaded frame's are), so they arrive as they are, not copied.
 */
export interface DataChecksRequest {
  seq: number;
  type: 'data-checks';
  frame: Frame;
  target: string;
  task: Task;
  train: Int32Array;
  test: Int32Array;
  /** Each frame row's target: its class index, or its value for regression. */
  targets: Int32Array | Float64Array;
}

export type WorkerRequest =
  FitLinearRequest | FitGbdtRequest | FitForestRequest | FitMlpRequest | ShapSummaryRequest | DataChecksRequest;

export type WorkerReply =
  | { seq: number; type: 'progress'; iteration: number; maxIterations: number; loss: number; validationLoss: number | null }
  | { seq: number; type: 'trees'; result: BoostResult; cpuMs: number }
  | { seq: number; type: 'shap'; summary: { feature: string; meanAbs: number }[]; cpuMs: number }
  | { seq: number; type: 'checks'; warnings: DataWarning[]; cpuMs: number }
  | { seq: number; type: 'forest'; result: ForestResult; cpuMs: number }
  | { seq: number; type: 'mlp'; result: MlpResult; backend: BackendChoice; cpuMs: number }
  | {
      seq: number;
      type: 'result';
      outputs: number;
      weights: Float64Array;
      intercepts: Float64Array;
      iterations: number;
      converged: boolean;
      loss: number;
      cpuMs: number;
    }
  | { seq: number; type: 'error'; error: SerializedError };
