import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { readCsv } from '../../main/data/csv.js';
import { leakageScores } from '../../main/models/data-checks.js';
import { columnDrift, datasetDrift, type DriftColumn } from '../../main/stats/drift.js';
import { seededRandom } from '../../main/stats/random.js';
import {
  benjaminiHochberg,
  binomialSf,
  holm,
  delongTest,
  pairedBootstrap,
  pairedMeanTest,
  wilsonUpper,
} from '../../main/stats/significance.js';
import { tempDir, writeFile } from '../helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

/** n rows of `features` standard-normal noise columns and a coin-flip label, plus optional extra columns. */
function noiseCsv(
  n: number,
  features: number,
  seed: number,
  extra?: (label: string, i: number) => Record<string, string>,
): string {
  const random = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const extraNames = Object.keys(extra?.('a', 0) ?? {});
  const lines = [[...Array.from({ length: features }, (_, f) => `x${f}`), ...extraNames, 'label'].join(',')];
  for (let i = 0; i < n; i++) {
    const label = random() < 0.5 ? 'a' : 'b';
    const more = extra?.(label, i) ?? {};
    lines.push(
      [...Array.from({ length: features }, () => normal().toFixed(6)), ...extraNames.map((k) => more[k]!), label].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

async function leakage(csv: string, name: string) {
  const { frame } = await readCsv(writeFile(tmp.dir, name, csv));
  const label = frame.columns.find((c) => c.name === 'label')!;
  const y = (r: number): number => (label.kind === 'string' ? (label.dictionary[label.codes[r]!] === 'b' ? 1 : 0) : 0);
  const rows = Int32Array.from({ length: frame.rowCount }, (_, i) => i);
  return leakageScores(frame, 'label', 'binary', rows, y);
}

describe('leakage on small data', () => {
  it('flags none of 30 pure-noise features on 48 rows, over several seeds', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const scores = await leakage(noiseCsv(48, 30, seed), `noise-${seed}.csv`);
      assert.equal(scores.length, 30);
      assert.deepEqual(
        scores.filter((s) => s.leaks).map((s) => s.feature),
        [],
        `seed ${seed}`,
      );
      // Leave-one-out, a noise column predicts no better than chance: never near the in-sample 1.0 of old.
      for (const s of scores) assert.ok(s.power < 0.8, `${s.feature} ${s.power}`);
    }
  });

  it('still flags a truly leaking number and a leaking category among 30 noise columns on 48 rows', async () => {
    const random = seededRandom(9);
    const csv = noiseCsv(48, 30, 6, (label) => ({
      // Days until the refund: known only after the outcome, and a clean separation of the classes.
      days_to_refund: (label === 'b' ? 100 + random() * 100 : random() * 50).toFixed(3),
      refund_code: label === 'b' ? 'R' : 'N',
    }));
    const scores = await leakage(csv, 'leaky-small.csv');
    assert.deepEqual(
      scores
        .filter((s) => s.leaks)
        .map((s) => s.feature)
        .sort(),
      ['days_to_refund', 'refund_code'],
    );
    const days = scores.find((s) => s.feature === 'days_to_refund')!;
    assert.equal(days.power, 1);
    assert.ok(days.adjustedPValue < 1e-6, String(days.adjustedPValue));
  });
});

describe('leakage on small regression data', () => {
  it('flags none of 30 noise features on 48 rows, and flags a feature that is the target plus a little noise', async () => {
    const random = seededRandom(31);
    const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const lines = [[...Array.from({ length: 30 }, (_, f) => `x${f}`), 'price_paid', 'amount'].join(',')];
    for (let i = 0; i < 48; i++) {
      const amount = normal() * 10 + 50;
      lines.push(
        [...Array.from({ length: 30 }, () => normal().toFixed(6)), (amount + normal() * 0.1).toFixed(4), amount.toFixed(4)].join(
          ',',
        ),
      );
    }
    const { frame } = await readCsv(writeFile(tmp.dir, 'regression.csv', `${lines.join('\n')}\n`));
    const amount = frame.columns.find((c) => c.name === 'amount')!;
    const y = (r: number): number => (amount.kind === 'numeric' ? amount.values[r]! : Number.NaN);
    const scores = leakageScores(
      frame,
      'amount',
      'regression',
      Int32Array.from({ length: 48 }, (_, i) => i),
      y,
    );
    assert.deepEqual(
      scores.filter((s) => s.leaks).map((s) => s.feature),
      ['price_paid'],
    );
    assert.ok(scores.find((s) => s.feature === 'price_paid')!.power > 0.98);
  });
});

describe('drift across many columns on small data', () => {
  const normals = (n: number, random: () => number, shift = 0) =>
    Float64Array.from({ length: n }, () => shift + Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));

  it('30 columns drawn from the same distribution raise no alarm (five seeds), a shifted one still does', () => {
    let uncorrected = 0;
    for (const seed of [11, 12, 13, 14, 15]) {
      const random = seededRandom(seed);
      const columns: DriftColumn[] = Array.from({ length: 30 }, (_, f) => ({
        name: `x${f}`,
        kind: 'numeric',
        reference: normals(200, random),
        current: normals(60, random),
      }));
      const report = datasetDrift(columns);
      assert.equal(
        report.drifted,
        0,
        `seed ${seed}: ${report.columns
          .filter((c) => c.drifted)
          .map((c) => c.column)
          .join(', ')}`,
      );
      uncorrected += report.columns.filter((c) => c.pValue! < 0.05).length;
      // One column moved by one standard deviation: found among the 30 after the correction.
      const shifted = datasetDrift([
        ...columns.slice(1),
        { name: 'moved', kind: 'numeric', reference: normals(200, random), current: normals(60, random, 1) },
      ]);
      assert.deepEqual(
        shifted.columns.filter((c) => c.drifted).map((c) => c.column),
        ['moved'],
        `seed ${seed}`,
      );
      assert.equal(shifted.datasetDrifted, false, 'one column of 30 is not the data set');
    }
    // Without the correction, 150 tests at p < 0.05 alarm about 7.5 times by chance: the correction is what helps.
    assert.ok(uncorrected >= 2, `uncorrected alarms: ${uncorrected}`);
  });

  it('below 30 rows a side, a column is "not enough data", never drift', () => {
    const random = seededRandom(21);
    const drift = columnDrift({ name: 'x', kind: 'numeric', reference: normals(200, random), current: normals(12, random, 3) });
    assert.equal(drift.pValue! < 0.001, true, 'the shift is plain to see');
    assert.deepEqual([drift.enoughData, drift.drifted], [false, false]);
    const report = datasetDrift([
      { name: 'few', kind: 'numeric', reference: normals(200, random), current: normals(12, random, 3) },
      { name: 'many', kind: 'numeric', reference: normals(200, random), current: normals(100, random) },
    ]);
    assert.deepEqual([report.notEnoughData, report.drifted, report.share, report.datasetDrifted], [1, 0, 0, false]);
  });
});

