// Append-only: never edit a migration that has shipped; add a new numbered file instead.
// MQTT messages a stream has taken from the broker (and so acknowledged) but not yet answered: written before the
// acknowledgement, deleted once the answer is acknowledged in turn, replayed after a crash.
export const sql = `
CREATE TABLE stream_inbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  stream TEXT NOT NULL,
  payload BLOB NOT NULL,
  received_at TEXT NOT NULL
) STRICT;
CREATE INDEX stream_inbox_by_stream ON stream_inbox(stream, seq);
`;
