import { endianness } from 'node:os';
import type Database from 'better-sqlite3-multiple-ciphers';
import { cachedStatement } from './statements.js';

/** The connection the segment functions run on: the store's, or the log writer's own. */
export type Db = Database.Database;

/**
 * The prediction log's values in columnar form (migration 0019): the encoding, and the writes the log writer's thread
 * makes (workers/log-writer.ts, which may import only the ground floor: hence here, beside the other columnar code,
 * acting on a connection it is handed; the store's readers and retention are in main/store/log-segments.ts). A segment holds up to `segmentRows` consecutive rows
 * of one model version; each of its columns (an input, or a field of the prediction) is one BLOB:
 *
 * - `number`: a Float64 per row, NaN where the value was missing (null, or a non-finite number, which JSON wrote as
 *   null before);
 * - `category`: an Int32 code per row (-1 missing) into `dict`, a JSON array of the distinct values (JSON values, so a
 *   number logged in a text column reads back as a number), with `counts`, the rows per code: the sketch a drift
 *   check sums for a segment the window covers whole, without touching its rows.
 *
 * The row itself stays in prediction_log (id, time, latency, label, shadow link), pointing at its segment and
 * position; what joins labels, counts requests and applies retention reads that table as before. Rows from before
 * the migration keep their JSON there (segment_id NULL) until `convertLegacy` moves them.
 *
 * Segments are written by the log writer's thread alone (workers/log-writer.ts), each change in the transaction
 * that inserts its rows: the newest segment of a version is rewritten with the batch appended until it is full, so a
 * crash loses nothing committed and a window of a million rows is about 120 segments, not a million JSON texts.
 */
export const segmentRows = 8192;

// The BLOBs are the machine's own Float64/Int32 bytes, read back with a copy into a typed array.
if (endianness() !== 'LE') throw new Error('the prediction log segments are little-endian; this machine is not');

export type LogPart = 'input' | 'prediction';

/** One logged row: its inputs as the model read them, and what it answered (tests, legacy rows; see LogBatch). */
export interface LogRow {
  id: string;
  model: string;
  version: number;
  at: string;
  latencyUs: number;
  inputs: Record<string, unknown>;
  prediction: Record<string, unknown>;
  shadowOf: string | null;
}

/** One named column of a batch: a value per row, null (or undefined, or a non-finite number) where missing. */
export interface LogColumn {
  name: string;
  values: unknown[];
}

/**
 * Rows of one model version, column by column: what the serving thread hands the writer (serving/prediction-log.ts).
 * The serving thread already holds a request's inputs as columns (RawInputs): it appends them to arrays, where
 * building an object and its JSON text per row cost it ~3 µs and parsing that text back cost the writer as much.
 */
export interface LogBatch {
  model: string;
  version: number;
  ids: string[];
  at: string[];
  latencyUs: number[];
  shadowOf: (string | null)[];
  inputs: LogColumn[];
  prediction: LogColumn[];
}

/** A decoded column of one segment. */
export type SegmentColumn =
  { kind: 'number'; data: Float64Array } | { kind: 'category'; codes: Int32Array; dict: unknown[]; counts: number[] };

/** One stored chunk of a column: the rows [first, first + its length) of the segment. */
export interface StoredChunk {
  part: LogPart;
  name: string;
  first: number;
  kind: string;
  data: Buffer;
  dict: string | null;
  counts: string | null;
}

