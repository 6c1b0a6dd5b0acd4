import { z } from 'zod';
import { defineMethods, returns } from './method.js';
import { isName, isRow, isVersion, name, row, version } from './fields.js';

/* Serving: models.predict and the routes (canary, shadow) that pick the answering version. */

/** Requests for a model without a version: production, except a canary's share; a shadow predicts them all too. */
export interface ServingRoute {
  model: string;
  canary: { version: number; share: number } | null;
  /** Predicts every request beside the answering version; its answers are logged, never returned. */
  shadow: number | null;
}

/** Why a prediction came out as it did: per-feature contributions to one output's margin. */
export interface Explanation {
  /** The explained output: the predicted class (its log-odds or softmax score) or the regression value. */
  output: string;
  /**
   * What the contributions add up to: the regression value, the positive class's log-odds (binary), a class's
   * softmax logit (multiclass, before the softmax), or a forest's averaged probability.
   */
  space: 'value' | 'log-odds' | 'softmax-logit' | 'probability';
  /** Exact path-dependent TreeSHAP (trees) or exact linear SHAP, w·(x − E[x]) (linear and logistic models). */
  method: 'treeshap' | 'linear-shap';
  /** The base value: the output's expectation over the training data. */
  expectedValue: number;
  /** Exact SHAP values per raw feature (one-hot levels summed); expectedValue + their sum = the output's margin. */
  contributions: Record<string, number>;
  /**
   * Present when the model has a calibrator. True: the margin explained is the calibrated one, so the sum gives the
   * served probability (Platt is affine in log-odds, temperature divides the logits: SHAP values scale exactly).
   * False: the calibrator has no exact additive form (isotonic, or one over a forest's averaged probability), so
   * the sum is the model's margin before calibration.
   */
  calibrated?: boolean;
}

/** One prediction: a label with class probabilities, or a value; with `explain`, its explanation. */
export type Prediction = ({ label: string; probabilities: Record<string, number> } | { value: number }) & {
  explanation?: Explanation;
  /** The row's id in the prediction log: send it back with the label when the label is known. */
  id?: string;
};

/** Predictions with the model version that made them. */
export interface PredictResult {
  model: string;
  version: number;
  /**
   * Where the rows were scored: "cpu", a GPU provider with how many nodes it took ("webgpu: 5 of 18 nodes"), or
   * "typescript (in process)" for a small request the model's TypeScript predictor answered (see Predictor).
   */
  executionProvider: string;
  predictions: Prediction[];
}

const predictKeys = new Set(['name', 'version', 'rows', 'explain']);

/**
 * models.predict's arguments as its schema accepts them, checked without zod (a single-row prediction's largest
 * dispatch cost): a plain object with only the schema's keys, a valid name, an optional positive integer version,
 * one to 10,000 rows of flat cells, an optional boolean `explain`. Answers a copy, each field read once and checked
 * on the copy (as zod's parse hands the handler its own object and array), or undefined for zod to decide.
 */
function plainPredictArgs(args: unknown): unknown {
  if (typeof args !== 'object' || args === null || Object.getPrototypeOf(args) !== Object.prototype) return undefined;
  const a = args as Record<string, unknown>;
  for (const key in a) if (!predictKeys.has(key) || !Object.prototype.hasOwnProperty.call(a, key)) return undefined;
  const { name, version, explain } = a;
  const given = a.rows;
  if (!isName(name)) return undefined;
  if (version !== undefined && !isVersion(version)) return undefined;
  if (explain !== undefined && typeof explain !== 'boolean') return undefined;
  if (!Array.isArray(given) || given.length < 1 || given.length > 10_000) return undefined;
  const rows: unknown[] = [];
  for (let i = 0; i < given.length; i++) {
    if (!(i in given)) return undefined;
    const row: unknown = given[i];
    if (!isRow(row)) return undefined;
    rows.push(row);
  }
  return { name, version, rows, explain };
}

export const servingMethods = defineMethods({
  'models.predict': {
    doc: 'Predictions for rows from a version (production by default), optionally explained.',
    permission: 'predict',
    args: z
      .object({
        name,
        version: version.optional(),
        rows: z.array(row).min(1).max(10_000),
        /**
         * Per-feature contributions: exact TreeSHAP for tree models, exact linear SHAP for linear ones; ensembles,
         * neural nets and imported graphs are refused (NOT_SUPPORTED), with the reason.
         */
        explain: z.boolean().optional(),
      })
      .strict(),
    accepts: plainPredictArgs,
    result: returns<PredictResult>(),
  },
  'models.route': {
    doc: 'Where requests for a model without a version go: production, a canary, a shadow.',
    permission: 'read',
    args: z.object({ name }).strict(),
    result: returns<ServingRoute>(),
  },
  'models.set-route': {
    doc: 'A canary (null to end it) and a shadow (null to end it); fields left out stay as they are.',
    permission: 'write',
    args: z
      .object({
        name,
        canary: z
          .object({ version, share: z.number().gt(0).max(1) })
          .strict()
          .nullable()
          .optional(),
        shadow: version.nullable().optional(),
      })
      .strict(),
    result: returns<ServingRoute>(),
  },
});
