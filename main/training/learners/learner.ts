import type { Frame } from '../../table/frame.js';
import type { WorkerReply, WorkerRequest } from '../../../workers/protocol.js';
import type { BackendName } from '../../../workers/mlp/backend.js';
import type { GbdtKernelName } from '../../contracts/api.js';
import type { SingleModel } from '../../models/ensemble-model.js';
import type { RawInputs, Task } from '../../models/preprocess.js';
import type { TrainArgs } from '../train-args.js';

/** A training worker's final reply to a fit request. */
export type FitReply = Extract<WorkerReply, { type: 'result' | 'trees' | 'forest' | 'mlp' }>;

/** What a learner needs from the running job: a worker to fit in, and the job's cancel flag. */
export interface LearnerHost {
  /** Runs one request in a training worker; its progress goes to the job under `label` (null: the model's own fit). */
  runWorker(request: WorkerRequest, label: string | null): Promise<FitReply>;
  /** The next request sequence number. */
  nextSeq(): number;
  /** The job's Int32 cancel flag, which the worker checks every iteration. */
  cancel: SharedArrayBuffer;
  /** The pinned TensorFlow.js back end from the settings, read when a fit starts. */
  preferredBackend(): BackendName | null;
  /** The GBDT kernel pinned in the settings (null: the automatic choice). */
  pinnedKernel(): GbdtKernelName | null;
  /** GBDT kernels the engine's probe found unusable (AccelRegistry.gbdtUnusable): no fit chooses them by itself. */
  unusableKernels(): { name: GbdtKernelName; reason: string }[];
}

/** One fit's data, already prepared by the trainer (SMOTE applied, class weights computed). */
export interface FitInput {
  task: Task;
  classes: string[] | null;
  /** The frame to fit on: the dataset's, or a copy with SMOTE's synthetic rows appended. */
  frame: Frame;
  /** The training rows of `frame` (synthetic rows included). */
  rows: Int32Array;
  /** Rows for early stopping (possibly none). */
  validationRows: Int32Array;
  /** Class indices (classification) or values (regression) of rows of `frame`. */
  targetsOf: (rows: Int32Array) => Int32Array | Float64Array;
  /** The run's arguments, with the candidate's parameters over them in a search. */
  args: TrainArgs;
  seed: number;
  /** Balanced class weights, when asked for and the task is classification. */
  classWeights: number[] | null;
  /** The learner stops at this time (ms since the epoch) with what it has grown; searches set it. */
  deadline: number | null;
  /** Progress label: set for folds, refits and members; null for the model's own fit. */
  label: string | null;
  /** The split's shares, recorded with the parameters. */
  validationFraction: number;
  testFraction: number;
}

/** A fitted model with the parameters it used and what its fit reports. */
export interface LearnerFit {
  model: SingleModel;
  /** The parameters the learner used (defaults filled in), for the registry. */
  params: Record<string, unknown>;
  /** Learner-specific report: features, ignored columns, trees or epochs, importance… */
  fitReport: Record<string, unknown>;
  workerCpuMs: number;
  /**
   * Boosting: the model's raw scores of its training rows (rows × outputs, in the order of the fit's rows), as the
   * fit left them; evaluating on the training rows reuses them instead of predicting every row again.
   */
  trainScores?: Float64Array;
}

/**
 * One learner. Prediction, ONNX export and the parity check go by the fitted model's format (model.ts), which
 * is what serving stores; the learner owns fitting, its search space and what the trainer asks of its fits.
 */
export interface Learner {
  fit(input: FitInput, host: LearnerHost): Promise<LearnerFit>;
  /** The values the search draws for each parameter; the order of the keys is the seeded sampler's. */
  searchGrid: Readonly<Record<string, readonly unknown[]>>;
  /**
   * The arguments with the learner's size-dependent defaults decided (boosting's early stopping), for a search whose
   * final fit trains on `runRows` rows (its training and validation rows). Every fit of the search, each fold's
   * included, gets the same answer: decided on the fold's own rows, a fold of 9,000 rows would score a model that
   * never stops early while the final fit on 12,000 stopped. A single learner asked for keeps its plain defaults.
   */
  decideDefaults(args: TrainArgs, runRows: number): TrainArgs;
  /** Whether, in cross-validation, a seeded tenth of each fold's training rows is held out for early stopping. */
  earlyStopsInSearch(args: TrainArgs): boolean;
  /** Balanced class weights change this learner's fit, so the imbalance comparison tries them. */
  takesClassWeights: boolean;
  /** The arguments that repeat a fit's early-stopped length without early stopping (for the refit on all rows). */
  fixedIterations(args: TrainArgs, fitReport: Record<string, unknown>): TrainArgs;
  /**
   * Mean |SHAP| per feature (exact), or null where the learner has none (it has permutation importance). `raw`
   * builds the rows' inputs, only when the learner explains.
   */
  shapSummary(model: SingleModel, raw: () => RawInputs): { feature: string; meanAbs: number }[] | null;
}