/** Encodes one column's values: numbers only (missing aside) as Float64, anything else as dictionary codes. */
export function encodeColumn(values: readonly unknown[]): {
  kind: 'number' | 'category';
  data: Buffer;
  dict: string | null;
  counts: string | null;
} {
  const numeric = values.every((v) => v === null || v === undefined || typeof v === 'number');
  if (numeric) {
    const out = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      // + 0: -0 is stored as 0, as the JSON the log once held wrote it.
      out[i] = typeof v === 'number' && Number.isFinite(v) ? v + 0 : Number.NaN;
    }
    return { kind: 'number', data: Buffer.from(out.buffer, out.byteOffset, out.byteLength), dict: null, counts: null };
  }
  const codes = new Int32Array(values.length);
  // Text, numbers and booleans are told apart by the Map itself ('1' and 1 are two keys); their JSON text is made
  // once per distinct value. Anything else (an object a test logs) is known by its JSON text.
  const index = new Map<string | number | boolean, number>();
  const byJson = new Map<string, number>();
  const keys: string[] = [];
  const counts: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) {
      codes[i] = -1;
      continue;
    }
    let key: unknown = v;
    let json: string | undefined;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      // Anything else is the value its JSON text reads back as (a boxed number is the number; a Date its text).
      json = JSON.stringify(v);
      if (json === undefined) {
        codes[i] = -1;
        continue;
      }
      key = JSON.parse(json);
    }
    const primitive = typeof key === 'string' || typeof key === 'number' || typeof key === 'boolean';
    let code = primitive ? index.get(key as string | number | boolean) : byJson.get(json!);
    if (code === undefined) {
      code = keys.length;
      if (primitive) index.set(key as string | number | boolean, code);
      else byJson.set(json!, code);
      keys.push(json ?? JSON.stringify(v));
      counts.push(0);
    }
    codes[i] = code;
    counts[code]!++;
  }
  return {
    kind: 'category',
    data: Buffer.from(codes.buffer, codes.byteOffset, codes.byteLength),
    dict: `[${keys.join(',')}]`,
    counts: JSON.stringify(counts),
  };
}

export function decodeColumn(stored: { kind: string; data: Buffer; dict: string | null; counts: string | null }): SegmentColumn {
  if (stored.kind === 'number') {
    const data = new Float64Array(stored.data.byteLength / 8);
    new Uint8Array(data.buffer).set(stored.data);
    return { kind: 'number', data };
  }
  const codes = new Int32Array(stored.data.byteLength / 4);
  new Uint8Array(codes.buffer).set(stored.data);
  return { kind: 'category', codes, dict: JSON.parse(stored.dict!) as unknown[], counts: JSON.parse(stored.counts!) as number[] };
}

/** The value at one position, as JSON would have given it back (null for missing). */
export function valueAt(column: SegmentColumn, pos: number): unknown {
  if (column.kind === 'number') {
    const v = column.data[pos]!;
    return Number.isNaN(v) ? null : v;
  }
  const code = column.codes[pos]!;
  return code < 0 ? null : column.dict[code];
}

export function columnLength(column: SegmentColumn): number {
  return column.kind === 'number' ? column.data.length : column.codes.length;
}

/** A decoded segment: its columns by part, in the order they were first logged. */
export interface DecodedSegment {
  rows: number;
  input: [string, SegmentColumn][];
  prediction: [string, SegmentColumn][];
}

/**
 * One column of a segment from its chunks: a sealed segment has one chunk per column, read as it is; the open
 * (newest) one has a chunk per batch, joined here. Rows no chunk covers are missing.
 */
function joinChunks(rows: number, chunks: readonly StoredChunk[]): SegmentColumn {
  if (chunks.length === 1 && chunks[0]!.first === 0 && chunkLength(chunks[0]!) === rows) return decodeColumn(chunks[0]!);
  const decoded = chunks.map((c) => ({ first: c.first, column: decodeColumn(c) }));
  if (decoded.every((d) => d.column.kind === 'number')) {
    const data = new Float64Array(rows).fill(Number.NaN);
    for (const d of decoded) data.set((d.column as { data: Float64Array }).data, d.first);
    return { kind: 'number', data };
  }
  const values = new Array<unknown>(rows).fill(null);
  for (const d of decoded) {
    const n = columnLength(d.column);
    for (let i = 0; i < n; i++) values[d.first + i] = valueAt(d.column, i);
  }
  return decodeColumn(encodeColumn(values));
}

