import { randomUUID } from 'node:crypto';
import type { CostMeasures, GbdtKernelName, ModelVersionInfo, TrainingProgress } from '../contracts/api.js';
import { HearthError, serializeError } from '../contracts/errors.js';
import type { DatasetStore } from '../data/datasets.js';
import { assertName } from '../data/datasets.js';
import { gather } from '../table/frame.js';
import type { ModelRegistry } from '../registry/registry.js';
import { nowIso, type Db } from '../store/database.js';
import type { BackendName } from '../../workers/mlp/backend.js';
import { readPins } from '../accel/pins.js';
import { exportModelToOnnx, modelInputs } from '../models/model.js';
import { checkTrainArgs, labelledSplit } from './labels.js';
import { checksPlacement, scheduleChecks } from './checks-schedule.js';
import { withSharedScoreOrders } from '../stats/score-order.js';
import { registration } from './run-report.js';
import { baselineComparison } from './baseline.js';
import { fitter } from './fit.js';
import { guardSmote } from './resample-guard.js';
import { searchLearners, type SearchOutcome } from './search.js';
import { checkOnFinalModel } from './calibrate.js';
import {
  crossValidation,
  evaluateOn,
  shapSummaryOn,
  tuneDecisionThreshold,
  validationImportance,
  type EvaluationData,
} from './evaluation.js';
import { fitFinal, refitOnAll } from './final-fit.js';
import { checkExport, type ServingMeasures } from './export-check.js';
import { measureFootprint, overLimits, bytesPerKb } from './search-limits.js';
import { finalWithinLimits } from './final-limits.js';
import { cpuMark, cpuSince, type CpuMark } from './cpu-time.js';
import { predictAt, predictTrainingRows, rawInputsAt } from './predict-rows.js';
import type { LearnerHost } from './learners/index.js';
import { prewarmTrainingWorker, runTrainingWorker, shapSummaryInWorker } from './worker-run.js';
import type { TrainArgs } from './train-args.js';
import { readJob, type TrainingJob } from './jobs.js';
import { explanationDeadline, finalFitDeadline, finishingMs, refitFits, RunClock, SearchBudget } from './budget-plan.js';

export type { JobStatus, TrainingJob } from './jobs.js';

// The trainer's public surface, wherever its parts now live.
export type { Algorithm, Candidate, LeaderboardEntry, TrainArgs } from './train-args.js';
export { defaultMetric, inferTask, labelledSplit, metricsOf } from './labels.js';
export { permutationImportance, summariseFolds } from './evaluation.js';
export { balancedWeights } from './fit.js';
export { searchSpace } from './search-space.js';
export { maxAbsDifference, parityTolerance } from './export-check.js';

export interface TrainerEvents {
  progress(p: TrainingProgress): void;
  /** A search candidate was scored (algorithm "auto"). */
  trial?(t: { jobId: string; trial: number; algorithm: string; metric: string; value: number }): void;
  finished(job: TrainingJob): void;
}

/** Trains models in worker threads, one job at a time per engine, and registers what succeeds. */
export class Trainer {
  private readonly jobs = new Map<string, TrainingJob>();
  private readonly cancels = new Map<string, Int32Array>();
  private queue: Promise<void> = Promise.resolve();
  private seq = 0;
  /** When the last job ended: a queued job's clock starts then, not when it was accepted. */
  private lastFinished = 0;

  constructor(
    private readonly db: Db,
    private readonly datasets: DatasetStore,
    private readonly registry: ModelRegistry,
    private readonly events: TrainerEvents,
    private readonly version: string,
    /** GBDT kernels the engine's back-end probe found unusable (AccelRegistry.gbdtUnusable). */
    private readonly unusableGbdtKernels: () => { name: GbdtKernelName; reason: string }[] = () => [],
  ) {
    // Jobs that were running when the process stopped cannot resume; record that honestly.
    db.prepare(`UPDATE jobs SET status = 'failed', finished_at = ?, error_json = ? WHERE status IN ('queued', 'running')`).run(
      nowIso(),
      JSON.stringify({ code: 'CANCELLED', message: 'Hearth stopped while this job was running' }),
    );
  }

