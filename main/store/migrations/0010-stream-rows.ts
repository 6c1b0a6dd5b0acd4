// Append-only: never edit a migration that has shipped; add a new numbered file instead.
// Rows a stream answered, waiting to be appended to its dataset. A row moves here from the inbox in the same
// transaction that forgets the message, and leaves only after the dataset version holding it has been committed:
// a crash between the two appends it again (at least once, like the stream itself), never loses it.
export const sql = `
CREATE TABLE stream_rows (
  seq INTEGER PRIMARY KEY,
  stream TEXT NOT NULL,
  row_json TEXT NOT NULL
) STRICT;
CREATE INDEX stream_rows_by_stream ON stream_rows(stream, seq);
`;
