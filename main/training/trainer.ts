import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { ModelVersionInfo, TrainingProgress } from '../contracts/api.js';
import { HearthError, serializeError, type SerializedError } from '../contracts/errors.js';

import type { DatasetStore } from '../data/datasets.js';
import { assertName } from '../data/datasets.js';
import { selectRows, type Frame } from '../data/frame.js';
import type { ModelRegistry } from '../registry/registry.js';
import { createSession } from '../serving/onnx-runtime.js';
import { Predictor } from '../serving/predictor.js';
import { nowIso, type Db } from '../store/database.js';
import type { WorkerReply, WorkerRequest } from '../../workers/protocol.js';
import { linearShapSummary, type LinearModel, type PredictionMatrix } from './linear-model.js';
import { binCount, binFrameRows, fitBins, type FeatureBins } from './binning.js';
import { exportModelToOnnx, modelInputs, onnxInputSchema, predictModel, type TrainedModel } from './model.js';
import { treeFeaturesFromBins, treeFromGrown, treeImportance, type TreeModel } from './tree-model.js';
import type { BoostParams } from '../../workers/gbdt/boost.js';
import type { GrownTree } from '../../workers/gbdt/tree.js';
import type { ForestParams } from '../../workers/gbdt/forest.js';
import { availableParallelism } from 'node:os';
import {
  bestThreshold,
  binaryMetrics,
  calibrationBins,
  meanAndStd,
  precisionRecallCurve,
  multiclassMetrics,
  regressionMetrics,
  rocAuc,
  rocCurve,
} from './metrics.js';
import { designFromFrame, fitPreprocessor, rawInputsFromFrame, type RawInputs, type Task } from './preprocess.js';
import { seededRandom, shuffleInPlace } from './random.js';
import { dataChecks } from './checks.js';
import { smote } from './smote.js';
import { shapSummary } from './treeshap.js';
import { blendPredictions } from './ensemble-model.js';
import { selectEnsemble, takePrediction } from './ensemble-selection.js';
import { crossFittedThresholdScores, scatterPrediction, thresholdObjective } from './imbalance.js';
import { modelAlgorithm, type EnsembleModel, type SingleModel } from './ensemble-model.js';
import type { BackendName } from '../../workers/mlp/backend.js';
import { readPins } from '../accel/pins.js';
import type { MlpParams } from '../../workers/mlp/fit-mlp.js';
import { foldPairs, splitByScheme, type FoldPair, type SplitScheme } from './split.js';

export interface TrainArgs {
  dataset: string;
  datasetVersion?: number;
  target: string;
  task?: Task;
  /** auto: search the learners and their parameters by cross-validation within `timeBudget` seconds. */
  algorithm: 'linear' | 'gbdt' | 'forest' | 'mlp' | 'auto';
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

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface TrainingJob {
  id: string;
  status: JobStatus;
  args: TrainArgs;
  createdAt: string;
  finishedAt: string | null;
  progress: TrainingProgress | null;
  history: { iteration: number; loss: number; validationLoss: number | null }[];
  result: { model: string; version: number; metrics: Record<string, number>; durationMs: number } | null;
  error: SerializedError | null;
}

export interface TrainerEvents {
  progress(p: TrainingProgress): void;
  /** A search candidate was scored (algorithm "auto"). */
  trial?(t: { jobId: string; trial: number; algorithm: string; metric: string; value: number }): void;
  finished(job: TrainingJob): void;
}

const maxClasses = 100;

/** Trains models in worker threads, one job at a time per engine, and registers what succeeds. */
export class Trainer {
  private readonly jobs = new Map<string, TrainingJob>();
  private readonly cancels = new Map<string, Int32Array>();
  private queue: Promise<void> = Promise.resolve();
  private seq = 0;

  constructor(
    private readonly db: Db,
    private readonly datasets: DatasetStore,
    private readonly registry: ModelRegistry,
    private readonly events: TrainerEvents,
    private readonly version: string,
  ) {
    // Jobs that were running when the process stopped cannot resume; record that honestly.
    db.prepare(`UPDATE jobs SET status = 'failed', finished_at = ?, error_json = ? WHERE status IN ('queued', 'running')`).run(
      nowIso(),
      JSON.stringify({ code: 'CANCELLED', message: 'Hearth stopped while this job was running' }),
    );
  }

