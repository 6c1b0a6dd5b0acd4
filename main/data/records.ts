import { HearthError } from '../contracts/errors.js';
import { ColumnBuilder, parseIsoDate } from '../table/column-builder.js';
import { unparsableCells } from '../table/stray-cells.js';
import type { UnparsableCells } from '../contracts/datasets.js';
import type { QuarantinedRow } from './csv.js';
import type { Column, Frame, NumericColumn, SchemaField } from '../table/frame.js';

/**
 * JSON-like records as a frame: types inferred as ingest infers them from a file's cells (each value goes through
 * the same builder); a record holding a nested value is quarantined with its number (from 1). `rowLines` gives each
 * row's record number, for the quarantine lines of rules applied later.
 */
export function recordsToFrame(records: readonly Record<string, unknown>[]): {
  frame: Frame;
  quarantined: QuarantinedRow[];
  rowLines: Int32Array;
  /** Cells read as missing because they did not parse as their numeric or date column's type (by record number). */
  unparsable?: UnparsableCells;
} {
  const fields = [...new Set(records.flatMap((r) => Object.keys(r)))];
  const quarantined: QuarantinedRow[] = [];
  const rowLines: number[] = [];
  const builders = fields.map((f) => new ColumnBuilder(f));
  records.forEach((r, i) => {
    const nested = fields.find((f) => typeof r[f] === 'object' && r[f] !== null);
    if (nested !== undefined) {
      quarantined.push({ line: i + 1, reason: `"${nested}": a nested value`, raw: JSON.stringify(r).slice(0, 1000) });
      return;
    }
    rowLines.push(i + 1);
    fields.forEach((f, j) => {
      const v = r[f];
      builders[j]!.pushText(v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));
    });
  });
  if (quarantined.length === records.length) throw allQuarantined(quarantined);
  const columns = builders.map((b) => b.finish());
  const unparsable = unparsableCells(builders, (r) => rowLines[r] ?? r + 1);
  return {
    frame: { rowCount: rowLines.length, columns },
    quarantined,
    rowLines: Int32Array.from(rowLines),
    ...(unparsable === undefined ? {} : { unparsable }),
  };
}

/**
 * JSON-like records in a schema (the latest version's, for an append): a value the column's type cannot hold
 * quarantines its row (numbered from 1); fields the schema lacks are left out and reported. `acceptedLines` gives
 * each accepted row's record number.
 */
export function recordsInSchema(
  schema: readonly SchemaField[],
  records: readonly Record<string, unknown>[],
): { frame: Frame; quarantined: QuarantinedRow[]; acceptedLines: number[]; ignoredFields: string[] } {
  const typed = schema.map((f): Column =>
    f.type === 'categorical' || f.type === 'text'
      ? { kind: 'string', name: f.name, type: f.type, codes: new Int32Array(0), dictionary: [] }
      : { kind: 'numeric', name: f.name, type: f.type, values: new Float64Array(0) },
  );
  const known = new Set(schema.map((f) => f.name));
  const ignored = new Set<string>();
  for (const record of records) for (const field in record) if (!known.has(field)) ignored.add(field);
  const ignoredFields = [...ignored];
  const quarantined: QuarantinedRow[] = [];
  const accepted: Record<string, unknown>[] = [];
  const acceptedLines: number[] = [];
  records.forEach((record, i) => {
    for (const column of typed) {
      const reason = cellProblem(column, record[column.name]);
      if (reason !== null) {
        quarantined.push({ line: i + 1, reason: `"${column.name}": ${reason}`, raw: JSON.stringify(record).slice(0, 1000) });
        return;
      }
    }
    accepted.push(record);
    acceptedLines.push(i + 1);
  });
  if (accepted.length === 0) throw allQuarantined(quarantined);
  // Plain loops: TypedArray.from with a mapping function goes through the iterator protocol, several times slower.
  const n = accepted.length;
  const columns: Column[] = typed.map((column) => {
    const field = column.name;
    if (column.kind === 'numeric') {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = numericCell(column, accepted[i]![field]);
      return { ...column, values };
    }
    const dictionary: string[] = [];
    const index = new Map<string, number>();
    const codes = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = accepted[i]![field];
      if (v === null || v === undefined || v === '') {
        codes[i] = -1;
        continue;
      }
      const text = typeof v === 'string' ? v : JSON.stringify(v);
      let code = index.get(text);
      if (code === undefined) {
        code = dictionary.push(text) - 1;
        index.set(text, code);
      }
      codes[i] = code;
    }
    return { ...column, dictionary, codes };
  });
  return { frame: { rowCount: n, columns }, quarantined, acceptedLines, ignoredFields };
}

/** A JSON value as a numeric column's cell: NaN for missing, undefined when the type cannot hold it. */
function toNumericCell(column: NumericColumn, value: unknown): number | undefined {
  if (value === null || value === undefined || value === '') return Number.NaN;
  if (column.type === 'boolean') {
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (value === 0 || value === 1) return value;
    if (typeof value === 'string' && /^(true|yes)$/i.test(value)) return 1;
    if (typeof value === 'string' && /^(false|no)$/i.test(value)) return 0;
    return undefined;
  }
  if (column.type === 'datetime') {
    if (typeof value === 'number') return value;
    const t = typeof value === 'string' ? parseIsoDate(value.trim()) : Number.NaN;
    return Number.isNaN(t) ? undefined : t;
  }
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
  if (Number.isNaN(n)) return undefined;
  if (column.type === 'integer' && !Number.isInteger(n)) return undefined;
  return n;
}

function numericCell(column: NumericColumn, value: unknown): number {
  return toNumericCell(column, value) ?? Number.NaN;
}

function cellProblem(column: Column, value: unknown): string | null {
  if (typeof value === 'object' && value !== null) return 'a nested value';
  if (column.kind === 'string') return null;
  return toNumericCell(column, value) === undefined
    ? `${JSON.stringify(value)} is not ${column.type === 'integer' ? 'an integer' : `a ${column.type}`}`
    : null;
}

function allQuarantined(quarantined: readonly QuarantinedRow[]): HearthError {
  return new HearthError('INVALID_INPUT', `no row could be appended: row ${quarantined[0]!.line}: ${quarantined[0]!.reason}`, {
    reason: 'all-quarantined',
  });
}
