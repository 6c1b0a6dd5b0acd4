// Append-only: never edit a migration that has shipped; add a new numbered file instead.
// Drift of each production model per closed time window, computed on a schedule: what the console charts over time.
export const sql = `
CREATE TABLE drift_history (
  id INTEGER PRIMARY KEY,
  model TEXT NOT NULL,
  version INTEGER NOT NULL,
  window_start TEXT NOT NULL,
  window_end TEXT NOT NULL,
  rows INTEGER NOT NULL,
  share REAL NOT NULL,
  dataset_drifted INTEGER NOT NULL,
  prediction_drifted INTEGER NOT NULL,
  columns_json TEXT NOT NULL,
  computed_at TEXT NOT NULL,
  UNIQUE (model, version, window_start)
) STRICT;
`;