  /** Validates the arguments now (so mistakes fail fast) and queues the job. */
  start(args: TrainArgs): TrainingJob {
    // The run's clock starts here: loading and checking the table (seconds on a large one) is the caller's wait too.
    const accepted = Date.now();
    if (args.model !== undefined) assertName('model', args.model);
    const { frame } = this.datasets.loadFrame(args.dataset, args.datasetVersion);
    checkTrainArgs(frame, args);
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
    this.queue = this.queue.then(() => this.run(job, accepted));
    return job;
  }

  get(id: string): TrainingJob {
    const job = this.jobs.get(id);
    if (job !== undefined) return job;
    return readJob(this.db, id);
  }

  list(): TrainingJob[] {
    const ids = this.db.prepare('SELECT id FROM jobs ORDER BY created_at DESC LIMIT 100').all() as { id: string }[];
    return ids.map((r) => this.get(r.id));
  }

  /** The succeeded run that registered a model version, however long ago (list() has the latest 100 only). */
  runOf(model: string, version: number): TrainingJob | null {
    const row = this.db
      .prepare(
        `SELECT id FROM jobs WHERE status = 'succeeded' AND json_extract(result_json, '$.model') = ?
           AND json_extract(result_json, '$.version') = ? ORDER BY created_at DESC LIMIT 1`,
      )
      .get(model, version) as { id: string } | undefined;
    return row === undefined ? null : this.get(row.id);
  }

  cancel(id: string): TrainingJob {
    const job = this.get(id);
    if (job.status === 'queued' || job.status === 'running') {
      const flag = this.cancels.get(id);
      if (flag !== undefined) Atomics.store(flag, 0, 1);
    }
    return job;
  }

  /** The GBDT kernel pinned in the settings (`hearth backends pin gbdt`): fits outside a job (compression's refits) take it too. */
  pinnedKernel(): GbdtKernelName | null {
    return readPins(this.db).gbdt as GbdtKernelName | null;
  }

  /** The GBDT kernels no fit chooses, by pin or automatically, since the engine's probe found them unusable. */
  unusableKernels(): { name: GbdtKernelName; reason: string }[] {
    return this.unusableGbdtKernels();
  }

