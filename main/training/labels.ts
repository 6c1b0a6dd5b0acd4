import { HearthError } from '../contracts/errors.js';
import { isSharedFrame, type Frame } from '../table/frame.js';
import { checkCalibrationArgs } from './calibrate.js';
import { dataChecks, type DataWarning } from '../models/data-checks.js';
import { dataChecksInWorker } from './worker-run.js';
import type { Task } from '../models/preprocess.js';
import { splitByScheme, type SplitScheme } from './split.js';
import { excludedColumns, type TrainArgs } from './train-args.js';
import { checkSmoteApplies } from './smote.js';

const maxClasses = 100;

/** Metrics where lower is better; the search minimises these. */
export const lowerIsBetter = new Set(['log_loss', 'rmse', 'mae']);

/**
 * The rows a training run learns from and holds out: labelled rows (classes or values per row) split into train,
 * validation and test by the run's scheme and seed. Deterministic, so a later step (retraining's comparison with
 * production) can find the very rows a version was tested on.
 */
export function labelledSplit(frame: Frame, args: TrainArgs) {
  const target = frame.columns.find((c) => c.name === args.target);
  if (target === undefined) throw new HearthError('VALIDATION_FAILED', `no column "${args.target}"`);
  // One pass over the target for the task and the classes both (each was ~10 ms on 255k rows).
  const targetLevels = labelLevels(target, frame.rowCount);
  const task = inferTask(frame, args.target, args.task, targetLevels.levels);
  const seed = args.seed ?? 42;
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
    const { levels, levelOf } = targetLevels;
    classes = [...new Set(levels)].sort(compareLabels);
    const index = new Map(classes.map((c, i) => [c, i]));
    const classOfLevel = Int32Array.from(levels, (l) => index.get(l)!);
    classOf = levelOf.map((level) => (level < 0 ? -1 : classOfLevel[level]!));
    for (let r = 0; r < frame.rowCount; r++) if (classOf[r]! >= 0) labelled.push(r);
  }
  const validationFraction = args.validationFraction ?? 0.15;
  const testFraction = args.testFraction ?? 0.15;
  const scheme = splitScheme(frame, args, classOf);
  const usable = scheme.kind === 'time' ? labelled.filter((r) => !Number.isNaN(scheme.times[r]!)) : labelled;
  const split = splitByScheme(Int32Array.from(usable), scheme, { seed, validationFraction, testFraction });
  return { task, seed, classes, classOf, values, labelled, scheme, split };
}

