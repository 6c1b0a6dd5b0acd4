import { createHash } from 'node:crypto';
import { HearthError } from '../contracts/errors.js';
import { isCategorical, parseIsoDate } from '../table/column-builder.js';
import { columnTypeOf, compileExpression, type Value } from './expression.js';
import {
  cellValue,
  selectRows,
  sharedFloat64Array,
  sharedInt32Array,
  type Column,
  type ColumnType,
  type Frame,
} from '../table/frame.js';

/**
 * Frame-to-frame operations the pipeline steps are made of. Each takes a frame and returns a new one (columns not
 * touched are shared, never copied or mutated), so a step's preview and the run compute the same thing.
 */

/** A row the step could not carry (a value a cast refused), with why; kept as the output version's quarantine. */
export interface RowProblem {
  row: number;
  reason: string;
  raw: string;
}

function rowJson(frame: Frame, r: number): string {
  return JSON.stringify(Object.fromEntries(frame.columns.map((c) => [c.name, cellValue(c, r)]))).slice(0, 1000);
}

function column(frame: Frame, name: string, step: string): Column {
  const found = frame.columns.find((c) => c.name === name);
  if (found === undefined)
    throw new HearthError(
      'VALIDATION_FAILED',
      `${step}: no column "${name}" (columns: ${frame.columns.map((c) => c.name).join(', ')})`,
      {
        reason: 'pipeline',
        column: name,
      },
    );
  return found;
}

/**
 * A function giving each row's identity under `columns`: a SHA-1 of its values, so a million keys stay small. Rows
 * with equal values have equal keys whatever the column types (an integer 3 and a number 3 agree).
 */
export function rowKeyer(frame: Frame, columns: readonly string[]): (row: number) => string {
  const picked = columns.map((name) => column(frame, name, 'key'));
  return (r) =>
    createHash('sha1')
      .update(JSON.stringify(picked.map((c) => cellValue(c, r))))
      .digest('base64');
}

export function renameColumns(frame: Frame, renames: Record<string, string>): Frame {
  for (const from of Object.keys(renames)) column(frame, from, 'rename');
  const names = frame.columns.map((c) => renames[c.name] ?? c.name);
  const clash = names.find((n, i) => names.indexOf(n) !== i);
  if (clash !== undefined)
    throw new HearthError('VALIDATION_FAILED', `rename: two columns would be called "${clash}"`, { reason: 'pipeline' });
  return { rowCount: frame.rowCount, columns: frame.columns.map((c, i) => ({ ...c, name: names[i]! })) };
}

export function selectColumns(frame: Frame, names: readonly string[]): Frame {
  return { rowCount: frame.rowCount, columns: names.map((n) => column(frame, n, 'select')) };
}

export function dropColumns(frame: Frame, names: readonly string[]): Frame {
  for (const n of names) column(frame, n, 'drop');
  const dropped = new Set(names);
  return { rowCount: frame.rowCount, columns: frame.columns.filter((c) => !dropped.has(c.name)) };
}

/** A column of `type` from one value per row (null: missing). */
export function columnFromValues(name: string, type: ColumnType, values: readonly Value[]): Column {
  if (type === 'categorical' || type === 'text') {
    const index = new Map<string, number>();
    const dictionary: string[] = [];
    const codes = Int32Array.from(values, (v) => {
      if (v === null) return -1;
      const s = String(v);
      let code = index.get(s);
      if (code === undefined) {
        code = dictionary.push(s) - 1;
        index.set(s, code);
      }
      return code;
    });
    return { kind: 'string', name, type, codes, dictionary };
  }
  const out = Float64Array.from(values, (v) => (v === null ? Number.NaN : typeof v === 'boolean' ? (v ? 1 : 0) : Number(v)));
  return { kind: 'numeric', name, type, values: out };
}

/** Text that repeats enough to be levels is categorical, the rest text: the rule the CSV reader uses. */
function stringColumn(name: string, values: readonly Value[]): Column {
  const c = columnFromValues(name, 'text', values);
  if (c.kind !== 'string') return c;
  const present = c.codes.reduce((n, code) => n + (code >= 0 ? 1 : 0), 0);
  return { ...c, type: isCategorical(c.dictionary.length, present) ? 'categorical' : 'text' };
}

