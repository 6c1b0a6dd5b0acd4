import type { PiiDetection, PiiPolicy } from '../../../../main/contracts/pii.js';

const piiPolicies: readonly PiiPolicy[] = ['keep', 'drop', 'mask', 'hash', 'generalise'];

/** An upload held back because it looks like personal data: what was found, and a policy per column. */
export interface PendingReview {
  uploadId: string;
  datasetName: string;
  fileName: string;
  rows: number;
  detections: PiiDetection[];
  choices: Record<string, PiiPolicy>;
}

/** Asks for a policy per detected column before anything is written. */
export function PiiReview(props: {
  review: PendingReview;
  busy: boolean;
  onChoose: (column: string, policy: PiiPolicy) => void;
  onConfirm: () => void;
}) {
  const { review, busy, onChoose, onConfirm } = props;
  return (
    <div className="card" data-testid="pii-review">
      <h3>Personal data in {review.fileName}</h3>
      <p className="muted">
        Choose what happens to each column before anything is written: hashing keeps joins and categories (a keyed pseudonym),
        masking keeps the last four characters, generalising keeps a coarser value.
      </p>
      <table>
        <thead>
          <tr>
            <th>Column</th>
            <th>Looks like</th>
            <th>Confidence</th>
            <th>Policy</th>
          </tr>
        </thead>
        <tbody>
          {review.detections.map((d) => (
            <tr key={d.column} data-testid={`pii-${d.column}`}>
              <td>{d.column}</td>
              <td>{d.type}</td>
              <td>{(d.confidence * 100).toFixed(0)}%</td>
              <td>
                <select
                  data-testid={`pii-policy-${d.column}`}
                  value={review.choices[d.column]}
                  onChange={(e) => onChoose(d.column, e.target.value as PiiPolicy)}
                >
                  {piiPolicies.map((p) => (
                    <option key={p} value={p}>
                      {p}
                    </option>
                  ))}
                </select>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button data-testid="pii-ingest" disabled={busy} onClick={onConfirm}>
        Ingest {review.rows} rows into {review.datasetName} with these policies
      </button>
    </div>
  );
}
