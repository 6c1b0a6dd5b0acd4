import type { DriftReport } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import type { DatasetStore } from '../data/datasets.js';
import type { ModelRegistry } from '../registry/registry.js';
import type { PredictorCache } from '../serving/predictor-cache.js';
import type { PredictionLog } from '../serving/prediction-log.js';
import { toPredictions } from '../models/predictor.js';
import { modelInputs } from '../models/model.js';
import { rawInputsFromFrame } from '../models/preprocess.js';
import { columnDrift, datasetDrift, type DriftColumn, type DriftOptions } from '../stats/drift.js';
import type { ColumnWant } from '../store/log-segments.js';

/** What a drift report reads: the model's versions, its served rows, its predictor and its training data. */
export interface DriftDeps {
  readonly registry: ModelRegistry;
  readonly predictionLog: PredictionLog;
  readonly predictors: PredictorCache;
  readonly datasets: DatasetStore;
}

/**
 * Drift of one model version: each input feature and the predictions, between the data version it was trained on
 * (the reference) and the rows it served in a window of the prediction log (the current data).
 */
export async function driftReport(
  deps: DriftDeps,
  name: string,
  options: { version?: number; since?: string; until?: string } & DriftOptions = {},
): Promise<DriftReport> {
  const version = deps.registry.resolve(name, options.version);
  const info = deps.registry.version(name, version);
  // The reference is the training data, wherever the model came from, provided those exact bytes are here: a pulled
  // model's data set usually is not; an imported one's is when a reference file came with it.
  if (!hasLocalData(deps, info.dataset))
    throw new HearthError(
      'VALIDATION_FAILED',
      info.origin === null
        ? `${name} v${version}: its training data (${info.dataset.name} v${info.dataset.version}) is no longer in the store`
        : info.dataset.version === 0
          ? `${name} v${version} was imported without reference data: import it again with --reference TRAINING.csv to measure drift`
          : `${name} v${version} came from ${info.origin.url}: its training data (${info.dataset.name} v${info.dataset.version}) is not on this box to compare with`,
    );
  const predictor = await deps.predictors.get(name, version);
  const features = modelInputs(predictor.stored);
  const regression = info.task === 'regression';
  // Numeric inputs come back as numbers, categorical ones (and a classifier's labels) as counts per value.
  const wants: ColumnWant[] = [
    ...features.map((f): ColumnWant => ({ part: 'input', name: f.name, as: f.kind === 'numeric' ? 'number' : 'category' })),
    regression ? { part: 'prediction', name: 'value', as: 'number' } : { part: 'prediction', name: 'label', as: 'category' },
  ];
  const logged = await deps.predictionLog.window(name, version, options, wants);
  const current = (i: number): Float64Array | Map<string, number> => {
    const c = logged.columns[i]!;
    return c.as === 'number' ? c.values : c.counts;
  };
  const { frame } = deps.datasets.loadFrame(info.dataset.name, info.dataset.version);
  const raw = rawInputsFromFrame({ features }, frame);
  const columns: DriftColumn[] = [];
  let n = 0;
  let c = 0;
  features.forEach((f, i) => {
    if (f.kind === 'numeric')
      columns.push({ name: f.name, kind: 'numeric', reference: raw.numeric[n++]!, current: current(i) as Float64Array });
    else
      columns.push({
        name: f.name,
        kind: 'categorical',
        reference: raw.categorical[c++]!.map((v) => (v === '' ? null : v)),
        current: current(i) as Map<string, number>,
      });
  });
  // The predictions' own drift: what the model says about its training data against what it said in service.
  const referencePredictions = toPredictions(await predictor.run(raw), predictor.threshold);
  const prediction: DriftColumn = regression
    ? {
        name: 'prediction',
        kind: 'numeric',
        reference: Float64Array.from(referencePredictions, (p) => ('value' in p ? p.value : Number.NaN)),
        current: current(features.length) as Float64Array,
      }
    : {
        name: 'prediction',
        kind: 'categorical',
        reference: referencePredictions.map((p) => ('label' in p ? p.label : null)),
        current: current(features.length) as Map<string, number>,
      };
  return {
    model: name,
    version,
    window: { since: options.since ?? null, until: options.until ?? null, rows: logged.rows },
    reference: { dataset: info.dataset.name, version: info.dataset.version, rows: frame.rowCount },
    features: datasetDrift(columns, options),
    prediction: columnDrift(prediction, options.tests?.prediction),
  };
}

function hasLocalData(deps: DriftDeps, dataset: { name: string; version: number; contentHash: string }): boolean {
  try {
    return deps.datasets.version(dataset.name, dataset.version).contentHash === dataset.contentHash;
  } catch {
    return false;
  }
}