/** A column (replaced when it exists, appended when not) computed from an expression over each row. */
export function deriveColumn(frame: Frame, name: string, expression: string): Frame {
  const compiled = compileExpression(expression, frame);
  const values = Array.from({ length: frame.rowCount }, (_, r) => compiled.at(r));
  const type = columnTypeOf(compiled.type);
  const derived = type === 'categorical' ? stringColumn(name, values) : columnFromValues(name, type, values);
  const at = frame.columns.findIndex((c) => c.name === name);
  const columns = [...frame.columns];
  if (at >= 0) columns[at] = derived;
  else columns.push(derived);
  return { rowCount: frame.rowCount, columns };
}

/** The rows where the condition is true (missing counts as false, as in SQL's WHERE). */
export function filterRows(frame: Frame, condition: string): Frame {
  const compiled = compileExpression(condition, frame);
  if (compiled.type !== 'boolean' && compiled.type !== 'null')
    throw new HearthError('VALIDATION_FAILED', `filter "${condition}": a filter needs a condition, not a ${compiled.type}`, {
      reason: 'expression',
    });
  const keep: number[] = [];
  for (let r = 0; r < frame.rowCount; r++) if (compiled.at(r) === true) keep.push(r);
  return selectRows(frame, Int32Array.from(keep));
}

const booleanWords: Record<string, boolean> = { true: true, yes: true, '1': true, false: false, no: false, '0': false };

/** One cell converted to `type`; undefined when it cannot be (the row is set aside), null when missing. */
function castCell(value: string | number | boolean | null, from: ColumnType, to: ColumnType): Value | undefined {
  if (value === null) return null;
  switch (to) {
    case 'integer':
    case 'number': {
      if (from === 'datetime') return undefined;
      const n =
        typeof value === 'boolean'
          ? value
            ? 1
            : 0
          : typeof value === 'number'
            ? value
            : value.trim() === ''
              ? Number.NaN
              : Number(value);
      if (Number.isNaN(n)) return typeof value === 'string' && value.trim() === '' ? null : undefined;
      return to === 'integer' && !Number.isInteger(n) ? undefined : n;
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      if (typeof value === 'number') return value === 0 ? false : value === 1 ? true : undefined;
      return booleanWords[value.trim().toLowerCase()];
    }
    case 'datetime': {
      if (from === 'datetime') return parseIsoDate(String(value));
      if (typeof value === 'number') return value; // milliseconds since the epoch
      if (typeof value !== 'string') return undefined;
      const t = parseIsoDate(value.trim());
      return Number.isNaN(t) ? undefined : t;
    }
    case 'categorical':
    case 'text':
      return String(value);
  }
}

/**
 * Columns converted to new types. A value that does not convert (the text "n/a" to a number, 2.5 to an integer)
 * sets its row aside with the column and value named, rather than failing the run or becoming silently missing.
 */
export function castColumns(frame: Frame, casts: Record<string, ColumnType>): { frame: Frame; problems: RowProblem[] } {
  const bad = new Map<number, string>();
  const converted = new Map<string, Column>();
  for (const [name, to] of Object.entries(casts)) {
    const source = column(frame, name, 'cast');
    if (source.type === to) continue;
    const values: Value[] = new Array<Value>(frame.rowCount);
    for (let r = 0; r < frame.rowCount; r++) {
      const v = castCell(cellValue(source, r), source.type, to);
      if (v === undefined) {
        if (!bad.has(r))
          bad.set(
            r,
            `cast: "${name}" value ${JSON.stringify(cellValue(source, r))} is not ${to === 'integer' ? 'an' : 'a'} ${to}`,
          );
        values[r] = null;
      } else values[r] = v;
    }
    converted.set(name, columnFromValues(name, to, values));
  }
  const cast: Frame = { rowCount: frame.rowCount, columns: frame.columns.map((c) => converted.get(c.name) ?? c) };
  if (bad.size === 0) return { frame: cast, problems: [] };
  const problems = [...bad].map(([row, reason]) => ({ row, reason, raw: rowJson(frame, row) }));
  const keep = Int32Array.from({ length: frame.rowCount }, (_, r) => r).filter((r) => !bad.has(r));
  return { frame: selectRows(cast, keep), problems };
}

