import type { BackendName } from '../../workers/mlp/backend.js';
import type { Task } from '../models/preprocess.js';

export interface TrainArgs {
  dataset: string;
  datasetVersion?: number;
  target: string;
  task?: Task;
  /** auto: search the learners and their parameters by cross-validation within `timeBudget` seconds. */
  algorithm: Algorithm | 'auto';
  timeBudget?: number;
  /** How the search spends its budget: every candidate on all rows, or successive halving over row shares. */
  searchStrategy?: 'full' | 'halving';
  /** The metric the search optimises (default ROC AUC, log loss or RMSE by task). */
  metric?: 'roc_auc' | 'pr_auc' | 'accuracy' | 'precision' | 'recall' | 'f1' | 'log_loss' | 'rmse' | 'mae' | 'r2';
  model?: string;
  seed?: number;
  /** L2 penalty: on the weights (linear) or on the leaf values (gbdt). */
  l2?: number;
  maxIterations?: number;
  trees?: number;
  learningRate?: number;
  maxLeaves?: number;
  maxDepth?: number;
  minChildSamples?: number;
  minSplitGain?: number;
  l1?: number;
  rowSubsample?: number;
  colSubsample?: number;
  earlyStoppingRounds?: number;
  threads?: number;
  classWeight?: 'balanced';
  huberDelta?: number;
  featuresPerSplit?: number;
  /** MLP: units per hidden layer, the most epochs, rows per mini-batch, dropout rate, and a pinned tfjs back end. */
  hiddenLayers?: number[];
  epochs?: number;
  batchSize?: number;
  dropout?: number;
  backend?: BackendName;
  sampleFraction?: number;
  /** Classification: add synthetic minority rows (SMOTE) to the final fit's training rows. */
  resample?: 'smote';
  /**
   * Classification with algorithm auto: compare no treatment, balanced class weights and SMOTE (and, with a
   * threshold objective, a tuned threshold) by cross-validation and keep the best. "auto" always compares; by
   * default it compares when the rarest class is under 20% of the rows or a threshold objective is given.
   */
  imbalance?: 'auto' | 'none';
  /** Binary: tune the decision threshold for F1, or for the least total cost of errors. */
  threshold?: 'f1' | 'cost';
  falsePositiveCost?: number;
  falseNegativeCost?: number;
  /** Split by time: the earliest rows train and the latest test (a datetime or numeric column). */
  timeColumn?: string;
  /** Split by group: all rows of a group on one side (a categorical or integer column). */
  groupColumn?: string;
  /** k-fold cross-validation (stratified for classification) over the non-test rows before the final fit. */
  folds?: number;
  /** Shares of the labelled rows held out for early stopping and for the reported metrics (default 0.15 each). */
  validationFraction?: number;
  testFraction?: number;
}

/** The learners: each has one entry in `learners` (learners/index.ts), so a new one cannot be left unhandled. */
export type Algorithm = 'linear' | 'gbdt' | 'forest' | 'mlp';

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
  cv_metric: number;
  cv_std: number;
  /** The metric on each fold (absent for the ensemble, scored on the pooled out-of-fold predictions per fold). */
  cv_folds?: number[];
  fit_s: number;
}

/** Columns that are never features: the group column says which rows belong together, not what they are. */
export function excludedColumns(args: TrainArgs): string[] {
  return args.groupColumn === undefined ? [] : [args.groupColumn];
}
