import { z } from 'zod';
import { defineMethods, returns } from './method.js';
import { name, task, version } from './fields.js';
import type { ModelVersionInfo } from './models.js';
import { backendsOf } from './system.js';

/* training.*: training jobs; and models.retrain, a challenger trained on the newest data. */

/** training.start's arguments (a job keeps them as parsed). */
const trainingStartArgs = z
  .object({
    dataset: name,
    datasetVersion: version.optional(),
    target: z.string().min(1),
    task: task.optional(),
    /**
     * linear: linear / logistic regression with L2; gbdt: gradient-boosted trees; forest: random forest;
     * mlp: a neural net (TensorFlow.js); auto: search them all by cross-validation within timeBudget seconds.
     */
    algorithm: z.enum(['linear', 'gbdt', 'forest', 'mlp', 'auto']).default('linear'),
    /**
     * auto: seconds for the whole run (search, final fit, refit, evaluation, explanation, ONNX export, registration;
     * default 60). The search stops early enough for the rest, as projected from what its candidates cost.
     */
    timeBudget: z.number().min(1).max(86_400).optional(),
    /**
     * auto: the chosen model's single-row latency limit in microseconds (p50 of a few hundred one-row ONNX Runtime
     * calls); candidates over it are marked on the leaderboard and kept out of the choice.
     */
    maxLatencyUs: z.number().gt(0).max(60_000_000).optional(),
    /** auto: the chosen model's size limit in KB (1,024 bytes) of its serialized ONNX graph, preprocessing included. */
    maxSize: z.number().gt(0).max(16_777_216).optional(),
    /** auto: every candidate on all rows (full), or successive halving over row shares (default above 100,000 rows). */
    searchStrategy: z.enum(['full', 'halving']).optional(),
    metric: z.enum(['roc_auc', 'pr_auc', 'accuracy', 'precision', 'recall', 'f1', 'log_loss', 'rmse', 'mae', 'r2']).optional(),
    model: name.optional(),
    seed: z.number().int().min(0).optional(),
    l2: z.number().min(0).max(1e3).optional(),
    maxIterations: z.number().int().min(1).max(10_000).optional(),
    trees: z.number().int().min(1).max(10_000).optional(),
    learningRate: z.number().gt(0).max(1).optional(),
    maxLeaves: z.number().int().min(2).max(4096).optional(),
    maxDepth: z.number().int().min(0).max(64).optional(),
    minChildSamples: z.number().int().min(1).optional(),
    minSplitGain: z.number().min(0).optional(),
    l1: z.number().min(0).optional(),
    rowSubsample: z.number().gt(0).max(1).optional(),
    colSubsample: z.number().gt(0).max(1).optional(),
    earlyStoppingRounds: z.number().int().min(0).optional(),
    threads: z.number().int().min(1).max(64).optional(),
    classWeight: z.enum(['balanced']).optional(),
    huberDelta: z.number().gt(0).optional(),
    featuresPerSplit: z.number().int().min(1).optional(),
    /** gbdt, categorical columns: levels with fewer training rows share one "other" level (default 10). */
    minCategoryRows: z.number().int().min(0).max(1_000_000).optional(),
    /** gbdt: smoothing of a category's mean gradient, and the fewest rows a category needs in a node (default 10). */
    catSmooth: z.number().min(0).max(1e6).optional(),
    /** gbdt: extra L2 on the two sides of a many-category split (default 10). */
    catL2: z.number().min(0).max(1e6).optional(),
    /** gbdt: the most categories on the smaller side of a split (default 32). */
    maxCatThreshold: z.number().int().min(1).max(255).optional(),
    /** gbdt: the fewest rows per step of a categorical split's scan, and on its other side (default 100). */
    minDataPerGroup: z.number().int().min(0).max(1_000_000).optional(),
    /** gbdt: with at most this many categories in a node, one category against the rest (default 4). */
    maxCatToOnehot: z.number().int().min(0).max(255).optional(),
    /** MLP: units per hidden layer (default [64, 32]). */
    hiddenLayers: z.array(z.number().int().min(1).max(4096)).min(1).max(8).optional(),
    epochs: z.number().int().min(1).max(10_000).optional(),
    batchSize: z.number().int().min(1).max(65_536).optional(),
    dropout: z.number().min(0).lt(1).optional(),
    /** MLP: pin a TensorFlow.js back end instead of the first that loads (tensorflow-gpu, tensorflow, wasm, cpu). */
    backend: z.enum(backendsOf.tfjs).optional(),
    folds: z.number().int().min(2).max(20).optional(),
    /**
     * auto: compare no treatment, balanced class weights and SMOTE (and a tuned threshold, with a threshold objective)
     * by cross-validation and keep the best; by default compared when the rarest class is under 20% of the rows.
     */
    imbalance: z.enum(['auto', 'none']).optional(),
    /** Binary: tune the decision threshold on the validation rows for F1, or for the least cost of errors. */
    threshold: z.enum(['f1', 'cost']).optional(),
    /** Classification: SMOTE synthetic minority rows added to the training side of every fit (each fold's own). */
    resample: z.enum(['smote']).optional(),
    /**
     * Classification with algorithm auto: calibrate the chosen model's probabilities on its out-of-fold predictions,
     * with Platt scaling or isotonic regression (binary) or a temperature (multiclass); auto (the default) picks the
     * method, or none, with the lowest cross-validated log loss.
     */
    calibration: z.enum(['auto', 'none', 'platt', 'isotonic', 'temperature']).optional(),
    falsePositiveCost: z.number().min(0).optional(),
    falseNegativeCost: z.number().min(0).optional(),
    /** Split by time on this datetime or numeric column: train on the past, test on the future. */
    timeColumn: z.string().min(1).optional(),
    /** Split by group on this column: a group's rows stay on one side (and the column is not a feature). */
    groupColumn: z.string().min(1).optional(),
    validationFraction: z.number().min(0).max(0.5).optional(),
    testFraction: z.number().min(0).max(0.5).optional(),
    sampleFraction: z.number().gt(0).max(1).optional(),
  })
  .strict();