/** The type two columns' values share without loss (an integer and a number: number; text and a number: text). */
function unifiedType(a: ColumnType, b: ColumnType): ColumnType {
  if (a === b) return a;
  const rank: Partial<Record<ColumnType, number>> = { boolean: 0, integer: 1, number: 2 };
  if (rank[a] !== undefined && rank[b] !== undefined) return rank[a] > rank[b] ? a : b;
  if ((a === 'categorical' || a === 'text') && (b === 'categorical' || b === 'text')) return 'text';
  return 'text';
}

/**
 * Rows of several frames one after another, columns matched by name: a column one frame lacks is missing in its
 * rows, and columns whose types differ take the type that holds both (see unifiedType).
 */
export function unionFrames(frames: readonly Frame[]): Frame {
  const types = new Map<string, ColumnType>();
  for (const f of frames)
    for (const c of f.columns) types.set(c.name, types.has(c.name) ? unifiedType(types.get(c.name)!, c.type) : c.type);
  const rowCount = frames.reduce((n, f) => n + f.rowCount, 0);
  const columns = [...types].map(([name, type]): Column => {
    if (type === 'categorical' || type === 'text') {
      const dictionary: string[] = [];
      const index = new Map<string, number>();
      const codes = sharedInt32Array(rowCount).fill(-1);
      let offset = 0;
      for (const f of frames) {
        const c = f.columns.find((x) => x.name === name);
        if (c?.kind === 'string') {
          // Dictionaries are merged once per frame, then codes are remapped in one pass.
          const remap = c.dictionary.map((s) => {
            let code = index.get(s);
            if (code === undefined) {
              code = dictionary.push(s) - 1;
              index.set(s, code);
            }
            return code;
          });
          for (let r = 0; r < f.rowCount; r++) codes[offset + r] = c.codes[r]! < 0 ? -1 : remap[c.codes[r]!]!;
        } else if (c !== undefined) {
          for (let r = 0; r < f.rowCount; r++) {
            const v = cellValue(c, r);
            if (v === null) continue;
            const s = String(v);
            let code = index.get(s);
            if (code === undefined) {
              code = dictionary.push(s) - 1;
              index.set(s, code);
            }
            codes[offset + r] = code;
          }
        }
        offset += f.rowCount;
      }
      return { kind: 'string', name, type, codes, dictionary };
    }
    const values = sharedFloat64Array(rowCount).fill(Number.NaN);
    let offset = 0;
    for (const f of frames) {
      const c = f.columns.find((x) => x.name === name);
      if (c?.kind === 'numeric') values.set(c.values, offset);
      offset += f.rowCount;
    }
    return { kind: 'numeric', name, type, values };
  });
  return { rowCount, columns };
}

/**
 * Joins `right` onto `left` by equal key values (a missing key matches nothing, as in SQL). Inner keeps left rows
 * with a match, left keeps every left row (right's columns missing where none matched); a left row matching k right
 * rows appears k times. A right column whose name the left already has gets `suffix`.
 */