export function chunkLength(c: StoredChunk): number {
  return c.data.byteLength / (c.kind === 'number' ? 8 : 4);
}

/** Decodes a segment's columns from its stored chunks (ordered by column, then first row). */
export function decodeSegment(rows: number, chunks: readonly StoredChunk[]): DecodedSegment {
  const out: DecodedSegment = { rows, input: [], prediction: [] };
  for (let i = 0; i < chunks.length;) {
    let j = i + 1;
    while (j < chunks.length && chunks[j]!.part === chunks[i]!.part && chunks[j]!.name === chunks[i]!.name) j++;
    out[chunks[i]!.part].push([chunks[i]!.name, joinChunks(rows, chunks.slice(i, j))]);
    i = j;
  }
  return out;
}

export const chunksSql =
  'SELECT part, name, first, kind, data, dict, counts FROM prediction_log_columns WHERE segment_id = ? ORDER BY part, ord, first';

export function readSegment(db: Db, segment: number): DecodedSegment {
  const { rows } = db.prepare('SELECT rows FROM prediction_log_segments WHERE id = ?').get(segment) as { rows: number };
  return decodeSegment(rows, db.prepare(chunksSql).all(segment) as StoredChunk[]);
}

/** A key of its own, whatever its name: assigning `__proto__` would set the object's prototype instead. */
function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}

/** Rebuilds a logged row's inputs and prediction from its segment, keys in the order they were logged. */
export function rowAt(
  segment: DecodedSegment,
  pos: number,
): { inputs: Record<string, unknown>; prediction: Record<string, unknown> } {
  const inputs: Record<string, unknown> = {};
  for (const [name, column] of segment.input) setOwn(inputs, name, valueAt(column, pos));
  const prediction: Record<string, unknown> = {};
  for (const [name, column] of segment.prediction) setOwn(prediction, name, valueAt(column, pos));
  return { inputs, prediction };
}

/**
 * Writes rows [from, to) of a batch's columns as a chunk of each column, starting at row `first` of the segment:
 * nothing the segment already holds is rewritten. A column new to the segment is missing for its earlier rows.
 */
export function writeChunk(
  db: Db,
  segment: number,
  first: number,
  columns: { readonly inputs: readonly LogColumn[]; readonly prediction: readonly LogColumn[] },
  from = 0,
  to?: number,
): void {
  const known = new Map(
    (
      cachedStatement(
        db,
        'SELECT part, name, MIN(ord) AS ord FROM prediction_log_columns WHERE segment_id = ? GROUP BY part, name',
      ).all(segment) as {
        part: LogPart;
        name: string;
        ord: number;
      }[]
    ).map((c) => [`${c.part}\u0000${c.name}`, c.ord]),
  );
  let next = known.size;
  const insert = cachedStatement(
    db,
    'INSERT INTO prediction_log_columns (segment_id, part, name, ord, first, kind, data, dict, counts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  for (const part of ['input', 'prediction'] as const) {
    for (const { name, values } of part === 'input' ? columns.inputs : columns.prediction) {
      const key = `${part}\u0000${name}`;
      let ord = known.get(key);
      if (ord === undefined) known.set(key, (ord = next++));
      const encoded = encodeColumn(from === 0 && (to === undefined || to === values.length) ? values : values.slice(from, to));
      insert.run(segment, part, name, ord, first, encoded.kind, encoded.data, encoded.dict, encoded.counts);
    }
  }
}

/**
 * Rows as columns: each column a key some row has (in the order the rows first name them), null where a row lacks
 * it, as the JSON log read a missing key.
 */