/** The split scheme the arguments ask for: by time, by group, or shuffled and stratified by class. */
export function splitScheme(frame: Frame, args: TrainArgs, classOf: Int32Array | undefined): SplitScheme {
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

export function metricsOf(task: Task): string[] {
  if (task === 'regression') return ['rmse', 'mae', 'r2'];
  if (task === 'binary') return ['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'pr_auc', 'log_loss'];
  return ['accuracy', 'f1', 'roc_auc', 'log_loss'];
}

export function defaultMetric(task: Task): string {
  // Log loss for both classification tasks: it scores calibration as well as ranking, so the search does not pick
  // a model (class weights, SMOTE) whose probabilities cannot be read as probabilities. `--metric roc_auc` remains.
  return task === 'regression' ? 'rmse' : 'log_loss';
}

/**
 * The target's distinct labels as text (in order of first appearance) and each row's index among them (−1 when
 * missing). A number's label is its String(); a boolean's "true" or "false". Made per distinct value, not per row
 * (a string and a Map lookup per row were a tenth of a second on 800k rows).
 */
function labelLevels(column: Frame['columns'][number], rows: number): { levels: string[]; levelOf: Int32Array } {
  const levelOf = new Int32Array(rows);
  const levels: string[] = [];
  if (column.kind === 'string') {
    // Each dictionary entry used becomes a level when first seen (a hand-made dictionary may repeat a string: the
    // callers' Set makes those one class).
    const byCode = new Int32Array(column.dictionary.length).fill(-1);
    for (let r = 0; r < rows; r++) {
      const code = column.codes[r]!;
      if (code < 0) levelOf[r] = -1;
      else {
        if (byCode[code] === -1) byCode[code] = levels.push(column.dictionary[code]!) - 1;
        levelOf[r] = byCode[code]!;
      }
    }
    return { levels, levelOf };
  }
  // Equal numbers (0 and −0 alike, as String gives both "0") are one level.
  const byValue = new Map<number, number>();
  let last = Number.NaN;
  let lastLevel = -1;
  for (let r = 0; r < rows; r++) {
    const v = column.values[r]!;
    if (Number.isNaN(v)) levelOf[r] = -1;
    else if (v === last) levelOf[r] = lastLevel;
    else {
      let level = byValue.get(v);
      if (level === undefined) {
        level = levels.push(column.type === 'boolean' ? (v === 1 ? 'true' : 'false') : String(v)) - 1;
        byValue.set(v, level);
      }
      levelOf[r] = lastLevel = level;
      last = v;
    }
  }
  return { levels, levelOf };
}

/** Numeric-looking labels sort as numbers (so "0" < "1" < "10"), others as text; the last class is "positive". */
function compareLabels(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (!Number.isNaN(x) && !Number.isNaN(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Picks the task from the target column when not given, and checks a given task fits the column. */
export function inferTask(
  frame: Frame,
  target: string,
  requested?: Task,
  /** The target's labels when the caller has already read them (labelLevels). */
  levels?: readonly string[],
): Task {
  const column = frame.columns.find((c) => c.name === target);
  if (column === undefined) throw new HearthError('VALIDATION_FAILED', `no column "${target}"`);
  const n = new Set(levels ?? labelLevels(column, frame.rowCount).levels).size;
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

/** The data checks' warnings for a run's split, with rows of a time split's test side that are not later than training's. */
export function splitWarnings(
  frame: Frame,
  args: TrainArgs,
  prepared: Pick<ReturnType<typeof labelledSplit>, 'task' | 'classOf' | 'values' | 'scheme' | 'split'>,
): DataWarning[] {
  const { task, classOf, values, split } = prepared;
  const warnings = dataChecks(frame, args.target, task, split.train, split.test, (r) =>
    classOf === undefined ? values![r]! : classOf[r]!,
  );
  return [...warnings, ...futureRowWarnings(args, prepared)];
}

/**
 * splitWarnings, with the data checks in a training worker thread where the frame's columns are on shared memory
 * (a frame loaded from the store): the caller's thread bins the training rows meanwhile, where it would otherwise
 * have run them first with the other core idle (synth 1M: 0.4 s of checks beside 0.6 s of binning). Any other
 * frame is checked here, before this returns, as splitWarnings checks it.
 */
export async function splitWarningsAside(
  frame: Frame,
  args: TrainArgs,
  prepared: Pick<ReturnType<typeof labelledSplit>, 'task' | 'classOf' | 'values' | 'scheme' | 'split'>,
): Promise<DataWarning[]> {
  if (!isSharedFrame(frame)) return splitWarnings(frame, args, prepared);
  const { task, classOf, values, split } = prepared;
  let warnings: DataWarning[];
  try {
    warnings = await dataChecksInWorker({
      frame,
      target: args.target,
      task,
      train: split.train,
      test: split.test,
      targets: classOf ?? values!,
    });
  } catch {
    // A worker that could not check (it failed to start, died, ran out of memory) leaves the checks to this
    // thread, as before they ran in a worker: a check that fails here fails the run before its fit starts.
    return splitWarnings(frame, args, prepared);
  }
  return [...warnings, ...futureRowWarnings(args, prepared)];
}

function futureRowWarnings(args: TrainArgs, prepared: Pick<ReturnType<typeof labelledSplit>, 'scheme' | 'split'>): DataWarning[] {
  const { scheme, split } = prepared;
  if (scheme.kind !== 'time' || split.test.length === 0) return [];
  // Rows sharing a timestamp can straddle the cut: the test side then holds rows no later than training rows.
  let latestTrain = Number.NEGATIVE_INFINITY;
  for (const r of split.train) latestTrain = Math.max(latestTrain, scheme.times[r]!);
  let notLater = 0;
  for (const r of split.test) if (scheme.times[r]! <= latestTrain) notLater++;
  if (notLater === 0) return [];
  return [
    {
      kind: 'future',
      code: 'FUTURE_ROWS',
      message: `${notLater} test rows are not later than the latest training row in "${args.timeColumn}": the training side holds rows from their time`,
    },
  ];
}

/** The checks a run's arguments pass before it is queued (so mistakes fail fast): target, task, split, metric. */
export function checkTrainArgs(frame: Frame, args: TrainArgs): void {
  const target = frame.columns.find((c) => c.name === args.target);
  if (target === undefined) {
    throw new HearthError('VALIDATION_FAILED', `dataset "${args.dataset}" has no column "${args.target}"`, {
      columns: frame.columns.map((c) => c.name),
    });
  }
  const task = inferTask(frame, args.target, args.task);
  checkCalibrationArgs(task, args);
  splitScheme(frame, args, undefined); // checks the time or group column now, before the job is queued
  // SMOTE-NC with nothing numeric to interpolate is refused now, not after a queue.
  if (args.resample === 'smote') checkSmoteApplies(frame, args.target, excludedColumns(args));
  // Limits choose among a search's candidates; a single learner has nothing to choose from.
  if (args.algorithm !== 'auto' && (args.maxLatencyUs !== undefined || args.maxSize !== undefined)) {
    throw new HearthError(
      'VALIDATION_FAILED',
      'maxLatencyUs and maxSize choose among searched candidates: use them with algorithm auto',
      { path: [args.maxSize !== undefined ? 'maxSize' : 'maxLatencyUs'] },
    );
  }
  if (args.metric !== undefined && !metricsOf(task).includes(args.metric)) {
    throw new HearthError(
      'VALIDATION_FAILED',
      `metric "${args.metric}" does not apply to ${task}; use one of ${metricsOf(task).join(', ')}`,
    );
  }
}
