import type { DatasetDiff } from '../contracts/api.js';
import { datasetDrift, type DriftColumn } from '../stats/drift.js';
import { cellValue, type Column, type Frame } from '../table/frame.js';
import { rowKeyer } from './transforms.js';

/** How many times each row occurs, rows identified by their values under `columns`. */
function rowKeys(frame: Frame, columns: readonly string[]): Map<string, number> {
  const keyOf = rowKeyer(frame, columns);
  const counts = new Map<string, number>();
  for (let r = 0; r < frame.rowCount; r++) {
    const key = keyOf(r);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function driftColumn(name: string, a: Column, b: Column): DriftColumn {
  if (a.kind === 'numeric' && b.kind === 'numeric') return { name, kind: 'numeric', reference: a.values, current: b.values };
  const strings = (c: Column) =>
    Array.from({ length: c.kind === 'numeric' ? c.values.length : c.codes.length }, (_, r) => {
      const v = cellValue(c, r);
      return v === null ? null : String(v);
    });
  return { name, kind: 'categorical', reference: strings(a), current: strings(b) };
}

/**
 * What changed between two versions of a dataset: the schema (columns added, dropped, retyped), the rows (as
 * multisets of their values under the shared columns: a row whose value changed counts as one removed and one
 * added), and each shared column's distribution, tested as drift is (Evidently's defaults, the older version as
 * the reference).
 */
export function diffFrames(name: string, versions: [number, number], a: Frame, b: Frame): DatasetDiff {
  const typeOf = (f: Frame) => new Map(f.columns.map((c) => [c.name, c.type]));
  const ta = typeOf(a);
  const tb = typeOf(b);
  const added = [...tb.keys()].filter((c) => !ta.has(c)).map((c) => ({ column: c, type: tb.get(c)! }));
  const dropped = [...ta.keys()].filter((c) => !tb.has(c)).map((c) => ({ column: c, type: ta.get(c)! }));
  const retyped = [...ta.keys()]
    .filter((c) => tb.has(c) && tb.get(c) !== ta.get(c))
    .map((c) => ({ column: c, from: ta.get(c)!, to: tb.get(c)! }));
  const shared = [...ta.keys()].filter((c) => tb.has(c));
  const ka = rowKeys(a, shared);
  const kb = rowKeys(b, shared);
  let removed = 0;
  let addedRows = 0;
  for (const [key, n] of ka) removed += Math.max(0, n - (kb.get(key) ?? 0));
  for (const [key, n] of kb) addedRows += Math.max(0, n - (ka.get(key) ?? 0));
  const columns = shared.map((c) =>
    driftColumn(
      c,
      a.columns.find((x) => x.name === c)!,
      b.columns.find((x) => x.name === c)!,
    ),
  );
  const drift = datasetDrift(columns);
  return {
    dataset: name,
    from: versions[0],
    to: versions[1],
    schema: { added, dropped, retyped },
    rows: { from: a.rowCount, to: b.rowCount, added: addedRows, removed, unchanged: b.rowCount - addedRows },
    distributions: drift.columns.map((c) => ({
      column: c.column,
      test: c.test,
      statistic: c.statistic,
      pValue: c.pValue,
      changed: c.drifted,
    })),
    skipped: drift.skipped,
  };
}
