import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  averagePrecision,
  bestThreshold,
  calibrationBins,
  precisionRecallCurve,
  binaryMetrics,
  multiclassMetrics,
  regressionMetrics,
  rocAuc,
} from '../../main/stats/metrics.js';

// Expected values worked by hand (and agreeing with scikit-learn 1.2's roc_auc_score, average_precision_score,
// log_loss, f1_score and r2_score on the same inputs).
const close = (actual: number, expected: number, tolerance = 1e-9): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} ≠ ${expected}`);

describe('metrics', () => {
  it('ranks scores already in order, equal, or out of order alike (the sort is skipped only where it changes nothing)', () => {
    // Positives at 0.2 and 0.9; negatives at 0.1, 0.2 and 0.5: of 6 pairs, 4.5 ranked right (0.9 above all three, 0.2
    // above 0.1, and the 0.2 tie counts half).
    const labels = Uint8Array.from([0, 1, 0, 0, 1]);
    const ascending = Float64Array.from([0.1, 0.2, 0.2, 0.5, 0.9]);
    close(rocAuc(labels, ascending), 4.5 / 6);
    // The same rows shuffled: the same pairs.
    const order = [3, 0, 4, 2, 1];
    close(
      rocAuc(
        Uint8Array.from(order, (i) => labels[i]!),
        Float64Array.from(order, (i) => ascending[i]!),
      ),
      4.5 / 6,
    );
    close(
      averagePrecision(
        Uint8Array.from(order, (i) => labels[i]!),
        Float64Array.from(order, (i) => ascending[i]!),
      ),
      averagePrecision(labels, ascending),
    );
    // Every score equal (a constant baseline): one group, no pair ranked, AUC one half; AP the positive share.
    close(rocAuc(labels, new Float64Array(5).fill(0.3)), 0.5);
    close(averagePrecision(labels, new Float64Array(5).fill(0.3)), 2 / 5);
    // Signed zeros are one score.
    close(rocAuc(Uint8Array.from([1, 0]), Float64Array.from([0, -0])), 0.5);
  });

  it('binary metrics at threshold 0.5', () => {
    const m = binaryMetrics(Uint8Array.from([0, 0, 1, 1]), Float64Array.from([0.1, 0.4, 0.35, 0.8]));
    close(m.accuracy, 0.75);
    close(m.precision, 1);
    close(m.recall, 0.5);
    close(m.f1, 2 / 3);
    close(m.roc_auc, 0.75); // 3 of 4 positive–negative pairs ranked right
    close(m.pr_auc, 0.5 * 1 + 0.5 * (2 / 3));
    close(m.log_loss, -(Math.log(0.9) + Math.log(0.6) + Math.log(0.35) + Math.log(0.8)) / 4);
    assert.deepEqual(m.confusion_matrix, [
      [2, 0],
      [1, 1],
    ]);
  });

  it('ROC AUC counts ties as half', () => {
    close(rocAuc(Uint8Array.from([0, 1, 0, 1]), Float64Array.from([0.5, 0.5, 0.2, 0.9])), 3.5 / 4);
    close(averagePrecision(Uint8Array.from([0, 1, 0, 1]), Float64Array.from([0.5, 0.5, 0.2, 0.9])), 0.5 * 1 + 0.5 * (2 / 3));
    assert.ok(Number.isNaN(rocAuc(Uint8Array.from([1, 1]), Float64Array.from([0.2, 0.3]))));
  });

  it('multiclass accuracy, macro F1, one-vs-rest AUC and log loss', () => {
    const p = Float64Array.from([0.5, 0.3, 0.2, 0.3, 0.4, 0.3, 0.2, 0.5, 0.3, 0.3, 0.3, 0.4, 0.6, 0.3, 0.1, 0.2, 0.2, 0.6]);
    const m = multiclassMetrics(Int32Array.from([0, 1, 2, 2, 1, 0]), p, 3);
    close(m.accuracy, 0.5);
    // Per class (precision, recall): 0 (1/2, 1/2), 1 (1/2, 1/2), 2 (1/2, 1/2): each F1 is 1/2.
    close(m.f1, 0.5);
    close(m.log_loss, -(Math.log(0.5) + Math.log(0.4) + Math.log(0.3) + Math.log(0.4) + Math.log(0.3) + Math.log(0.2)) / 6);
    close(m.roc_auc, 0.5833333333333334);
    assert.deepEqual(m.confusion_matrix, [
      [1, 0, 1],
      [1, 1, 0],
      [0, 1, 1],
    ]);
  });

  it('tunes the decision threshold for F1 and for error costs', () => {
    const labels = Uint8Array.from([0, 0, 1, 0, 1, 1]);
    const p = Float64Array.from([0.1, 0.2, 0.3, 0.35, 0.4, 0.8]);
    // Thresholds just below each distinct score: positives above 0.8 → F1 0.5; above 0.4 → 0.8; above 0.35 → 2·2/(4+1+1)=0.667;
    // above 0.3 → 2·3/(6+1) = 0.857 (best); above 0.2 → 0.75.
    close(bestThreshold(labels, p, { kind: 'f1' }), (0.3 + 0.2) / 2);
    // A false negative ten times dearer than a false positive: positive above 0.2 (1 FP, 0 FN: cost 1).
    close(bestThreshold(labels, p, { kind: 'cost', falsePositive: 1, falseNegative: 10 }), (0.3 + 0.2) / 2);
    // A false positive ten times dearer: positive from 0.4 up (0 FP, 1 FN: cost 1) beats only 0.8 (2 FN: cost 2).
    close(bestThreshold(labels, p, { kind: 'cost', falsePositive: 10, falseNegative: 1 }), (0.4 + 0.35) / 2);
    const m = binaryMetrics(labels, p, 0.25);
    assert.deepEqual(m.confusion_matrix, [
      [2, 1],
      [0, 3],
    ]);
  });

  it('regression RMSE, MAE and R²', () => {
    const m = regressionMetrics(Float64Array.from([3, -0.5, 2, 7]), Float64Array.from([2.5, 0, 2, 8]));
    close(m.rmse, Math.sqrt(0.375));
    close(m.mae, 0.5);
    close(m.r2, 1 - 1.5 / 29.1875);
  });
});

describe('curves', () => {
  it('precision–recall points and calibration bins, worked by hand', () => {
    const labels = Uint8Array.from([0, 0, 1, 1]);
    const p = Float64Array.from([0.1, 0.4, 0.35, 0.8]);
    // Thresholds from the top: 0.8 → (recall 0.5, precision 1); 0.4 → (0.5, 0.5); 0.35 → (1, 2/3); 0.1 → (1, 0.5).
    assert.deepEqual(
      precisionRecallCurve(labels, p).map((c) => [c.x, Number(c.y.toFixed(4))]),
      [
        [0.5, 1],
        [0.5, 0.5],
        [1, 0.6667],
        [1, 0.5],
      ],
    );
    // Bins of width 0.1: {0.1}, {0.35}, {0.4}, {0.8}.
    assert.deepEqual(calibrationBins(labels, p), [
      { predicted: 0.1, observed: 0, count: 1 },
      { predicted: 0.35, observed: 1, count: 1 },
      { predicted: 0.4, observed: 0, count: 1 },
      { predicted: 0.8, observed: 1, count: 1 },
    ]);
  });
});
