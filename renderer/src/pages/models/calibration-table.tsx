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
        <table>
          <thead>
            <tr>
              <th>Method</th>
              <th>Log loss</th>
              <th>Brier</th>
              <th>ECE</th>
            </tr>
          </thead>
          <tbody>
            {calibration.compared.map((c) => (
              <tr key={c.method}>
                <td>{c.method === calibration.method ? <b>{c.method}</b> : c.method}</td>
                <td>{c.cv_log_loss.toFixed(4)}</td>
                <td>{c.cv_brier.toFixed(4)}</td>
                <td>{c.cv_ece.toFixed(4)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {calibration.compared.length > 0 && (
        <p className="muted">
          Each method fitted on the other folds&apos; out-of-fold predictions and scored on the fold&apos;s own (
          {calibration.rows} rows); the applied calibrator is part of the model and of its ONNX graph.
        </p>
      )}
    </div>
  );
}
