import type { SerializedError } from '../main/contracts/errors.js';
import type { Design, Task } from '../main/training/preprocess.js';

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
}

export type WorkerRequest = FitLinearRequest;

export type WorkerReply =
  | { seq: number; type: 'progress'; iteration: number; maxIterations: number; loss: number; validationLoss: number | null }
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
