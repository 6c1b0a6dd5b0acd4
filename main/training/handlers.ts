import type { costsMethods } from '../contracts/costs.js';
import type { compressMethods } from '../contracts/compress.js';
import type { runsMethods } from '../contracts/runs.js';
import type { Db } from '../store/database.js';
import type { CostRate } from '../stats/cost.js';
import { costSummary } from './costs.js';
import type { trainingMethods } from '../contracts/training.js';
import type { HandlersOf } from '../contracts/call.js';
import { retrain, type RetrainDeps } from './retrain.js';
import type { Runs } from './runs.js';
import type { Compressor } from './compress.js';

/** What the training, runs and retrain methods use. */
export interface TrainingHandlerDeps extends RetrainDeps {
  readonly runs: Runs;
  /** What costs.summary reads: the store, the host's rate and the prediction log's sampling rate. */
  readonly costs: { db: Db; rate: () => CostRate | null; logSample: number };
  readonly compressor: Compressor;
}

/** The trainingMethods, runsMethods, costsMethods and compressMethods methods' handlers. */
export function trainingHandlers(
  deps: TrainingHandlerDeps,
): HandlersOf<typeof trainingMethods & typeof runsMethods & typeof costsMethods & typeof compressMethods> {
  return {
    'training.start': async (args) => deps.trainer.start(args),
    'training.get': async ({ jobId }) => deps.trainer.get(jobId),
    'training.list': async () => deps.trainer.list(),
    'training.cancel': async ({ jobId }) => deps.trainer.cancel(jobId),
    'runs.list': async () => deps.runs.list(),
    'runs.show': async ({ id }) => deps.runs.show(id),
    'runs.compare': async ({ ids }) => deps.runs.compare(ids),
    'runs.tag': async ({ id, tag, remove }) => deps.runs.tag(id, tag, remove),
    'costs.summary': async (args) =>
      costSummary(deps.costs.db, args, { rate: deps.costs.rate(), logSample: deps.costs.logSample, nowMs: Date.now() }),
    'models.retrain': async ({ name, promote }) => retrain(deps, name, promote === undefined ? {} : { promote }),
    'models.compress': async (args) => deps.compressor.start(args),
    'models.compress-get': async ({ jobId }) => deps.compressor.get(jobId),
    'models.compress-cancel': async ({ jobId }) => deps.compressor.cancel(jobId),
    'models.compress-choose': async (args) => deps.compressor.choose(args),
  };
}
