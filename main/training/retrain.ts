import type { RetrainResult } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import type { DatasetStore } from '../data/datasets.js';
import type { ModelRegistry } from '../registry/registry.js';
import type { PredictorCache } from '../serving/predictor-cache.js';
import { binaryMetrics, multiclassMetrics, regressionMetrics } from '../stats/metrics.js';
import { modelInputs } from '../models/model.js';
import { rawInputsFromFrame, type RawInputs } from '../models/preprocess.js';
import { labelledSplit, type Trainer } from './trainer.js';

/** Keeps only some rows of raw inputs. */
function subset(raw: RawInputs, rows: Int32Array): RawInputs {
  return {
    rows: rows.length,
    numeric: raw.numeric.map((column) => Float64Array.from(rows, (r) => column[r]!)),
    categorical: raw.categorical.map((column) => Array.from(rows, (r) => column[r]!)),
  };
}

/** What a retrain uses: the trainer, the registry, the newest data and the predictors to score both versions. */
export interface RetrainDeps {
  readonly registry: ModelRegistry;
  readonly trainer: Trainer;
  readonly datasets: DatasetStore;
  readonly predictors: PredictorCache;
}

/**
 * Trains a challenger with production's own settings on the newest version of its dataset, then scores both on
 * the challenger's holdout (rows neither has trained on: the test split of the newest data, which production never
 * saw and the challenger held out) and promotes the challenger only when it is better there.
 */
export async function retrain(deps: RetrainDeps, name: string, options: { promote?: boolean } = {}): Promise<RetrainResult> {
  const productionVersion = deps.registry.resolve(name);
  const production = deps.registry.version(name, productionVersion);
  const job = deps.trainer
    .list()
    .find((j) => j.status === 'succeeded' && j.result?.model === name && j.result.version === productionVersion);
  if (job === undefined)
    throw new HearthError(
      'VALIDATION_FAILED',
      `${name} v${productionVersion} was not trained on this box${production.origin === null ? '' : ` (it was pulled from ${production.origin.url})`}: there are no settings to retrain it with`,
    );
  const { datasetVersion: _pinned, ...settings } = job.args;
  const started = deps.trainer.start({ ...settings, model: name });
  const done = await deps.trainer.wait(started.id);
  if (done.status !== 'succeeded' || done.result === null)
    throw new HearthError(
      done.error?.code === 'CANCELLED' ? 'CANCELLED' : 'VALIDATION_FAILED',
      `retraining failed: ${done.error?.message ?? done.status}`,
    );
  const challengerVersion = done.result.version;
  const challenger = deps.registry.version(name, challengerVersion);

  const { frame } = deps.datasets.loadFrame(challenger.dataset.name, challenger.dataset.version);
  const { task, classes, classOf, values, split } = labelledSplit(frame, { ...settings, model: name });
  const holdout = split.test.length > 0 ? split.test : split.validation;
  if (holdout.length === 0)
    throw new HearthError('VALIDATION_FAILED', 'the challenger kept no rows out of training to compare on');
  const metric = task === 'binary' ? 'roc_auc' : task === 'multiclass' ? 'accuracy' : 'rmse';
  const score = async (version: number): Promise<number | null> => {
    const predictor = await deps.predictors.get(name, version);
    const raw = subset(rawInputsFromFrame({ features: modelInputs(predictor.stored) }, frame), holdout);
    const matrix = await predictor.run(raw);
    if (matrix.kind === 'regression')
      return regressionMetrics(
        Float64Array.from(holdout, (r) => values![r]!),
        matrix.values,
      ).rmse;
    // Scored with the model's own class order; a model that does not know every class in the holdout is not comparable.
    const own = matrix.classes;
    const index = new Map(own.map((c, i) => [c, i]));
    const labels = Array.from(holdout, (r) => index.get(classes![classOf![r]!]!));
    if (labels.some((l) => l === undefined)) return null;
    if (task === 'binary')
      return binaryMetrics(
        Uint8Array.from(labels as number[]),
        Float64Array.from(holdout, (_, i) => matrix.probabilities[2 * i + 1]!),
      ).roc_auc;
    return multiclassMetrics(Int32Array.from(labels as number[]), matrix.probabilities, own.length).accuracy;
  };
  const productionScore = await score(productionVersion);
  const challengerScore = (await score(challengerVersion))!;
  const better =
    productionScore === null || (metric === 'rmse' ? challengerScore < productionScore : challengerScore > productionScore);
  const promote = (options.promote ?? true) && better;
  if (promote) deps.registry.promote(name, challengerVersion);
  return {
    model: name,
    metric,
    holdoutRows: holdout.length,
    dataset: challenger.dataset,
    production: { version: productionVersion, score: productionScore },
    challenger: { version: challengerVersion, score: challengerScore },
    promoted: promote,
    reason:
      productionScore === null
        ? `v${productionVersion} does not know every class in the new data`
        : better
          ? `the challenger's ${metric} is better on the ${holdout.length} held-out rows`
          : `the challenger's ${metric} is not better on the ${holdout.length} held-out rows`,
  };
}