describe('significance helpers', () => {
  it('binomial tail: P(X ≥ 9 | n = 10, p = 0.5) = 11/1024', () => {
    assert.ok(Math.abs(binomialSf(9, 10, 0.5) - 11 / 1024) < 1e-12);
    assert.equal(binomialSf(0, 10, 0.3), 1);
    assert.equal(binomialSf(11, 10, 0.3), 0);
  });

  it('Benjamini–Hochberg matches R p.adjust(c(0.01, 0.04, 0.03, 0.5), "BH")', () => {
    // By hand: sorted 0.01, 0.03, 0.04, 0.5 → 0.04, 0.0533, 0.0533, 0.5 (step-up minimum from the top).
    const adjusted = benjaminiHochberg([0.01, 0.04, 0.03, 0.5, null]);
    const expected = [0.04, 0.04 * (4 / 3), 0.04 * (4 / 3), 0.5, null];
    adjusted.forEach((a, i) => (expected[i] === null ? assert.equal(a, null) : assert.ok(Math.abs(a! - expected[i]!) < 1e-12)));
  });

  it('Holm matches R p.adjust(c(0.01, 0.04, 0.03, 0.5), "holm")', () => {
    // By hand: sorted 0.01·4, 0.03·3, 0.04·2, 0.5·1 = 0.04, 0.09, 0.08 → 0.09 (running maximum), 0.5.
    const adjusted = holm([0.01, 0.04, 0.03, 0.5, null]);
    const expected = [0.04, 0.09, 0.09, 0.5, null];
    adjusted.forEach((a, i) => (expected[i] === null ? assert.equal(a, null) : assert.ok(Math.abs(a! - expected[i]!) < 1e-12)));
  });

  it('Wilson upper bound of 8 in 10 at z = 1.96 is 0.94332 (by hand, checked in Python)', () => {
    // (0.8 + 3.8416/20 + 1.96·√(0.016 + 3.8416/400)) / (1 + 0.38416) = 0.943319…
    assert.ok(Math.abs(wilsonUpper(8, 10, 1.96) - 0.943319) < 1e-5);
  });

  it('paired mean test: differences 1, 2, 3 → mean 2, se 1/√3', () => {
    const r = pairedMeanTest(Float64Array.from([1, 2, 3]));
    assert.equal(r.mean, 2);
    assert.ok(Math.abs(r.se - 1 / Math.sqrt(3)) < 1e-12);
  });

  it("DeLong's variance of one AUC on a hand-worked example is 1/18", () => {
    // Positives 0.9, 0.6; negatives 0.7, 0.2, 0.1. V10 = (1, 2/3), V01 = (1/2, 1, 1); AUC = 5/6;
    // S10 = var(1, 2/3) = 1/18, S01 = var(1/2, 1, 1) = 1/12; Var = S10/2 + S01/3 = 1/36 + 1/36 = 1/18.
    const labels = Uint8Array.from([1, 1, 0, 0, 0]);
    const a = Float64Array.from([0.9, 0.6, 0.7, 0.2, 0.1]);
    // B ranks every positive first: AUC 1, no variance; the difference's variance is then A's own.
    const b = Float64Array.from([0.9, 0.8, 0.7, 0.2, 0.1]);
    const r = delongTest(labels, a, b);
    assert.ok(Math.abs(r.aucA - 5 / 6) < 1e-12);
    assert.ok(Math.abs(r.varA - 1 / 18) < 1e-12);
    assert.equal(r.aucB, 1);
    assert.equal(r.varB, 0);
    assert.equal(r.covariance, 0);
    // z = (5/6 − 1)/√(1/18) = −0.7071: A is not better, p = Φ(0.7071) ≈ 0.7602.
    assert.ok(Math.abs(r.z + Math.SQRT1_2) < 1e-9);
    assert.ok(Math.abs(r.p - 0.76025) < 1e-5);
  });

  it('paired bootstrap: always better gives p = 1/(B+1), never better gives 1', () => {
    assert.equal(
      pairedBootstrap(20, () => 1, 999),
      1 / 1000,
    );
    assert.equal(
      pairedBootstrap(20, () => -1, 999),
      1,
    );
  });
});
