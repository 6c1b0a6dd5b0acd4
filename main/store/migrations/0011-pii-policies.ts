// Append-only: never edit a migration that has shipped; add a new numbered file instead.
// The PII policy of each dataset column that has one (keep, drop, mask, hash, generalise) and the type it was
// detected or declared as. Applied to every version ingested or appended after it is set, and to the inputs of
// models trained on the dataset before they are predicted and logged.
export const sql = `
CREATE TABLE pii_policies (
  dataset_id INTEGER NOT NULL REFERENCES datasets(id),
  column_name TEXT NOT NULL,
  policy TEXT NOT NULL CHECK (policy IN ('keep', 'drop', 'mask', 'hash', 'generalise')),
  pii_type TEXT,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (dataset_id, column_name)
) STRICT;
`;
