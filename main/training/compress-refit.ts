import { HearthError } from '../contracts/errors.js';
import type { Frame } from '../table/frame.js';
import { gather } from '../table/frame.js';
import { modelInputs, type TrainedModel } from '../models/model.js';
import type { TreeModel } from '../models/tree-model.js';
import { tuneDecisionThreshold } from './evaluation.js';
import { fitter } from './fit.js';
import type { labelledSplit } from './labels.js';
import type { LearnerHost } from './learners/index.js';
import type { TrainArgs } from './train-args.js';
import { runTrainingWorker, type FitProgress } from './worker-run.js';

/* "Shallower refits" (leaves-N): the run's own learner fitted again with the same parameters, seed, training rows and
 * early stopping on the same validation rows, but at most N leaves per tree. Unlike the other steps it is not a
 * transformation of the trees: it trains, in a training worker as the run did. */

/** What a refit needs of the version and its run. */
export interface RefitSource {
  name: string;
  version: number;
  model: TrainedModel;
  /** The run's arguments (a single tree learner's). */
  args: TrainArgs;
  /** The registered version's report: whether the SMOTE guard kept SMOTE. */
  report: Record<string, unknown>;
  /** The registered parameters: maxLeaves as the learner filled it in. */
  params: Record<string, unknown>;
  /** Whether the version is the run's own model (not a variant of it). */
  trained: boolean;
}

/** A refitted model and what its fit reported (rounds, best round). */
export interface Refit {
  leaves: number;
  model: TreeModel;
  fitReport: Record<string, unknown>;
}

/** Leaves of a tree: nodes with no split. */
export function leafCount(tree: TreeModel['trees'][number]): number {
  return tree.feature.reduce((n, f) => (f < 0 ? n + 1 : n), 0);
}

/** Why this version cannot be refitted, or null when it can. */
function refusal(source: RefitSource): string | null {
  const { args, model } = source;
  if (model.format !== 'hearth.trees/1') return 'leaves-N applies to tree models only';
  if (!source.trained)
    return `leaves-N refits the run: ${source.name} v${source.version} is a variant, so refit the version it was compressed from`;
  if (args.algorithm !== 'gbdt' && args.algorithm !== 'forest')
    return `leaves-N refits a run of one tree learner; the run of ${source.name} v${source.version} was a search (its final fit is a refit on all rows)`;
  return null;
}

/** The run's leaves per tree (its maxLeaves, as the learner filled it in). */
function runLeaves(source: RefitSource): number {
  const recorded = source.params.maxLeaves;
  if (typeof recorded === 'number') return recorded;
  return source.args.maxLeaves ?? (source.args.algorithm === 'forest' ? 1024 : 31);
}

/**
 * The refits worth offering: half and a quarter of the run's maxLeaves (at least 4), each only when the original's
 * largest tree has more leaves (otherwise the refit grows the very same trees). None where no refit applies.
 */
export function refitLeavesOffered(source: RefitSource): number[] {
  if (refusal(source) !== null) return [];
  const model = source.model as TreeModel;
  const largest = Math.max(0, ...model.trees.map(leafCount));
  const base = runLeaves(source);
  const offered = [Math.floor(base / 2), Math.floor(base / 4)].filter((n) => n >= 4 && n < largest);
  return [...new Set(offered)];
}

/** Checks a leaves-N step applies to this version (a mistake fails before any training). */
export function checkRefit(source: RefitSource, leaves: number): void {
  const why = refusal(source);
  if (why !== null) throw new HearthError(source.model.format === 'hearth.trees/1' ? 'NOT_SUPPORTED' : 'VALIDATION_FAILED', why);
  const base = runLeaves(source);
  if (leaves < 2 || leaves >= base)
    throw new HearthError(
      'VALIDATION_FAILED',
      `leaves-${leaves} is not a shallower refit of ${source.name} v${source.version}: its run grew up to ${base} leaves per tree (use 2 to ${base - 1})`,
    );
}

/** Where a refit's GBDT kernel choice comes from: the Trainer, as a training run's fits take it. */
export type KernelSettings = Pick<LearnerHost, 'pinnedKernel' | 'unusableKernels'>;

/** No pin, and no kernel known to be unusable: the automatic choice. */
const automaticKernel: KernelSettings = { pinnedKernel: () => null, unusableKernels: () => [] };

/**
 * A learner host for refits outside a training job: a training worker, the compression's cancel flag, its progress,
 * the GBDT kernel pinned in the settings and those the engine's probe found unusable (as a training run's fits take them).
 */
export function refitHost(
  cancel: Int32Array,
  onProgress: (p: FitProgress) => void,
  kernels: KernelSettings = automaticKernel,
): LearnerHost {
  let seq = 0;
  // Read once, as a training run reads it: every refit of the compression takes the same kernel.
  const unusable = kernels.unusableKernels();
  return {
    runWorker: (request) => runTrainingWorker(request, onProgress),
    nextSeq: () => ++seq,
    cancel: cancel.buffer as SharedArrayBuffer,
    preferredBackend: () => null,
    pinnedKernel: () => kernels.pinnedKernel(),
    unusableKernels: () => unusable,
  };
}

/**
 * Fits the run's learner again on its training rows (validation rows for early stopping), with maxLeaves `leaves`
 * and everything else as the run had it: SMOTE only where the run's guard kept it, the same balanced class weights
 * and seed. A decision threshold the run tuned is tuned again, on the same validation rows, for the refitted trees.
 * `checkRefit` is the caller's; any leaves ≥ 2 is fitted here (the run's own count reproduces the original).
 */
export async function refitWithLeaves(
  source: RefitSource,
  frame: Frame,
  prepared: ReturnType<typeof labelledSplit>,
  leaves: number,
  host: LearnerHost,
): Promise<Refit> {
  const { task, seed, classes, classOf, values, split } = prepared;
  let args: TrainArgs = { ...source.args, maxLeaves: leaves };
  const guard = source.report.smoteGuard as { kept?: unknown } | null | undefined;
  if (args.resample === 'smote' && guard?.kept === false) {
    const { resample: _dropped, ...plain } = args;
    args = plain;
  }
  const fit = fitter(
    { frame, task, seed, classes, classOf, values, args, runRows: split.train.length + split.validation.length },
    host,
  );
  const fitted = await fit(split.train, split.validation, null, args, null);
  const model = fitted.model;
  if (model.format !== 'hearth.trees/1') throw new HearthError('INTERNAL', 'a tree learner fitted something else');
  if (JSON.stringify(model.classes) !== JSON.stringify(source.model.classes))
    throw new HearthError('INTERNAL', 'the refit found other classes than the original');
  const targetsOf = (rows: Int32Array): Int32Array | Float64Array =>
    classOf === undefined ? gather(values!, rows) : gather(classOf, rows);
  tuneDecisionThreshold(
    { frame, task, seed, classes, split, targetsOf },
    args,
    model,
    { features: modelInputs(model) },
    args.threshold !== undefined,
  );
  return { leaves, model, fitReport: fitted.fitReport };
}
