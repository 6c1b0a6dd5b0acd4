import { HearthError } from '../contracts/errors.js';
import type { Frame } from '../table/frame.js';
import { selectRows } from '../table/frame.js';
import { meanAndStd } from '../stats/metrics.js';
import { modelInputs, predictModel } from '../models/model.js';
import { rawInputsFromFrame } from '../models/preprocess.js';
import { evaluate, type EvaluationData } from './evaluation.js';
import type { Fit } from './fit.js';
import { defaultMetric, lowerIsBetter } from './labels.js';
import { checkSmoteApplies } from './smote.js';
import { foldPairs, type SplitScheme } from './split.js';
import { excludedColumns, type TrainArgs } from './train-args.js';

/** Why SMOTE cannot be used on this data (null when it can). */
export function smoteRefused(frame: Frame, args: TrainArgs): string | null {
  try {
    checkSmoteApplies(frame, args.target, excludedColumns(args));
    return null;
  } catch (error) {
    if (error instanceof HearthError) return error.message;
    throw error;
  }
}

/** What the imbalance comparison did with SMOTE, and why, for the run's report. */
export function smoteVerdict(
  refusal: string | null,
  smote: { metric: string; cvMetric: number } | null,
  plain: { metric: string; cvMetric: number },
  kept: boolean,
  higherIsBetter: boolean,
): { kept: boolean; reason: string } {
  if (refusal !== null) return { kept: false, reason: `not tried: ${refusal}` };
  if (smote === null) return { kept: false, reason: 'not tried: the time budget ran out first' };
  const figures = `${smote.metric} ${smote.cvMetric.toFixed(4)} with SMOTE, ${plain.cvMetric.toFixed(4)} without`;
  if (kept) return { kept, reason: `SMOTE beat the plain model on cross-validation (${figures})` };
  const worse = higherIsBetter ? smote.cvMetric <= plain.cvMetric : smote.cvMetric >= plain.cvMetric;
  return {
    kept,
    reason: worse
      ? `SMOTE did not beat the plain model on cross-validation (${figures}), so the real rows alone are kept`
      : `another treatment scored better on cross-validation (${figures})`,
  };
}

/** One treatment's cross-validated score in the imbalance comparison. */
export interface ImbalanceRow {
  strategy: string;
  threshold: 'default' | 'tuned';
  metric: string;
  cvMetric: number;
}

/** A row of the search's imbalance comparison: the candidate scored, with its spread across folds. */
export interface ImbalanceComparisonRow<C> extends ImbalanceRow {
  candidate: C;
  cvStd: number;
  /** The metric is the calibrated log loss (the search ranks calibrated). */
  calibrated?: boolean;
}

/**
 * The imbalance comparison's winner: the best score, except that SMOTE wins only by beating the plain candidate
 * (strategy "none", same threshold), so a tie or a loss keeps the real rows, synthetic rows being a cost with
 * nothing to show for it. With what became of SMOTE and why.
 */
export function imbalanceWinner<R extends ImbalanceRow>(
  rows: readonly R[],
  higherIsBetter: boolean,
  smoteRefusal: string | null,
): { winner: R; smote: { kept: boolean; reason: string } } {
  const ranked = [...rows].sort((a, b) => (higherIsBetter ? b.cvMetric - a.cvMetric : a.cvMetric - b.cvMetric));
  const plain = (threshold: string): R => ranked.find((r) => r.strategy === 'none' && r.threshold === threshold)!;
  const beats = (a: number, b: number): boolean => (higherIsBetter ? a > b : a < b);
  const winner = ranked.find((r) => r.strategy !== 'SMOTE' || beats(r.cvMetric, plain(r.threshold).cvMetric))!;
  const smoteRow = ranked.find((r) => r.strategy === 'SMOTE' && r.threshold === winner.threshold) ?? null;
  const kept = winner.strategy === 'SMOTE';
  return { winner, smote: smoteVerdict(smoteRefusal, smoteRow, plain(winner.threshold), kept, higherIsBetter) };
}

/**
 * `resample: smote` asked for one learner: the learner is cross-validated (the run's folds, 3 by default, on the
 * non-test rows) with and without SMOTE, and the synthetic rows are kept only if they beat the plain fit on the
 * run's metric. A resampled model that scores below the plain one is never kept; the report says which and why.
 */
export async function guardSmote(
  data: EvaluationData,
  args: TrainArgs,
  scheme: SplitScheme,
  fit: Fit,
): Promise<{ kept: boolean; report: Record<string, unknown> }> {
  const { frame, task, seed, classes, split, targetsOf } = data;
  const metric = args.metric ?? defaultMetric(task);
  const pool = Int32Array.from([...split.train, ...split.validation]).sort();
  const folds = foldPairs(pool, args.folds ?? 3, seed, scheme);
  if (folds.length === 0)
    return { kept: true, report: { asked: 'smote', kept: true, reason: 'too few rows or groups to cross-validate it' } };
  const { resample: _asked, ...plainArgs } = args;
  const score = async (a: TrainArgs, tag: string): Promise<number> => {
    const perFold: number[] = [];
    for (const [k, { train, heldOut }] of folds.entries()) {
      const { model } = await fit(train, new Int32Array(0), `${tag}, fold ${k + 1}/${folds.length}`, a);
      const prediction = predictModel(model, rawInputsFromFrame({ features: modelInputs(model) }, selectRows(frame, heldOut)));
      const value = evaluate(task, prediction, targetsOf(heldOut), classes, 0.5, false).metrics[metric];
      if (value === undefined) throw new HearthError('VALIDATION_FAILED', `metric "${metric}" does not apply to ${task} models`);
      perFold.push(value);
    }
    return meanAndStd(perFold).mean;
  };
  const plain = await score(plainArgs, 'without SMOTE');
  const resampled = await score(args, 'with SMOTE');
  const kept = lowerIsBetter.has(metric) ? resampled < plain : resampled > plain;
  return {
    kept,
    report: {
      asked: 'smote',
      metric,
      folds: folds.length,
      cv_plain: plain,
      cv_smote: resampled,
      ...smoteVerdict(null, { metric, cvMetric: resampled }, { metric, cvMetric: plain }, kept, !lowerIsBetter.has(metric)),
    },
  };
}
