// Append-only: never edit a migration that has shipped; add a new numbered file instead.
// The runner stores a sha256 of this text and refuses a database whose recorded hash differs.
export const sql = `
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE blobs (
  digest TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  media_type TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE datasets (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE dataset_versions (
  id INTEGER PRIMARY KEY,
  dataset_id INTEGER NOT NULL REFERENCES datasets(id),
  version INTEGER NOT NULL,
  schema_json TEXT NOT NULL,
  row_count INTEGER NOT NULL,
  quarantined_count INTEGER NOT NULL,
  content_hash TEXT NOT NULL,
  data_blob TEXT NOT NULL REFERENCES blobs(digest),
  profile_json TEXT NOT NULL,
  source_json TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (dataset_id, version)
) STRICT;

CREATE TABLE quarantine (
  id INTEGER PRIMARY KEY,
  version_id INTEGER NOT NULL REFERENCES dataset_versions(id),
  line INTEGER NOT NULL,
  reason TEXT NOT NULL,
  raw TEXT NOT NULL
) STRICT;
CREATE INDEX quarantine_by_version ON quarantine(version_id, line);

CREATE TABLE models (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  task TEXT NOT NULL,
  target TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE model_versions (
  id INTEGER PRIMARY KEY,
  model_id INTEGER NOT NULL REFERENCES models(id),
  version INTEGER NOT NULL,
  algorithm TEXT NOT NULL,
  dataset_version_id INTEGER NOT NULL REFERENCES dataset_versions(id),
  params_json TEXT NOT NULL,
  metrics_json TEXT NOT NULL,
  report_json TEXT NOT NULL,
  input_schema_json TEXT NOT NULL,
  onnx_blob TEXT NOT NULL REFERENCES blobs(digest),
  model_blob TEXT NOT NULL REFERENCES blobs(digest),
  created_at TEXT NOT NULL,
  UNIQUE (model_id, version)
) STRICT;

CREATE TABLE model_aliases (
  model_id INTEGER NOT NULL REFERENCES models(id),
  alias TEXT NOT NULL,
  version INTEGER NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (model_id, alias)
) STRICT;

CREATE TABLE alias_history (
  id INTEGER PRIMARY KEY,
  model_id INTEGER NOT NULL REFERENCES models(id),
  alias TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('set', 'promote', 'rollback')),
  version INTEGER NOT NULL,
  previous_version INTEGER,
  rolled_back INTEGER NOT NULL DEFAULT 0,
  at TEXT NOT NULL
) STRICT;

CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  args_json TEXT NOT NULL,
  result_json TEXT,
  error_json TEXT,
  created_at TEXT NOT NULL,
  finished_at TEXT
) STRICT;
`;
