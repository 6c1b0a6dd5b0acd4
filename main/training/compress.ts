import { randomUUID } from 'node:crypto';
import type { CompressJob, CompressVariantResult } from '../contracts/compress.js';
import type { ModelVersionInfo } from '../contracts/models.js';
import { HearthError, serializeError } from '../contracts/errors.js';
import type { DatasetStore } from '../data/datasets.js';
import type { ModelRegistry } from '../registry/registry.js';
import { nowIso } from '../store/database.js';
import { gather } from '../table/frame.js';
import { exportModelToOnnx, modelInputs, onnxInputSchema, parseStoredModel, type TrainedModel } from '../models/model.js';
import { applyVariant, candidateIds, refitStep, type CompressRows, type Variant } from '../models/compress/variants.js';
import { defaultMetric, labelledSplit, lowerIsBetter, metricsOf } from './labels.js';
import { rawInputsAt } from './predict-rows.js';
import { lossOf, measureGraph, paretoMarks, type JudgedRows, type Measured } from './compress-eval.js';
import type { Trainer } from './trainer.js';
import type { LearnerHost } from './learners/index.js';
import {
  checkRefit,
  leafCount,
  refitHost,
  refitLeavesOffered,
  refitWithLeaves,
  type Refit,
  type RefitSource,
} from './compress-refit.js';
import type { TrainArgs } from './train-args.js';
// KB is 1,024 bytes here as in train --max-size and everywhere Hearth prints a size.
import { bytesPerKb } from './search-limits.js';
import { nextTurn } from '../accel/turns.js';

/** What compression uses: the registry (versions in, a chosen variant out), the runs' settings and the data. */
export interface CompressDeps {
  readonly registry: ModelRegistry;
  readonly trainer: Trainer;
  readonly datasets: DatasetStore;
  readonly version: string;
}

/** Validation rows a variant is shaped on (pruning, best round), and training rows dead units are found on. */
const shapingRows = { validation: 20_000, training: 5_000 };

interface Source {
  name: string;
  version: number;
  info: ModelVersionInfo;
  model: TrainedModel;
  args: TrainArgs;
  /** Whether the version is its run's own model (not a variant of it): only then can leaves-N refit it. */
  trained: boolean;
}

/** A version's model and the settings of the run it came from (through any compressions in between). */
function sourceOf(deps: CompressDeps, name: string, selector: number | undefined): Source {
  const version = deps.registry.resolve(name, selector);
  const info = deps.registry.version(name, version);
  const stored = parseStoredModel(deps.registry.modelJson(name, version));
  if (stored.format === 'onnx.imported/1')
    throw new HearthError(
      'NOT_SUPPORTED',
      `${name} v${version} is an imported ONNX graph: only models trained here are compressed`,
    );
  let v = version;
  for (let hops = 0; hops < 100; hops++) {
    const job = deps.trainer.list().find((j) => j.status === 'succeeded' && j.result?.model === name && j.result.version === v);
    if (job !== undefined) return { name, version, info, model: stored, args: job.args, trained: hops === 0 };
    const from = (deps.registry.version(name, v).report.compression as { from?: unknown } | undefined)?.from;
    if (typeof from !== 'number') break;
    v = from;
  }
  throw new HearthError(
    'VALIDATION_FAILED',
    `${name} v${version} was not trained on this box: its validation and test rows are unknown, so no variant can be judged`,
  );
}