export function columnsOfRows(rows: readonly { inputs: Record<string, unknown>; prediction: Record<string, unknown> }[]): {
  inputs: LogColumn[];
  prediction: LogColumn[];
} {
  const columnsOf = (field: 'inputs' | 'prediction'): LogColumn[] => {
    const names = new Set<string>();
    for (const row of rows) for (const name of Object.keys(row[field])) names.add(name);
    return [...names].map((name) => ({ name, values: rows.map((row) => row[field][name] ?? null) }));
  };
  return { inputs: columnsOf('inputs'), prediction: columnsOf('prediction') };
}

/** Rewrites a segment's columns as one chunk each, from (possibly changed) decoded columns. */
export function rewriteSegment(db: Db, segment: number, decoded: DecodedSegment): void {
  db.prepare('DELETE FROM prediction_log_columns WHERE segment_id = ?').run(segment);
  const insert = db.prepare(
    'INSERT INTO prediction_log_columns (segment_id, part, name, ord, first, kind, data, dict, counts) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?)',
  );
  for (const part of ['input', 'prediction'] as const)
    decoded[part].forEach(([name, column], ord) => {
      const encoded = encodeColumn(Array.from({ length: decoded.rows }, (_, i) => valueAt(column, i)));
      insert.run(segment, part, name, ord, encoded.kind, encoded.data, encoded.dict, encoded.counts);
    });
}

function minMax(ats: readonly string[], seed: { min_at: string; max_at: string } | null): { min: string; max: string } {
  let min = seed?.min_at ?? ats[0]!;
  let max = seed?.max_at ?? ats[0]!;
  for (const at of ats) {
    if (at < min) min = at;
    if (at > max) max = at;
  }
  return { min, max };
}

/** Rows a multi-row INSERT into prediction_log takes: one statement per 64 rows, not one call into SQLite per row. */
const insertRowsAtOnce = 64;
const insertRowsSql = (n: number): string =>
  `INSERT INTO prediction_log (id, model_id, version, at, latency_us, shadow_of, segment_id, pos) VALUES ${Array.from(
    { length: n },
    () => '(?, ?, ?, ?, ?, ?, ?, ?)',
  ).join(', ')}`;

/**
 * Appends logged rows (call it inside the writer's transaction), grouped by model version in the order they came:
 * see appendLogBatches.
 */
export function appendLogRows(db: Db, rows: readonly LogRow[]): number {
  const groups = new Map<string, LogRow[]>();
  for (const row of rows) {
    const key = `${row.model}\u0000${row.version}`;
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = []));
    group.push(row);
  }
  return appendLogBatches(
    db,
    [...groups.values()].map((group) => ({
      model: group[0]!.model,
      version: group[0]!.version,
      ids: group.map((r) => r.id),
      at: group.map((r) => r.at),
      latencyUs: group.map((r) => r.latencyUs),
      shadowOf: group.map((r) => r.shadowOf),
      ...columnsOfRows(group),
    })),
  );
}

/**
 * Appends batches of logged rows (call it inside the writer's transaction): each into its model version's newest
 * segment while it has room, then into new ones. Rows of a model the store does not know are dropped, as the
 * INSERT … SELECT before the migration dropped them. Returns how many rows were written.
 */
