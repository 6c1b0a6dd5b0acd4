import { averagePrecision, precisionRecallCurve, rocAuc, rocCurve, type CurvePoint } from './metrics.js';
import { matrixColumn, positiveLabels } from './arrays.js';

/*
 * The evaluation curves training stores beyond the binary ones: one-vs-rest ROC and precision–recall per class,
 * the top-label reliability diagram for multiclass, and a residual sample for regression. Each is bounded in size
 * so that a report stays small whatever the number of test rows.
 */

/** Classes given curves at most: the most frequent among the test rows (a 300-class model would bloat its report). */
export const maxCurveClasses = 20;

/** One class against the rest: its labels are 1 where the row is that class, its scores that class's probability. */
export interface OneVsRest {
  classIndex: number;
  support: number;
  rocAuc: number;
  averagePrecision: number;
  roc: CurvePoint[];
  pr: CurvePoint[];
}

/**
 * One-vs-rest curves (scikit-learn's roc_curve / precision_recall_curve on label_binarize(y)[:, c] and
 * proba[:, c]) for up to `maxCurveClasses` classes, the most frequent first (ties in class order). `probabilities`
 * is row-major, k per row. ROC curves keep at most `maxPoints` points, the (0, 0) and (1, 1) ends included;
 * precision–recall curves at most `maxPoints`.
 */
export function oneVsRestCurves(labels: Int32Array, probabilities: Float64Array, k: number, maxPoints = 200): OneVsRest[] {
  const support = new Array<number>(k).fill(0);
  for (const l of labels) support[l]!++;
  const order = Array.from({ length: k }, (_, c) => c)
    .filter((c) => support[c]! > 0)
    .sort((a, b) => support[b]! - support[a]! || a - b)
    .slice(0, maxCurveClasses);
  return order.map((c) => {
    const binary = positiveLabels(labels, c);
    const scores = matrixColumn(probabilities, k, c, labels.length);
    return {
      classIndex: c,
      support: support[c]!,
      rocAuc: rocAuc(binary, scores),
      averagePrecision: averagePrecision(binary, scores),
      // rocCurve adds up to two end points to the thinned sweep.
      roc: rocCurve(binary, scores, Math.max(1, maxPoints - 2)),
      pr: precisionRecallCurve(binary, scores, maxPoints),
    };
  });
}

/**
 * Residuals (actual − predicted) beside actual and predicted, for every row up to `maxPoints`, beyond that an
 * evenly spaced sample of the rows in their order (deterministic, so a report does not change between reads).
 */
export function residualSample(
  actual: Float64Array,
  predicted: Float64Array,
  maxPoints = 2000,
): { rows: number; points: { actual: number; predicted: number; residual: number }[] } {
  const n = actual.length;
  const take = Math.min(n, maxPoints);
  const points = Array.from({ length: take }, (_, j) => {
    const i = take === n ? j : Math.floor((j * n) / take);
    return { actual: actual[i]!, predicted: predicted[i]!, residual: actual[i]! - predicted[i]! };
  });
  return { rows: n, points };
}
