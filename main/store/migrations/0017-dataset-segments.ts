// Append-only: never edit a migration that has shipped; add a new numbered file instead.
// Appended dataset versions stored as segments (main/data/datasets.ts commitAppend): a version lists the blobs that
// hold its rows in order, the earlier ones shared with the version it was appended to. A version with no segment
// rows is held whole by its data_blob, as every version was before.
export const sql = `
CREATE TABLE dataset_segments (
  version_id INTEGER NOT NULL REFERENCES dataset_versions(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  blob TEXT NOT NULL,
  rows INTEGER NOT NULL,
  PRIMARY KEY (version_id, seq)
) STRICT;
`;
