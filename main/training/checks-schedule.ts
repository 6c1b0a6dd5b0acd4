import { availableParallelism } from 'node:os';
import { HearthError } from '../contracts/errors.js';
import type { DataWarning } from '../models/data-checks.js';
import type { Frame } from '../table/frame.js';
import { defaultFitThreads } from '../accel/worker-thread.js';
import type { RunClock } from './budget-plan.js';
import { splitWarnings, splitWarningsAside, type labelledSplit } from './labels.js';
import type { TrainArgs } from './train-args.js';

/*
 * When a run's data checks (leakage, duplicates across the split) run. They take a thread for 0.1 s on 255k rows,
 * 0.3 s on synth 1M.
 * - beside: where a core is free beside the fit (the linear model and the MLP fit on one thread; or more cores than
 *   the tree learners' threads, up to four), on the trainer's thread during the fit.
 * - first: on the trainer's thread, before anything is fitted, where nothing would hide them: a search's trials,
 *   cross-validation's folds and SMOTE's guard fit with no binning of the run's own (each would wait for them), and
 *   a table too small for its binning to outlast them plus a second worker's start-up.
 * - aside: elsewhere they slowed the fit's threads by more than they took (mixed 255k: fit 0.97 → 0.85 s without
 *   them, the job the same): in a worker thread while the trainer bins the training rows, the one stretch of a tree
 *   fit on one core, and the fit's threads wait for them.
 */
export type ChecksPlacement = 'beside' | 'first' | 'aside';

/**
 * The fewest rows for which a tree fit's checks go aside. The checks read a sample of at most 50,000 rows; the
 * binning reads every row, at about a tenth of the checks' cost a cell, so it outlasts them from roughly 500,000
 * rows on. Below that, the worker they took (its start-up is 60–75 ms of CPU on a two-core box, its histogram helpers
 * included) and the wait for them cost more than the checks on the trainer's thread. Train jobs on the bench's
 * mixed table (7 features) in fresh processes, alternated pairs, first against aside: 20,000 rows 0.74–0.76 against
 * 0.82–0.85 s, 60,000 rows 1.01–1.06 against 1.13–1.18, 120,000 rows 1.05–1.06 against 1.12–1.13, 255,000 rows
 * 1.29–1.40 against 1.29–1.47; on synth 1M's 800,000 rows × 32 the job took as long either way (5.7–6.6 s) and aside
 * kept the checks inside the fit's binning (the job 1.17–1.20× the fit against 1.21–1.23×).
 */
export const asideChecksRows = 500_000;

/** Where a run's checks go, by its learner, threads and options and its table's rows (see ChecksPlacement). */
export function checksPlacement(args: TrainArgs, rows: number): ChecksPlacement {
  const treeThreads = args.algorithm === 'gbdt' || args.algorithm === 'forest' || args.algorithm === 'auto';
  if (!treeThreads || availableParallelism() > (args.threads ?? defaultFitThreads())) return 'beside';
  const nothingToHideBehind = args.algorithm === 'auto' || args.resample === 'smote' || (args.folds ?? 0) >= 2;
  return nothingToHideBehind || rows < asideChecksRows ? 'first' : 'aside';
}

/** `work`'s outcome, or CANCELLED as soon as the job's cancel flag is set (checked every 20 ms). */
export function untilSettledOrCancelled<T>(work: Promise<T>, cancel: Int32Array): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setInterval(() => {
      if (Atomics.load(cancel, 0) !== 1) return;
      clearInterval(timer);
      reject(new HearthError('CANCELLED', 'training was cancelled'));
    }, 20);
    work.then(
      (value) => {
        clearInterval(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearInterval(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** A run's data checks, started where their placement says. */
export interface ScheduledChecks {
  /** Awaited once, before the run's first fit hands its rows to worker threads (aside); null where nothing waits. */
  beforeFirstFit: (() => Promise<void>) | null;
  /** The warnings: at once (first), from the worker (aside), or checked now on the caller's thread (beside). */
  warnings(): Promise<DataWarning[]>;
  /** How long the fit waited for them (aside), which is not the fit's time. */
  waitedMs(): number;
}

/** Starts the checks of a split (first: runs them now; aside: hands them to a worker). */
export function scheduleChecks(
  placement: ChecksPlacement,
  frame: Frame,
  args: TrainArgs,
  prepared: Pick<ReturnType<typeof labelledSplit>, 'task' | 'classOf' | 'values' | 'scheme' | 'split'>,
  clock: RunClock,
  cancel: Int32Array,
): ScheduledChecks {
  if (placement === 'first') {
    const checked = splitWarnings(frame, args, prepared);
    return { beforeFirstFit: null, warnings: () => Promise.resolve(checked), waitedMs: () => 0 };
  }
  if (placement === 'beside')
    return { beforeFirstFit: null, warnings: async () => splitWarnings(frame, args, prepared), waitedMs: () => 0 };
  const aside = splitWarningsAside(frame, args, prepared);
  // Observed when awaited after the fit: a failed check is thrown there, not reported as unhandled meanwhile.
  aside.catch(() => undefined);
  let waitedMs = 0;
  return {
    // The fit's threads start once the checks are done (the wait is the prepare phase's), and not at all when they
    // failed or the job was cancelled meanwhile.
    beforeFirstFit: async () => {
      clock.phase('prepare');
      const waitStarted = performance.now();
      try {
        await untilSettledOrCancelled(aside, cancel);
      } finally {
        waitedMs += performance.now() - waitStarted;
        clock.phase('fit');
      }
    },
    warnings: () => aside,
    waitedMs: () => waitedMs,
  };
}
