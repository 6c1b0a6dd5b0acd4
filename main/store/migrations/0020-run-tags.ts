// Append-only: never edit a migration that has shipped; add a new numbered file instead.
// Runs (training jobs) can be tagged by hand ("baseline", "candidate"): the tags are the user's own, so they live
// beside the jobs table rather than inside a job's stored arguments. A job's tags go with it.
export const sql = `
CREATE TABLE run_tags (
  run_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (run_id, tag)
) STRICT;
`;
