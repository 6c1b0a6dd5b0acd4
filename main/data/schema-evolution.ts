import type { ColumnType, SchemaChanges } from '../contracts/api.js';
import { HearthError } from '../contracts/errors.js';
import type { Column, Frame } from '../table/frame.js';

/**
 * A new version's schema against the previous one's. Added and dropped columns, widened types and new categorical
 * levels are ordinary changes, reported with the version. A file whose values merely fit a narrower type than the
 * column already has (whole numbers in a number column, few distinct strings in a text column) keeps the column's
 * type: that is inference, not a change. A type the old one cannot hold (a number column that now holds text) is
 * narrowing and refused unless forced, because every model and rule written against the old type would break.
 */

/** What each stored type may become without losing a value: (from, to) pairs that widen. */
const widens: Record<ColumnType, readonly ColumnType[]> = {
  boolean: ['integer', 'number'],
  integer: ['number'],
  number: [],
  datetime: [],
  categorical: ['text'],
  text: [],
};

/** A type whose values the other type holds as they are (same storage): the column keeps the older, wider type. */
function fitsIn(value: ColumnType, column: ColumnType): boolean {
  return widens[value].includes(column);
}

export function evolveSchema(previous: Frame | null, next: Frame, force: boolean): { frame: Frame; changes: SchemaChanges } {
  const changes: SchemaChanges = { added: [], dropped: [], retyped: [], newLevels: [] };
  if (previous === null) return { frame: next, changes };
  const before = new Map(previous.columns.map((c) => [c.name, c]));
  const now = new Set(next.columns.map((c) => c.name));
  const narrowed: string[] = [];
  const columns: Column[] = next.columns.map((given) => {
    const old = before.get(given.name);
    let column = old?.type === 'boolean' ? asBooleanColumn(given) : given;
    if (old === undefined) {
      changes.added.push({ column: column.name, type: column.type });
      return column;
    }
    // Categorical and text are one storage (strings and their dictionary), told apart by how often the values repeat,
    // which a small file of a many-levelled column cannot show (600 rows of 1,100 codes read as text): a string column
    // keeps the type its dataset gave it, so the models and rules written against it keep working.
    if (old.kind === 'string' && column.kind === 'string' && old.type === 'categorical' && column.type === 'text')
      column = { ...column, type: 'categorical' };
    if (old.type !== column.type) {
      if (fitsIn(column.type, old.type)) return { ...column, type: old.type } as Column;
      if (widens[old.type].includes(column.type))
        changes.retyped.push({ column: column.name, from: old.type, to: column.type, widening: true });
      else {
        changes.retyped.push({ column: column.name, from: old.type, to: column.type, widening: false });
        narrowed.push(`"${column.name}" ${old.type} → ${column.type}`);
      }
    }
    if (old.kind === 'string' && column.kind === 'string' && column.type === 'categorical') {
      const known = new Set(old.dictionary);
      const used = new Set<number>();
      for (const code of column.codes) if (code >= 0) used.add(code);
      const fresh = [...used]
        .map((c) => column.dictionary[c]!)
        .filter((level) => !known.has(level))
        .sort();
      if (fresh.length > 0) changes.newLevels.push({ column: column.name, levels: fresh.slice(0, 50), count: fresh.length });
    }
    return column;
  });
  for (const old of previous.columns) if (!now.has(old.name)) changes.dropped.push({ column: old.name, type: old.type });
  if (narrowed.length > 0 && !force) {
    throw new HearthError(
      'VALIDATION_FAILED',
      `this version would narrow the schema (${narrowed.join(', ')}): values of the old type would not fit; ingest with --force (force: true) to accept it`,
      { reason: 'narrowing', retyped: changes.retyped.filter((r) => !r.widening) },
    );
  }
  return { frame: { rowCount: next.rowCount, columns }, changes };
}

const booleanWords = /^(true|false|yes|no)$/i;

/**
 * A text column of boolean words only, for a column stored as boolean: versions ingested before yes/no was read as
 * text hold such columns as booleans, and a new version of the same file keeps that type rather than narrow it.
 */
function asBooleanColumn(column: Column): Column {
  if (column.kind !== 'string' || !column.dictionary.every((level) => booleanWords.test(level))) return column;
  const truth = column.dictionary.map((level) => (/^(true|yes)$/i.test(level) ? 1 : 0));
  const values = new Float64Array(column.codes.length);
  for (let i = 0; i < values.length; i++) {
    const code = column.codes[i]!;
    values[i] = code < 0 ? Number.NaN : truth[code]!;
  }
  return { kind: 'numeric', name: column.name, type: 'boolean', values };
}
