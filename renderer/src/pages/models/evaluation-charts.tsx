import type { CalibrationBin, ClassCurves, ModelVersionInfo, ResidualSample } from '../../../../main/contracts/api.js';
import { fitLabel, formatNumber, PointCloud, UnitCurves } from '../../components/charts.js';
import { ConfusionMatrix } from '../../components/confusion-matrix.js';

/** What training stored about a version's test rows that can be drawn. */
interface StoredCurves {
  rocCurve?: { x: number; y: number }[];
  prCurve?: { x: number; y: number }[];
  calibration?: CalibrationBin[];
  calibrationOf?: string;
  perClass?: ClassCurves[];
  residuals?: ResidualSample;
  confusionMatrix?: number[][];
  classes?: string[];
  positiveClass?: string;
}

/**
 * The evaluation charts of every task: binary ROC, precision–recall and reliability; multiclass the same, one
 * class against the rest (reliability on the top-label confidence), with the confusion matrix; regression
 * predicted against actual and the residuals. Versions trained before these were stored show what they have.
 */
export function EvaluationCharts({ version }: { version: ModelVersionInfo }) {
  const r = version.report as StoredCurves;
  const area = (v: number | null) => (v === null ? 'n/a' : formatNumber(v));
  return (
    <div className="chart-grid">
      {r.rocCurve !== undefined && (
        <figure className="chart" data-testid="roc-chart">
          <figcaption>
            ROC curve (test rows{r.positiveClass !== undefined ? `; positive class “${r.positiveClass}”` : ''})
          </figcaption>
          <UnitCurves
            series={[{ name: 'ROC', points: r.rocCurve }]}
            xLabel="false positive rate"
            yLabel="true positive rate"
            diagonal
          />
        </figure>
      )}
      {r.prCurve !== undefined && (
        <figure className="chart" data-testid="pr-chart">
          <figcaption>Precision–recall curve (test rows)</figcaption>
          <UnitCurves series={[{ name: 'PR', points: r.prCurve }]} xLabel="recall" yLabel="precision" diagonal={false} />
        </figure>
      )}
      {r.perClass !== undefined && r.perClass.length > 0 && (
        <>
          <figure className="chart" data-testid="roc-per-class">
            <figcaption>ROC curves, each class against the rest (test rows)</figcaption>
            <UnitCurves
              series={r.perClass.map((c) => ({ name: `${fitLabel(c.class, 120)} (AUC ${area(c.rocAuc)})`, points: c.roc }))}
              xLabel="false positive rate"
              yLabel="true positive rate"
              diagonal
            />
          </figure>
          <figure className="chart" data-testid="pr-per-class">
            <figcaption>Precision–recall curves, each class against the rest</figcaption>
            <UnitCurves
              series={r.perClass.map((c) => ({
                name: `${fitLabel(c.class, 120)} (AP ${area(c.averagePrecision)})`,
                points: c.pr,
              }))}
              xLabel="recall"
              yLabel="precision"
              diagonal={false}
            />
          </figure>
        </>
      )}
      {r.calibration !== undefined && r.calibration.length > 0 && (
        <figure className="chart" data-testid="calibration-chart">
          <figcaption>
            Reliability: {r.calibrationOf ?? 'predicted probability of the positive class'} against how often it is right (on the
            diagonal: calibrated)
          </figcaption>
          <UnitCurves
            series={[{ name: 'observed', points: r.calibration.map((b) => ({ x: b.predicted, y: b.observed })) }]}
            xLabel={`mean ${r.calibrationOf ?? 'P(positive)'}`}
            yLabel="observed rate"
            diagonal
            dots
          />
        </figure>
      )}
      {r.residuals !== undefined && r.residuals.points.length > 0 && (
        <>
          <figure className="chart" data-testid="predicted-actual-chart">
            <figcaption>Predicted against actual{sampleNote(r.residuals)} (on the dashed line: exact)</figcaption>
            <PointCloud
              points={r.residuals.points.map((p) => ({ x: p.actual, y: p.predicted }))}
              xLabel={`actual ${version.target}`}
              yLabel="predicted"
              reference="identity"
            />
          </figure>
          <figure className="chart" data-testid="residuals-chart">
            <figcaption>Residuals: actual − predicted, against predicted{sampleNote(r.residuals)}</figcaption>
            <PointCloud
              points={r.residuals.points.map((p) => ({ x: p.predicted, y: p.residual }))}
              xLabel="predicted"
              yLabel="residual"
              reference="zero"
            />
          </figure>
        </>
      )}
      {r.confusionMatrix !== undefined && r.classes !== undefined && (
        <ConfusionMatrix matrix={r.confusionMatrix} classes={r.classes} />
      )}
    </div>
  );
}

function sampleNote(residuals: ResidualSample): string {
  return residuals.points.length < residuals.rows
    ? `, a sample of ${residuals.points.length.toLocaleString('en-US')} of ${residuals.rows.toLocaleString('en-US')} test rows`
    : `, ${residuals.rows.toLocaleString('en-US')} test rows`;
}
