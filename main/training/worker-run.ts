import { Worker } from 'node:worker_threads';
import { HearthError } from '../contracts/errors.js';
import type { WorkerReply, WorkerRequest } from '../../workers/protocol.js';
import type { FitReply } from './learners/index.js';

/** A training worker's progress report. */
export type FitProgress = Extract<WorkerReply, { type: 'progress' }>;

/** Runs one fit request in a fresh training worker thread; resolves with its result, passing progress on. */
export function runTrainingWorker(request: WorkerRequest, onProgress: (reply: FitProgress) => void): Promise<FitReply> {
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
