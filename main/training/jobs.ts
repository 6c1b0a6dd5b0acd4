import type { TrainingJob as ApiTrainingJob, TrainingProgress } from '../contracts/api.js';
import { HearthError, type SerializedError } from '../contracts/errors.js';
import type { Db } from '../store/database.js';
import type { TrainArgs } from './train-args.js';

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface TrainingJob {
  id: string;
  status: JobStatus;
  args: TrainArgs;
  createdAt: string;
  finishedAt: string | null;
  progress: TrainingProgress | null;
  history: { iteration: number; loss: number; validationLoss: number | null }[];
  result: ApiTrainingJob['result'];
  error: SerializedError | null;
}

/** A job as stored (finished, or from before this process started): no live progress or history. */
export function readJob(db: Db, id: string): TrainingJob {
  const row = db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as
    | {
        id: string;
        status: JobStatus;
        args_json: string;
        result_json: string | null;
        error_json: string | null;
        created_at: string;
        finished_at: string | null;
      }
    | undefined;
  if (row === undefined) throw new HearthError('NOT_FOUND', `no job ${id}`);
  return {
    id: row.id,
    status: row.status,
    args: JSON.parse(row.args_json) as TrainArgs,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    progress: null,
    history: [],
    result: row.result_json === null ? null : (JSON.parse(row.result_json) as TrainingJob['result']),
    error: row.error_json === null ? null : (JSON.parse(row.error_json) as SerializedError),
  };
}