export function appendLogBatches(db: Db, batches: readonly LogBatch[]): number {
  // Read as a row, not plucked: the statement is shared through the cache, and pluck() would change it for every user.
  const modelId = cachedStatement(db, 'SELECT id FROM models WHERE name = ?');
  const tail = cachedStatement(
    db,
    'SELECT id, rows, min_at, max_at FROM prediction_log_segments WHERE model_id = ? AND version = ? ORDER BY id DESC LIMIT 1',
  );
  const insertMany = cachedStatement(db, insertRowsSql(insertRowsAtOnce));
  const insertOne = cachedStatement(db, insertRowsSql(1));
  const ids = new Map<string, number | undefined>();
  let written = 0;
  for (const batch of batches) {
    if (!ids.has(batch.model)) ids.set(batch.model, (modelId.get(batch.model) as { id: number } | undefined)?.id);
    const model = ids.get(batch.model);
    const rows = batch.ids.length;
    if (model === undefined || rows === 0) continue;
    let open = tail.get(model, batch.version) as { id: number; rows: number; min_at: string; max_at: string } | undefined;
    for (let offset = 0; offset < rows;) {
      const appendTo = open !== undefined && open.rows < segmentRows ? open : null;
      const before = appendTo?.rows ?? 0;
      const end = Math.min(rows, offset + segmentRows - before);
      const count = end - offset;
      const span = minMax(batch.at.slice(offset, end), appendTo);
      let segment: number;
      if (appendTo === null) {
        segment = Number(
          cachedStatement(
            db,
            'INSERT INTO prediction_log_segments (model_id, version, rows, live, min_at, max_at) VALUES (?, ?, ?, ?, ?, ?)',
          ).run(model, batch.version, count, count, span.min, span.max).lastInsertRowid,
        );
      } else {
        segment = appendTo.id;
        cachedStatement(
          db,
          'UPDATE prediction_log_segments SET rows = rows + ?, live = live + ?, min_at = ?, max_at = ? WHERE id = ?',
        ).run(count, count, span.min, span.max, segment);
      }
      writeChunk(db, segment, before, batch, offset, end);
      const values: unknown[] = [];
      for (let i = offset; i < end; i++) {
        values.push(
          batch.ids[i],
          model,
          batch.version,
          batch.at[i],
          batch.latencyUs[i],
          batch.shadowOf[i],
          segment,
          before + i - offset,
        );
        if (values.length === 8 * insertRowsAtOnce) {
          insertMany.run(values);
          values.length = 0;
        }
      }
      for (let i = 0; i < values.length; i += 8) insertOne.run(values.slice(i, i + 8));
      // A full segment is sealed: its chunks joined into one per column, so it reads as one array (and its
      // categories as one dictionary with its counts). Each row's values are so written twice, not once per batch.
      if (before + count === segmentRows && before > 0) rewriteSegment(db, segment, readSegment(db, segment));
      written += count;
      offset = end;
      open = { id: segment, rows: before + count, min_at: span.min, max_at: span.max };
    }
  }
  return written;
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * Moves up to one segment's worth of rows written before migration 0019 (JSON text) into a new segment, oldest
 * first; returns how many it moved (0 when none are left). Call it in a write transaction.
 */
export function convertLegacy(db: Db): number {
  // Through the partial index of JSON rows: once they are all moved it is empty, and this costs nothing.
  const first = db
    .prepare('SELECT model_id, version FROM prediction_log INDEXED BY prediction_log_legacy WHERE segment_id IS NULL LIMIT 1')
    .get() as { model_id: number; version: number } | undefined;
  if (first === undefined) return 0;
  const rows = db
    .prepare(
      `SELECT rowid, at, inputs_json, prediction_json FROM prediction_log
        WHERE segment_id IS NULL AND model_id = ? AND version = ? ORDER BY rowid LIMIT ?`,
    )
    .all(first.model_id, first.version, segmentRows) as {
    rowid: number;
    at: string;
    inputs_json: string;
    prediction_json: string;
  }[];
  const span = minMax(
    rows.map((r) => r.at),
    null,
  );
  const segment = Number(
    db
      .prepare('INSERT INTO prediction_log_segments (model_id, version, rows, live, min_at, max_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(first.model_id, first.version, rows.length, rows.length, span.min, span.max).lastInsertRowid,
  );
  writeChunk(
    db,
    segment,
    0,
    columnsOfRows(rows.map((r) => ({ inputs: parseObject(r.inputs_json), prediction: parseObject(r.prediction_json) }))),
  );
  const point = db.prepare(
    'UPDATE prediction_log SET segment_id = ?, pos = ?, inputs_json = NULL, prediction_json = NULL WHERE rowid = ?',
  );
  rows.forEach((r, i) => point.run(segment, i, r.rowid));
  return rows.length;
}
