import type { RetrainResult, RetrainTest } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import type { DatasetStore } from '../data/datasets.js';
import type { ModelRegistry } from '../registry/registry.js';
import type { PredictorCache } from '../serving/predictor-cache.js';
import { binaryMetrics, multiclassMetrics, regressionMetrics } from '../stats/metrics.js';
import { modelInputs } from '../models/model.js';
import { delongTest, pairedBootstrap } from '../stats/significance.js';
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
  const score = async (version: number): Promise<Scored | null> => {
    const predictor = await deps.predictors.get(name, version);
    const raw = subset(rawInputsFromFrame({ features: modelInputs(predictor.stored) }, frame), holdout);
    const matrix = await predictor.run(raw);
    if (matrix.kind === 'regression') {
      const actual = Float64Array.from(holdout, (r) => values![r]!);
      return {
        score: regressionMetrics(actual, matrix.values).rmse,
        rows: { kind: 'regression', actual, predicted: matrix.values },
      };
    }
    // Scored with the model's own class order; a model that does not know every class in the holdout is not comparable.
    const own = matrix.classes;
    const index = new Map(own.map((c, i) => [c, i]));
    const labels = Array.from(holdout, (r) => index.get(classes![classOf![r]!]!));
    if (labels.some((l) => l === undefined)) return null;
    if (task === 'binary') {
      const binary = Uint8Array.from(labels as number[]);
      const positive = Float64Array.from(holdout, (_, i) => matrix.probabilities[2 * i + 1]!);
      return { score: binaryMetrics(binary, positive).roc_auc, rows: { kind: 'binary', labels: binary, positive } };
    }
    const truth = Int32Array.from(labels as number[]);
    const k = own.length;
    const right = Uint8Array.from(truth, (t, i) => (argmax(matrix.probabilities, i, k) === t ? 1 : 0));
    return { score: multiclassMetrics(truth, matrix.probabilities, k).accuracy, rows: { kind: 'multiclass', right } };
  };
  const productionScored = await score(productionVersion);
  const challengerScored = (await score(challengerVersion))!;
  const decision = gate(metric, holdout.length, classCounts(task, holdout, classOf), productionScored, challengerScored);
  const promote = (options.promote ?? true) && decision.better;
  if (promote) deps.registry.promote(name, challengerVersion);
  return {
    model: name,
    metric,
    holdoutRows: holdout.length,
    dataset: challenger.dataset,
    production: { version: productionVersion, score: productionScored?.score ?? null },
    challenger: { version: challengerVersion, score: challengerScored.score },
    minimumHoldout: { rows: minimumHoldoutRows, perClass: task === 'binary' ? minimumPerClass : null },
    test: decision.test,
    promoted: promote,
    reason:
      decision.better && !promote
        ? decision.reason.replace(/: promoted$/, ': better, but left unpromoted as asked')
        : decision.reason,
  };
}

/** The gate's level: a challenger is better when the one-sided paired test gives p below it. */
export const retrainAlpha = 0.05;
/**
 * The smallest holdout the gate decides on. With 30 rows the standard error of an accuracy near 0.8 is about 0.07,
 * and with fewer than 10 rows of a class a ROC AUC moves by 0.05 or more when one row changes side: smaller
 * holdouts cannot tell a real gain from luck, whatever the test says (7 rows once promoted a challenger).
 */
export const minimumHoldoutRows = 30;
export const minimumPerClass = 10;

/** One model's score on the holdout and the per-row data the paired test needs. */
export type Scored = {
  score: number;
  rows:
    | { kind: 'binary'; labels: Uint8Array; positive: Float64Array }
    | { kind: 'multiclass'; right: Uint8Array }
    | { kind: 'regression'; actual: Float64Array; predicted: Float64Array };
};

function argmax(probabilities: Float64Array, i: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (probabilities[i * k + c]! > probabilities[i * k + best]!) best = c;
  return best;
}

function classCounts(task: string, holdout: Int32Array, classOf: Int32Array | undefined): number[] | null {
  if (task !== 'binary' || classOf === undefined) return null;
  const counts = [0, 0];
  for (const r of holdout) counts[classOf[r]!]!++;
  return counts;
}

/**
 * The retraining gate: refuses to call a challenger better on a holdout too small to tell, then tests the
 * difference on the same rows (DeLong for ROC AUC; a paired bootstrap of the accuracy or RMSE difference) at
 * one-sided alpha 0.05. Pure, so its known answers are tested without training anything.
 */
export function gate(
  metric: string,
  rows: number,
  perClass: number[] | null,
  production: Scored | null,
  challenger: Scored,
): { better: boolean; test: RetrainTest | null; reason: string } {
  if (production === null) return { better: true, test: null, reason: 'production does not know every class in the new data' };
  if (rows < minimumHoldoutRows)
    return { better: false, test: null, reason: `holdout ${rows} rows < ${minimumHoldoutRows}: not promoted` };
  if (perClass !== null && Math.min(...perClass) < minimumPerClass)
    return {
      better: false,
      test: null,
      reason: `holdout has ${Math.min(...perClass)} rows of its rarer class < ${minimumPerClass}: not promoted`,
    };
  const a = challenger.rows;
  const b = production.rows;
  let test: RetrainTest;
  if (a.kind === 'binary' && b.kind === 'binary') {
    const d = delongTest(a.labels, a.positive, b.positive);
    test = { method: 'delong', improvement: d.aucA - d.aucB, p: d.p, alpha: retrainAlpha };
  } else if (a.kind === 'multiclass' && b.kind === 'multiclass') {
    const diff = Float64Array.from(a.right, (r, i) => r - b.right[i]!);
    const improvement = (sample: Int32Array) => {
      let s = 0;
      for (const i of sample) s += diff[i]!;
      return s;
    };
    test = {
      method: 'paired-bootstrap',
      improvement: challenger.score - production.score,
      p: pairedBootstrap(rows, improvement),
      alpha: retrainAlpha,
    };
  } else if (a.kind === 'regression' && b.kind === 'regression') {
    const rmse = (pred: Float64Array, sample: Int32Array) => {
      let s = 0;
      for (const i of sample) s += (a.actual[i]! - pred[i]!) ** 2;
      return Math.sqrt(s / sample.length);
    };
    test = {
      method: 'paired-bootstrap',
      improvement: production.score - challenger.score,
      p: pairedBootstrap(rows, (sample) => rmse(b.predicted, sample) - rmse(a.predicted, sample)),
      alpha: retrainAlpha,
    };
  } else throw new HearthError('INTERNAL', 'production and challenger were scored differently');
  const better = test.improvement > 0 && test.p < retrainAlpha;
  const signed = metric === 'rmse' ? -test.improvement : test.improvement;
  const change = `challenger ${signed >= 0 ? '+' : ''}${signed.toFixed(3)} ${metric} on ${rows} held-out rows, p = ${test.p.toPrecision(2)} (${test.method})`;
  return { better, test, reason: `${change}: ${better ? 'promoted' : `not promoted (needs p < ${retrainAlpha})`}` };
}
