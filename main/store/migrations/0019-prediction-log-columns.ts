// Append-only: never edit a migration that has shipped; add a new numbered file instead.
// The prediction log's inputs and predictions move from JSON text per row to typed columns per segment
// (main/table/log-columns.ts, main/store/log-segments.ts): a drift check over a million rows then reads numbers, not text. A row keeps its id,
// time, latency, label and shadow link in prediction_log (what the labels join, retention and the alert counts use)
// and points at its segment and position there. A column of a segment is stored in chunks (rows from its `first`): one
// per batch while the segment fills, joined into one when it is full. Rows written before this migration keep their JSON (segment_id
// NULL); readers take both, and the log writer converts them to segments in the background.
//
// prediction_log is rebuilt (new, copy, drop, rename) because its JSON columns were NOT NULL; rowids are kept.
export const sql = `
CREATE TABLE prediction_log_segments (
  id INTEGER PRIMARY KEY,
  model_id INTEGER NOT NULL REFERENCES models(id),
  version INTEGER NOT NULL,
  rows INTEGER NOT NULL CHECK (rows >= 1),
  live INTEGER NOT NULL CHECK (live >= 0 AND live <= rows),
  min_at TEXT NOT NULL,
  max_at TEXT NOT NULL
) STRICT;
CREATE INDEX prediction_log_segments_by_model ON prediction_log_segments(model_id, version, max_at);
CREATE TABLE prediction_log_columns (
  segment_id INTEGER NOT NULL REFERENCES prediction_log_segments(id) ON DELETE CASCADE,
  part TEXT NOT NULL CHECK (part IN ('input', 'prediction')),
  name TEXT NOT NULL,
  ord INTEGER NOT NULL,
  first INTEGER NOT NULL CHECK (first >= 0),
  kind TEXT NOT NULL CHECK (kind IN ('number', 'category')),
  data BLOB NOT NULL,
  dict TEXT,
  counts TEXT,
  PRIMARY KEY (segment_id, part, name, first)
) STRICT;
CREATE TABLE prediction_log_next (
  id TEXT PRIMARY KEY,
  model_id INTEGER NOT NULL REFERENCES models(id),
  version INTEGER NOT NULL,
  at TEXT NOT NULL,
  latency_us INTEGER NOT NULL,
  inputs_json TEXT,
  prediction_json TEXT,
  label TEXT,
  labelled_at TEXT,
  shadow_of TEXT,
  segment_id INTEGER REFERENCES prediction_log_segments(id),
  pos INTEGER,
  CHECK ((segment_id IS NULL) = (inputs_json IS NOT NULL AND prediction_json IS NOT NULL AND pos IS NULL))
) STRICT;
INSERT INTO prediction_log_next (rowid, id, model_id, version, at, latency_us, inputs_json, prediction_json, label, labelled_at, shadow_of)
  SELECT rowid, id, model_id, version, at, latency_us, inputs_json, prediction_json, label, labelled_at, shadow_of FROM prediction_log;
DROP TABLE prediction_log;
ALTER TABLE prediction_log_next RENAME TO prediction_log;
CREATE INDEX prediction_log_by_model_time ON prediction_log(model_id, at);
CREATE INDEX prediction_log_by_shadow_of ON prediction_log(shadow_of) WHERE shadow_of IS NOT NULL;
CREATE INDEX prediction_log_by_segment ON prediction_log(segment_id, pos) WHERE segment_id IS NOT NULL;
CREATE INDEX prediction_log_legacy ON prediction_log(model_id, version) WHERE segment_id IS NULL;
`;