/** The original run's rows, split as it split them, and the truth in the model's own class order. */
function judgedRows(
  deps: CompressDeps,
  source: Source,
  metricAsked?: string,
): { rows: JudgedRows; shaping: CompressRows; datasetVersionId: number; prepared: ReturnType<typeof labelledSplit> } {
  const { frame, info } = deps.datasets.loadFrame(source.info.dataset.name, source.info.dataset.version);
  const prepared = labelledSplit(frame, source.args);
  const { task, classes, classOf, values, split } = prepared;
  const own = source.model.classes;
  // The split's classes are the data's; the model's order is what its probabilities follow.
  const remap = classes === null || own === null ? null : Int32Array.from(classes, (c) => own.indexOf(c));
  if (remap !== null && remap.some((i) => i < 0))
    throw new HearthError('VALIDATION_FAILED', `the data has classes ${source.name} v${source.version} does not know`);
  const targetsOf = (rows: Int32Array): Int32Array | Float64Array =>
    classOf === undefined ? gather(values!, rows) : Int32Array.from(rows, (r) => remap![classOf[r]!]!);
  const metric = metricAsked ?? source.args.metric ?? defaultMetric(task);
  if (!metricsOf(task).includes(metric))
    throw new HearthError('VALIDATION_FAILED', `${metric} is not a ${task} metric (${metricsOf(task).join(', ')})`);
  const rows: JudgedRows = {
    frame,
    task,
    classes: own,
    validation: split.validation,
    test: split.test,
    targetsOf,
    metric,
    higherIsBetter: !lowerIsBetter.has(metric),
  };
  if (split.validation.length + split.test.length === 0)
    throw new HearthError(
      'VALIDATION_FAILED',
      `the run of ${source.name} v${source.version} held out no rows to judge variants on`,
    );
  const inputs = { features: modelInputs(source.model) };
  const shapeOn = split.validation.subarray(0, shapingRows.validation);
  const shaping: CompressRows = {
    validation: shapeOn.length === 0 ? null : { raw: rawInputsAt(inputs, frame, shapeOn), targets: targetsOf(shapeOn) },
    training: split.train.length === 0 ? null : rawInputsAt(inputs, frame, split.train.subarray(0, shapingRows.training)),
  };
  return { rows, shaping, datasetVersionId: info.id, prepared };
}

function refitSourceOf(source: Source): RefitSource {
  return {
    name: source.name,
    version: source.version,
    model: source.model,
    args: source.args,
    report: source.info.report,
    params: source.info.params,
    trained: source.trained,
  };
}

/**
 * A variant from its recipe: the steps applied to the original, or, for a recipe that starts with leaves-N, the run
 * refitted with N leaves per tree (once per N in `refits`) and the steps after it applied to the refit.
 */
async function buildVariant(
  source: Source,
  id: string,
  judged: { rows: JudgedRows; shaping: CompressRows; prepared: ReturnType<typeof labelledSplit> },
  host: LearnerHost,
  refits: Map<number, Refit>,
): Promise<{ variant: Variant; refit: Refit | null }> {
  const step = refitStep(id);
  if (step === null) return { variant: applyVariant(source.model, id, judged.shaping), refit: null };
  const from = refitSourceOf(source);
  checkRefit(from, step.leaves);
  let refit = refits.get(step.leaves);
  if (refit === undefined) {
    refit = await refitWithLeaves(from, judged.rows.frame, judged.prepared, step.leaves, host);
    refits.set(step.leaves, refit);
  }
  const words = `refit with ${step.leaves} leaves per tree`;
  if (step.rest === null) return { variant: { id, description: words, model: refit.model }, refit };
  const rest = applyVariant(refit.model, step.rest, judged.shaping);
  return { variant: { ...rest, id, description: `${words}, ${rest.description}` }, refit };
}

function resultOf(
  variant: string,
  description: string,
  m: Measured,
  original: Measured | null,
  higherIsBetter: boolean,
  extra: Partial<CompressVariantResult> = {},
): CompressVariantResult {
  const delta = (a: number | null, b: number | null | undefined): number | null =>
    a === null || b === null || b === undefined ? null : a - b;
  const base = original ?? m;
  return {
    variant,
    description,
    sizeBytes: m.sizeBytes,
    p50Us: m.p50Us,
    p99Us: m.p99Us,
    validation: m.validation,
    test: m.test,
    deltaValidation: delta(m.validation, base.validation),
    deltaTest: delta(m.test, base.test),
    loss:
      base.validation !== null
        ? lossOf(base.validation, m.validation, higherIsBetter)
        : lossOf(base.test, m.test, higherIsBetter),
    parity: m.parity,
    parityTolerance: m.parityTolerance,
    pareto: { size: false, latency: false },
    withinLimits: true,
    ...extra,
  };
}

