// Append-only: never edit a migration that has shipped; add a new numbered file instead.
// Pipelines (main/data/pipeline.ts): each version of a pipeline's file, its runs with their lineage, and what each
// pipeline has consumed of each input dataset. The consumed versions change only in the transaction that commits
// the output version made from them, which is what makes a re-run after a crash write each row once.
export const sql = `
CREATE TABLE pipelines (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  output_dataset TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE pipeline_versions (
  pipeline_id INTEGER NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  definition TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (pipeline_id, version),
  UNIQUE (pipeline_id, sha256)
) STRICT;

CREATE TABLE pipeline_consumed (
  pipeline_id INTEGER NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
  dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  PRIMARY KEY (pipeline_id, dataset_id)
) STRICT;

CREATE TABLE pipeline_runs (
  id INTEGER PRIMARY KEY,
  pipeline_id INTEGER NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
  pipeline_version INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('succeeded', 'up-to-date', 'failed', 'cancelled')),
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  inputs_json TEXT NOT NULL,
  output_dataset TEXT NOT NULL,
  output_version INTEGER,
  rows_in INTEGER NOT NULL,
  rows_out INTEGER NOT NULL,
  quarantined INTEGER NOT NULL,
  error TEXT,
  mode TEXT NOT NULL CHECK (mode IN ('incremental', 'rebuild'))
) STRICT;
CREATE INDEX pipeline_runs_by_pipeline ON pipeline_runs (pipeline_id, id);
`;
