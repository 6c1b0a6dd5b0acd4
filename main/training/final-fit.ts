import { HearthError } from '../contracts/errors.js';
import { modelAlgorithm, type EnsembleModel, type SingleModel } from '../models/ensemble-model.js';
import type { Fit } from './fit.js';
import { learners } from './learners/index.js';
import { modelInputs, type TrainedModel } from '../models/model.js';
import type { Task } from '../models/preprocess.js';
import type { Candidate, TrainArgs } from './train-args.js';

/** The model fitted on the training rows, with what the refit on all of them needs. */
export interface FinalFit {
  model: TrainedModel;
  params: Record<string, unknown>;
  fitReport: Record<string, unknown>;
  workerCpuMs: number;
  /** What each fitted model was trained with (one entry, or one per ensemble member). */
  fittedArgs: TrainArgs[];
  /** Each fitted model's own report, in the order of `fittedArgs`. */
  reports: Record<string, unknown>[];
  /** A single boosted model's scores of the training rows, from its fit (see LearnerFit). */
  trainScores?: Float64Array;
}

/**
 * After a search, the final fits stop at the deadline the budget's plan gives their phase (an MLP or boosting stops
 * there with its best so far), so "two minutes" does not become ten on a big table; a single learner asked for
 * (deadline null) runs to the end. The i-th of `parts` fits gets an equal share of what is left before `end`.
 */
export function finalDeadline(end: number | null, parts: number, i: number): number | null {
  if (end === null) return null;
  return Date.now() + Math.max(0, (end - Date.now()) / (parts - i));
}

/** Fits the chosen learner, or each of the ensemble's members, on the training rows (validation rows for early stopping). */
export async function fitFinal(
  fit: Fit,
  args: TrainArgs,
  chosen: TrainArgs,
  ensembleMembers: { candidate: Candidate; weight: number }[] | null,
  split: { train: Int32Array; validation: Int32Array },
  model: { task: Task; classes: string[] | null },
  /** When the phase must end (the budget's plan); null: no deadline. */
  end: number | null,
): Promise<FinalFit> {
  if (ensembleMembers === null) {
    const fitted = await fit(split.train, split.validation, null, chosen, finalDeadline(end, 1, 0));
    return { ...fitted, fittedArgs: [chosen], reports: [fitted.fitReport] };
  }
  // The blend's members, each refitted on the training rows (validation rows for early stopping), as searched.
  const members: { model: SingleModel; fitReport: Record<string, unknown>; workerCpuMs: number }[] = [];
  for (const [i, member] of ensembleMembers.entries()) {
    members.push(
      await fit(
        split.train,
        split.validation,
        `ensemble member ${i + 1}/${ensembleMembers.length}`,
        { ...args, ...member.candidate },
        finalDeadline(end, ensembleMembers.length, i),
      ),
    );
  }
  const ensemble: EnsembleModel = {
    format: 'hearth.ensemble/1',
    task: model.task,
    target: args.target,
    classes: model.classes,
    members: members.map((m) => m.model),
    weights: ensembleMembers.map((m) => m.weight),
  };
  return {
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
    fittedArgs: ensembleMembers.map((m) => ({ ...args, ...m.candidate })),
    reports: members.map((m) => m.fitReport),
  };
}

/**
 * A search's choice refitted on all the training rows (training and validation), with the rounds or epochs early
 * stopping chose. The model keeps its decision threshold; returns the refitted model and the refit's cost. A refit
 * that its deadline stopped before the rounds or epochs it was asked for says so (`cutShort`): it is not the model
 * the first fit validated.
 */
export async function refitOnAll(
  fit: Fit,
  final: FinalFit,
  model: TrainedModel,
  split: { train: Int32Array; validation: Int32Array },
  cancel: Int32Array,
  /** When the refit must end (the budget's plan); null: no deadline. */
  end: number | null,
): Promise<{ model: TrainedModel; workerCpuMs: number; cutShort: boolean; report: Record<string, unknown> }> {
  const all = Int32Array.from([...split.train, ...split.validation]).sort();
  const { fittedArgs, reports } = final;
  const refitStarted = performance.now();
  const refitted: SingleModel[] = [];
  let workerCpuMs = 0;
  let cutShort = false;
  for (const [i, a] of fittedArgs.entries()) {
    const fixed = a.algorithm === 'auto' ? a : learners[a.algorithm].fixedIterations(a, reports[i]!);
    const label = `refit on all ${all.length} training rows${fittedArgs.length > 1 ? ` (member ${i + 1}/${fittedArgs.length})` : ''}`;
    const refit = await fit(all, new Int32Array(0), label, fixed, finalDeadline(end, fittedArgs.length, i));
    cutShort ||= stoppedShort(fixed, refit.fitReport);
    refitted.push(refit.model);
    workerCpuMs += refit.workerCpuMs;
  }
  if (Atomics.load(cancel, 0) === 1) throw new HearthError('CANCELLED', 'training was cancelled');
  const threshold = model.decisionThreshold;
  const result: TrainedModel = model.format === 'hearth.ensemble/1' ? { ...model, members: refitted } : refitted[0]!;
  if (threshold !== undefined) result.decisionThreshold = threshold;
  if (model.calibrator !== undefined) result.calibrator = model.calibrator;
  return {
    model: result,
    workerCpuMs,
    cutShort,
    report: { rows: all.length, seconds: Number(((performance.now() - refitStarted) / 1000).toFixed(2)) },
  };
}

/** Whether a fit with a fixed length (rounds, epochs, trees) stopped before it: its deadline cut it. */
function stoppedShort(fixed: TrainArgs, report: Record<string, unknown>): boolean {
  const done = fixed.algorithm === 'gbdt' ? report.rounds : fixed.algorithm === 'mlp' ? report.epochs : report.trees;
  const asked = fixed.algorithm === 'mlp' ? fixed.epochs : fixed.trees;
  if (fixed.algorithm === 'linear' || typeof done !== 'number' || asked === undefined) return false;
  return done < asked;
}