  /** Resolves when the job has finished, whatever its outcome. */
  async wait(id: string): Promise<TrainingJob> {
    for (;;) {
      const job = this.get(id);
      if (job.status !== 'queued' && job.status !== 'running') return job;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private async run(job: TrainingJob, accepted: number): Promise<void> {
    // The run's CPU time is counted from here (a queued job's wait costs nothing), for its cost.
    const cpu = cpuMark();
    const cancel = this.cancels.get(job.id)!;
    const started = Math.max(accepted, this.lastFinished);
    // A search's time budget covers the whole run, registration included; a single learner runs to the end.
    const clock = new RunClock(job.args.algorithm === 'auto' ? (job.args.timeBudget ?? 60) * 1000 : null, started);
    try {
      if (Atomics.load(cancel, 0) === 1) throw new HearthError('CANCELLED', 'training was cancelled');
      job.status = 'running';
      this.db.prepare('UPDATE jobs SET status = ? WHERE id = ?').run('running', job.id);
      const registered = await this.train(job, cancel, started, clock, cpu);
      job.status = 'succeeded';
      job.result = {
        model: registered.model,
        version: registered.version,
        metrics: registered.metrics,
        durationMs: Date.now() - started,
        budget: clock.report(),
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
    this.lastFinished = Date.now();
    this.events.finished(job);
  }

  /**
   * One run, stage by stage: prepare and split the labelled rows; search (algorithm "auto") or cross-validate;
   * fit on the training rows; tune the threshold and evaluate; refit a search's choice on all rows; explain;
   * export and check the ONNX graph; register.
   */
  private async train(
    job: TrainingJob,
    cancel: Int32Array,
    started: number,
    clock: RunClock,
    cpu: CpuMark,
  ): Promise<ModelVersionInfo> {
    const args = job.args;
    // The data checks run beside the fit, first, or in a worker while the fit bins (checks-schedule.ts), by the
    // learner's threads and the table's rows, known before it loads.
    const placement = checksPlacement(args, this.datasets.rowCount(args.dataset, args.datasetVersion));
    // Every learner fits in a training worker (and the checks may take one): its start-up overlaps the load and the
    // split.
    prewarmTrainingWorker(undefined, placement === 'aside' ? 2 : 1);
    // From the moment the job was accepted: loading the table then (and any wait in the queue) is the load phase.
    clock.phase('load', started);
    const { frame, info } = this.datasets.loadFrame(args.dataset, args.datasetVersion);
    clock.phase('prepare');
    const prepared = labelledSplit(frame, args);
    const { task, seed, classes, classOf, values, labelled, scheme, split } = prepared;
    if (split.train.length < 2) {
      throw new HearthError('VALIDATION_FAILED', `too few labelled rows to train (${labelled.length})`);
    }
    const targetsOf = (rows: Int32Array): Int32Array | Float64Array =>
      classOf === undefined ? gather(values!, rows) : gather(classOf, rows);
    if (args.resample === 'smote' && classOf === undefined)
      throw new HearthError('VALIDATION_FAILED', 'SMOTE needs a classification target');
    const checks = scheduleChecks(placement, frame, args, prepared, clock, cancel);
    const runRows = split.train.length + split.validation.length;
    const host = this.host(job, cancel, checks.beforeFirstFit);
    let fit = fitter({ frame, task, seed, classes, classOf, values, args, runRows }, host);
    const data: EvaluationData = { frame, task, seed, classes, split, targetsOf };
    // SMOTE asked for one learner: kept only if it beats the plain fit on cross-validation.
    let fitArgs = args;
    const smoteGuard = args.resample === 'smote' && args.algorithm !== 'auto' ? await guardSmote(data, args, scheme, fit) : null;
    if (smoteGuard !== null && !smoteGuard.kept) {
      const { resample: _dropped, ...plain } = args;
      fitArgs = plain;
      fit = fitter({ frame, task, seed, classes, classOf, values, args: fitArgs, runRows }, host);
    }

    // Search or cross-validate (when asked). The search plans its end from what its candidates cost to fit and predict.
    if (args.algorithm === 'auto') clock.phase('search');
    else if (args.folds !== undefined && args.folds >= 2) clock.phase('cross-validation');
    const planRows = {
      train: split.train.length,
      validation: split.validation.length,
      test: split.test.length,
      features: frame.columns.length - 1,
    };
    const budget = clock.budgetMs === null ? null : new SearchBudget(clock, clock.budgetMs, planRows, Date.now());
    // Size and single-row latency of a model, timed on held-out rows (the training rows when none are held out).
    const timingRows = split.validation.length > 0 ? split.validation : split.test.length > 0 ? split.test : split.train;
    const measure = (m: Parameters<typeof measureFootprint>[0]): ReturnType<typeof measureFootprint> =>
      measureFootprint(m, this.version, frame, timingRows);
    const search: SearchOutcome | null =
      budget !== null
        ? await searchLearners({
            ...data,
            args,
            classOf,
            scheme,
            fit,
            cancel,
            budget,
            measure,
            onTrial: (t) => this.events.trial?.({ jobId: job.id, ...t }),
          })
        : null;
    let chosen = search?.chosen ?? fitArgs;
    let ensembleMembers = search?.ensembleMembers ?? null;
    const crossValidated = await crossValidation(data, args, scheme, fit);

    // Fit on the training rows, stopping where the plan leaves time for the refit and the phases after it.
    clock.phase('fit');
    const projection = budget?.chosen ?? null;
    const fitEnd = projection === null ? null : finalFitDeadline(Date.now(), clock.end, projection);
    if (fitEnd !== null) clock.planFinalFit(fitEnd);
    const fitStarted = performance.now();
    const fitting = fitFinal(fit, args, chosen, ensembleMembers, split, { task, classes }, fitEnd);
    // Observed when awaited below: a failed fit is thrown there, not reported as unhandled while the checks run.
    fitting.catch(() => undefined);
    // With a core free, the data checks run on this thread while the fit's worker fits (this thread would only wait).
    const warnings = await checks.warnings();
    if (smoteGuard !== null && !smoteGuard.kept)
      warnings.push({ kind: 'resampling', code: 'RESAMPLING', message: String(smoteGuard.report.reason) });
    let final = await fitting;
    // With limits, the final fit is measured again; over one, the next eligible candidate is fitted instead.
    if (search !== null && search.limits !== null) {
      ({ final, chosen, ensembleMembers } = await finalWithinLimits({
        search,
        report: search.limits,
        fitted: { final, chosen, ensembleMembers },
        measure,
        refit: (next) => fitFinal(fit, args, next, null, split, { task, classes }, fitEnd),
        note: (text) => clock.note(text),
      }));
    }
    const { params, fitReport } = final;
    let { model, workerCpuMs } = final;
    // The calibrator was fitted on the search's out-of-fold predictions; from here on the model serves calibrated
    // probabilities (the threshold is tuned, and the metrics measured, on those).
    if (search?.calibration.calibrator) {
      model.calibrator = search.calibration.calibrator;
      // The out-of-fold predictions came from the fold models, which a budget may have cut short of the final model's
      // rounds (or the final fit short of theirs): a calibrator that over- or under-sharpens the final model, or costs
      // it ranking, is caught on the validation rows and the method chosen again on the final model's own predictions.
      if (split.validation.length > 0) {
        const { calibrator: _calibrator, ...plain } = model;
        const uncalibrated = predictAt(plain, { features: modelInputs(model) }, data.frame, split.validation);
        const labels = Int32Array.from(data.targetsOf(split.validation));
        // A calibrator fitted on the validation rows is allowed only when the run's metrics come from test rows.
        const warning = checkOnFinalModel(task, search.calibration, uncalibrated, labels, seed, split.test.length > 0);
        if (warning !== undefined) warnings.push({ kind: 'calibration', code: 'CALIBRATION', message: warning });
        if (search.calibration.calibrator === null) delete model.calibrator;
        else model.calibrator = search.calibration.calibrator;
      }
    }
    if (Atomics.load(cancel, 0) === 1) throw new HearthError('CANCELLED', 'training was cancelled');
    // Binning (for trees) and fitting: what a peer library's fit() covers.
    const fitMs = Math.round(performance.now() - fitStarted - checks.waitedMs());
    this.progress(job, { phase: 'evaluating', fraction: 0.95 });
    clock.phase('evaluate');
    const evaluationStarted = Date.now();

    // Threshold and evaluation. Metrics come from the test rows; with no test rows asked for, from the validation
    // rows, else the training rows.
    let inputs = { features: modelInputs(model) };
    const evaluationRows = split.test.length > 0 ? split.test : split.validation.length > 0 ? split.validation : split.train;
    // SHAP summary over up to 500 validation rows (the evaluation rows when there are none), for run comparisons.
    const shapRows = (split.validation.length > 0 ? split.validation : evaluationRows).subarray(0, 500);
    // A single tree learner's model is final here (no refit, no deadline): TreeSHAP runs in a worker thread while
    // this thread evaluates it; the explain phase is then what is left of it.
    const shapAside =
      args.algorithm !== 'auto' && model.format === 'hearth.trees/1'
        ? shapSummaryInWorker(model, rawInputsAt(inputs, frame, shapRows))
        : null;
    shapAside?.catch(() => undefined);
    // Each set of rows is predicted once: the threshold, the metrics, their curves and the baseline share it.
    const validationPrediction = split.validation.length > 0 ? predictAt(model, inputs, frame, split.validation) : null;
    const thresholdReport = tuneDecisionThreshold(
      data,
      args,
      model,
      inputs,
      search?.tuneThreshold ?? args.threshold !== undefined,
      validationPrediction,
    );
    let evaluatedOn = split.test.length > 0 ? 'test' : split.validation.length > 0 ? 'validation' : 'train';
    // With no held-out rows, the metrics are the training rows': the fit's own scores of them stand in for a
    // prediction of every row (checked on a thousand of them).
    const evaluationPrediction =
      evaluationRows === split.validation
        ? validationPrediction!
        : evaluationRows === split.train
          ? predictTrainingRows(model, inputs, frame, split.train, final.trainScores).prediction
          : predictAt(model, inputs, frame, evaluationRows);
    // Knowing nothing, on the same rows and by the same model that gives the reported metrics; the two share the
    // scores' sorted order.
    let [evaluation, compared] = withSharedScoreOrders(
      () =>
        [
          evaluateOn(data, model, inputs, evaluationRows, evaluationPrediction),
          baselineComparison(data, model, inputs, evaluationRows, evaluationPrediction),
        ] as const,
    );
    const validationEvaluation =
      validationPrediction === null ? null : evaluateOn(data, model, inputs, split.validation, validationPrediction);
    const permutation = split.validation.length > 0 ? validationImportance(data, model, inputs) : [];

    // A search's choice is refitted on all the training rows; validation metrics, importance and the threshold
    // above come from the first fit, and the reported metrics from the refit when there are test rows (otherwise
    // they stay the first fit's).
    // Under a budget, the refit runs only if it is projected to end in time (from the first fit's measured cost);
    // one its deadline cut short is dropped, since it is not the model that was validated.
    let refitReport: Record<string, unknown> | null = null;
    const allRows = split.train.length + split.validation.length;
    // What finishing costs, from this model's own evaluation time (the search's projection was for its folds).
    const evaluationMs = Date.now() - evaluationStarted;
    const finishing = finishingMs(evaluationMs, planRows);
    const refitPlan =
      projection === null ? null : refitFits(Date.now(), clock.end, { ms: fitMs, rows: split.train.length }, allRows, finishing);
    if (refitPlan !== null && !refitPlan.fits && args.algorithm === 'auto' && split.validation.length > 0) {
      clock.note(
        `refit on all ${allRows} training rows skipped: projected at ${(refitPlan.projectedMs / 1000).toFixed(1)} s, ` +
          `with ${(clock.left() / 1000).toFixed(1)} s of the budget left; the model is the fit on the training rows`,
      );
      refitReport = { skipped: true, projectedSeconds: Number((refitPlan.projectedMs / 1000).toFixed(2)) };
    } else if (args.algorithm === 'auto' && split.validation.length > 0) {
      clock.phase('refit');
      const refitEnd = projection === null ? null : Math.max(Date.now(), clock.end - finishing);
      const refit = await refitOnAll(fit, final, model, split, cancel, refitEnd);
      workerCpuMs += refit.workerCpuMs;
      refitReport = { ...refit.report, kept: !refit.cutShort };
      if (refit.cutShort) {
        clock.note('refit on all training rows stopped short at its deadline: kept the fit on the training rows');
      } else {
        model = refit.model;
        clock.phase('evaluate');
        inputs = { features: modelInputs(model) };
        if (split.test.length > 0) {
          const testPrediction = predictAt(model, inputs, frame, split.test);
          [evaluation, compared] = withSharedScoreOrders(
            () =>
              [
                evaluateOn(data, model, inputs, split.test, testPrediction),
                baselineComparison(data, model, inputs, split.test, testPrediction),
              ] as const,
          );
        } else evaluatedOn = 'validation, before the refit on all training rows';
      }
    }

    // A model explained in a worker is exported and its graph checked while the worker finishes (the explain phase is
    // then what is left of it, before the serving cost is timed); otherwise TreeSHAP runs here first, stopping under a
    // budget where the export's projected cost begins.
    let shap: { feature: string; meanAbs: number }[] | null = null;
    if (shapAside === null) {
      clock.phase('explain');
      const shapEnd = projection === null ? null : explanationDeadline(clock.end, evaluationMs, planRows);
      const explained = shapSummaryOn(data, model, inputs, shapRows, shapEnd);
      shap = explained.summary;
      const toExplain = Math.min(500, shapRows.length);
      if (shapEnd !== null && model.format === 'hearth.trees/1' && explained.rows < toExplain)
        clock.note(
          explained.rows === 0
            ? 'SHAP summary skipped, for lack of time'
            : `SHAP summary over ${explained.rows} of ${toExplain} rows, for lack of time`,
        );
    }

    // The exported graph must reproduce the TypeScript model: checked on held-out rows before registering.
    clock.phase('export');
    const onnx = exportModelToOnnx(model, this.version);
    clock.phase('parity');
    const checked = await checkExport(model, onnx, inputs, frame, evaluationRows);
    let measured: ServingMeasures;
    try {
      // The serving cost is timed once the TreeSHAP worker is done: the batch's CPU time is the whole process's, and
      // a worker still explaining beside it read as serving cost (1.8x the batch's own).
      if (shapAside !== null) {
        clock.phase('explain');
        shap = await shapAside;
        clock.phase('parity');
      }
      measured = await checked.measure();
    } finally {
      await checked.release();
    }
    const { parity } = checked;
    const { predictLatencyUs, latency, batch } = measured;
    if (search !== null && search.limits !== null) {
      // The registered graph (refitted on all rows) as served, against the limits: recorded, and noted when over.
      const limits = search.limits;
      const footprint = { modelBytes: onnx.length, latencyUs: predictLatencyUs ?? 0 };
      const over = overLimits(footprint, {
        maxBytes: limits.maxSizeKb === null ? null : limits.maxSizeKb * bytesPerKb,
        maxLatencyUs: limits.maxLatencyUs,
      });
      limits.registered = { modelBytes: onnx.length, latencyUs: predictLatencyUs, overLimit: over };
      if (over.length > 0)
        clock.note(`limits: the registered model, refitted on all rows, measured over the limit (${over.join(', ')})`);
    }
    clock.phase('register');
    const used = cpuSince(cpu);
    const phases = clock.report().phases.map((p) => ({ phase: p.phase, seconds: p.seconds }));
    const cost: CostMeasures = { ...used, wallMs: Date.now() - started, phases, latency, batch };
    return this.registry.register(
      registration({
        args,
        datasetVersionId: info.id,
        algorithm: ensembleMembers === null ? chosen.algorithm : 'ensemble',
        task,
        params,
        model,
        onnx,
        evaluation,
        report: {
          ...fitReport,
          decisionThreshold: thresholdReport,
          smoteGuard: smoteGuard?.report ?? null,
          leaderboard: search?.leaderboard ?? null,
          search: search?.searchReport ?? null,
          warnings: compared.warning === null ? warnings : [...warnings, compared.warning],
          baseline: compared.baseline,
          crossValidation: crossValidated,
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
          // The phases up to registration (the job's result has the whole run, registration included).
          budget: clock.report(),
          workerCpuMs,
          cost,
        },
        predictLatencyUs,
        codeVersion: this.version,
      }),
    );
  }

  /** What the job's learners fit with: workers whose progress goes to the job, and the job's cancel flag. */
  private host(job: TrainingJob, cancel: Int32Array, beforeFirstFit: (() => Promise<void>) | null): LearnerHost {
    // Awaited once, before the job's first fit hands its rows to worker threads.
    let ready: Promise<void> | null = null;
    // Read once: every fit of the run (folds, trials, the final fit, its refit) takes the same kernel, even if a probe
    // finishes while it runs.
    const unusable = this.unusableKernels();
    return {
      // Progress of folds, refits and members is reported under their label and kept out of the history.
      runWorker: async (request, label) => {
        if (beforeFirstFit !== null) await (ready ??= beforeFirstFit());
        return runTrainingWorker(request, (reply) => {
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
        });
      },
      nextSeq: () => ++this.seq,
      cancel: cancel.buffer as SharedArrayBuffer,
      preferredBackend: () => readPins(this.db).tfjs as BackendName | null,
      pinnedKernel: () => this.pinnedKernel(),
      unusableKernels: () => unusable,
    };
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
}
