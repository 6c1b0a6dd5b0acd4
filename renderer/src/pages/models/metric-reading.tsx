import type { BaselineComparison, ModelVersionInfo } from '../../../../main/contracts/api.js';
import { formatNumber } from '../../components/charts.js';

/** The metric a task is read by first: ROC AUC (binary), macro F1 (multiclass), RMSE (regression). */
export function mainMetric(task: string): string {
  return task === 'binary' ? 'roc_auc' : task === 'multiclass' ? 'f1' : 'rmse';
}

const percent = (v: number) => `${Math.round(v * 100)}%`;

/**
 * The main metric in plain words, with what knowing nothing scores beside it: what a reader can take from the
 * number without knowing its definition.
 */
export function metricReading(version: ModelVersionInfo): string | null {
  const report = version.report as { classes?: string[]; positiveClass?: string; baseline?: BaselineComparison };
  const baseline = report.baseline;
  const m = version.metrics;
  const against = (metric: string) => {
    const b = baseline?.metrics[metric];
    return b === undefined ? '' : ` Knowing nothing (${baselineName(baseline!)}) scores ${formatNumber(b)}.`;
  };
  if (version.task === 'binary' && m.roc_auc !== undefined) {
    const yes = report.positiveClass ?? report.classes?.[1] ?? 'positive';
    const no = report.classes?.[0] ?? 'negative';
    return (
      `ROC AUC ${formatNumber(m.roc_auc)}: a random “${yes}” row is scored above a random “${no}” row ${percent(m.roc_auc)} ` +
      `of the time (0.5 is a coin toss, 1 never wrong); positive class: “${yes}”.` +
      against('roc_auc')
    );
  }
  if (version.task === 'multiclass' && m.f1 !== undefined) {
    const k = report.classes?.length;
    return (
      `F1 ${formatNumber(m.f1)} (macro average): each class's F1, the balance of its precision and recall, averaged over ` +
      `the ${k ?? ''} classes with equal weight, so a rare class counts as much as a common one.` +
      (m.accuracy !== undefined ? ` ${percent(m.accuracy)} of the test rows get the right class.` : '') +
      against('f1')
    );
  }
  if (version.task === 'regression' && m.rmse !== undefined) {
    return (
      `RMSE ${formatNumber(m.rmse)}: a prediction is typically about ${formatNumber(m.rmse)} off the actual ${version.target} ` +
      `(larger misses weigh more)` +
      (m.r2 !== undefined ? `; R² ${formatNumber(m.r2)}: it explains ${percent(Math.max(0, m.r2))} of the variance.` : '.') +
      against('rmse')
    );
  }
  return null;
}

function baselineName(baseline: BaselineComparison): string {
  return baseline.kind === 'majority'
    ? `always “${String(baseline.answer)}”`
    : `always the training mean ${formatNumber(baseline.answer)}`;
}

/** Every metric beside the baseline's on the same rows, and whether the model clearly beats it. */
export function MetricsTable({ version }: { version: ModelVersionInfo }) {
  // What knowing nothing scores on the same rows: versions trained before baselines (and imports) have none.
  const baseline = version.report.baseline as BaselineComparison | undefined;
  return (
    <>
      <table data-testid="metrics-table">
        <thead>
          <tr>
            <th>Metric</th>
            <th>Model</th>
            <th title="What knowing nothing scores on the same rows">
              {baseline !== undefined ? `Baseline (${baselineName(baseline)})` : 'Baseline'}
            </th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(version.metrics).map(([k, v]) => (
            <tr key={k}>
              <td>{k}</td>
              <td data-testid={`metric-${k}`}>{v.toFixed(4)}</td>
              <td data-testid={`baseline-${k}`} className="muted">
                {baseline?.metrics[k]?.toFixed(4) ?? '–'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {baseline === undefined && (
        <p className="muted">No baseline recorded: this version was trained elsewhere or before baselines.</p>
      )}
      {baseline !== undefined && <BaselineVerdict baseline={baseline} />}
    </>
  );
}

export function BaselineVerdict({ baseline }: { baseline: BaselineComparison }) {
  return (
    <p className={baseline.beaten ? 'muted' : 'error'} data-testid="baseline-verdict">
      {baseline.beaten ? 'Clearly beats the baseline' : 'Does not clearly beat the baseline'} on {baseline.rows} rows:{' '}
      {baseline.tests
        .map(
          (t) => `${t.metric} ${t.improvement >= 0 ? '+' : ''}${t.improvement.toPrecision(2)} a row, p = ${t.p.toPrecision(2)}`,
        )
        .join('; ')}{' '}
      (paired one-sided tests, p &lt; {baseline.alpha}).
    </p>
  );
}
