import type { CalibrationBin, ClassCurves, ResidualSample } from '../contracts/api.js';
import { curve, escape, number, scatter } from '../html/render.js';

/**
 * The evaluation charts of a model report, from what training stored: binary ROC, precision–recall and
 * reliability; multiclass the same one class against the rest (reliability on the top-label confidence);
 * regression predicted against actual and the residuals.
 */
export function evaluationCharts(r: Record<string, unknown>): string {
  const parts: string[] = [];
  const roc = r.rocCurve as { x: number; y: number }[] | undefined;
  const pr = r.prCurve as { x: number; y: number }[] | undefined;
  const perClass = r.perClass as ClassCurves[] | undefined;
  const calibration = r.calibration as CalibrationBin[] | undefined;
  const residuals = r.residuals as ResidualSample | undefined;
  if (roc) parts.push(`<h3>ROC curve</h3>${curve(roc)}`);
  if (pr) parts.push(`<h3>Precision–recall curve</h3>${curve(pr, { x: 'recall', y: 'precision', diagonal: false })}`);
  if (perClass && perClass.length > 0) {
    const name = (c: ClassCurves, area: number | null, label: string): string => `${c.class} (${label} ${number(area)})`;
    parts.push(
      `<h3>ROC curves, each class against the rest</h3>${curve(perClass.map((c) => ({ name: name(c, c.rocAuc, 'AUC'), points: c.roc })))}`,
      `<h3>Precision–recall curves, each class against the rest</h3>${curve(
        perClass.map((c) => ({ name: name(c, c.averagePrecision, 'AP'), points: c.pr })),
        { x: 'recall', y: 'precision', diagonal: false },
      )}`,
    );
  }
  if (calibration && calibration.length > 0) {
    const of = typeof r.calibrationOf === 'string' ? r.calibrationOf : 'P(positive)';
    parts.push(
      `<h3>Reliability (${escape(of)} against the observed rate)</h3>${curve(
        calibration.map((b) => ({ x: b.predicted, y: b.observed })),
        { x: `mean ${of}`, y: 'observed rate' },
      )}`,
    );
  }
  if (residuals && residuals.points.length > 0) {
    const sampled =
      residuals.points.length < residuals.rows ? ` (a sample of ${residuals.points.length} of ${residuals.rows} rows)` : '';
    parts.push(
      `<h3>Predicted against actual${escape(sampled)}</h3>${scatter(
        residuals.points.map((p) => ({ x: p.actual, y: p.predicted })),
        { x: 'actual', y: 'predicted' },
        'identity',
      )}`,
      `<h3>Residuals (actual − predicted)</h3>${scatter(
        residuals.points.map((p) => ({ x: p.predicted, y: p.residual })),
        { x: 'predicted', y: 'residual' },
        'zero',
      )}`,
    );
  }
  return parts.join('');
}