/** Live state of a training job. */
export interface TrainingProgress {
  jobId: string;
  iteration: number;
  maxIterations: number;
  loss: number;
  validationLoss: number | null;
  fraction: number;
  phase: string;
}

/** One phase of a training run on the wall clock: when it started (seconds after the run) and how long it took. */
export interface BudgetPhase {
  phase: string;
  startSeconds: number;
  seconds: number;
  /** Its share of the time budget (of the wall time when the run had none). */
  share: number;
}

/**
 * A run's wall time against its time budget (algorithm "auto"; a single learner has none and runs to the end):
 * each phase, what the plan reserved after the search, and the decisions the budget forced.
 */
export interface BudgetReport {
  budgetSeconds: number | null;
  wallSeconds: number;
  withinBudget: boolean | null;
  phases: BudgetPhase[];
  /** The plan: when the search had to stop, and the phases after it as projected from the search's measured costs. */
  plan: {
    searchDeadlineSeconds: number;
    projectedFinalFitSeconds: number;
    projectedRefitSeconds: number;
    projectedAfterFitSeconds: number;
    /** When the final fit had to stop (seconds after the run started), once it began. */
    finalFitDeadlineSeconds?: number;
  } | null;
  notes: string[];
}

/** A training job and, once finished, its outcome. */
export interface TrainingJob {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  args: z.output<typeof trainingStartArgs>;
  createdAt: string;
  finishedAt: string | null;
  progress: TrainingProgress | null;
  history: { iteration: number; loss: number; validationLoss: number | null }[];
  result: {
    model: string;
    version: number;
    metrics: Record<string, number>;
    durationMs: number;
    /** Wall time, budget and phases (absent from runs recorded before it was kept). */
    budget?: BudgetReport;
  } | null;
  error: { code: string; message: string; details?: unknown } | null;
}

/** The retraining gate's paired test of challenger against production on the same holdout rows. */
export interface RetrainTest {
  /** delong for ROC AUC; paired bootstrap of the metric's difference otherwise. */
  method: 'delong' | 'paired-bootstrap';
  /** Challenger minus production (for rmse, production minus challenger: positive is better either way). */
  improvement: number;
  /** One-sided p-value that the challenger is better. */
  p: number;
  alpha: number;
}

/** A retraining: the challenger against production on the challenger's holdout, and whether it was promoted. */
export interface RetrainResult {
  model: string;
  metric: string;
  holdoutRows: number;
  dataset: ModelVersionInfo['dataset'];
  /** score is null when production cannot be scored on the new data (a class it never saw). */
  production: { version: number; score: number | null };
  challenger: { version: number; score: number };
  /** The smallest holdout the gate decides on: rows, and rows of each class for classification. */
  minimumHoldout: { rows: number; perClass: number | null };
  /** null when no test ran (holdout too small, or production not comparable). */
  test: RetrainTest | null;
  promoted: boolean;
  /** Why it was or was not promoted, with the figures. */
  reason: string;
}

export const trainingMethods = defineMethods({
  'training.start': {
    doc: 'Starts a training job on a dataset version; the job reports progress as events.',
    permission: 'write',
    args: trainingStartArgs,
    result: returns<TrainingJob>(),
  },
  'training.get': {
    doc: 'One training job.',
    permission: 'read',
    args: z.object({ jobId: z.string().uuid() }).strict(),
    result: returns<TrainingJob>(),
  },
  'training.list': {
    doc: 'Every training job.',
    permission: 'read',
    args: z.object({}).strict(),
    result: returns<TrainingJob[]>(),
  },
  'training.cancel': {
    doc: 'Cancels a queued or running training job.',
    permission: 'write',
    args: z.object({ jobId: z.string().uuid() }).strict(),
    result: returns<TrainingJob>(),
  },
  'models.retrain': {
    doc: "Trains a challenger with production's settings on the newest data; promotes it only if better on its holdout.",
    permission: 'write',
    args: z.object({ name, promote: z.boolean().optional() }).strict(),
    result: returns<RetrainResult>(),
  },
});
