/** One calibration method's cross-validated scores on the search's out-of-fold predictions. */
interface CalibrationComparison {
  method: string;
  cv_log_loss: number;
  cv_brier: number;
  cv_ece: number;
}

/** What a search recorded about calibrating its choice (main/training/calibrate.ts, CalibrationReport). */
export interface CalibrationSummary {
  requested: string;
  method: string;
  compared: CalibrationComparison[];
  rows: number;
  note?: string;
  /** When the out-of-fold calibrator did not fit the final model: the methods compared again on its validation rows. */
  refit?: { rows: number; compared: CalibrationComparison[] };
}

function ComparisonTable({ compared, applied, testId }: { compared: CalibrationComparison[]; applied: string; testId: string }) {
  return (
    <table data-testid={testId}>
      <thead>
        <tr>
          <th>Method</th>
          <th>Log loss</th>
          <th>Brier</th>
          <th>ECE</th>
        </tr>
      </thead>
      <tbody>
        {compared.map((c) => (
          <tr key={c.method}>
            <td>{c.method === applied ? <b>{c.method}</b> : c.method}</td>
            <td>{c.cv_log_loss.toFixed(4)}</td>
            <td>{c.cv_brier.toFixed(4)}</td>
            <td>{c.cv_ece.toFixed(4)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The calibration the search applied to the model's probabilities, and what it compared. */
export function CalibrationTable({ calibration }: { calibration: CalibrationSummary }) {
  return (
    <div data-testid="calibration-table">
      <h4>
        Probability calibration: <span data-testid="calibration-method">{calibration.method}</span>
        {calibration.requested === 'auto' ? ' (chosen by cross-validated log loss)' : ` (asked for: ${calibration.requested})`}
      </h4>
      {calibration.note !== undefined && <p className="muted">{calibration.note}</p>}
      {calibration.compared.length > 0 && (
        <ComparisonTable
          compared={calibration.compared}
          applied={calibration.refit === undefined ? calibration.method : ''}
          testId="calibration-compared"
        />
      )}
      {calibration.compared.length > 0 && (
        <p className="muted">
          Each method fitted on the other folds&apos; out-of-fold predictions and scored on the fold&apos;s own (
          {calibration.rows} rows)
          {calibration.refit === undefined
            ? '; the applied calibrator is part of the model and of its ONNX graph.'
            : '; checked on the final model, this choice was not kept (see below).'}
        </p>
      )}
      {calibration.refit !== undefined && (
        <>
          <ComparisonTable compared={calibration.refit.compared} applied={calibration.method} testId="calibration-refit" />
          <p className="muted">
            Compared again on the final model&apos;s own predictions of {calibration.refit.rows} of its validation rows (each of
            five folds of them calibrated by the other four)
            {calibration.method === 'none'
              ? ': no calibrator beat the model as it is, so none is applied.'
              : '; the applied calibrator, fitted on those rows, is part of the model and of its ONNX graph.'}
          </p>
        </>
      )}
    </div>
  );
}
