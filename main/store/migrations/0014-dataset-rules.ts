// Append-only: never edit a migration that has shipped; add a new numbered file instead.
// A dataset's data-quality rules (main/data/rules.ts), enforced at ingest and at serving; and each version's check
// against the rules in force when it was written, for its quality report.
export const sql = `
CREATE TABLE dataset_rules (
  dataset_id INTEGER PRIMARY KEY REFERENCES datasets(id) ON DELETE CASCADE,
  rules_json TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

ALTER TABLE dataset_versions ADD COLUMN rules_check_json TEXT;
`;
