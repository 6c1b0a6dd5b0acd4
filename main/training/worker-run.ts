import type { Worker } from 'node:worker_threads';
import { startWorker } from '../accel/worker-thread.js';
import { HearthError } from '../contracts/errors.js';
import type { DataChecksRequest, WorkerReply, WorkerRequest } from '../../workers/protocol.js';
import type { DataWarning } from '../models/data-checks.js';
import type { FitReply } from './learners/index.js';
import type { RawInputs } from '../models/preprocess.js';
import type { TreeModel } from '../models/tree-model.js';

/** A training worker's progress report. */
export type FitProgress = Extract<WorkerReply, { type: 'progress' }>;

/**
 * Training workers that finished a fit cleanly wait here for the next one. A search fits hundreds of small folds,
 * and a fresh thread costs tens of milliseconds to start and load its modules (more than a fit on a few hundred
 * rows); a worker that failed or was cancelled is never reused. Idle workers are unreferenced, so they never keep
 * the process alive, and end after a few seconds unused.
 */
const idle: { worker: Worker; timer: NodeJS.Timeout; gone: () => void }[] = [];
const maxIdle = 2;
const idleMs = 5_000;
const trainWorkerUrl = new URL('../../workers/train-worker.js', import.meta.url);

function acquire(): Worker {
  const parked = idle.pop();
  if (parked === undefined) return startWorker(trainWorkerUrl);
  clearTimeout(parked.timer);
  parked.worker.off('error', parked.gone);
  parked.worker.off('exit', parked.gone);
  parked.worker.ref();
  return parked.worker;
}

function release(worker: Worker): void {
  if (idle.length >= maxIdle) {
    void worker.terminate();
    return;
  }
  worker.unref();
  // A parked worker that fails (one still starting may fail to load, or be refused a thread) leaves the list: its
  // error is handled here rather than left to end the process, and the next fit starts a fresh worker.
  const gone = (): void => {
    const at = idle.findIndex((p) => p.worker === worker);
    if (at < 0) return;
    clearTimeout(idle[at]!.timer);
    idle.splice(at, 1);
    void worker.terminate();
  };
  const timer = setTimeout(gone, idleMs);
  timer.unref();
  worker.on('error', gone);
  worker.on('exit', gone);
  idle.push({ worker, timer, gone });
}

/**
 * Starts training workers now and parks them until `count` wait (at most two): a run calls it as it begins, so the
 * threads load their modules (~0.1 s) while this thread loads and splits the table, instead of when the fit (and
 * the data checks beside the binning) ask for one. `url` is the worker's module (tests start one that fails to load).
 */
export function prewarmTrainingWorker(url: URL = trainWorkerUrl, count = 1): void {
  while (idle.length < Math.min(count, maxIdle)) release(startWorker(url));
}

/** How many finished workers wait for a fit (for tests). */
export function idleTrainingWorkers(): number {
  return idle.length;
}

/** Runs one fit request in a training worker thread; resolves with its result, passing progress on. */
export function runTrainingWorker(request: WorkerRequest, onProgress: (reply: FitProgress) => void): Promise<FitReply> {
  return runWorker(request, onProgress) as Promise<FitReply>;
}

/**
 * A tree model's SHAP summary over the rows' raw inputs, in a training worker thread: TreeSHAP runs there while the
 * trainer evaluates the same model, and gives what shapSummary gives here.
 */
export async function shapSummaryInWorker(model: TreeModel, raw: RawInputs): Promise<{ feature: string; meanAbs: number }[]> {
  const reply = await runWorker({ seq: 0, type: 'shap-summary', model, raw }, () => undefined);
  if (reply.type !== 'shap') throw new HearthError('INTERNAL', 'unexpected worker reply');
  return reply.summary;
}

/**
 * The data checks on a split (dataChecks), in a training worker thread: they run there while this thread bins the
 * training rows. The frame's columns must be on shared memory (isSharedFrame), or every column would be copied.
 */
export async function dataChecksInWorker(request: Omit<DataChecksRequest, 'seq' | 'type'>): Promise<DataWarning[]> {
  const reply = await runWorker({ seq: 0, type: 'data-checks', ...request }, () => undefined);
  if (reply.type !== 'checks') throw new HearthError('INTERNAL', 'unexpected worker reply');
  return reply.warnings;
}

function runWorker(
  request: WorkerRequest,
  onProgress: (reply: FitProgress) => void,
): Promise<Exclude<WorkerReply, { type: 'progress' | 'error' }>> {
  return new Promise((resolve, reject) => {
    const worker = acquire();
    const detach = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    /** Done with this fit: a clean result parks the worker for the next fit, anything else ends it. */
    const finish = (reuse: boolean, action: () => void): void => {
      detach();
      if (reuse) release(worker);
      else void worker.terminate();
      action();
    };
    const onMessage = (reply: WorkerReply): void => {
      if (reply.seq !== request.seq) return;
      if (reply.type === 'progress') onProgress(reply);
      else if (reply.type === 'error')
        finish(false, () => reject(new HearthError(reply.error.code, reply.error.message, reply.error.details)));
      else finish(true, () => resolve(reply));
    };
    const onError = (error: Error): void => finish(false, () => reject(error));
    const onExit = (code: number): void => {
      detach();
      reject(new HearthError('INTERNAL', `training worker exited with code ${code}`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    try {
      worker.postMessage(request);
    } catch (error) {
      // A request that cannot be cloned (DataCloneError) never reached the worker: it is ended, not left holding
      // the process open with these listeners on it.
      finish(false, () => reject(error instanceof Error ? error : new Error(String(error))));
    }
  });
}
