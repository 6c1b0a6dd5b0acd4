/** Column types Hearth infers and stores. */
export type ColumnType = 'integer' | 'number' | 'boolean' | 'datetime' | 'categorical' | 'text';

/**
 * Numeric-like columns hold Float64 values with NaN for missing: integers, numbers, booleans (0/1) and datetimes
 * (milliseconds since the Unix epoch, UTC).
 */
export interface NumericColumn {
  readonly kind: 'numeric';
  readonly name: string;
  readonly type: 'integer' | 'number' | 'boolean' | 'datetime';
  readonly values: Float64Array;
}

/** String columns are dictionary encoded: codes index into `dictionary`, -1 is missing. */
export interface StringColumn {
  readonly kind: 'string';
  readonly name: string;
  readonly type: 'categorical' | 'text';
  readonly codes: Int32Array;
  readonly dictionary: readonly string[];
}

export type Column = NumericColumn | StringColumn;

/** A column-major table: what ingest produces, the store keeps and the learners read. */
export interface Frame {
  readonly rowCount: number;
  readonly columns: readonly Column[];
}

export interface SchemaField {
  name: string;
  type: ColumnType;
}

/**
 * A column's values on shared memory: a frame loaded from the store (arrowToFrame, unionFrames) lives there, so a
 * worker thread can read it as it is (the data checks run beside the trainer's binning) instead of a copy of every
 * column (260 MB for synth 1M).
 */
export function sharedFloat64Array(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(length * Float64Array.BYTES_PER_ELEMENT));
}

export function sharedInt32Array(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(length * Int32Array.BYTES_PER_ELEMENT));
}

/** Whether every column of the frame is on shared memory (what a worker can read without a copy). */
export function isSharedFrame(frame: Frame): boolean {
  return frame.columns.every((c) => (c.kind === 'numeric' ? c.values : c.codes).buffer instanceof SharedArrayBuffer);
}

export function schemaOf(frame: Frame): SchemaField[] {
  return frame.columns.map((c) => ({ name: c.name, type: c.type }));
}

export function columnByName(frame: Frame, name: string): Column | undefined {
  return frame.columns.find((c) => c.name === name);
}

/** A cell as JSON-friendly value: number, boolean, ISO date string, string, or null when missing. */
export function cellValue(column: Column, row: number): string | number | boolean | null {
  if (column.kind === 'string') {
    const code = column.codes[row]!;
    return code < 0 ? null : column.dictionary[code]!;
  }
  const v = column.values[row]!;
  if (Number.isNaN(v)) return null;
  if (column.type === 'boolean') return v !== 0;
  if (column.type === 'datetime') return new Date(v).toISOString();
  return v;
}

/** Dictionary codes of the levels present in `rows`, most frequent first (ties by first appearance in the dictionary). */
export function levelsByFrequency(column: StringColumn, rows: Int32Array): number[] {
  return levelsByCount(levelCounts(column, rows));
}

/** Each dictionary level's count in `rows` (an indexed loop: for-of over the rows ran cold in a fresh job). */
export function levelCounts(column: StringColumn, rows: Int32Array): Float64Array {
  const counts = new Float64Array(column.dictionary.length);
  const codes = column.codes;
  for (let i = 0; i < rows.length; i++) {
    const c = codes[rows[i]!]!;
    if (c >= 0) counts[c]!++;
  }
  return counts;
}

/** The levels with a count, most frequent first (ties by dictionary order): levelsByFrequency from its counts. */
export function levelsByCount(counts: Float64Array): number[] {
  const present: number[] = [];
  for (let k = 0; k < counts.length; k++) if (counts[k]! > 0) present.push(k);
  return present.sort((a, b) => counts[b]! - counts[a]! || a - b);
}

/**
 * The columns that may become features: all but the target and the excluded ones (a split's group column), which are
 * recorded in `ignored` with the reason.
 */
export function candidateColumns(
  frame: Frame,
  target: string,
  excluded: readonly string[],
  ignored: { name: string; reason: string }[],
): Column[] {
  return frame.columns.filter((column) => {
    if (column.name === target) return false;
    if (excluded.includes(column.name)) {
      ignored.push({ name: column.name, reason: "the split's group column" });
      return false;
    }
    return true;
  });
}

/** The rows of `frame` at `rows`, in that order. */
export function selectRows(frame: Frame, rows: Int32Array): Frame {
  return {
    rowCount: rows.length,
    columns: frame.columns.map((c) =>
      c.kind === 'numeric' ? { ...c, values: gather(c.values, rows) } : { ...c, codes: gather(c.codes, rows) },
    ),
  };
}

/**
 * `values` at `rows`, in that order. A plain loop: TypedArray.from with a mapping function goes through the
 * iterator protocol, several times slower on a million rows.
 */
export function gather<T extends Float64Array | Int32Array>(values: T, rows: Int32Array): T {
  const out = (values instanceof Float64Array ? new Float64Array(rows.length) : new Int32Array(rows.length)) as T;
  for (let i = 0; i < rows.length; i++) out[i] = values[rows[i]!]!;
  return out;
}