/** Whether a variant is within the limits asked for. */
function withinLimits(r: CompressVariantResult, limits: CompressJob['limits']): boolean {
  return (
    (limits.maxSizeKb === undefined || r.sizeBytes <= limits.maxSizeKb * bytesPerKb) &&
    (limits.maxLatencyUs === undefined || r.p50Us <= limits.maxLatencyUs) &&
    (limits.maxLoss === undefined || r.loss <= limits.maxLoss)
  );
}

/** Finished compression jobs kept in memory for models.compress-get. */
const keptJobs = 50;

/** A job, its cancel request (also the flag a refit's worker checks every round) and its end. */
interface Entry {
  job: CompressJob;
  cancelled: boolean;
  flag: Int32Array;
  done: Promise<void>;
}

/** Compression jobs: one at a time, each cancellable between variants; kept in memory (the last 50) while Hearth runs. */
export class Compressor {
  private readonly jobs = new Map<string, Entry>();
  /** The variant models.compress-choose is registering now, or null. */
  private choosing: string | null = null;

  constructor(private readonly deps: CompressDeps) {}

  /** Checks the version can be compressed now (a mistake fails fast), then evaluates its variants in the background. */
  start(args: { name: string; version?: number | undefined; metric?: string | undefined } & CompressJob['limits']): CompressJob {
    // One job at a time: each variant's p50 and p99 are timed on this box, and a second job beside it would time
    // its own load into both; a script firing starts would also hold as many tables and graphs in memory at once.
    const running = [...this.jobs.values()].find((e) => e.job.status === 'running');
    if (running !== undefined)
      throw new HearthError(
        'CONFLICT',
        `compression job ${running.job.id} (${running.job.model} v${running.job.version}) is running: one runs at a time, ` +
          'since each times its variants; wait for it or cancel it',
        { jobId: running.job.id },
      );
    const source = sourceOf(this.deps, args.name, args.version);
    // A metric of another task is known from the version alone: refused here, not by a job that fails a moment later.
    if (args.metric !== undefined && !metricsOf(source.info.task).includes(args.metric))
      throw new HearthError(
        'VALIDATION_FAILED',
        `${args.metric} is not a ${source.info.task} metric (${metricsOf(source.info.task).join(', ')})`,
        { path: ['metric'] },
      );
    const limits: CompressJob['limits'] = {};
    if (args.maxSizeKb !== undefined) limits.maxSizeKb = args.maxSizeKb;
    if (args.maxLatencyUs !== undefined) limits.maxLatencyUs = args.maxLatencyUs;
    if (args.maxLoss !== undefined) limits.maxLoss = args.maxLoss;
    const job: CompressJob = {
      id: randomUUID(),
      model: source.name,
      version: source.version,
      status: 'running',
      createdAt: nowIso(),
      finishedAt: null,
      progress: { done: 0, total: 0, current: 'preparing', fraction: 0 },
      limits,
      metric: null,
      higherIsBetter: null,
      result: null,
      error: null,
    };
    const entry: Entry = { job, cancelled: false, flag: new Int32Array(new SharedArrayBuffer(4)), done: Promise.resolve() };
    entry.done = this.run(entry, source, args.metric);
    this.jobs.set(job.id, entry);
    // Finished jobs are kept for compress-get, the oldest forgotten past a bound (each holds its whole frontier).
    for (const [id, e] of this.jobs) {
      if (this.jobs.size <= keptJobs) break;
      if (e.job.status !== 'running') this.jobs.delete(id);
    }
    return structuredClone(job);
  }

  get(jobId: string): CompressJob {
    const entry = this.jobs.get(jobId);
    if (entry === undefined) throw new HearthError('NOT_FOUND', `no compression job ${jobId}`);
    return structuredClone(entry.job);
  }

