import {
  decodeColumn,
  decodeSegment,
  encodeColumn,
  readSegment,
  rewriteSegment,
  valueAt,
  chunksSql,
  type LogPart,
  type SegmentColumn,
  type StoredChunk,
} from '../table/log-columns.js';
import type { Db } from './database.js';

/**
 * Deletes a model's logged rows older than `cutoff` (retention; call it in a transaction). Their values are blanked
 * in their segments too, and dropped from the segments' dictionaries, so a forgotten value is gone from the store,
 * not only unlisted; a segment with no live row left is deleted. Returns the rows deleted.
 */
export function forgetRowsBefore(db: Db, model: string, cutoff: string): number {
  const modelId = db.prepare('SELECT id FROM models WHERE name = ?').pluck().get(model) as number | undefined;
  if (modelId === undefined) return 0;
  const dead = db
    .prepare(
      'SELECT segment_id, pos FROM prediction_log WHERE model_id = ? AND at < ? AND segment_id IS NOT NULL ORDER BY segment_id, pos',
    )
    .all(modelId, cutoff) as { segment_id: number; pos: number }[];
  const removed = db.prepare('DELETE FROM prediction_log WHERE model_id = ? AND at < ?').run(modelId, cutoff).changes;
  const bySegment = new Map<number, number[]>();
  for (const d of dead) {
    let list = bySegment.get(d.segment_id);
    if (list === undefined) bySegment.set(d.segment_id, (list = []));
    list.push(d.pos);
  }
  for (const [segment, positions] of bySegment) {
    const { live } = db.prepare('SELECT live FROM prediction_log_segments WHERE id = ?').get(segment) as { live: number };
    if (live - positions.length <= 0) {
      db.prepare('DELETE FROM prediction_log_segments WHERE id = ?').run(segment);
      continue;
    }
    db.prepare('UPDATE prediction_log_segments SET live = ? WHERE id = ?').run(live - positions.length, segment);
    const decoded = readSegment(db, segment);
    const dead = new Set(positions);
    for (const part of ['input', 'prediction'] as const)
      decoded[part] = decoded[part].map(([name, column]) => {
        const values = Array.from({ length: decoded.rows }, (_, i) => (dead.has(i) ? null : valueAt(column, i)));
        return [name, decodeColumn(encodeColumn(values))];
      });
    rewriteSegment(db, segment, decoded);
  }
  return removed;
}

/** How a drift check wants a logged column: as numbers (non-numbers missing) or as counts of its values' text. */
export interface ColumnWant {
  part: LogPart;
  name: string;
  as: 'number' | 'category';
}

/** A window's column: its numbers (NaN missing), or the rows per value (as text; missing values left out). */
export type WindowColumn = { as: 'number'; values: Float64Array } | { as: 'category'; counts: Map<string, number> };

/** A logged value as the text a category is compared by: String(), as the drift check always did (JSON scalars). */
const asText = (v: unknown): string => String(v);

class Accumulator {
  private readonly chunks: Float64Array[] = [];
  readonly counts = new Map<string, number>();
  constructor(readonly as: 'number' | 'category') {}

  add(key: string, n: number): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }

  /** One segment's column, whole (positions null) or at the given positions; an absent column is all missing. */
  segment(column: SegmentColumn | undefined, rows: number, positions: Int32Array | null): void {
    const n = positions?.length ?? rows;
    if (this.as === 'number') {
      const out = new Float64Array(n).fill(Number.NaN);
      if (column?.kind === 'number') {
        if (positions === null) out.set(column.data);
        else for (let i = 0; i < n; i++) out[i] = column.data[positions[i]!]!;
      } else if (column?.kind === 'category') {
        const numbers = column.dict.map((v) => (typeof v === 'number' ? v : Number.NaN));
        for (let i = 0; i < n; i++) {
          const code = column.codes[positions === null ? i : positions[i]!]!;
          if (code >= 0) out[i] = numbers[code]!;
        }
      }
      this.chunks.push(out);
      return;
    }
    if (column === undefined) return;
    if (column.kind === 'number') {
      for (let i = 0; i < n; i++) {
        const v = column.data[positions === null ? i : positions[i]!]!;
        if (!Number.isNaN(v)) this.add(String(v), 1);
      }
      return;
    }
    const keys = column.dict.map(asText);
    if (positions === null) {
      // The sketch: a segment the window covers whole adds its counts per value, reading none of its rows.
      column.counts.forEach((c, code) => this.add(keys[code]!, c));
      return;
    }
    const counts = new Array<number>(keys.length).fill(0);
    for (let i = 0; i < n; i++) {
      const code = column.codes[positions[i]!]!;
      if (code >= 0) counts[code]!++;
    }
    counts.forEach((c, code) => {
      if (c > 0) this.add(keys[code]!, c);
    });
  }

  /** Values parsed from a legacy row's JSON, read as the drift check read them before the migration. */
  legacy(values: unknown[]): void {
    if (this.as === 'number') {
      this.chunks.push(Float64Array.from(values, (v) => (typeof v === 'number' ? v : Number.NaN)));
      return;
    }
    for (const v of values) if (v !== null && v !== undefined) this.add(asText(v), 1);
  }

  result(): WindowColumn {
    if (this.as === 'category') return { as: 'category', counts: this.counts };
    let n = 0;
    for (const c of this.chunks) n += c.length;
    const values = new Float64Array(n);
    let at = 0;
    for (const c of this.chunks) {
      values.set(c, at);
      at += c.length;
    }
    return { as: 'number', values };
  }
}

