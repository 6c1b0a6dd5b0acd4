// Append-only: never edit a migration that has shipped; add a new numbered file instead.
// Pulling and following models from a registry, metrics snapshots, and uploads that survive a crash.
// SQLite cannot change a CHECK or a NOT NULL in place: outbox and model_versions are rebuilt the way SQLite's
// documentation lays out (new table, copy, drop, rename); the runner turns foreign keys off around it and checks
// them before committing.
export const sql = `
CREATE TABLE model_versions_new (
  id INTEGER PRIMARY KEY,
  model_id INTEGER NOT NULL REFERENCES models(id),
  version INTEGER NOT NULL,
  algorithm TEXT NOT NULL,
  -- NULL for a version pulled from a registry: its dataset lives elsewhere and is named in origin_json.
  dataset_version_id INTEGER REFERENCES dataset_versions(id),
  params_json TEXT NOT NULL,
  metrics_json TEXT NOT NULL,
  report_json TEXT NOT NULL,
  input_schema_json TEXT NOT NULL,
  onnx_blob TEXT NOT NULL REFERENCES blobs(digest),
  model_blob TEXT NOT NULL REFERENCES blobs(digest),
  created_at TEXT NOT NULL,
  -- Where a pulled version came from: registry URL, reference, manifest digest, remote version, dataset lineage.
  origin_json TEXT,
  UNIQUE (model_id, version),
  CHECK (dataset_version_id IS NOT NULL OR origin_json IS NOT NULL)
) STRICT;
INSERT INTO model_versions_new (id, model_id, version, algorithm, dataset_version_id, params_json, metrics_json,
  report_json, input_schema_json, onnx_blob, model_blob, created_at)
  SELECT id, model_id, version, algorithm, dataset_version_id, params_json, metrics_json, report_json,
    input_schema_json, onnx_blob, model_blob, created_at FROM model_versions;
DROP TABLE model_versions;
ALTER TABLE model_versions_new RENAME TO model_versions;

-- A model version's metrics measured on labelled data after training (hearth evaluate; monitoring windows later).
CREATE TABLE metric_snapshots (
  id INTEGER PRIMARY KEY,
  model_id INTEGER NOT NULL REFERENCES models(id),
  version INTEGER NOT NULL,
  source TEXT NOT NULL,
  data_hash TEXT NOT NULL,
  rows INTEGER NOT NULL,
  metrics_json TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
CREATE INDEX metric_snapshots_by_version ON metric_snapshots(model_id, version);

CREATE TABLE outbox_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('model-version', 'alias', 'metrics')),
  model TEXT NOT NULL,
  version INTEGER NOT NULL,
  alias TEXT,
  snapshot_id INTEGER REFERENCES metric_snapshots(id),
  created_at TEXT NOT NULL,
  CHECK ((kind = 'alias') = (alias IS NOT NULL) AND (kind = 'metrics') = (snapshot_id IS NOT NULL))
) STRICT;
INSERT INTO outbox_new (id, kind, model, version, alias, created_at)
  SELECT id, kind, model, version, alias, created_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;

-- A blob upload in progress, so a push killed mid-upload resumes at the registry's offset instead of byte 0.
CREATE TABLE upload_sessions (
  remote TEXT NOT NULL REFERENCES remotes(name) ON DELETE CASCADE,
  repository TEXT NOT NULL,
  digest TEXT NOT NULL,
  url TEXT NOT NULL,
  offset INTEGER NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (remote, repository, digest)
) STRICT;

-- A remote alias this box tracks: when its digest moves, the version is pulled and the local alias follows it.
CREATE TABLE follows (
  remote TEXT NOT NULL REFERENCES remotes(name) ON DELETE CASCADE,
  model TEXT NOT NULL,
  alias TEXT NOT NULL,
  last_digest TEXT,
  local_version INTEGER,
  status TEXT NOT NULL CHECK (status IN ('waiting', 'current', 'failed', 'rolled-back')),
  last_error TEXT,
  checked_at TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (remote, model, alias)
) STRICT;
`;