  /** Validates the arguments now (so mistakes fail fast) and queues the job. */
  start(args: TrainArgs): TrainingJob {
    if (args.model !== undefined) assertName('model', args.model);
    const { frame } = this.datasets.loadFrame(args.dataset, args.datasetVersion);
    const target = frame.columns.find((c) => c.name === args.target);
    if (target === undefined) {
      throw new HearthError('VALIDATION_FAILED', `dataset "${args.dataset}" has no column "${args.target}"`, {
        columns: frame.columns.map((c) => c.name),
      });
    }
    const task = inferTask(frame, args.target, args.task);
    splitScheme(frame, args, undefined); // checks the time or group column now, before the job is queued
    if (args.metric !== undefined && !metricsOf(task).includes(args.metric)) {
      throw new HearthError(
        'VALIDATION_FAILED',
        `metric "${args.metric}" does not apply to ${task}; use one of ${metricsOf(task).join(', ')}`,
      );
    }
    const job: TrainingJob = {
      id: randomUUID(),
      status: 'queued',
      args,
      createdAt: nowIso(),
      finishedAt: null,
      progress: null,
      history: [],
      result: null,
      error: null,
    };
    this.jobs.set(job.id, job);
    this.cancels.set(job.id, new Int32Array(new SharedArrayBuffer(4)));
    this.db
      .prepare('INSERT INTO jobs (id, kind, status, args_json, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(job.id, 'train', job.status, JSON.stringify(args), job.createdAt);
    this.queue = this.queue.then(() => this.run(job));
    return job;
  }

  get(id: string): TrainingJob {
    const job = this.jobs.get(id);
    if (job !== undefined) return job;
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as
      | {
          id: string;
          status: JobStatus;
          args_json: string;
          result_json: string | null;
          error_json: string | null;
          created_at: string;
          finished_at: string | null;
        }
      | undefined;
    if (row === undefined) throw new HearthError('NOT_FOUND', `no job ${id}`);
    return {
      id: row.id,
      status: row.status,
      args: JSON.parse(row.args_json) as TrainArgs,
      createdAt: row.created_at,
      finishedAt: row.finished_at,
      progress: null,
      history: [],
      result: row.result_json === null ? null : (JSON.parse(row.result_json) as TrainingJob['result']),
      error: row.error_json === null ? null : (JSON.parse(row.error_json) as SerializedError),
    };
  }

  list(): TrainingJob[] {
    const ids = this.db.prepare('SELECT id FROM jobs ORDER BY created_at DESC LIMIT 100').all() as { id: string }[];
    return ids.map((r) => this.get(r.id));
  }

  cancel(id: string): TrainingJob {
    const job = this.get(id);
    if (job.status === 'queued' || job.status === 'running') {
      const flag = this.cancels.get(id);
      if (flag !== undefined) Atomics.store(flag, 0, 1);
    }
    return job;
  }

  /** Resolves when the job has finished, whatever its outcome. */
  async wait(id: string): Promise<TrainingJob> {
    for (;;) {
      const job = this.get(id);
      if (job.status !== 'queued' && job.status !== 'running') return job;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private async run(job: TrainingJob): Promise<void> {
    const cancel = this.cancels.get(job.id)!;
    const started = Date.now();
    try {
      if (Atomics.load(cancel, 0) === 1) throw new HearthError('CANCELLED', 'training was cancelled');
      job.status = 'running';
      this.db.prepare('UPDATE jobs SET status = ? WHERE id = ?').run('running', job.id);
      const registered = await this.train(job, cancel, started);
      job.status = 'succeeded';
      job.result = {
        model: registered.model,
        version: registered.version,
        metrics: registered.metrics,
        durationMs: Date.now() - started,
      };
    } catch (error) {
      job.error = serializeError(error);
      job.status = job.error.code === 'CANCELLED' ? 'cancelled' : 'failed';
    }
    job.finishedAt = nowIso();
    this.db
      .prepare('UPDATE jobs SET status = ?, result_json = ?, error_json = ?, finished_at = ? WHERE id = ?')
      .run(job.status, job.result && JSON.stringify(job.result), job.error && JSON.stringify(job.error), job.finishedAt, job.id);
    this.cancels.delete(job.id);
    this.events.finished(job);
  }

  private async train(job: TrainingJob, cancel: Int32Array, started: number): Promise<ModelVersionInfo> {
    const args = job.args;
    const { frame, info } = this.datasets.loadFrame(args.dataset, args.datasetVersion);
    const { task, seed, classes, classOf, values, labelled, scheme, split } = labelledSplit(frame, args);
    const validationFraction = args.validationFraction ?? 0.15;
    const testFraction = args.testFraction ?? 0.15;
    if (split.train.length < 2) {
      throw new HearthError('VALIDATION_FAILED', `too few labelled rows to train (${labelled.length})`);
    }
    const targetsOf = (rows: Int32Array): Int32Array | Float64Array => {
      const classes = classOf;
      return classes === undefined ? Float64Array.from(rows, (r) => values![r]!) : Int32Array.from(rows, (r) => classes[r]!);
    };

    if (args.resample === 'smote' && classOf === undefined)
      throw new HearthError('VALIDATION_FAILED', 'SMOTE needs a classification target');

    // Fits the chosen learner on some rows (with optional validation rows for early stopping): used for the
    // model itself and for each cross-validation fold.
    const fit = async (
      trainRows: Int32Array,
      validationRows: Int32Array,
      label: string | null,
      a: TrainArgs = args,
      /** The learner stops at this time (ms since the epoch) with what it has grown; searches set it. */
      deadline: number | null = null,
    ): Promise<{
      model: SingleModel;
      params: Record<string, unknown>;
      fitReport: Record<string, unknown>;
      workerCpuMs: number;
    }> => {
      // SMOTE, when asked: synthetic minority rows appended to a copy of the frame, for this fit's training rows
      // only (so inside cross-validation each fold resamples its own training side).
      let fitFrame: Frame = frame;
      let fitClassOf = classOf;
      let fitRows = trainRows;
      let resampling: Record<string, unknown> | null = null;
      if (a.resample === 'smote' && classOf !== undefined && classes !== null) {
        const augmented = smote(frame, trainRows, classOf, classes.length, a.target, seed);
        fitFrame = augmented.frame;
        fitClassOf = augmented.classOf;
        fitRows = Int32Array.from([...trainRows, ...augmented.synthetic]);
        resampling = { method: 'smote', added: Object.fromEntries(classes.map((c, i) => [c, augmented.added[i]!])) };
      }
      const targetsIn = (rows: Int32Array): Int32Array | Float64Array => {
        const labels = fitClassOf;
        return labels === undefined ? Float64Array.from(rows, (r) => values![r]!) : Int32Array.from(rows, (r) => labels[r]!);
      };
      const classWeights =
        a.classWeight === 'balanced' && classes !== null
          ? balancedWeights(targetsIn(fitRows) as Int32Array, classes.length)
          : null;
      let model: SingleModel;
      let params: Record<string, unknown>;
      let fitReport: Record<string, unknown>;
      let workerCpuMs: number;
      // What both tree learners take: the training rows binned into a shared matrix, and their targets.
      const binnedTraining = (bins: FeatureBins[]) => ({
        task,
        classes: classes?.length ?? 0,
        bins: binFrameRows(bins, fitFrame, fitRows, true),
        F: bins.length,
        binCounts: bins.map(binCount),
        categorical: bins.map((b) => b.kind === 'categorical'),
        targets: targetsIn(fitRows),
      });
      const treeModel = (
        algorithm: 'gbdt' | 'forest',
        bins: FeatureBins[],
        fit: { trees: GrownTree[]; treeOutputs: number[] },
        baseScore: number[],
        outputs: number,
      ): TreeModel => ({
        format: 'hearth.trees/1',
        algorithm,
        task,
        target: a.target,
        classes,
        features: treeFeaturesFromBins(bins),
        trees: fit.trees.map((t) => treeFromGrown(t, bins)),
        treeOutputs: fit.treeOutputs,
        baseScore,
        outputs,
        aggregation: algorithm === 'gbdt' ? 'sum' : 'average',
      });
      if (a.algorithm === 'forest') {
        const { features: bins, ignored } = fitBins(fitFrame, fitRows, a.target, seed, excludedColumns(a));
        const forest: ForestParams = {
          trees: a.trees ?? 100,
          maxLeaves: a.maxLeaves ?? 1024,
          maxDepth: a.maxDepth ?? 0,
          minChildSamples: a.minChildSamples ?? 2,
          featuresPerSplit: a.featuresPerSplit ?? 0,
          sampleFraction: a.sampleFraction ?? 1,
          seed,
          threads: a.threads ?? Math.min(4, availableParallelism()),
          deadline,
        };
        const training = binnedTraining(bins);
        const reply = await this.runWorker(
          { seq: ++this.seq, type: 'fit-forest', ...training, params: forest, cancel: cancel.buffer as SharedArrayBuffer },
          job,
          label,
        );
        if (reply.type !== 'forest') throw new HearthError('INTERNAL', 'unexpected worker reply');
        const fit = reply.result;
        model = treeModel('forest', bins, fit, new Array<number>(fit.outputs).fill(0), fit.outputs);
        const { seed: _seed, threads: _threads, deadline: _forestDeadline, ...reported } = forest;
        params = { ...reported, seed, validationFraction, testFraction };
        fitReport = {
          ignoredColumns: ignored,
          trees: model.trees.length,
          oobScore: outOfBagScore(task, fit.oob, training.targets, fit.outputs),
          importance: treeImportance(model),
          features: model.features.map((f) => ({ name: f.name, kind: f.kind })),
        };
        workerCpuMs = reply.cpuMs;
      } else if (a.algorithm === 'gbdt') {
        const { features: bins, ignored } = fitBins(fitFrame, fitRows, a.target, seed, excludedColumns(a));
        const boost: BoostParams = {
          trees: a.trees ?? 100,
          learningRate: a.learningRate ?? 0.1,
          maxLeaves: a.maxLeaves ?? 31,
          maxDepth: a.maxDepth ?? 0,
          minChildSamples: a.minChildSamples ?? 20,
          minChildWeight: 1e-3,
          minSplitGain: a.minSplitGain ?? 0,
          l1: a.l1 ?? 0,
          // XGBoost's default: keeps leaf values finite where hessians are tiny (rare classes, confident rows).
          l2: a.l2 ?? 1,
          catSmooth: 10,
          rowSubsample: a.rowSubsample ?? 1,
          colSubsample: a.colSubsample ?? 1,
          earlyStoppingRounds: a.earlyStoppingRounds ?? 20,
          seed,
          threads: a.threads ?? Math.min(4, availableParallelism()),
          classWeights,
          huberDelta: a.huberDelta ?? null,
          deadline,
        };
        const validation =
          validationRows.length > 0
            ? { bins: binFrameRows(bins, fitFrame, validationRows), targets: targetsIn(validationRows) }
            : null;
        const reply = await this.runWorker(
          {
            seq: ++this.seq,
            type: 'fit-gbdt',
            ...binnedTraining(bins),
            validation,
            params: boost,
            cancel: cancel.buffer as SharedArrayBuffer,
          },
          job,
          label,
        );
        if (reply.type !== 'trees') throw new HearthError('INTERNAL', 'unexpected worker reply');
        const fit = reply.result;
        model = treeModel('gbdt', bins, fit, fit.baseScore, task === 'multiclass' ? classes!.length : 1);
        const { seed: _seed, threads: _threads, deadline: _boostDeadline, ...reported } = boost;
        params = { ...reported, seed, classWeight: a.classWeight ?? null, validationFraction, testFraction };
        fitReport = {
          ignoredColumns: ignored,
          trees: model.trees.length,
          rounds: fit.rounds,
          bestRound: fit.bestRound,
          importance: treeImportance(model),
          features: model.features.map((f) => ({ name: f.name, kind: f.kind })),
        };
        workerCpuMs = reply.cpuMs;
      } else if (a.algorithm === 'mlp') {
        const prep = fitPreprocessor(fitFrame, fitRows, a.target, excludedColumns(a));
        const mlp: MlpParams = {
          hiddenLayers: a.hiddenLayers ?? [64, 32],
          learningRate: a.learningRate ?? 1e-3,
          epochs: a.epochs ?? 100,
          // Null: the worker sizes batches for the back end it selects (larger on a GPU).
          batchSize: a.batchSize ?? null,
          l2: a.l2 ?? 1e-5,
          dropout: a.dropout ?? 0,
          // earlyStoppingRounds 0: a fixed number of epochs on all the rows given (the refit after a search).
          patience: a.earlyStoppingRounds === 0 ? Number.POSITIVE_INFINITY : (a.earlyStoppingRounds ?? 10),
          seed,
          classWeights,
          deadline,
        };
        const reply = await this.runWorker(
          {
            seq: ++this.seq,
            type: 'fit-mlp',
            task,
            classes: classes?.length ?? 0,
            train: designFromFrame(prep, fitFrame, fitRows),
            trainTargets: targetsIn(fitRows),
            validation: validationRows.length > 0 ? designFromFrame(prep, fitFrame, validationRows) : null,
            validationTargets: validationRows.length > 0 ? targetsIn(validationRows) : null,
            params: mlp,
            backend: a.backend ?? null,
            preferredBackend: readPins(this.db).tfjs as BackendName | null,
            cancel: cancel.buffer as SharedArrayBuffer,
          },
          job,
          label,
        );
        if (reply.type !== 'mlp') throw new HearthError('INTERNAL', 'unexpected worker reply');
        model = {
          format: 'hearth.mlp/1',
          task,
          target: a.target,
          classes,
          preprocessor: prep,
          layers: reply.result.layers.map((layer) => ({
            inputs: layer.inputs,
            outputs: layer.outputs,
            weights: Array.from(layer.weights),
            bias: Array.from(layer.bias),
            activation: layer.activation,
          })),
          backend: reply.backend.name,
        };
        const { seed: _seed, classWeights: _weights, deadline: _deadline, ...reported } = mlp;
        params = {
          ...reported,
          batchSize: reply.result.batchSize,
          seed,
          classWeight: a.classWeight ?? null,
          validationFraction,
          testFraction,
        };
        fitReport = {
          backend: reply.backend,
          epochs: reply.result.epochs,
          bestEpoch: reply.result.bestEpoch,
          ignoredColumns: prep.ignored,
          features: prep.features.map((f) => ({ name: f.name, kind: f.kind })),
        };
        workerCpuMs = reply.cpuMs;
      } else {
        const l2 = a.l2 ?? 1e-4;
        const maxIterations = a.maxIterations ?? 300;
        const prep = fitPreprocessor(fitFrame, fitRows, a.target, excludedColumns(a));
        const trainDesign = designFromFrame(prep, fitFrame, fitRows);
        const validationDesign = designFromFrame(prep, fitFrame, validationRows);
        const reply = await this.runWorker(
          {
            seq: ++this.seq,
            type: 'fit-linear',
            task,
            classes: classes?.length ?? 0,
            l2,
            maxIterations,
            train: trainDesign,
            trainTargets: targetsIn(fitRows),
            validation: validationDesign,
            validationTargets: targetsIn(validationRows),
            cancel: cancel.buffer as SharedArrayBuffer,
          },
          job,
          label,
        );
        if (reply.type !== 'result') throw new HearthError('INTERNAL', 'unexpected worker reply');
        const linear: LinearModel = {
          format: 'hearth.linear/1',
          task,
          target: a.target,
          classes,
          preprocessor: prep,
          outputs: reply.outputs,
          dimension: trainDesign.dimension,
          weights: Array.from(reply.weights),
          intercepts: Array.from(reply.intercepts),
        };
        model = linear;
        params = { l2, maxIterations, seed, validationFraction, testFraction };
        fitReport = {
          iterations: reply.iterations,
          converged: reply.converged,
          ignoredColumns: prep.ignored,
          features: prep.features.map((f) => ({ name: f.name, kind: f.kind })),
          coefficients: topCoefficients(linear),
        };
        workerCpuMs = reply.cpuMs;
      }
      fitReport.resampling = resampling;
      return { model, params, fitReport, workerCpuMs };
    };

    // With algorithm "auto": random search over learners and parameters, each candidate scored by k-fold
    // cross-validation on the non-test rows, until the time budget is spent; the best is refitted below.
    let chosen: TrainArgs = args;
    let ensembleMembers: { candidate: Candidate; weight: number }[] | null = null;
    let imbalanceReport: Record<string, unknown> | null = null;
    // Without a search, a threshold objective means tuning; the search may find that the default threshold wins.
    let tuneThreshold = args.threshold !== undefined;
    let leaderboard: LeaderboardEntry[] | null = null;
    let searchReport: Record<string, unknown> | null = null;
    if (args.algorithm === 'auto') {
      const metric = args.metric ?? defaultMetric(task);
      const higherIsBetter = !lowerIsBetter.has(metric);
      const budgetMs = (args.timeBudget ?? 60) * 1000;
      const pool = Int32Array.from([...split.train, ...split.validation]).sort();
      const folds = foldPairs(pool, args.folds ?? 3, seed, scheme);
      if (folds.length === 0) throw new HearthError('VALIDATION_FAILED', 'too few groups for the requested folds');
      // Out-of-fold predictions are kept pool-aligned: row pool[i] at index i, predicted by the fold that held it out.
      const poolIndex = new Int32Array(frame.rowCount).fill(-1);
      pool.forEach((r, i) => (poolIndex[r] = i));
      const foldIndices = folds.map((f) => Int32Array.from(f.heldOut, (r) => poolIndex[r]!));
      const foldTargets = folds.map((f) => targetsOf(f.heldOut));
      /** Per-fold values of a metric (higher or lower is better as the metric says) over out-of-fold predictions. */
      const foldValues = (oof: PredictionMatrix, name: string = metric): number[] =>
        foldIndices.map(
          (rows, k) => evaluate(task, takePrediction(oof, rows), foldTargets[k]!, classes, 0.5, false).metrics[name]!,
        );
      const searchStarted = Date.now();
      const board: LeaderboardEntry[] = [];
      leaderboard = board;
      let trial = 0;
      const scored: { candidate: Candidate; score: number }[] = [];
      const sampler = searchSpace(seed, scored, higherIsBetter);
      const better = (a: number, b: number): number => (higherIsBetter ? b - a : a - b);
      // The best few candidates' out-of-fold predictions, for ensemble selection.
      const keptOutOfFold: { candidate: Candidate; score: number; oof: PredictionMatrix }[] = [];
      const keepOutOfFold = (candidate: Candidate, score: number, oof: PredictionMatrix): void => {
        keptOutOfFold.push({ candidate, score, oof });
        keptOutOfFold.sort((a, b) => better(a.score, b.score));
        keptOutOfFold.length = Math.min(keptOutOfFold.length, 8);
      };
      // Cross-validates one candidate on the given folds; returns the metric's mean and spread, and on the full
      // folds the out-of-fold predictions.
      const crossValidate = async (
        candidate: Candidate,
        pairs: FoldPair[],
        tag: string,
        /** Halving's last rung: scored without a deadline. */
        promoted = false,
      ): Promise<{ mean: number; std: number; folds: number[]; oof: PredictionMatrix | null }> => {
        const full = pairs === folds;
        const perFold: number[] = [];
        let oof: PredictionMatrix | null = null;
        for (let k = 0; k < pairs.length; k++) {
          const { train: rest, heldOut } = pairs[k]!;
          // Boosting stops early on a seeded tenth of the fold's training rows, as the final fit stops on the
          // validation rows: without it, the folds would score a model the final fit never makes.
          const { kept, held } =
            candidate.algorithm === 'gbdt' ? holdOut(rest, 0.1, seed + k) : { kept: rest, held: new Int32Array(0) };
          // No candidate gets more than 15% of the budget, so one slow candidate (a big MLP, a deep forest) cannot
          // spend the search: it stops where it got, which can only understate it. Each fold also gets at most an
          // equal share of what is left, except on halving's full rows, where the finalists get their whole 15%.
          const cap = (0.15 * budgetMs) / pairs.length;
          const share = promoted ? cap : Math.min((searchStarted + budgetMs - Date.now()) / (pairs.length - k), cap);
          const deadline = Date.now() + Math.max(1000, share);
          const { model: foldModel } = await fit(
            kept,
            held,
            `${tag}, fold ${k + 1}/${pairs.length}`,
            { ...args, ...candidate },
            deadline,
          );
          const prediction = predictModel(
            foldModel,
            rawInputsFromFrame({ features: modelInputs(foldModel) }, selectRows(frame, heldOut)),
          );
          const value = evaluate(task, prediction, targetsOf(heldOut), classes, 0.5, false).metrics[metric];
          if (value === undefined)
            throw new HearthError('VALIDATION_FAILED', `metric "${metric}" does not apply to ${task} models`);
          perFold.push(value);
          if (full) oof = scatterPrediction(oof, prediction, foldIndices[k]!, pool.length);
        }
        return { ...meanAndStd(perFold), folds: perFold, oof };
      };
      const record = (
        candidate: Candidate,
        result: { mean: number; std: number; folds?: number[]; oof: PredictionMatrix | null },
        started: number,
      ): void => {
        scored.push({ candidate, score: result.mean });
        board.push({
          trial,
          algorithm: candidate.algorithm,
          params: candidate,
          cv_metric: result.mean,
          cv_std: result.std,
          ...(result.folds === undefined ? {} : { cv_folds: result.folds }),
          fit_s: (Date.now() - started) / 1000,
        });
        if (result.oof !== null) keepOutOfFold(candidate, result.mean, result.oof);
        this.events.trial?.({ jobId: job.id, trial, algorithm: candidate.algorithm, metric, value: result.mean });
      };
      // Classification with a rare class (under 20% of the rows), or when asked: after the search, the best
      // candidate is cross-validated again with class weights and with SMOTE, so a share of the budget is kept.
      // The share of the rarest class present among the rows searched.
      const classCounts = new Array<number>(classes?.length ?? 0).fill(0);
      if (classOf !== undefined) for (const r of pool) classCounts[classOf[r]!]!++;
      const rarest = classes === null ? 1 : Math.min(...classCounts.filter((c) => c > 0)) / pool.length;
      const compareImbalance =
        classes !== null &&
        args.imbalance !== 'none' &&
        (args.imbalance === 'auto' || rarest < 0.2 || args.threshold !== undefined);
      let objectiveDecided = false;
      const searchMs = compareImbalance ? budgetMs * 0.7 : budgetMs;
      // Each learner's defaults are tried whatever the budget, so every search compares all four learners.
      const outOfTime = (): boolean => trial >= 4 && Date.now() - searchStarted > searchMs;
      // On large tables a single full cross-validation can eat most of a budget: halve by default there.
      const strategy = args.searchStrategy ?? (pool.length > 100_000 ? 'halving' : 'full');
      while (!outOfTime() && trial < 200) {
        if (Atomics.load(cancel, 0) === 1) throw new HearthError('CANCELLED', 'training was cancelled');
        if (strategy === 'full') {
          const candidate = sampler.next().value as Candidate;
          trial++;
          const started = Date.now();
          record(candidate, await crossValidate(candidate, folds, `trial ${trial}`), started);
          continue;
        }
        // Successive halving (Jamieson & Talwalkar, 2016): nine candidates on a quarter of the rows, the best third
        // on half, the best one on all of them; only full-data scores enter the leaderboard and guide the sampler.
        let rung = Array.from({ length: 9 }, () => sampler.next().value as Candidate);
        const random = seededRandom(seed + trial);
        for (const share of [0.25, 0.5, 1]) {
          const rows = share < 1 ? pool.filter(() => random() < share) : pool;
          const pairs = share < 1 ? foldPairs(rows, args.folds ?? 3, seed, scheme) : folds;
          const results: { candidate: Candidate; result: Awaited<ReturnType<typeof crossValidate>>; started: number }[] = [];
          for (const candidate of rung) {
            // A partial rung stops starting candidates once its share of the budget is spent (40% for the quarter,
            // 60% with the half), keeping time for the full rows; but one boosted candidate is always scored, so
            // one reaches the full rows. The promoted candidates on all rows are all scored.
            const rungSpent = Date.now() - searchStarted > searchMs * (share === 0.25 ? 0.4 : 0.6);
            const boostedScored = results.some((r) => r.candidate.algorithm === 'gbdt');
            if (share < 1 && results.length > 0 && rungSpent && (boostedScored || candidate.algorithm !== 'gbdt')) continue;
            trial++;
            const started = Date.now();
            results.push({
              candidate,
              result: await crossValidate(candidate, pairs, `trial ${trial} (${Math.round(share * 100)}% of rows)`, share === 1),
              started,
            });
          }
          if (share === 1) for (const r of results) record(r.candidate, r.result, r.started);
          results.sort((a, b) => better(a.result.mean, b.result.mean));
          rung = results.slice(0, Math.max(1, Math.ceil(results.length / 3))).map((r) => r.candidate);
          // The best boosted-tree candidate always goes on: small row shares flatter learners that saturate early
          // (an MLP led at a quarter of 160,000 rows and lost at all of them), and boosting is the strong default.
          const bestBoosted = results.find((r) => r.candidate.algorithm === 'gbdt');
          if (bestBoosted !== undefined && !rung.includes(bestBoosted.candidate)) rung.push(bestBoosted.candidate);
          if (rung.length === 0) break;
        }
      }
      board.sort((p, q) => better(p.cv_metric, q.cv_metric));

      // Imbalance: the best candidate as it is, with balanced class weights (learners that take them) and with
      // SMOTE inside each fold; for binary targets with a threshold objective, each also with a threshold tuned
      // on the other folds' predictions. Whichever scores best on cross-validation is kept.
      let chosenSingle: Candidate;
      if (compareImbalance && Atomics.load(cancel, 0) === 0) {
        const best = board.map((e) => e.params).filter(isSingle)[0]!;
        const variants: { strategy: string; candidate: Candidate }[] = [];
        if (best.algorithm === 'gbdt' || best.algorithm === 'mlp')
          variants.push({ strategy: 'class weights', candidate: { ...best, classWeight: 'balanced' } });
        variants.push({ strategy: 'SMOTE', candidate: { ...best, resample: 'smote' } });
        const objective = task === 'binary' ? thresholdObjective(args) : null;
        const rows: {
          strategy: string;
          threshold: 'default' | 'tuned';
          candidate: Candidate;
          metric: string;
          cv_metric: number;
          cv_std: number;
        }[] = [];
        const judge = (
          strategy: string,
          candidate: Candidate,
          result: { mean: number; std: number; oof: PredictionMatrix | null },
        ): void => {
          rows.push({ strategy, threshold: 'default', candidate, metric, cv_metric: result.mean, cv_std: result.std });
          if (objective !== null && result.oof !== null) {
            const scores = crossFittedThresholdScores(result.oof, foldIndices, foldTargets, objective);
            rows.push({ strategy, threshold: 'default', candidate, metric: objective.metric, ...scores.fixed });
            rows.push({ strategy, threshold: 'tuned', candidate, metric: objective.metric, ...scores.tuned });
          }
        };
        const baseline = keptOutOfFold.find((k) => k.candidate === best);
        const bestEntry = board.find((e) => e.params === best)!;
        judge('none', best, { mean: bestEntry.cv_metric, std: bestEntry.cv_std, oof: baseline?.oof ?? null });
        for (const variant of variants) {
          if (Date.now() - searchStarted > budgetMs) break;
          trial++;
          const started = Date.now();
          const result = await crossValidate(variant.candidate, folds, `trial ${trial} (${variant.strategy})`);
          record(variant.candidate, result, started);
          judge(variant.strategy, variant.candidate, result);
        }
        // With a threshold objective the objective decides (higher is better for F1, lower for cost); otherwise the metric.
        const decisive = rows.filter((r) => r.metric === (objective === null ? metric : objective.metric));
        const higher = objective === null ? higherIsBetter : objective.kind === 'f1';
        objectiveDecided = objective !== null;
        decisive.sort((a, b) => (higher ? b.cv_metric - a.cv_metric : a.cv_metric - b.cv_metric));
        const winner = decisive[0]!;
        imbalanceReport = {
          compared: rows.map(({ candidate: _c, ...row }) => row),
          chosen: { strategy: winner.strategy, threshold: winner.threshold },
        };
        tuneThreshold = winner.threshold === 'tuned';
        board.sort((p, q) => better(p.cv_metric, q.cv_metric));
        chosenSingle = winner.candidate;
      } else {
        chosenSingle = board.map((e) => e.params).filter(isSingle)[0]!;
      }

      // Ensemble selection over the best candidates' out-of-fold predictions; kept only when the blend's
      // cross-validated score beats the best single candidate's.
      let ensembleReport: Record<string, unknown> | null = null;
      if (keptOutOfFold.length >= 2 && !objectiveDecided) {
        const sign = higherIsBetter ? 1 : -1;
        const blendScore = (p: PredictionMatrix): number => sign * meanAndStd(foldValues(p)).mean;
        const selection = selectEnsemble(
          keptOutOfFold.map((k) => k.oof),
          blendScore,
        );
        const members = keptOutOfFold
          .map((k, i) => ({ candidate: k.candidate, weight: selection.weights[i]! }))
          .filter((m) => m.weight > 0);
        const bestSingle = keptOutOfFold[0]!.score;
        const blended = sign * selection.score;
        ensembleReport = {
          candidates: keptOutOfFold.length,
          members: members.length,
          cv_metric: blended,
          best_single: bestSingle,
          kept: false,
        };
        // A real improvement, not rounding: blends of near-identical members tie to the last digits.
        if (members.length >= 2 && better(blended, bestSingle) < -1e-6 * Math.max(1e-12, Math.abs(bestSingle))) {
          const weighted = members.map((m) => ({ algorithm: m.candidate.algorithm, params: m.candidate, weight: m.weight }));
          const blendedOof = blendPredictions(
            members.map((m) => keptOutOfFold.find((k) => k.candidate === m.candidate)!.oof),
            members.map((m) => m.weight),
          );
          board.push({
            trial: trial + 1,
            algorithm: 'ensemble',
            params: { algorithm: 'ensemble', members: weighted },
            cv_metric: blended,
            cv_std: meanAndStd(foldValues(blendedOof)).std,
            fit_s: members.reduce((s, m) => s + (board.find((e) => e.params === m.candidate)?.fit_s ?? 0), 0),
          });
          board.sort((p, q) => better(p.cv_metric, q.cv_metric));
          ensembleMembers = members;
          ensembleReport.kept = true;
        }
      }
      chosen = { ...args, ...chosenSingle };
      searchReport = {
        strategy,
        metric,
        folds: folds.length,
        trials: board.length,
        budgetSeconds: budgetMs / 1000,
        searchSeconds: (Date.now() - searchStarted) / 1000,
        ensemble: ensembleReport,
        imbalance: imbalanceReport,
      };
    }

    // k-fold cross-validation over the training and validation rows (the test rows stay untouched), when asked.
    let crossValidation: Record<string, unknown> | null = null;
    if (args.algorithm !== 'auto' && args.folds !== undefined && args.folds >= 2) {
      const pool = Int32Array.from([...split.train, ...split.validation]).sort();
      const folds = foldPairs(pool, args.folds, seed, scheme);
      if (folds.length === 0) throw new HearthError('VALIDATION_FAILED', 'too few groups for the requested folds');
      const perFold: Record<string, number>[] = [];
      for (let k = 0; k < folds.length; k++) {
        const { train: rest, heldOut } = folds[k]!;
        const { model: foldModel } = await fit(rest, new Int32Array(0), `fold ${k + 1}/${folds.length}`);
        const prediction = predictModel(
          foldModel,
          rawInputsFromFrame({ features: modelInputs(foldModel) }, selectRows(frame, heldOut)),
        );
        perFold.push(evaluate(task, prediction, targetsOf(heldOut), classes).metrics);
      }
      crossValidation = { folds: folds.length, ...summariseFolds(perFold) };
    }

    const warnings = dataChecks(frame, args.target, task, split.train, split.test, (r) =>
      classOf === undefined ? values![r]! : classOf[r]!,
    );
    if (scheme.kind === 'time' && split.test.length > 0) {
      // Rows sharing a timestamp can straddle the cut: the test side then holds rows no later than training rows.
      let latestTrain = Number.NEGATIVE_INFINITY;
      for (const r of split.train) latestTrain = Math.max(latestTrain, scheme.times[r]!);
      let notLater = 0;
      for (const r of split.test) if (scheme.times[r]! <= latestTrain) notLater++;
      if (notLater > 0) {
        warnings.push({
          kind: 'future',
          message: `${notLater} test rows are not later than the latest training row in "${args.timeColumn}": the training side holds rows from their time`,
        });
      }
    }

    const fitStarted = performance.now();
    let memberReports: Record<string, unknown>[] = [];
    // What each fitted model was trained with, for the refit on all training rows (one entry, or one per member).
    let fittedArgs: TrainArgs[] = [chosen];
    let fitted: { model: TrainedModel; params: Record<string, unknown>; fitReport: Record<string, unknown>; workerCpuMs: number };
    // After a search, the final fits share a quarter of the budget (an MLP or boosting stops at its share with its
    // best so far), so "two minutes" does not become ten on a big table; a single learner asked for runs to the end.
    // The deadline of the i-th of `parts` fits in a final phase that started at `phaseStart`.
    const finalDeadline = (phaseStart: number, parts: number, i: number): number | null => {
      if (args.algorithm !== 'auto') return null;
      const end = phaseStart + 0.25 * (args.timeBudget ?? 60) * 1000;
      return Date.now() + Math.max(2000, (end - Date.now()) / (parts - i));
    };
    const fitPhase = Date.now();
    if (ensembleMembers === null) fitted = await fit(split.train, split.validation, null, chosen, finalDeadline(fitPhase, 1, 0));
    else {
      // The blend's members, each refitted on the training rows (validation rows for early stopping), as searched.
      const members: { model: SingleModel; fitReport: Record<string, unknown>; workerCpuMs: number }[] = [];
      for (const [i, member] of ensembleMembers.entries()) {
        members.push(
          await fit(
            split.train,
            split.validation,
            `ensemble member ${i + 1}/${ensembleMembers.length}`,
            { ...args, ...member.candidate },
            finalDeadline(fitPhase, ensembleMembers.length, i),
          ),
        );
      }
      fittedArgs = ensembleMembers.map((m) => ({ ...args, ...m.candidate }));
      memberReports = members.map((m) => m.fitReport);
      const ensemble: EnsembleModel = {
        format: 'hearth.ensemble/1',
        task,
        target: args.target,
        classes,
        members: members.map((m) => m.model),
        weights: ensembleMembers.map((m) => m.weight),
      };
      fitted = {
        model: ensemble,
        params: {
          members: ensembleMembers.map((m) => ({ algorithm: m.candidate.algorithm, params: m.candidate, weight: m.weight })),
        },
        fitReport: {
          members: members.map((m, i) => ({
            algorithm: modelAlgorithm(m.model),
            weight: ensembleMembers[i]!.weight,
            trees: m.fitReport.trees ?? null,
            backend: m.fitReport.backend ?? null,
          })),
          features: modelInputs(ensemble).map((f) => ({ name: f.name, kind: f.kind })),
        },
        workerCpuMs: members.reduce((s, m) => s + m.workerCpuMs, 0),
      };
    }
    const { params, fitReport } = fitted;
    let { model, workerCpuMs } = fitted;
    if (Atomics.load(cancel, 0) === 1) throw new HearthError('CANCELLED', 'training was cancelled');
    // Binning (for trees) and fitting: what a peer library's fit() covers.
    const fitMs = Math.round(performance.now() - fitStarted);
    this.progress(job, { phase: 'evaluating', fraction: 0.95 });
    let inputs = { features: modelInputs(model) };
    // Binary decision threshold tuned on the validation rows (the training rows when there are none), if asked.
    let thresholdReport: Record<string, unknown> | null = null;
    if (task === 'binary' && args.threshold !== undefined && !tuneThreshold) {
      thresholdReport = {
        objective: args.threshold,
        threshold: 0.5,
        tunedOn: 'none: the default scored better on cross-validation',
      };
    }
    if (task === 'binary' && args.threshold !== undefined && tuneThreshold) {
      const tuneRows = split.validation.length > 0 ? split.validation : split.train;
      const tuned = predictModel(model, rawInputsFromFrame(inputs, selectRows(frame, tuneRows)));
      if (tuned.kind === 'classification') {
        const labels = Uint8Array.from(targetsOf(tuneRows), (t) => (t === 1 ? 1 : 0));
        const positive = Float64Array.from({ length: labels.length }, (_, i) => tuned.probabilities[2 * i + 1]!);
        const objective =
          args.threshold === 'f1'
            ? ({ kind: 'f1' } as const)
            : ({ kind: 'cost', falsePositive: args.falsePositiveCost ?? 1, falseNegative: args.falseNegativeCost ?? 1 } as const);
        model.decisionThreshold = bestThreshold(labels, positive, objective);
        thresholdReport = {
          objective,
          threshold: model.decisionThreshold,
          tunedOn: split.validation.length > 0 ? 'validation' : 'train',
        };
      }
    }
    // Metrics come from the test rows; with no test rows asked for, from the validation rows, else the training rows.
    let evaluatedOn = split.test.length > 0 ? 'test' : split.validation.length > 0 ? 'validation' : 'train';
    const evaluationRows = split.test.length > 0 ? split.test : split.validation.length > 0 ? split.validation : split.train;
    let evaluation = evaluate(
      task,
      predictModel(model, rawInputsFromFrame(inputs, selectRows(frame, evaluationRows))),
      targetsOf(evaluationRows),
      classes,
      model.decisionThreshold,
    );
    const validationEvaluation =
      split.validation.length > 0
        ? evaluate(
            task,
            predictModel(model, rawInputsFromFrame(inputs, selectRows(frame, split.validation))),
            targetsOf(split.validation),
            classes,
            model.decisionThreshold,
          )
        : null;

    const permutation =
      split.validation.length > 0
        ? permutationImportance(
            model,
            rawInputsFromFrame(inputs, selectRows(frame, split.validation.subarray(0, 2000))),
            targetsOf(split.validation.subarray(0, 2000)),
            seed,
          )
        : [];

    // A search's choice is refitted on all the training rows (training and validation), with the rounds or epochs
    // early stopping chose; validation metrics, importance and the threshold above come from the first fit, and
    // the reported metrics from the refit when there are test rows (otherwise they stay the first fit's).
    let refitReport: Record<string, unknown> | null = null;
    if (args.algorithm === 'auto' && split.validation.length > 0) {
      const all = Int32Array.from([...split.train, ...split.validation]).sort();
      const reports = ensembleMembers === null ? [fitReport] : memberReports;
      const refitStarted = performance.now();
      const refitPhase = Date.now();
      const refitted: SingleModel[] = [];
      for (const [i, a] of fittedArgs.entries()) {
        const fixed = fixedIterations(a, reports[i]!);
        const label = `refit on all ${all.length} training rows${fittedArgs.length > 1 ? ` (member ${i + 1}/${fittedArgs.length})` : ''}`;
        const refit = await fit(all, new Int32Array(0), label, fixed, finalDeadline(refitPhase, fittedArgs.length, i));
        refitted.push(refit.model);
        workerCpuMs += refit.workerCpuMs;
      }
      if (Atomics.load(cancel, 0) === 1) throw new HearthError('CANCELLED', 'training was cancelled');
      const threshold = model.decisionThreshold;
      model = model.format === 'hearth.ensemble/1' ? { ...model, members: refitted } : refitted[0]!;
      if (threshold !== undefined) model.decisionThreshold = threshold;
      inputs = { features: modelInputs(model) };
      refitReport = { rows: all.length, seconds: Number(((performance.now() - refitStarted) / 1000).toFixed(2)) };
      if (split.test.length > 0) {
        evaluation = evaluate(
          task,
          predictModel(model, rawInputsFromFrame(inputs, selectRows(frame, split.test))),
          targetsOf(split.test),
          classes,
          model.decisionThreshold,
        );
      } else evaluatedOn = 'validation, before the refit on all training rows';
    }

    // SHAP summary over up to 500 validation rows, for run comparisons: exact TreeSHAP for trees, exact linear SHAP
    // (w·(x − E[x])) for linear models; none for MLPs and ensembles, which have permutation importance.
    const shapRows = (split.validation.length > 0 ? split.validation : evaluationRows).subarray(0, 500);
    const shapRaw = (): RawInputs => rawInputsFromFrame(inputs, selectRows(frame, shapRows));
    const shap =
      model.format === 'hearth.trees/1'
        ? shapSummary(model, shapRaw())
        : model.format === 'hearth.linear/1'
          ? linearShapSummary(model, shapRaw())
          : null;

    // The exported graph must reproduce the TypeScript model: check it on held-out rows before registering.
    const onnx = exportModelToOnnx(model, this.version);
    const parityRaw = rawInputsFromFrame(
      inputs,
      selectRows(frame, evaluationRows.subarray(0, Math.min(2000, evaluationRows.length))),
    );
    const loaded = await createSession(onnx);
    const parity = maxAbsDifference(await new Predictor('', 0, model, loaded).run(parityRaw), predictModel(model, parityRaw));
    // Single-row latency through the exported graph, for the run's record (median of 200 calls).
    const oneRow: RawInputs = {
      rows: 1,
      numeric: parityRaw.numeric.map((c) => c.subarray(0, 1)),
      categorical: parityRaw.categorical.map((c) => c.slice(0, 1)),
    };
    const parityPredictor = new Predictor('', 0, model, loaded);
    const latencies: number[] = [];
    for (let i = 0; i < 200 && parityRaw.rows > 0; i++) {
      const t = process.hrtime.bigint();
      await parityPredictor.run(oneRow);
      latencies.push(Number(process.hrtime.bigint() - t) / 1000);
    }
    latencies.sort((p, q) => p - q);
    const predictLatencyUs = latencies.length > 0 ? Number(latencies[latencies.length >> 1]!.toFixed(1)) : null;
    await loaded.session.release();
    const tolerance = parityTolerance(model, predictModel(model, parityRaw));
    if (!(parity <= tolerance)) {
      throw new HearthError(
        'INTERNAL',
        `the exported ONNX graph disagrees with the trained model (max difference ${parity}, allowed ${tolerance})`,
      );
    }
    const name = args.model ?? `${args.dataset}-${slug(args.target)}`;
    return this.registry.register({
      model: name,
      algorithm: ensembleMembers === null ? chosen.algorithm : 'ensemble',
      task,
      target: args.target,
      datasetVersionId: info.id,
      params,
      metrics: evaluation.metrics,
      report: {
        ...evaluation.report,
        ...fitReport,
        decisionThreshold: thresholdReport,
        leaderboard,
        search: searchReport,
        warnings,
        crossValidation,
        evaluatedOn,
        fitMs,
        permutationImportance: permutation,
        refit: refitReport,
        shapSummary: shap,
        validationMetrics: validationEvaluation?.metrics ?? null,
        history: job.history,
        split: {
          train: split.train.length,
          validation: split.validation.length,
          test: split.test.length,
          unlabelled: frame.rowCount - labelled.length,
        },
        onnxParityMaxAbsDiff: parity,
        durationMs: Date.now() - started,
        workerCpuMs,
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
        modelBytes: onnx.length,
        predictLatencyUs,
        codeVersion: this.version,
      },
      inputSchema: onnxInputSchema(model),
      onnx,
      modelJson: JSON.stringify(model),
    });
  }

  private progress(job: TrainingJob, patch: Partial<TrainingProgress> & { phase: string; fraction: number }): void {
    job.progress = {
      jobId: job.id,
      iteration: job.progress?.iteration ?? 0,
      maxIterations: job.progress?.maxIterations ?? 0,
      loss: job.progress?.loss ?? Number.NaN,
      validationLoss: job.progress?.validationLoss ?? null,
      ...patch,
    };
    this.events.progress(job.progress);
  }

  private runWorker(
    request: WorkerRequest,
    job: TrainingJob,
    /** Set for cross-validation folds: their progress is reported under this label and kept out of the history. */
    label: string | null = null,
  ): Promise<Extract<WorkerReply, { type: 'result' | 'trees' | 'forest' | 'mlp' }>> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(new URL('../../workers/train-worker.js', import.meta.url));
      const finish = (action: () => void): void => {
        void worker.terminate();
        action();
      };
      worker.on('message', (reply: WorkerReply) => {
        if (reply.seq !== request.seq) return;
        if (reply.type === 'progress') {
          if (label === null)
            job.history.push({ iteration: reply.iteration, loss: reply.loss, validationLoss: reply.validationLoss });
          this.progress(job, {
            phase: label ?? 'fitting',
            iteration: reply.iteration,
            maxIterations: reply.maxIterations,
            loss: reply.loss,
            validationLoss: reply.validationLoss,
            fraction: Math.min(0.9, reply.iteration / reply.maxIterations),
          });
        } else if (reply.type === 'error')
          finish(() => reject(new HearthError(reply.error.code, reply.error.message, reply.error.details)));
        else finish(() => resolve(reply));
      });
      worker.on('error', (error) => finish(() => reject(error)));
      worker.on('exit', (code) => {
        if (code !== 0) reject(new HearthError('INTERNAL', `training worker exited with code ${code}`));
      });
      worker.postMessage(request);
    });
  }
}

/**
 * The forest's out-of-bag score on the training rows that some tree left out: ROC AUC (binary), accuracy
 * (multiclass) or R² (regression), with the row count it rests on.
 */
function outOfBagScore(
  task: Task,
  oob: Float64Array,
  targets: Int32Array | Float64Array,
  K: number,
): { metric: string; value: number; rows: number } {
  const rows: number[] = [];
  for (let i = 0; i < targets.length; i++) if (!Number.isNaN(oob[i * K]!)) rows.push(i);
  if (task === 'regression') {
    const m = regressionMetrics(
      Float64Array.from(rows, (i) => targets[i]!),
      Float64Array.from(rows, (i) => oob[i]!),
    );
    return { metric: 'r2', value: m.r2, rows: rows.length };
  }
  if (task === 'binary') {
    return {
      metric: 'roc_auc',
      value: rocAuc(
        Uint8Array.from(rows, (i) => targets[i]!),
        Float64Array.from(rows, (i) => oob[i]!),
      ),
      rows: rows.length,
    };
  }
  let correct = 0;
  for (const i of rows) {
    let best = 0;
    for (let c = 1; c < K; c++) if (oob[i * K + c]! > oob[i * K + best]!) best = c;
    if (best === targets[i]) correct++;
  }
  return { metric: 'accuracy', value: rows.length === 0 ? Number.NaN : correct / rows.length, rows: rows.length };
}

/**
 * Permutation importance (Breiman 2001; scikit-learn's permutation_importance): how much the validation loss
 * (log loss, or RMSE for regression) grows when one feature's values are shuffled, breaking its link to the target.
 */
export function permutationImportance(
  model: TrainedModel,
  raw: RawInputs,
  targets: Int32Array | Float64Array,
  seed: number,
): { feature: string; increase: number }[] {
  const loss = (prediction: PredictionMatrix): number => {
    if (prediction.kind === 'regression') return regressionMetrics(Float64Array.from(targets), prediction.values).rmse;
    const k = prediction.classes.length;
    let sum = 0;
    for (let i = 0; i < targets.length; i++) sum -= Math.log(Math.max(1e-15, prediction.probabilities[i * k + targets[i]!]!));
    return sum / targets.length;
  };
  const baseline = loss(predictModel(model, raw));
  const random = seededRandom(seed);
  let numeric = 0;
  let categorical = 0;
  return modelInputs(model)
    .map((feature) => {
      const shuffled: RawInputs = { rows: raw.rows, numeric: [...raw.numeric], categorical: [...raw.categorical] };
      const order = Int32Array.from({ length: raw.rows }, (_, i) => i);
      shuffleInPlace(order, random);
      if (feature.kind === 'numeric') {
        const values = raw.numeric[numeric]!;
        shuffled.numeric[numeric++] = Float64Array.from(order, (i) => values[i]!);
      } else {
        const values = raw.categorical[categorical]!;
        shuffled.categorical[categorical++] = Array.from(order, (i) => values[i]!);
      }
      return { feature: feature.name, increase: loss(predictModel(model, shuffled)) - baseline };
    })
    .sort((a, b) => b.increase - a.increase);
}

/** Columns that are never features: the group column says which rows belong together, not what they are. */
function excludedColumns(args: TrainArgs): string[] {
  return args.groupColumn === undefined ? [] : [args.groupColumn];
}

/** The split scheme the arguments ask for: by time, by group, or shuffled and stratified by class. */
/**
 * The rows a training run learns from and holds out: labelled rows (classes or values per row) split into train,
 * validation and test by the run's scheme and seed. Deterministic, so a later step (retraining's comparison with
 * production) can find the very rows a version was tested on.
 */
export function labelledSplit(frame: Frame, args: TrainArgs) {
  const task = inferTask(frame, args.target, args.task);
  const seed = args.seed ?? 42;
  const target = frame.columns.find((c) => c.name === args.target)!;
  // Rows with a missing target cannot teach anything; they are counted and left out.
  const labelled: number[] = [];
  let classes: string[] | null = null;
  let classOf: Int32Array | undefined;
  let values: Float64Array | undefined;
  if (task === 'regression') {
    if (target.kind !== 'numeric')
      throw new HearthError('VALIDATION_FAILED', `regression needs a numeric target; "${args.target}" is ${target.type}`);
    values = target.values;
    for (let r = 0; r < frame.rowCount; r++) if (!Number.isNaN(target.values[r]!)) labelled.push(r);
  } else {
    const labels = labelStrings(target, frame.rowCount);
    classes = [...new Set(labels.filter((l): l is string => l !== null))].sort(compareLabels);
    const index = new Map(classes.map((c, i) => [c, i]));
    classOf = Int32Array.from(labels, (l) => (l === null ? -1 : index.get(l)!));
    for (let r = 0; r < frame.rowCount; r++) if (classOf[r]! >= 0) labelled.push(r);
  }
  const validationFraction = args.validationFraction ?? 0.15;
  const testFraction = args.testFraction ?? 0.15;
  const scheme = splitScheme(frame, args, classOf);
  const usable = scheme.kind === 'time' ? labelled.filter((r) => !Number.isNaN(scheme.times[r]!)) : labelled;
  const split = splitByScheme(Int32Array.from(usable), scheme, { seed, validationFraction, testFraction });
  return { task, seed, classes, classOf, values, labelled, scheme, split };
}

function splitScheme(frame: Frame, args: TrainArgs, classOf: Int32Array | undefined): SplitScheme {
  if (args.timeColumn !== undefined && args.groupColumn !== undefined) {
    throw new HearthError('VALIDATION_FAILED', 'split by time or by group, not both');
  }
  if (args.timeColumn !== undefined) {
    const column = frame.columns.find((c) => c.name === args.timeColumn);
    if (column === undefined || column.kind !== 'numeric' || column.type === 'boolean') {
      throw new HearthError('VALIDATION_FAILED', `time column "${args.timeColumn}" must be a datetime or numeric column`);
    }
    return { kind: 'time', times: column.values };
  }
  if (args.groupColumn !== undefined) {
    const column = frame.columns.find((c) => c.name === args.groupColumn);
    if (column === undefined) throw new HearthError('VALIDATION_FAILED', `no group column "${args.groupColumn}"`);
    // Numeric group ids (possibly beyond 32 bits) become dense codes; a missing id is a group of its own.
    const ids = new Map<number, number>();
    const groups =
      column.kind === 'string'
        ? Int32Array.from(column.codes)
        : Int32Array.from(column.values, (v) => {
            const key = Number.isNaN(v) ? Number.NEGATIVE_INFINITY : v;
            let id = ids.get(key);
            if (id === undefined) ids.set(key, (id = ids.size));
            return id;
          });
    return { kind: 'group', groups };
  }
  return classOf === undefined ? { kind: 'random' } : { kind: 'random', strata: classOf };
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

const lowerIsBetter = new Set(['log_loss', 'rmse', 'mae']);

export function metricsOf(task: Task): string[] {
  if (task === 'regression') return ['rmse', 'mae', 'r2'];
  if (task === 'binary') return ['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'pr_auc', 'log_loss'];
  return ['accuracy', 'f1', 'roc_auc', 'log_loss'];
}

export function defaultMetric(task: Task): string {
  return task === 'binary' ? 'roc_auc' : task === 'multiclass' ? 'log_loss' : 'rmse';
}

type Learner = 'linear' | 'gbdt' | 'forest' | 'mlp';
type Candidate = Partial<TrainArgs> & { algorithm: Learner };

function isSingle(params: EntryParams): params is Candidate {
  return params.algorithm !== 'ensemble';
}

/** A leaderboard entry's parameters: a single learner's, or an ensemble's members with their weights. */
type EntryParams = Candidate | { algorithm: 'ensemble'; members: { algorithm: Learner; params: Candidate; weight: number }[] };

/** Each learner's parameters and the values the search draws from (learning rates and penalties log-spaced). */
const searchGrid: Record<Learner, Record<string, readonly unknown[]>> = {
  gbdt: {
    trees: [50, 100, 200, 300],
    learningRate: [0.02, 0.035, 0.05, 0.08, 0.12, 0.2, 0.3],
    maxLeaves: [7, 15, 31, 63],
    minChildSamples: [5, 10, 20, 50],
    l2: [0, 1, 5],
    colSubsample: [0.6, 0.8, 1],
    rowSubsample: [0.7, 0.85, 1],
  },
  forest: { trees: [50, 100, 200], maxLeaves: [256, 1024, 4096], minChildSamples: [1, 2, 5] },
  linear: { l2: [1e-5, 1e-4, 1e-3, 1e-2, 1e-1] },
  mlp: {
    hiddenLayers: [[32], [64, 32], [128, 64], [256, 128]],
    learningRate: [3e-4, 1e-3, 3e-3],
    dropout: [0, 0.1, 0.2],
    l2: [0, 1e-5, 1e-4],
    batchSize: [128, 256, 512],
  },
};

/**
 * Candidates for the search, seeded. First each learner with its defaults, then ten random draws, then a
 * tree-structured Parzen estimator (Bergstra et al., 2011) over the grid: the scored candidates are cut into the
 * best quarter and the rest, and among 24 draws from the best quarter's value frequencies the one with the
 * highest ratio of good to bad likelihood (per parameter, Laplace-smoothed, learner included) is tried next.
 * `scored` is read live: the search loop appends each candidate's score before asking for the next.
 */
export function* searchSpace(
  seed: number,
  scored: readonly { candidate: Candidate; score: number }[] = [],
  higherIsBetter = true,
): Generator<Candidate> {
  yield { algorithm: 'gbdt' };
  yield { algorithm: 'linear' };
  yield { algorithm: 'forest', trees: 100 };
  yield { algorithm: 'mlp' };
  const random = seededRandom(seed + 31);
  const pick = <T>(options: readonly T[]): T => options[Math.floor(random() * options.length)]!;
  const randomCandidate = (): Candidate => {
    const u = random();
    const algorithm = u < 0.5 ? 'gbdt' : u < 0.7 ? 'forest' : u < 0.85 ? 'mlp' : 'linear';
    return { algorithm, ...Object.fromEntries(Object.entries(searchGrid[algorithm]).map(([k, values]) => [k, pick(values)])) };
  };
  for (let i = 0; i < 10; i++) yield randomCandidate();
  const algorithms = ['gbdt', 'forest', 'linear', 'mlp'] as const;
  for (;;) {
    const ranked = [...scored].sort((a, b) => (higherIsBetter ? b.score - a.score : a.score - b.score));
    const cut = Math.max(1, Math.ceil(ranked.length / 4));
    const good = ranked.slice(0, cut).map((r) => r.candidate);
    const bad = ranked.slice(cut).map((r) => r.candidate);
    const likelihood = (group: Candidate[], key: string, value: unknown, choices: readonly unknown[]): number =>
      (group.filter((c) => (c as Record<string, unknown>)[key] === value).length + 1) / (group.length + choices.length);
    const sampleFrom = (group: Candidate[], key: string, choices: readonly unknown[]): unknown => {
      // Draw proportionally to the smoothed frequency of each value among `group`.
      const weights = choices.map((v) => likelihood(group, key, v, choices));
      let u = random() * weights.reduce((s, w) => s + w, 0);
      for (let i = 0; i < choices.length; i++) if ((u -= weights[i]!) <= 0) return choices[i];
      return choices[choices.length - 1];
    };
    let best: Candidate | null = null;
    let bestRatio = Number.NEGATIVE_INFINITY;
    for (let draw = 0; draw < 24; draw++) {
      const algorithm = sampleFrom(good, 'algorithm', algorithms) as Candidate['algorithm'];
      const candidate: Candidate = { algorithm };
      let ratio = Math.log(
        likelihood(good, 'algorithm', algorithm, algorithms) / likelihood(bad, 'algorithm', algorithm, algorithms),
      );
      const sameGood = good.filter((c) => c.algorithm === algorithm);
      const sameBad = bad.filter((c) => c.algorithm === algorithm);
      for (const [key, values] of Object.entries(searchGrid[algorithm])) {
        const value = sampleFrom(sameGood, key, values);
        (candidate as Record<string, unknown>)[key] = value;
        ratio += Math.log(likelihood(sameGood, key, value, values) / likelihood(sameBad, key, value, values));
      }
      if (ratio > bestRatio) {
        bestRatio = ratio;
        best = candidate;
      }
    }
    yield best ?? randomCandidate();
  }
}

/** Mean and (sample) standard deviation of each metric over the folds, with the per-fold values. */
export function summariseFolds(perFold: Record<string, number>[]): {
  metrics: Record<string, { mean: number; std: number; folds: number[] }>;
} {
  const metrics: Record<string, { mean: number; std: number; folds: number[] }> = {};
  for (const key of Object.keys(perFold[0] ?? {})) {
    const values = perFold.map((m) => m[key]!);
    metrics[key] = { ...meanAndStd(values), folds: values };
  }
  return { metrics };
}

/** The arguments that repeat a fit's early-stopped length without early stopping (boosting rounds, MLP epochs). */
function fixedIterations(a: TrainArgs, report: Record<string, unknown>): TrainArgs {
  if (a.algorithm === 'gbdt' && typeof report.bestRound === 'number' && report.bestRound > 0)
    return { ...a, trees: report.bestRound, earlyStoppingRounds: 0 };
  if (a.algorithm === 'mlp' && typeof report.bestEpoch === 'number' && report.bestEpoch > 0)
    return { ...a, epochs: report.bestEpoch, earlyStoppingRounds: 0 };
  return a;
}

/** A seeded share of the rows held out (for early stopping), and the rest; both keep the rows' order. */
function holdOut(rows: Int32Array, share: number, seed: number): { kept: Int32Array; held: Int32Array } {
  const random = seededRandom(seed);
  const flags = Uint8Array.from(rows, () => (random() < share ? 1 : 0));
  return { kept: rows.filter((_, i) => flags[i] === 0), held: rows.filter((_, i) => flags[i] === 1) };
}

/** "balanced" class weights: n / (classes × count of the class), as scikit-learn computes them. */
export function balancedWeights(targets: Int32Array, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const y of targets) counts[y]!++;
  return counts.map((c) => (c === 0 ? 0 : targets.length / (classes * c)));
}

function labelStrings(column: Frame['columns'][number], rows: number): (string | null)[] {
  const out: (string | null)[] = new Array<string | null>(rows);
  for (let r = 0; r < rows; r++) {
    if (column.kind === 'string') out[r] = column.codes[r]! < 0 ? null : column.dictionary[column.codes[r]!]!;
    else {
      const v = column.values[r]!;
      out[r] = Number.isNaN(v) ? null : column.type === 'boolean' ? (v === 1 ? 'true' : 'false') : String(v);
    }
  }
  return out;
}

/** Numeric-looking labels sort as numbers (so "0" < "1" < "10"), others as text; the last class is "positive". */
function compareLabels(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (!Number.isNaN(x) && !Number.isNaN(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Picks the task from the target column when not given, and checks a given task fits the column. */
export function inferTask(frame: Frame, target: string, requested?: Task): Task {
  const column = frame.columns.find((c) => c.name === target);
  if (column === undefined) throw new HearthError('VALIDATION_FAILED', `no column "${target}"`);
  const distinct = new Set<string | null>(labelStrings(column, frame.rowCount));
  distinct.delete(null);
  const n = distinct.size;
  if (requested === 'regression') {
    if (column.kind !== 'numeric' || column.type === 'boolean') {
      throw new HearthError('VALIDATION_FAILED', `regression needs a numeric target; "${target}" is ${column.type}`);
    }
    return 'regression';
  }
  if (requested === 'binary' && n !== 2) {
    throw new HearthError('VALIDATION_FAILED', `binary classification needs 2 classes; "${target}" has ${n}`);
  }
  if (requested === 'multiclass' && (n < 3 || n > maxClasses)) {
    throw new HearthError('VALIDATION_FAILED', `multiclass needs 3 to ${maxClasses} classes; "${target}" has ${n}`);
  }
  if (requested !== undefined) return requested;
  if (n < 2) throw new HearthError('VALIDATION_FAILED', `"${target}" has fewer than two distinct values`);
  if (n === 2) return 'binary';
  const numericLike = column.kind === 'numeric' && column.type !== 'boolean';
  if (numericLike && (column.type === 'number' || n > 20)) return 'regression';
  if (n > maxClasses) throw new HearthError('VALIDATION_FAILED', `"${target}" has ${n} classes; at most ${maxClasses}`);
  return 'multiclass';
}

function evaluate(
  task: Task,
  prediction: PredictionMatrix,
  targets: Int32Array | Float64Array,
  classes: string[] | null,
  threshold = 0.5,
  /** Curves (ROC, PR, calibration) cost sorts: skipped where only the numbers matter, as in the search. */
  withCurves = true,
): { metrics: Record<string, number>; report: Record<string, unknown> } {
  if (prediction.kind === 'regression') {
    const m = regressionMetrics(Float64Array.from(targets), prediction.values);
    return { metrics: { rmse: m.rmse, mae: m.mae, r2: m.r2 }, report: {} };
  }
  if (task === 'binary') {
    const labels = Uint8Array.from(targets, (t) => (t === 1 ? 1 : 0));
    const positive = Float64Array.from({ length: labels.length }, (_, i) => prediction.probabilities[2 * i + 1]!);
    const m = binaryMetrics(labels, positive, threshold);
    return {
      metrics: {
        accuracy: m.accuracy,
        precision: m.precision,
        recall: m.recall,
        f1: m.f1,
        roc_auc: m.roc_auc,
        pr_auc: m.pr_auc,
        log_loss: m.log_loss,
      },
      report: {
        classes,
        positiveClass: classes?.[1],
        confusionMatrix: m.confusion_matrix,
        ...(withCurves
          ? {
              rocCurve: rocCurve(labels, positive),
              prCurve: precisionRecallCurve(labels, positive),
              calibration: calibrationBins(labels, positive),
            }
          : {}),
      },
    };
  }
  const k = classes?.length ?? 0;
  const m = multiclassMetrics(Int32Array.from(targets), prediction.probabilities, k);
  return {
    metrics: { accuracy: m.accuracy, f1: m.f1, roc_auc: m.roc_auc, log_loss: m.log_loss },
    report: { classes, confusionMatrix: m.confusion_matrix },
  };
}

/**
 * How far the ONNX graph may be from the TypeScript model: 1e-6 where both compute in float64; a network's layers
 * run in float32 in the graph (see export-mlp.ts), so there 1e-5, relative to the values' scale for regression.
 */
export function parityTolerance(model: TrainedModel, reference: PredictionMatrix): number {
  const float32 =
    model.format === 'hearth.mlp/1' ||
    (model.format === 'hearth.ensemble/1' && model.members.some((m) => m.format === 'hearth.mlp/1'));
  if (!float32) return 1e-6;
  if (reference.kind !== 'regression') return 1e-5;
  let scale = 1;
  for (const v of reference.values) scale = Math.max(scale, Math.abs(v));
  return 1e-5 * scale;
}

export function maxAbsDifference(a: PredictionMatrix, b: PredictionMatrix): number {
  const x = a.kind === 'regression' ? a.values : a.probabilities;
  const y = b.kind === 'regression' ? b.values : b.probabilities;
  if (x.length !== y.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]! - y[i]!));
  return max;
}

function topCoefficients(model: LinearModel): { feature: string; output: string; weight: number }[] {
  const names: string[] = [];
  for (const f of model.preprocessor.features) {
    if (f.kind === 'numeric') names.push(f.name);
  }
  for (const f of model.preprocessor.features) {
    if (f.kind === 'categorical') for (const c of f.categories) names.push(`${f.name}=${c}`);
  }
  const outputs =
    model.task === 'multiclass' ? (model.classes ?? []) : [model.task === 'binary' ? (model.classes?.[1] ?? '') : model.target];
  const all: { feature: string; output: string; weight: number }[] = [];
  for (let c = 0; c < model.outputs; c++) {
    for (let j = 0; j < model.dimension; j++)
      all.push({ feature: names[j]!, output: outputs[c]!, weight: model.weights[c * model.dimension + j]! });
  }
  return all.sort((p, q) => Math.abs(q.weight) - Math.abs(p.weight)).slice(0, 25);
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40) || 'target'
  );
}