export function joinFrames(left: Frame, right: Frame, on: readonly string[], how: 'inner' | 'left', suffix: string): Frame {
  const leftKey = rowKeyer(left, on);
  const rightKey = rowKeyer(right, on);
  const hasMissing = (f: Frame, r: number) =>
    on.some(
      (k) =>
        cellValue(
          f.columns.find((c) => c.name === k)!,
          r,
        ) === null,
    );
  const index = new Map<string, number[]>();
  for (let r = 0; r < right.rowCount; r++) {
    if (hasMissing(right, r)) continue;
    const k = rightKey(r);
    const list = index.get(k);
    if (list === undefined) index.set(k, [r]);
    else list.push(r);
  }
  const leftRows: number[] = [];
  const rightRows: number[] = [];
  for (let r = 0; r < left.rowCount; r++) {
    const matches = hasMissing(left, r) ? undefined : index.get(leftKey(r));
    if (matches === undefined) {
      if (how === 'left') {
        leftRows.push(r);
        rightRows.push(-1);
      }
      continue;
    }
    for (const m of matches) {
      leftRows.push(r);
      rightRows.push(m);
    }
  }
  const leftNames = new Set(left.columns.map((c) => c.name));
  const keys = new Set(on);
  const picked = selectRows(left, Int32Array.from(leftRows));
  const rightIndex = Int32Array.from(rightRows);
  const added = right.columns
    .filter((c) => !keys.has(c.name))
    .map((c): Column => {
      const name = leftNames.has(c.name) ? `${c.name}${suffix}` : c.name;
      if (leftNames.has(name))
        throw new HearthError(
          'VALIDATION_FAILED',
          `join: the right side's "${c.name}" would be "${name}", which the left already has`,
          {
            reason: 'pipeline',
          },
        );
      return c.kind === 'numeric'
        ? { ...c, name, values: Float64Array.from(rightIndex, (r) => (r < 0 ? Number.NaN : c.values[r]!)) }
        : { ...c, name, codes: Int32Array.from(rightIndex, (r) => (r < 0 ? -1 : c.codes[r]!)) };
    });
  return { rowCount: picked.rowCount, columns: [...picked.columns, ...added] };
}

/**
 * The first row of each key (all columns when no keys are given); rows whose key is in `seen` (the rows an earlier
 * run already wrote) are dropped too, so incremental runs de-duplicate against the whole output.
 */
export function dedupRows(frame: Frame, keys: readonly string[] | undefined, seen: ReadonlySet<string> = new Set()): Frame {
  const keyOf = rowKeyer(frame, keys ?? frame.columns.map((c) => c.name));
  const taken = new Set<string>();
  const keep: number[] = [];
  for (let r = 0; r < frame.rowCount; r++) {
    const k = keyOf(r);
    if (taken.has(k) || seen.has(k)) continue;
    taken.add(k);
    keep.push(r);
  }
  return keep.length === frame.rowCount ? frame : selectRows(frame, Int32Array.from(keep));
}

/**
 * A sample decided row by row from a hash of the row's values and the seed: the same row is always in or out, so
 * an incremental run, a re-run and a preview all pick the same rows, and a row's fate does not depend on its batch.
 */
export function sampleRows(frame: Frame, fraction: number, seed: number): Frame {
  const picked = frame.columns;
  const keep: number[] = [];
  for (let r = 0; r < frame.rowCount; r++) {
    const digest = createHash('sha1')
      .update(`${seed}\u0000${JSON.stringify(picked.map((c) => cellValue(c, r)))}`)
      .digest();
    if (digest.readUInt32BE(0) / 2 ** 32 < fraction) keep.push(r);
  }
  return selectRows(frame, Int32Array.from(keep));
}

/**
 * Which rows of `current` are new since `consumed`: rows compared as multisets of their values under the columns
 * both have, in `current`'s order. A row that appears twice in `current` and once in `consumed` is new once. Also
 * counts rows `consumed` had that `current` lost (an input rewritten rather than appended).
 */
export function newRowsSince(current: Frame, consumed: Frame | null): { rows: Int32Array; removed: number } {
  if (consumed === null) return { rows: Int32Array.from({ length: current.rowCount }, (_, r) => r), removed: 0 };
  const names = new Set(consumed.columns.map((c) => c.name));
  const shared = current.columns.map((c) => c.name).filter((n) => names.has(n));
  const before = new Map<string, number>();
  const consumedKey = rowKeyer(consumed, shared);
  for (let r = 0; r < consumed.rowCount; r++) {
    const k = consumedKey(r);
    before.set(k, (before.get(k) ?? 0) + 1);
  }
  const currentKey = rowKeyer(current, shared);
  const fresh: number[] = [];
  for (let r = 0; r < current.rowCount; r++) {
    const k = currentKey(r);
    const left = before.get(k) ?? 0;
    if (left > 0) before.set(k, left - 1);
    else fresh.push(r);
  }
  let removed = 0;
  for (const n of before.values()) removed += n;
  return { rows: Int32Array.from(fresh), removed };
}
