// Append-only: never edit a migration that has shipped; add a new numbered file instead.
// Retention per dataset (how many versions to keep) and per model (how many days of prediction log to keep).
// Garbage collection (main/store/retention.ts) applies them and then deletes the blobs nothing references.
export const sql = `
CREATE TABLE retention (
  kind TEXT NOT NULL CHECK (kind IN ('dataset', 'model')),
  name TEXT NOT NULL,
  keep_versions INTEGER CHECK (keep_versions IS NULL OR keep_versions >= 1),
  log_days REAL CHECK (log_days IS NULL OR log_days > 0),
  updated_at TEXT NOT NULL,
  PRIMARY KEY (kind, name)
) STRICT;
`;