  async wait(jobId: string): Promise<CompressJob> {
    const entry = this.jobs.get(jobId);
    if (entry === undefined) throw new HearthError('NOT_FOUND', `no compression job ${jobId}`);
    await entry.done;
    return structuredClone(entry.job);
  }

  cancel(jobId: string): CompressJob {
    const entry = this.jobs.get(jobId);
    if (entry === undefined) throw new HearthError('NOT_FOUND', `no compression job ${jobId}`);
    if (entry.job.status === 'running') {
      entry.cancelled = true;
      Atomics.store(entry.flag, 0, 1);
    }
    return structuredClone(entry.job);
  }

  private async run(entry: Entry, source: Source, metric: string | undefined): Promise<void> {
    const { job } = entry;
    // Let start() return first: preparing the rows of a large table takes a while.
    await nextTurn();
    try {
      const judged = judgedRows(this.deps, source, metric);
      const { rows, shaping } = judged;
      job.metric = rows.metric;
      job.higherIsBetter = rows.higherIsBetter;
      // Each refit alone, in float32, and narrowed too (a shallower tree splits on fewer features).
      const refitIds = refitLeavesOffered(refitSourceOf(source)).flatMap((n) => [
        `leaves-${n}`,
        `leaves-${n}+f32`,
        `leaves-${n}+narrow+f32`,
      ]);
      const ids = [...candidateIds(source.model, shaping), ...refitIds];
      const refits = new Map<number, Refit>();
      let current = '';
      // A refit's rounds move the job's progress within its variant's share.
      const host = refitHost(
        entry.flag,
        (p) => {
          const share = job.progress.done + Math.min(1, p.iteration / Math.max(1, p.maxIterations));
          job.progress = {
            ...job.progress,
            current: `${current} (refit: round ${p.iteration} of ${p.maxIterations})`,
            fraction: share / job.progress.total,
          };
        },
        this.deps.trainer,
      );
      job.progress = { done: 0, total: ids.length + 1, current: 'original', fraction: 0 };
      const original = await measureGraph(source.model, this.deps.registry.onnxBytes(source.name, source.version), rows);
      const results: CompressVariantResult[] = [];
      for (const [i, id] of ids.entries()) {
        if (entry.cancelled) throw new HearthError('CANCELLED', 'compression cancelled');
        job.progress = { done: i + 1, total: ids.length + 1, current: id, fraction: (i + 1) / (ids.length + 1) };
        current = id;
        const { variant } = await buildVariant(source, id, judged, host, refits);
        const measured = await measureGraph(variant.model, exportModelToOnnx(variant.model, this.deps.version), rows);
        results.push(
          resultOf(
            id,
            variant.description,
            measured,
            original,
            rows.higherIsBetter,
            variant.validationLoss === undefined ? {} : { validationLoss: variant.validationLoss },
          ),
        );
      }
      const originalResult = resultOf('original', `as trained (v${source.version})`, original, null, rows.higherIsBetter);
      const all = [originalResult, ...results];
      paretoMarks(all).forEach((mark, i) => (all[i]!.pareto = mark));
      for (const r of all) r.withinLimits = withinLimits(r, job.limits);
      job.result = {
        original: originalResult,
        variants: results,
        rows: { validation: rows.validation.length, test: rows.test.length },
      };
      job.progress = { done: ids.length + 1, total: ids.length + 1, current: null, fraction: 1 };
      if (Object.keys(job.limits).length > 0 && !all.some((r) => r.withinLimits)) {
        const best = {
          smallestKb: Math.min(...all.map((r) => r.sizeBytes)) / bytesPerKb,
          fastestUs: Math.min(...all.map((r) => r.p50Us)),
          leastLoss: Math.min(...all.map((r) => r.loss)),
        };
        throw new HearthError(
          'VALIDATION_FAILED',
          `no variant of ${source.name} v${source.version} meets the limits; the best achievable: ${best.smallestKb.toFixed(1)} KB, ` +
            `${best.fastestUs} µs p50, ${best.leastLoss <= 0 ? 'no loss of' : `a loss of ${best.leastLoss.toFixed(4)}`} ${rows.metric} ` +
            '(each by some variant)',
          { best, limits: job.limits },
        );
      }
      job.status = 'succeeded';
    } catch (error) {
      job.error = serializeError(error);
      job.status = job.error.code === 'CANCELLED' ? 'cancelled' : 'failed';
    }
    job.finishedAt = nowIso();
  }

