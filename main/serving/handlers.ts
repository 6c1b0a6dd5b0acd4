import type { servingMethods } from '../contracts/serving.js';
import type { ApiParsedArgs, ApiResults } from '../contracts/api.js';
import { callerOf, type HandlersOf } from '../contracts/call.js';
import { HearthError } from '../contracts/errors.js';
import type { PredictionLog } from './prediction-log.js';
import type { ServingMetrics } from './serving-metrics.js';
import type { ModelRegistry } from '../registry/registry.js';
import { modelInputs } from '../models/model.js';
import { rawInputsFromRecords } from '../models/preprocess.js';
import { assertExplainable, explainModel } from '../models/explain.js';
import { inlineProvider, toPredictions } from '../models/predictor.js';
import type { PredictorCache } from './predictor-cache.js';
import type { Routes } from './routing.js';
import { nextTurn } from '../accel/turns.js';

/** What predictions and routes use. */
export interface ServingHandlerDeps {
  readonly registry: ModelRegistry;
  readonly predictors: PredictorCache;
  readonly routes: Routes;
  readonly predictionLog: PredictionLog;
  readonly servingMetrics: ServingMetrics;
  /** Request rows under the PII policies of the data the model version learnt from. */
  protectInputs<T extends Record<string, unknown>>(model: string, version: number, rows: readonly T[]): T[];
  /** Refuses (422) a served row that breaks a refusing row rule of the model's training data. */
  assertServable(model: string, version: number, rows: readonly Record<string, unknown>[]): void;
}

/** The servingMethods methods' handlers. */
export function servingHandlers(deps: ServingHandlerDeps): HandlersOf<typeof servingMethods> {
  return {
    'models.route': async ({ name }) => {
      deps.registry.resolve(name);
      return deps.routes.get(name);
    },
    'models.set-route': async ({ name, canary, shadow }) =>
      deps.routes.set(name, { ...(canary === undefined ? {} : { canary }), ...(shadow === undefined ? {} : { shadow }) }),
    'models.predict': async (args, context) => {
      // Who asked, counted per model: predictions are not audited (see ServingMetrics.callers).
      const caller = callerOf(context);
      deps.servingMetrics.calledBy(args.name, caller.name, caller.role);
      try {
        return await predict(args);
      } catch (error) {
        const code = error instanceof HearthError ? error.code : 'INTERNAL';
        deps.servingMetrics.failed(args.name, code);
        deps.predictionLog.recordError(args.name, code);
        throw error;
      }
    },
  };

  /**
   * The shadow version predicts the same rows after the answer has gone; its predictions are logged under its own
   * version, each pointing at the row it shadows (so late labels reach it too), and never returned. A shadow that
   * fails is counted, never felt by the caller.
   */
  async function shadow(
    name: string,
    version: number,
    rows: ApiParsedArgs<'models.predict'>['rows'],
    ids: string[],
  ): Promise<void> {
    // After the answer has gone: nothing of the shadow's runs in the turn that sends it. Answers leave at the end of
    // their turn (accel/turns.ts), and the shadow's own continuation would be queued among theirs: it starts a turn on.
    await nextTurn();
    await nextTurn();
    const started = performance.now();
    try {
      const predictor = await deps.predictors.get(name, version);
      const features = modelInputs(predictor.stored);
      const raw = rawInputsFromRecords({ features }, deps.protectInputs(name, version, rows));
      // On the graph, off this thread: the shadow must not hold up the answer it shadows (nor the next request).
      const predictions = toPredictions(await predictor.run(raw, false), predictor.threshold);
      deps.predictionLog.record(name, version, features, raw, predictions, (performance.now() - started) * 1000, ids);
    } catch (error) {
      deps.servingMetrics.failed(name, `SHADOW_${error instanceof HearthError ? error.code : 'INTERNAL'}`);
    }
  }

  async function predict({
    name,
    version,
    rows,
    explain,
  }: ApiParsedArgs<'models.predict'>): Promise<ApiResults['models.predict']> {
    const started = performance.now();
    if (explain === true && rows.length > 1000)
      throw new HearthError('VALIDATION_FAILED', 'explain at most 1,000 rows per request');
    // A request that names no version goes to production, or to the canary for its share of requests.
    const route = version === undefined ? deps.routes.get(name) : null;
    const resolved =
      route !== null && route.canary !== null && Math.random() < route.canary.share
        ? route.canary.version
        : deps.registry.resolve(name, version);
    // The rules of the data the model learnt from hold for what it is asked about: a row that breaks one is a 422.
    // Checked, and the rows protected, in the same synchronous turn as the route and version were read: the store's
    // caches then ask SQLite whether anything changed once per request, not once per lookup (CommitCache).
    deps.assertServable(name, resolved, rows);
    const protectedRows = deps.protectInputs(name, resolved, rows);
    // A loaded version and a request its TypeScript predictor answers (Predictor.inline) take no await: each is a
    // promise and a turn of the microtask queue on every single-row request.
    const predictor = deps.predictors.ready(name, resolved) ?? (await deps.predictors.get(name, resolved));
    const features = modelInputs(predictor.stored);
    // Refused before anything is predicted or logged: an explanation this model cannot give is not half-answered.
    if (explain === true) assertExplainable(predictor.stored, `${name} v${resolved}`);
    const raw = rawInputsFromRecords({ features }, protectedRows);
    const inline = predictor.runInline(raw);
    // Not answered inline: the graph's, without asking again whether the rows qualify.
    const predictions = toPredictions(inline ?? (await predictor.run(raw, false)), predictor.threshold);
    const ids = deps.predictionLog.record(name, resolved, features, raw, predictions, (performance.now() - started) * 1000);
    predictions.forEach((p, i) => (p.id = ids[i]));
    if (route !== null && route.shadow !== null && route.shadow !== resolved) void shadow(name, route.shadow, rows, ids);
    if (explain === true) {
      const explanations = explainModel(predictor.stored, raw, predictions, `${name} v${resolved}`);
      predictions.forEach((p, i) => (p.explanation = explanations[i]));
    }
    deps.servingMetrics.served(name, resolved, rows.length, (performance.now() - started) / 1000);
    return {
      model: name,
      version: resolved,
      executionProvider: inline !== null ? inlineProvider : predictor.executionProvider,
      predictions,
    };
  }
}
