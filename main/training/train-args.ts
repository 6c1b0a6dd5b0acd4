import type { ApiParsedArgs } from '../contracts/api.js';

/**
 * training.start's arguments as the contract parses them (main/contracts/training.ts): one list of learners, options
 * and bounds, the contract's, so a learner or option added there is one the engine's types know.
 */
export type TrainArgs = ApiParsedArgs<'training.start'>;

/** The learners: each has one entry in `learners` (learners/index.ts), so a new one cannot be left unhandled. */
export type Algorithm = Exclude<TrainArgs['algorithm'], 'auto'>;

/** One search candidate: a learner and the parameters that differ from the run's arguments. */
export type Candidate = Partial<TrainArgs> & { algorithm: Algorithm };

/** A leaderboard entry's parameters: a single learner's, or an ensemble's members with their weights. */
export type EntryParams =
  Candidate | { algorithm: 'ensemble'; members: { algorithm: Algorithm; params: Candidate; weight: number }[] };

export function isSingle(params: EntryParams): params is Candidate {
  return params.algorithm !== 'ensemble';
}

/** One searched candidate: its learner and parameters, and its cross-validated score. */
export interface LeaderboardEntry {
  /** The order in which the search scored it (the ensemble comes after every trial). */
  trial: number;
  algorithm: string;
  params: EntryParams;
  cvMetric: number;
  cvStd: number;
  /**
   * Log loss after cross-fitted calibration (each fold calibrated by the others, as the served model is): present
   * when the search ranks by log loss and may calibrate, for the candidates whose out-of-fold predictions it kept.
   */
  cvCalibrated?: number;
  /** The metric on each fold (absent for the ensemble, scored on the pooled out-of-fold predictions per fold). */
  cv_folds?: number[];
  fitSeconds: number;
  /** Serialized ONNX bytes of the candidate's last fold model (search-limits.ts); absent when not measured. */
  modelBytes?: number;
  /** Single-row p50 latency of that model through ONNX Runtime, in µs; absent when not measured. */
  latencyUs?: number;
  /** With limits: the limits it breaks (empty: within them); absent when not measured or without limits. */
  overLimit?: ('size' | 'latency')[];
}

/** Columns that are never features: the group column says which rows belong together, not what they are. */
export function excludedColumns(args: TrainArgs): string[] {
  return args.groupColumn === undefined ? [] : [args.groupColumn];
}

/** A candidate's identity: its parameters in a fixed key order (the defaults' candidate has none but the learner). */
export function candidateKey(candidate: Candidate): string {
  return JSON.stringify(candidate, Object.keys(candidate).sort());
}
