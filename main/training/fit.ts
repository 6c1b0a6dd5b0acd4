import { HearthError } from '../contracts/errors.js';
import { gather, type Frame } from '../table/frame.js';
import { learners, type LearnerFit, type LearnerHost } from './learners/index.js';
import { smote } from './smote.js';
import type { TrainArgs } from './train-args.js';
import type { Task } from '../models/preprocess.js';

/** The labelled data a run fits on (from labelledSplit) and its arguments. */
export interface FitData {
  frame: Frame;
  task: Task;
  seed: number;
  classes: string[] | null;
  classOf: Int32Array | undefined;
  values: Float64Array | undefined;
  args: TrainArgs;
  /**
   * The rows the run's final fit trains on (training and validation, real rows only): learners that decide a default
   * by size decide on this, so every fit of the run (folds, final fit, SMOTE's augmented rows) gets the same answer.
   */
  runRows: number;
}

/** Fits one learner on some rows (with optional validation rows for early stopping). */
export type Fit = (
  trainRows: Int32Array,
  validationRows: Int32Array,
  label: string | null,
  a?: TrainArgs,
  /** The learner stops at this time (ms since the epoch) with what it has grown; searches set it. */
  deadline?: number | null,
) => Promise<LearnerFit>;

/**
 * Fits the chosen learner on some rows: used for the model itself and for each cross-validation fold. Applies
 * SMOTE and balanced class weights when asked, then hands the prepared rows to the learner.
 */
export function fitter(data: FitData, host: LearnerHost): Fit {
  const { frame, task, seed, classes, classOf, values, args, runRows } = data;
  return async (trainRows, validationRows, label, asked = args, deadline = null) => {
    // "auto" names the search, not a learner: the search resolves it before any fit.
    if (asked.algorithm === 'auto') throw new HearthError('INTERNAL', 'algorithm "auto" reached a fit without a search');
    const learner = learners[asked.algorithm];
    // A search tunes what a size-dependent default would guard (boosting's number of trees): its fits decide by size.
    // A single learner asked for keeps its defaults.
    const a = args.algorithm === 'auto' ? learner.decideDefaults(asked, runRows) : asked;
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
    const targetsOf = (rows: Int32Array): Int32Array | Float64Array => {
      const labels = fitClassOf;
      return labels === undefined ? gather(values!, rows) : gather(labels, rows);
    };
    const classWeights =
      a.classWeight === 'balanced' && classes !== null ? balancedWeights(targetsOf(fitRows) as Int32Array, classes.length) : null;
    const fitted = await learner.fit(
      {
        task,
        classes,
        frame: fitFrame,
        rows: fitRows,
        validationRows,
        targetsOf,
        args: a,
        seed,
        classWeights,
        deadline,
        label,
        validationFraction: args.validationFraction ?? 0.15,
        testFraction: args.testFraction ?? 0.15,
      },
      host,
    );
    fitted.fitReport.resampling = resampling;
    // Scores of SMOTE's augmented rows are not scores of the rows asked for.
    if (fitRows !== trainRows) delete fitted.trainScores;
    return fitted;
  };
}

/** "balanced" class weights: n / (classes × count of the class), as scikit-learn computes them. */
export function balancedWeights(targets: Int32Array, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const y of targets) counts[y]!++;
  return counts.map((c) => (c === 0 ? 0 : targets.length / (classes * c)));
}