/**
 * The wanted columns of a model version's logged rows in [since, until), and how many rows that is. A segment inside
 * the window with every row still there is read whole (categories from its counts alone); one the window cuts, or
 * retention thinned, is read at the positions of its rows in the window. Rows still in JSON are read too. One read
 * transaction, so rows the writer moves meanwhile are neither missed nor counted twice.
 */
export function readLogWindow(
  db: Db,
  modelId: number,
  version: number,
  window: { since: string; until: string },
  wants: readonly ColumnWant[],
): { rows: number; columns: WindowColumn[] } {
  return db.transaction(() => {
    const acc = wants.map((w) => new Accumulator(w.as));
    let total = 0;
    const segments = db
      .prepare(
        `SELECT id, rows, live, min_at, max_at FROM prediction_log_segments
          WHERE model_id = ? AND version = ? AND max_at >= ? AND min_at < ? ORDER BY id`,
      )
      .all(modelId, version, window.since, window.until) as {
      id: number;
      rows: number;
      live: number;
      min_at: string;
      max_at: string;
    }[];
    const inWindow = db
      .prepare('SELECT pos FROM prediction_log WHERE segment_id = ? AND at >= ? AND at < ? ORDER BY pos')
      .pluck();
    const columnsOf = db.prepare(chunksSql);
    for (const s of segments) {
      const whole = s.live === s.rows && s.min_at >= window.since && s.max_at < window.until;
      const positions = whole ? null : Int32Array.from(inWindow.all(s.id, window.since, window.until) as number[]);
      if (positions !== null && positions.length === 0) continue;
      const wanted = new Set(wants.map((w) => `${w.part}\u0000${w.name}`));
      const chunks = (columnsOf.all(s.id) as StoredChunk[]).filter((c) => wanted.has(`${c.part}\u0000${c.name}`));
      const decoded = decodeSegment(s.rows, chunks);
      const byName = new Map<string, SegmentColumn>();
      for (const part of ['input', 'prediction'] as const)
        for (const [name, column] of decoded[part]) byName.set(`${part}\u0000${name}`, column);
      wants.forEach((w, i) => acc[i]!.segment(byName.get(`${w.part}\u0000${w.name}`), s.rows, positions));
      total += positions?.length ?? s.rows;
    }
    total += readLegacyWindow(db, modelId, version, window, wants, acc);
    return { rows: total, columns: acc.map((a) => a.result()) };
  })();
}

/**
 * Legacy rows in the window: read in rowid ranges of 250,000, each range's JSON cells concatenated by SQLite into one
 * array text and parsed by one JSON.parse (a million small JSON.parse calls cost several times as much).
 */
function readLegacyWindow(
  db: Db,
  modelId: number,
  version: number,
  window: { since: string; until: string },
  wants: readonly ColumnWant[],
  acc: Accumulator[],
): number {
  const filter = 'model_id = ? AND version = ? AND segment_id IS NULL AND at >= ? AND at < ?';
  const args = [modelId, version, window.since, window.until];
  // Through the partial index of JSON rows: the planner would otherwise walk (model_id, at) over every row in the
  // window, a million of them, only to find none left in JSON.
  const span = db
    .prepare(`SELECT MIN(rowid) AS lo, MAX(rowid) AS hi FROM prediction_log INDEXED BY prediction_log_legacy WHERE ${filter}`)
    .get(...args) as {
    lo: number | null;
    hi: number | null;
  };
  if (span.lo === null || span.hi === null) return 0;
  const chunk = db.prepare(
    `SELECT '[' || group_concat(inputs_json, ',') || ']' AS inputs, '[' || group_concat(prediction_json, ',') || ']' AS predictions,
            COUNT(*) AS n
       FROM prediction_log WHERE ${filter} AND rowid BETWEEN ? AND ?`,
  );
  let total = 0;
  const step = 250_000;
  for (let lo = span.lo; lo <= span.hi; lo += step) {
    const r = chunk.get(...args, lo, lo + step - 1) as { inputs: string | null; predictions: string | null; n: number };
    if (r.n === 0) continue;
    const parsed = {
      input: JSON.parse(r.inputs!) as Record<string, unknown>[],
      prediction: JSON.parse(r.predictions!) as Record<string, unknown>[],
    };
    wants.forEach((w, i) =>
      acc[i]!.legacy(parsed[w.part].map((row) => (row === null || typeof row !== 'object' ? undefined : row[w.name]))),
    );
    total += r.n;
  }
  return total;
}
