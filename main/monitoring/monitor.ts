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
  const logged = await deps.predictionLog.window(name, version, options);
  const predictor = await deps.predictors.get(name, version);
  const features = modelInputs(predictor.stored);
  const { frame } = deps.datasets.loadFrame(info.dataset.name, info.dataset.version);
  const raw = rawInputsFromFrame({ features }, frame);
  const columns: DriftColumn[] = [];
  let n = 0;
  let c = 0;
  for (const f of features) {
    if (f.kind === 'numeric') {
      columns.push({
        name: f.name,
        kind: 'numeric',
        reference: raw.numeric[n++]!,
        current: Float64Array.from(logged.inputs, (row) => {
          const v = row[f.name];
          return typeof v === 'number' ? v : Number.NaN;
        }),
      });
    } else {
      columns.push({
        name: f.name,
        kind: 'categorical',
        reference: raw.categorical[c++]!.map((v) => (v === '' ? null : v)),
        current: logged.inputs.map((row) => {
          const v = row[f.name];
          return v === null || v === undefined ? null : String(v);
        }),
      });
    }
  }
  // The predictions' own drift: what the model says about its training data against what it said in service.
  const referencePredictions = toPredictions(await predictor.run(raw), predictor.threshold);
  const prediction: DriftColumn =
    info.task === 'regression'
      ? {
          name: 'prediction',
          kind: 'numeric',
          reference: Float64Array.from(referencePredictions, (p) => ('value' in p ? p.value : Number.NaN)),
          current: Float64Array.from(logged.predictions, (p) => ('value' in p ? p.value : Number.NaN)),
        }
      : {
          name: 'prediction',
          kind: 'categorical',
          reference: referencePredictions.map((p) => ('label' in p ? p.label : null)),
          current: logged.predictions.map((p) => ('label' in p ? p.label : null)),
        };
  return {
    model: name,
    version,
    window: { since: options.since ?? null, until: options.until ?? null, rows: logged.inputs.length },
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
