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
 * - first: a search's trials, cross-validation's folds and SMOTE's guard fit with no binning of the run's own to hide
 *   the checks behind (each would wait for them): on the trainer's thread, before anything is fitted.
 * - aside: elsewhere they slowed the fit's threads by more than they took (mixed 255k: fit 0.97 → 0.85 s without
 *   them, the job the same): in a worker thread while the trainer bins the training rows, the one stretch of a tree
 *   fit on one core, and the fit's threads wait for them.
 */
export type ChecksPlacement = 'beside' | 'first' | 'aside';

export function checksPlacement(args: TrainArgs): ChecksPlacement {
  const treeThreads = args.algorithm === 'gbdt' || args.algorithm === 'forest' || args.algorithm === 'auto';
  if (!treeThreads || availableParallelism() > (args.threads ?? defaultFitThreads())) return 'beside';
  return args.algorithm === 'auto' || args.resample === 'smote' || (args.folds ?? 0) >= 2 ? 'first' : 'aside';
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