  /**
   * Recomputes one variant from its recipe on the same rows, checks and measures its graph, and registers it as a
   * new version with its lineage and its own metrics. A new version is never production (only a model's first is).
   */
  async choose(args: { name: string; version?: number | undefined; variant: string }): Promise<ModelVersionInfo> {
    // One at a time: a second click on "Register" (or a retried call) while the first is measuring would register
    // the same variant twice, and each holds the table and times its graph under the other's load.
    if (this.choosing !== null)
      throw new HearthError(
        'CONFLICT',
        `${this.choosing} is being registered: one variant is registered at a time; list the versions when it is done`,
      );
    this.choosing = `${args.name} variant ${args.variant}`;
    try {
      return await this.register(args);
    } finally {
      this.choosing = null;
    }
  }

  private async register(args: { name: string; version?: number | undefined; variant: string }): Promise<ModelVersionInfo> {
    const source = sourceOf(this.deps, args.name, args.version);
    const judged = judgedRows(this.deps, source);
    const { rows, datasetVersionId } = judged;
    // A refit here is a fit like the job's, but nobody can cancel it: its flag is never set.
    const host = refitHost(new Int32Array(new SharedArrayBuffer(4)), () => undefined, this.deps.trainer);
    const { variant, refit } = await buildVariant(source, args.variant, judged, host, new Map());
    const onnx = exportModelToOnnx(variant.model, this.deps.version);
    const measured = await measureGraph(variant.model, onnx, rows);
    const lineage = `compressed from v${source.version}: ${variant.description}`;
    return this.deps.registry.register({
      model: source.name,
      algorithm: source.info.algorithm,
      task: source.info.task,
      target: source.info.target,
      datasetVersionId,
      params: { ...source.info.params, ...(refit === null ? {} : { maxLeaves: refit.leaves }), compression: variant.id },
      metrics: measured.testMetrics ?? measured.validationMetrics ?? {},
      report: {
        compression: {
          from: source.version,
          variant: variant.id,
          description: variant.description,
          lineage,
          ...(variant.validationLoss === undefined ? {} : { validationLoss: variant.validationLoss }),
          ...(refit === null ? {} : { refit: refitReport(refit) }),
        },
        evaluatedOn: measured.testMetrics !== null ? 'test' : 'validation',
        validationMetrics: measured.validationMetrics,
        split: { validation: rows.validation.length, test: rows.test.length },
        onnxParityMaxAbsDiff: measured.parity,
        modelBytes: onnx.length,
        predictLatencyUs: measured.p50Us,
        latency: { p50Us: measured.p50Us, p99Us: measured.p99Us, samples: 200 },
        codeVersion: this.deps.version,
      },
      inputSchema: onnxInputSchema(variant.model),
      onnx,
      modelJson: JSON.stringify(variant.model),
    });
  }
}

/** What a refit grew: its leaves cap, its trees and their largest, its rounds and the best one (boosting), its kernel. */
function refitReport(refit: Refit): Record<string, unknown> {
  const trees = refit.model.trees;
  return {
    maxLeaves: refit.leaves,
    trees: trees.length,
    largestTreeLeaves: Math.max(0, ...trees.map(leafCount)),
    rounds: refit.fitReport.rounds ?? null,
    bestRound: refit.fitReport.bestRound ?? null,
    // The kernel that grew them, and why a pinned one did not (it cannot run here).
    kernel: refit.fitReport.kernel ?? null,
    ...(refit.fitReport.kernelPinSkipped === undefined ? {} : { kernelPinSkipped: refit.fitReport.kernelPinSkipped }),
    ...(refit.fitReport.kernelPassedOver === undefined ? {} : { kernelPassedOver: refit.fitReport.kernelPassedOver }),
  };
}
