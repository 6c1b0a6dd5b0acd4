// Append-only: never edit a migration that has shipped; add a new numbered file instead.
// What serving did: sampled inputs, prediction, latency and version per row, with the label when it arrives later.
export const sql = `
CREATE TABLE prediction_log (
  id TEXT PRIMARY KEY,
  model_id INTEGER NOT NULL REFERENCES models(id),
  version INTEGER NOT NULL,
  at TEXT NOT NULL,
  latency_us INTEGER NOT NULL,
  inputs_json TEXT NOT NULL,
  prediction_json TEXT NOT NULL,
  label TEXT,
  labelled_at TEXT
) STRICT;
CREATE INDEX prediction_log_by_model_time ON prediction_log(model_id, at);
`;
