import { Worker } from 'node:worker_threads';
import { HearthError } from '../contracts/errors.js';
import type { WorkerReply, WorkerRequest } from '../../workers/protocol.js';
import type { FitReply } from './learners/index.js';
import type { RawInputs } from '../models/preprocess.js';
import type { TreeModel } from '../models/tree-model.js';

/** A training worker's progress report. */
export type FitProgress = Extract<WorkerReply, { type: 'progress' }>;

/** Runs one fit request in a fresh training worker thread; resolves with its result, passing progress on. */
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

function runWorker(
  request: WorkerRequest,
  onProgress: (reply: FitProgress) => void,
): Promise<Exclude<WorkerReply, { type: 'progress' | 'error' }>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('../../workers/train-worker.js', import.meta.url));
    const finish = (action: () => void): void => {
      void worker.terminate();
      action();
    };
    worker.on('message', (reply: WorkerReply) => {
      if (reply.seq !== request.seq) return;
      if (reply.type === 'progress') onProgress(reply);
      else if (reply.type === 'error')
        finish(() => reject(new HearthError(reply.error.code, reply.error.message, reply.error.details)));
      else finish(() => resolve(reply));
    });
    worker.on('error', (error) => finish(() => reject(error)));
    worker.on('exit', (code) => {
      if (code !== 0) reject(new HearthError('INTERNAL', `training worker exited with code ${code}`));
    });
    worker.postMessage(request);
  });
}
