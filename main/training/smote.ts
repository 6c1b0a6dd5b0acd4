import type { Column, Frame } from '../table/frame.js';
import { seededRandom } from '../stats/random.js';

const neighbours = 5;
/** Reference rows per class for the neighbour search: brute force stays affordable on big classes. */
const maxReference = 4000;

/**
 * SMOTE (Chawla et al., 2002): new rows for each minority class, each between a real row of the class and one of
 * its five nearest neighbours in that class (numeric features standardised; a missing value stays missing), with
 * categorical features taken by majority vote of the neighbours. Classes are brought up to the largest class,
 * within `maxSynthetic` new rows in all. Returns a frame with the new rows appended and their class per row.
 */
export function smote(
  frame: Frame,
  trainRows: Int32Array,
  classOf: Int32Array,
  classes: number,
  target: string,
  seed: number,
  maxSynthetic = 200_000,
): { frame: Frame; classOf: Int32Array; synthetic: Int32Array; added: number[] } {
  const random = seededRandom(seed + 101);
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (const r of trainRows) if (classOf[r]! >= 0) byClass[classOf[r]!]!.push(r);
  const largest = Math.max(...byClass.map((c) => c.length));
  const wanted = byClass.map((c) => (c.length >= 2 ? largest - c.length : 0));
  const total = wanted.reduce((s, w) => s + w, 0);
  const scale = total > maxSynthetic ? maxSynthetic / total : 1;
  const added = wanted.map((w) => Math.floor(w * scale));
  const numeric = frame.columns.filter((c) => c.kind === 'numeric' && c.name !== target) as Extract<
    Column,
    { kind: 'numeric' }
  >[];
  const stats = numeric.map((c) => {
    let sum = 0;
    let n = 0;
    for (const r of trainRows) {
      const v = c.values[r]!;
      if (!Number.isNaN(v)) {
        sum += v;
        n++;
      }
    }
    const mean = n > 0 ? sum / n : 0;
    let sq = 0;
    for (const r of trainRows) {
      const v = c.values[r]!;
      if (!Number.isNaN(v)) sq += (v - mean) ** 2;
    }
    return { mean, std: n > 1 ? Math.sqrt(sq / n) || 1 : 1 };
  });
  const z = (row: number, j: number): number => {
    const v = numeric[j]!.values[row]!;
    return Number.isNaN(v) ? 0 : (v - stats[j]!.mean) / stats[j]!.std;
  };
  const newRows: { base: number; other: number; gap: number; voters: number[]; cls: number }[] = [];
  byClass.forEach((members, cls) => {
    if (added[cls]! === 0) return;
    const reference =
      members.length <= maxReference
        ? members
        : Array.from({ length: maxReference }, () => members[Math.floor(random() * members.length)]!);
    for (let k = 0; k < added[cls]!; k++) {
      const base = members[Math.floor(random() * members.length)]!;
      // The nearest neighbours of `base` among the class's reference rows (excluding itself).
      const nearest: { row: number; d: number }[] = [];
      for (const other of reference) {
        if (other === base) continue;
        let d = 0;
        for (let j = 0; j < numeric.length; j++) d += (z(base, j) - z(other, j)) ** 2;
        if (nearest.length < neighbours || d < nearest[nearest.length - 1]!.d) {
          nearest.push({ row: other, d });
          nearest.sort((a, b) => a.d - b.d);
          if (nearest.length > neighbours) nearest.pop();
        }
      }
      const voters = nearest.map((n) => n.row);
      newRows.push({ base, other: voters[Math.floor(random() * voters.length)] ?? base, gap: random(), voters, cls });
    }
  });
  const n = frame.rowCount;
  const m = newRows.length;
  const columns: Column[] = frame.columns.map((c) => {
    if (c.kind === 'numeric') {
      const values = new Float64Array(n + m);
      values.set(c.values.subarray(0, n));
      newRows.forEach((s, i) => {
        const a = c.values[s.base]!;
        const b = c.values[s.other]!;
        values[n + i] = Number.isNaN(a) || Number.isNaN(b) ? a : a + s.gap * (b - a);
      });
      return { ...c, values };
    }
    const codes = new Int32Array(n + m);
    codes.set(c.codes.subarray(0, n));
    newRows.forEach((s, i) => {
      const votes = new Map<number, number>();
      for (const v of [s.base, ...s.voters]) votes.set(c.codes[v]!, (votes.get(c.codes[v]!) ?? 0) + 1);
      let best = c.codes[s.base]!;
      for (const [code, count] of votes) if (count > (votes.get(best) ?? 0)) best = code;
      codes[n + i] = best;
    });
    return { ...c, codes };
  });
  const extended = new Int32Array(n + m);
  extended.set(classOf.subarray(0, n));
  newRows.forEach((s, i) => (extended[n + i] = s.cls));
  return {
    frame: { rowCount: n + m, columns },
    classOf: extended,
    synthetic: Int32Array.from({ length: m }, (_, i) => n + i),
    added,
  };
}
