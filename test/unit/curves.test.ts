import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { oneVsRestCurves, residualSample } from '../../main/stats/curves.js';
import { expectedCalibrationError, topLabelConfidence } from '../../main/stats/metrics.js';
import { evaluate } from '../../main/training/evaluation.js';

// Five rows, three classes, worked by hand (scikit-learn's roc_curve(label_binarize(y)[:, c], proba[:, c],
// drop_intermediate=False) gives the same points).
const labels = Int32Array.from([0, 1, 2, 0, 1]);
const probabilities = Float64Array.from([0.7, 0.2, 0.1, 0.3, 0.5, 0.2, 0.2, 0.3, 0.5, 0.4, 0.4, 0.2, 0.6, 0.3, 0.1]);
const close = (actual: number, expected: number): void =>
  assert.ok(Math.abs(actual - expected) <= 1e-12, `${actual} ≠ ${expected}`);
const points = (curve: { x: number; y: number }[]): [number, number][] => curve.map((p) => [p.x, p.y]);
const closePoints = (actual: [number, number][], expected: [number, number][]): void => {
  assert.equal(actual.length, expected.length, JSON.stringify(actual));
  actual.forEach(([x, y], i) => {
    close(x, expected[i]![0]);
    close(y, expected[i]![1]);
  });
};

describe('evaluation curves', () => {
  it('one-vs-rest ROC and precision–recall per class, most frequent classes first', () => {
    const curves = oneVsRestCurves(labels, probabilities, 3);
    assert.deepEqual(
      curves.map((c) => [c.classIndex, c.support]),
      [
        [0, 2],
        [1, 2],
        [2, 1],
      ],
    );
    // Class 0: scores 0.7 (yes) 0.6 (no) 0.4 (yes) 0.3 (no) 0.2 (no).
    closePoints(points(curves[0]!.roc), [
      [0, 0],
      [0, 0.5],
      [1 / 3, 0.5],
      [1 / 3, 1],
      [2 / 3, 1],
      [1, 1],
    ]);
    close(curves[0]!.rocAuc, 5 / 6);
    closePoints(points(curves[0]!.pr), [
      [0.5, 1],
      [0.5, 0.5],
      [1, 2 / 3],
      [1, 0.5],
      [1, 0.4],
    ]);
    close(curves[0]!.averagePrecision, 0.5 + 0.5 * (2 / 3));
    // Class 1: 0.5 (yes) 0.4 (no) 0.3 (one yes, one no: a tie is one step) 0.2 (no).
    closePoints(points(curves[1]!.roc), [
      [0, 0],
      [0, 0.5],
      [1 / 3, 0.5],
      [2 / 3, 1],
      [1, 1],
    ]);
    close(curves[1]!.rocAuc, 4.5 / 6);
    // Class 2: its one row scores highest.
    closePoints(points(curves[2]!.roc), [
      [0, 0],
      [0, 1],
      [0.5, 1],
      [1, 1],
    ]);
    close(curves[2]!.rocAuc, 1);
  });

  it('keeps each curve within its bound', () => {
    const n = 3000;
    const many = Int32Array.from({ length: n }, (_, i) => i % 3);
    const p = new Float64Array(3 * n);
    for (let i = 0; i < n; i++) {
      const a = ((i * 7919) % n) / n;
      p.set([a * 0.5, (1 - a) * 0.5, 0.5], 3 * i);
    }
    for (const c of oneVsRestCurves(many, p, 3)) {
      assert.ok(c.roc.length <= 200, `roc ${c.roc.length}`);
      assert.ok(c.pr.length <= 200, `pr ${c.pr.length}`);
      assert.deepEqual([c.roc[0]!.x, c.roc[0]!.y, c.roc.at(-1)!.x, c.roc.at(-1)!.y], [0, 0, 1, 1]);
    }
  });

  it('draws at most 20 classes, the most frequent, and none for a class absent from the rows', () => {
    const k = 26;
    // Class c appears c times (class 0 never): 25 classes present.
    const rows: number[] = [];
    for (let c = 1; c < k; c++) for (let j = 0; j < c; j++) rows.push(c);
    const p = new Float64Array(rows.length * k).fill(1 / k);
    const curves = oneVsRestCurves(Int32Array.from(rows), p, k);
    assert.equal(curves.length, 20);
    assert.deepEqual(
      curves.map((c) => c.classIndex),
      Array.from({ length: 20 }, (_, i) => 25 - i),
    );
    // Every score tied: one threshold, the chance diagonal.
    assert.deepEqual(points(curves[0]!.roc), [
      [0, 0],
      [1, 1],
    ]);
    close(curves[0]!.rocAuc, 0.5);
  });

  it('top-label confidence and whether it is right; ECE bins them', () => {
    const { confidence, hit } = topLabelConfidence(labels, probabilities, 3);
    // Row 3 ties 0.4 / 0.4: the first class wins, as argmax does.
    assert.deepEqual([...confidence], [0.7, 0.5, 0.5, 0.4, 0.6]);
    assert.deepEqual([...hit], [1, 1, 1, 1, 0]);
    // Bins 0.4 (1 right of 1), 0.5 (2 of 2), 0.6 (0 of 1), 0.7 (1 of 1): Σ n_b/n · |conf − rate|.
    close(expectedCalibrationError(labels, probabilities, 3), (0.6 + 2 * 0.5 + 0.6 + 0.3) / 5);
  });

  it('residuals are actual − predicted; past 2,000 rows an evenly spaced sample', () => {
    const small = residualSample(Float64Array.from([3, 5, 2]), Float64Array.from([2.5, 5.5, 2]));
    assert.deepEqual(small, {
      rows: 3,
      points: [
        { actual: 3, predicted: 2.5, residual: 0.5 },
        { actual: 5, predicted: 5.5, residual: -0.5 },
        { actual: 2, predicted: 2, residual: 0 },
      ],
    });
    const n = 5000;
    const big = residualSample(
      Float64Array.from({ length: n }, (_, i) => i),
      Float64Array.from({ length: n }, () => 1),
    );
    assert.equal(big.rows, n);
    assert.equal(big.points.length, 2000);
    assert.deepEqual(big.points.slice(0, 3), [
      { actual: 0, predicted: 1, residual: -1 },
      { actual: 2, predicted: 1, residual: 1 },
      { actual: 5, predicted: 1, residual: 4 },
    ]);
  });

  it('the training evaluation stores the curves under the class names, and none in the search', () => {
    const classes = ['low', 'mid', 'high'];
    const prediction = { kind: 'classification' as const, classes, probabilities };
    const { report } = evaluate('multiclass', prediction, labels, classes);
    const perClass = report.perClass as { class: string; support: number; rocAuc: number }[];
    assert.deepEqual(
      perClass.map((c) => c.class),
      ['low', 'mid', 'high'],
    );
    close(perClass[1]!.rocAuc, 0.75);
    assert.deepEqual(report.calibration, [
      { predicted: 0.4, observed: 1, count: 1 },
      { predicted: 0.5, observed: 1, count: 2 },
      { predicted: 0.6, observed: 0, count: 1 },
      { predicted: 0.7, observed: 1, count: 1 },
    ]);
    assert.equal(evaluate('multiclass', prediction, labels, classes, 0.5, false).report.perClass, undefined);
    const regression = evaluate(
      'regression',
      { kind: 'regression', values: Float64Array.from([1, 4]) },
      Float64Array.from([2, 3]),
      null,
    );
    assert.deepEqual(
      (regression.report.residuals as { points: { residual: number }[] }).points.map((p) => p.residual),
      [1, -1],
    );
  });
});
