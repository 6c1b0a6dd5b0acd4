// Append-only: never edit a migration that has shipped; add a new numbered file instead.
// Files a watched folder has appended (main/data/watch-folder.ts), by content hash: recorded in the transaction that
// commits the version holding their rows, so a restart, or a crash on either side of the commit, appends a file
// exactly once.
export const sql = `
CREATE TABLE watched_files (
  dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  sha256 TEXT NOT NULL,
  path TEXT NOT NULL,
  version INTEGER NOT NULL,
  appended_at TEXT NOT NULL,
  PRIMARY KEY (dataset_id, sha256)
) STRICT;
`;
