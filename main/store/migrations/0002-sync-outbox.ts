// Append-only: never edit a migration that has shipped; add a new numbered file instead.
// The sync agent's outbox: every model version and alias move writes an event here in the same transaction as the
// change itself; deliveries record, per remote, which events reached it (at most one 'sent' row per pair).
export const sql = `
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('model-version', 'alias')),
  model TEXT NOT NULL,
  version INTEGER NOT NULL,
  alias TEXT,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE remotes (
  name TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  insecure_http INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE deliveries (
  remote TEXT NOT NULL REFERENCES remotes(name) ON DELETE CASCADE,
  outbox_id INTEGER NOT NULL REFERENCES outbox(id),
  status TEXT NOT NULL CHECK (status IN ('sent', 'failed')),
  attempts INTEGER NOT NULL,
  digest TEXT,
  last_error TEXT,
  next_attempt_at TEXT,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (remote, outbox_id)
) STRICT;
`;
