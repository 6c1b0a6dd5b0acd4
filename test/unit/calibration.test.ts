import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyCalibrator, binaryMap, type Calibrator } from '../../main/models/calibration.js';
import { brierScore, expectedCalibrationError, rocAuc } from '../../main/stats/metrics.js';
import { seededRandom } from '../../main/stats/random.js';
import {
  calibrationWinner,
  checkCalibrationArgs,
  checkOnFinalModel,
  chooseCalibration,
  fitIsotonic,
  fitPlatt,
  fitTemperature,
  pav,
  type CalibrationReport,
} from '../../main/training/calibrate.js';
import { matrixColumn, positiveLabels } from '../../main/stats/arrays.js';
import { HearthError } from '../../main/contracts/errors.js';

const close = (actual: number, expected: number, tolerance = 1e-9): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not within ${tolerance} of ${expected}`);

describe('Brier score and expected calibration error', () => {
  it('binary: hand-computed on four rows (scikit-learn brier_score_loss gives 0.29875)', () => {
    const labels = Int32Array.from([0, 1, 1, 1]);
    const p = [0.1, 0.15, 0.35, 0.8];
    const probabilities = Float64Array.from(p.flatMap((v) => [1 - v, v]));
    // (0.1² + 0.85² + 0.65² + 0.2²) / 4
    close(brierScore(labels, probabilities, 2), 0.29875, 1e-12);
    // Bins [0.1, 0.2): rows 0.1 (negative) and 0.15 (positive): |0.125 − 0.5| · 2/4 = 0.1875; [0.3, 0.4): |0.35 − 1| / 4
    // = 0.1625; [0.8, 0.9): |0.8 − 1| / 4 = 0.05. Sum 0.4.
    close(expectedCalibrationError(labels, probabilities, 2), 0.4, 1e-12);
  });

  it('multiclass: Σ_c (p_c − y_c)² per row, and top-label ECE', () => {
    const labels = Int32Array.from([0, 2]);
    const probabilities = Float64Array.from([0.7, 0.2, 0.1, 0.3, 0.5, 0.2]);
    // Row 1: 0.3² + 0.2² + 0.1² = 0.14; row 2: 0.3² + 0.5² + 0.8² = 0.98; mean 0.56.
    close(brierScore(labels, probabilities, 3), 0.56, 1e-12);
    // Row 1: confidence 0.7, right: |0.7 − 1| = 0.3; row 2: confidence 0.5 (class 1), wrong: 0.5. Mean 0.4.
    close(expectedCalibrationError(labels, probabilities, 3), 0.4, 1e-12);
  });

  it('a perfectly calibrated constant forecast has ECE 0', () => {
    const labels = Int32Array.from([1, 0, 0, 0]);
    const probabilities = Float64Array.from([0.75, 0.25, 0.75, 0.25, 0.75, 0.25, 0.75, 0.25]);
    close(expectedCalibrationError(labels, probabilities, 2), 0, 1e-12);
    close(brierScore(labels, probabilities, 2), (0.75 ** 2 + 3 * 0.25 ** 2) / 4, 1e-12);
  });
});

describe('calibrator fits with known answers', () => {
  it('pool-adjacent-violators: the hand-worked fit (as scikit-learn IsotonicRegression)', () => {
    // y = 0 | 1 0 0 | 1 1: the middle three pool to 1/3.
    const fitted = pav(Float64Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), [0, 1, 0, 0, 1, 1]);
    assert.deepEqual(fitted.x, [0.1, 0.2, 0.4, 0.5, 0.6]);
    assert.equal(fitted.y.length, 5);
    [0, 1 / 3, 1 / 3, 1, 1].forEach((v, i) => close(fitted.y[i]!, v, 1e-12));
  });

  it('pool-adjacent-violators pools tied x first, then interpolates between blocks', () => {
    // x 0.2 and 0.5 each hold a 0 and a 1. Pooled: [0.1–0.3] 2/4 = 0.5, [0.5] 0.5, [0.6] 1.
    const fitted = pav(Float64Array.from([0.5, 0.1, 0.2, 0.6, 0.3, 0.2, 0.5]), [1, 1, 0, 1, 0, 1, 0]);
    const map = binaryMap({ kind: 'isotonic', ...fitted });
    // scikit-learn's predictions at these points: 0.5, 0.5, 0.5, 0.75, 1.
    [0.05, 0.2, 0.4, 0.55, 0.7].forEach((p, i) => close(map(p), [0.5, 0.5, 0.5, 0.75, 1][i]!, 1e-12));
  });

  it('isotonic calibrator: centred (one point per block at its mean), within [1/(n+2), 1 − 1/(n+2)], ranking kept', () => {
    // Blocks: [0.1] 0, [0.2 0.3 0.4] 1/3 centred at 0.3, [0.5 0.6] 1 centred at 0.55 (equal values pooled).
    const fitted = fitIsotonic(Float64Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), Uint8Array.from([0, 1, 0, 0, 1, 1]));
    assert.deepEqual(
      fitted.x.map((v) => Number(v.toFixed(12))),
      [0.1, 0.3, 0.55],
    );
    const map = binaryMap({ kind: 'isotonic', ...fitted });
    close(map(0.05), 1 / 8, 1e-12);
    close(map(0.2), (1 / 8 + 1 / 3) / 2, 1e-12);
    close(map(0.3), 1 / 3, 1e-12);
    close(map(0.45), 1 / 3 + 0.6 * (7 / 8 - 1 / 3), 1e-12);
    close(map(0.99), 7 / 8, 1e-12);
    // Strictly increasing inside the block centres: no two of these inputs tie.
    const inside = [0.11, 0.2, 0.29, 0.31, 0.4, 0.54].map(map);
    for (let i = 1; i < inside.length; i++) assert.ok(inside[i]! > inside[i - 1]!);
  });

  it('Platt: with two distinct scores the fit reproduces each group’s smoothed positive rate exactly', () => {
    // z = 0 (p 0.5): 1 positive of 5; z = log 3 (p 0.75): 4 of 5. Platt's targets: 6/7 and 1/7 (5 of each class).
    // Group means: (6/7 + 4/7)/5 = 2/7 and (4·6/7 + 1/7)/5 = 5/7, so b = log(2/5), a = 2·log(5/2)/log 3.
    const z = Float64Array.from([0, 0, 0, 0, 0, Math.log(3), Math.log(3), Math.log(3), Math.log(3), Math.log(3)]);
    const y = Uint8Array.from([1, 0, 0, 0, 0, 1, 1, 1, 1, 0]);
    const { a, b } = fitPlatt(z, y);
    close(b, Math.log(2 / 5), 1e-8);
    close(a, (2 * Math.log(5 / 2)) / Math.log(3), 1e-8);
  });

  it('Platt on saturated scores (probabilities of exactly 0 and 1, logits ±34.5) still fits each side’s rate', () => {
    // 10 rows scored 1: 9 positive; 10 scored 0: 1 positive. Smoothed targets 11/12 and 1/12 (10 of each class), so
    // each side's mean target is (9·11/12 + 1/12)/10 = 5/6, and (11/12 + 9/12)/10 = 1/6 on the other.
    // Started from the identity, every hessian was ~0 and the fit never left a = 1, b = 0 (log loss 7.5 held out).
    const z = Float64Array.from({ length: 20 }, (_, i) => (i < 10 ? 34.5 : -34.5));
    const y = Uint8Array.from({ length: 20 }, (_, i) => (i < 9 || i === 19 ? 1 : 0));
    const { a, b } = fitPlatt(z, y);
    const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
    close(sigmoid(a * 34.5 + b), 5 / 6, 1e-8);
    close(sigmoid(-a * 34.5 + b), 1 / 6, 1e-8);
  });

  it('temperature: constant forecast [1/2, 1/4, 1/4] with 8 of 10 rows class 0 matches the smoothed class-0 rate', () => {
    // Platt's targets for k classes: a class-0 row puts (8 + 1)/(8 + 2) = 9/10 on class 0, a class-1 or class-2 row
    // (1 + 1)/(1 + 2) = 2/3 on its own class and 1/6 on each other. Class 0's target mass: (8·9/10 + 2·1/6)/10 =
    // 113/150. The optimum matches q₀ = 1 / (1 + 2·(1/2)^β) = 113/150, so (1/2)^β = 37/226: T = 1/log₂(226/37).
    const labels = Int32Array.from({ length: 10 }, (_, i) => (i < 8 ? 0 : i === 8 ? 1 : 2));
    const probabilities = Float64Array.from({ length: 30 }, (_, i) => [0.5, 0.25, 0.25][i % 3]!);
    const temperature = 1 / Math.log2(226 / 37);
    close(fitTemperature(probabilities, labels), temperature, 1e-9);
    const calibrated = applyCalibrator(
      { kind: 'temperature', temperature },
      {
        kind: 'classification',
        classes: ['a', 'b', 'c'],
        probabilities: probabilities.slice(0, 3),
      },
    );
    assert.equal(calibrated.kind, 'classification');
    if (calibrated.kind === 'classification') close(calibrated.probabilities[0]!, 113 / 150, 1e-9);
  });

  it('temperature: predictions that rank every row right stay finite, not sharpened to the floor', () => {
    // Three classes, 30 rows each, every row's own class at 0.9 and the others at 0.05: hard labels would drive T to
    // its floor of 0.01. The smoothed targets put 31/32 on the own class: q_own = 1/(1 + 2·(0.05/0.9)^β) = 31/32.
    const labels = Int32Array.from({ length: 90 }, (_, i) => i % 3);
    const probabilities = Float64Array.from({ length: 270 }, (_, j) => (j % 3 === Math.floor(j / 3) % 3 ? 0.9 : 0.05));
    const beta = Math.log(1 / 62) / Math.log(0.05 / 0.9);
    close(fitTemperature(probabilities, labels), 1 / beta, 1e-9);
    assert.ok(1 / beta > 0.5, `T ${1 / beta}`);
  });
});

describe('choosing a calibration on out-of-fold predictions', () => {
  // Truth P(y = 1) = sigmoid(s); the "model" says sigmoid(3s + 1): right ranking, overconfident and biased, as
  // class weights and boosting without early stopping leave it.
  function miscalibrated(n: number, seed: number): { probabilities: Float64Array; labels: Int32Array } {
    const random = seededRandom(seed);
    const probabilities = new Float64Array(2 * n);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const s = 3 * (random() - 0.5) + (random() - 0.5);
      const p = 1 / (1 + Math.exp(-(3 * s + 1)));
      probabilities[2 * i] = 1 - p;
      probabilities[2 * i + 1] = p;
      labels[i] = random() < 1 / (1 + Math.exp(-s)) ? 1 : 0;
    }
    return { probabilities, labels };
  }
  const foldsOf = (labels: Int32Array, k: number): { indices: Int32Array; targets: Int32Array }[] =>
    Array.from({ length: k }, (_, f) => {
      const indices = Int32Array.from({ length: labels.length }, (_, i) => i).filter((i) => i % k === f);
      return { indices, targets: Int32Array.from(indices, (i) => labels[i]!) };
    });

  it('an overconfident model: Platt or isotonic wins on cross-validated log loss, and Platt undoes the distortion', () => {
    const { probabilities, labels } = miscalibrated(6000, 3);
    const oof = { kind: 'classification' as const, classes: ['0', '1'], probabilities };
    const report = chooseCalibration('binary', oof, foldsOf(labels, 3), 'auto');
    assert.deepEqual(
      report.compared.map((c) => c.method),
      ['none', 'platt', 'isotonic'],
    );
    const none = report.compared.find((c) => c.method === 'none')!;
    const chosen = report.compared.find((c) => c.method === report.method)!;
    assert.notEqual(report.method, 'none');
    assert.ok(chosen.cv_log_loss < none.cv_log_loss * 0.95, `${chosen.cv_log_loss} vs ${none.cv_log_loss}`);
    assert.ok(chosen.cv_ece < none.cv_ece);
    assert.equal(report.rows, 6000);
    // Asked for Platt: sigmoid(a(3s + 1) + b) = sigmoid(s) needs a = 1/3, b = −1/3.
    const platt = chooseCalibration('binary', oof, foldsOf(labels, 3), 'platt');
    assert.equal(platt.method, 'platt');
    const c = platt.calibrator as Extract<Calibrator, { kind: 'platt' }>;
    close(c.a, 1 / 3, 0.04);
    close(c.b, -1 / 3, 0.1);
    // Fresh rows from the same source: the calibrated probabilities have the lower log loss.
    const fresh = miscalibrated(4000, 9);
    const loss = (p: Float64Array): number =>
      -fresh.labels.reduce((s, y, i) => s + Math.log(y === 1 ? p[2 * i + 1]! : p[2 * i]!), 0) / fresh.labels.length;
    const calibrated = applyCalibrator(platt.calibrator!, { ...oof, probabilities: fresh.probabilities });
    assert.equal(calibrated.kind, 'classification');
    if (calibrated.kind === 'classification') assert.ok(loss(calibrated.probabilities) < 0.95 * loss(fresh.probabilities));
  });

  describe('the check on the final model (validation rows neither it nor the calibrator saw)', () => {
    const binary = (probabilities: Float64Array) => ({ kind: 'classification' as const, classes: ['0', '1'], probabilities });
    const searched = (calibrator: Calibrator, requested: 'auto' | 'platt' = 'auto'): CalibrationReport => ({
      requested,
      method: calibrator.kind,
      calibrator,
      compared: [],
      rows: 1000,
    });

    it('a calibrator that helps the final model is kept as it is', () => {
      const { probabilities, labels } = miscalibrated(4000, 21);
      const report = searched({ kind: 'platt', a: 1 / 3, b: -1 / 3 });
      assert.equal(checkOnFinalModel('binary', report, binary(probabilities), labels, 1, true), undefined);
      assert.equal(report.validation!.kept, true);
      assert.ok(report.validation!.withCalibrator < report.validation!.without);
      assert.equal(report.refit, undefined);
      assert.deepEqual(report.calibrator, { kind: 'platt', a: 1 / 3, b: -1 / 3 });
      // One that helps, but less than the method fitted again on the final model's predictions, fold for fold by more
      // than the standard error of the differences: replaced, and the report says by what.
      const halfway = searched({ kind: 'platt', a: 0.6, b: 0 });
      checkOnFinalModel('binary', halfway, binary(probabilities), labels, 1, true);
      assert.equal(halfway.validation!.kept, false);
      assert.ok(halfway.validation!.withCalibrator < halfway.validation!.without);
      assert.match(
        halfway.note!,
        /^the out-of-fold platt calibrator gave the final model a validation log loss of [\d.]+; platt refitted/,
      );
      const refitted = halfway.calibrator as Extract<Calibrator, { kind: 'platt' }>;
      close(refitted.a, 1 / 3, 0.05);
    });

    it('fitted on softer fold models, it over-sharpens the final model: chosen again on its validation predictions', () => {
      // The folds needed a = 3; the final model (sigmoid(3s + 1)) needs a = 1/3, b = −1/3.
      const { probabilities, labels } = miscalibrated(6000, 22);
      const report = searched({ kind: 'platt', a: 3, b: 0 });
      checkOnFinalModel('binary', report, binary(probabilities), labels, 1, true);
      assert.equal(report.validation!.kept, false);
      assert.ok(report.validation!.withCalibrator > report.validation!.without);
      assert.equal(report.refit!.rows, 6000);
      assert.deepEqual(
        report.refit!.compared.map((c) => c.method),
        ['none', 'platt', 'isotonic'],
      );
      assert.notEqual(report.method, 'none');
      assert.match(report.note!, /^the out-of-fold platt calibrator did not lower the final model's validation log loss/);
      assert.match(
        report.note!,
        new RegExp(
          `; ${report.method} refitted on 6000 of the final model's validation rows scores [\\d.]+ on them \\(cross-fitted\\)$`,
        ),
      );
      // Fresh rows from the same source: the refitted calibrator lowers their log loss.
      const fresh = miscalibrated(4000, 23);
      const loss = (p: Float64Array): number =>
        -fresh.labels.reduce((s, y, i) => s + Math.log(y === 1 ? p[2 * i + 1]! : p[2 * i]!), 0) / fresh.labels.length;
      const calibrated = applyCalibrator(report.calibrator!, binary(fresh.probabilities));
      assert.ok(calibrated.kind === 'classification' && loss(calibrated.probabilities) < 0.95 * loss(fresh.probabilities));
      // Asked for Platt by name: Platt is refitted, to the answer the final model needs.
      const named = searched({ kind: 'platt', a: 3, b: 0 }, 'platt');
      assert.equal(checkOnFinalModel('binary', named, binary(probabilities), labels, 1, true), undefined);
      assert.equal(named.method, 'platt');
      const c = named.calibrator as Extract<Calibrator, { kind: 'platt' }>;
      close(c.a, 1 / 3, 0.05);
      close(c.b, -1 / 3, 0.12);
    });

    it("an isotonic calibrator whose flat ends tie most of the final model's scores costs ranking: not kept", () => {
      // Fitted where the fold models scored 0.45–0.55; the final model spreads over (0, 1), so most rows tie at the ends.
      const { probabilities, labels } = miscalibrated(4000, 24);
      const report = searched({ kind: 'isotonic', x: [0.45, 0.55], y: [0.3, 0.7] });
      checkOnFinalModel('binary', report, binary(probabilities), labels, 1, true);
      const v = report.validation!;
      assert.equal(v.kept, false);
      assert.ok(v.rocAucWith! < v.rocAucWithout! - 0.002, JSON.stringify(v));
      assert.match(report.note!, /^the out-of-fold isotonic calibrator lowered the final model's validation ROC AUC/);
      assert.ok(report.refit !== undefined);
      // Whatever was chosen again keeps the ranking on those rows.
      const again = applyCalibrator(report.calibrator ?? undefined, binary(probabilities));
      assert.ok(again.kind === 'classification');
      const auc = (p: Float64Array): number => rocAuc(positiveLabels(labels), matrixColumn(p, 2, 1, labels.length));
      assert.ok(auc(again.probabilities) >= v.rocAucWithout! - 0.002);
    });

    it('too few rows of a class to choose again: "auto" drops the calibrator, a named one is kept with a warning', () => {
      // 200 rows, 15 positives (fewer than the 20 five folds need).
      const labels = Int32Array.from({ length: 200 }, (_, i) => (i % 13 === 0 && i < 195 ? 1 : 0));
      assert.equal(
        labels.reduce((s, y) => s + y, 0),
        15,
      );
      const probabilities = Float64Array.from({ length: 400 }, (_, j) => (j % 2 === 1 ? 0.1 : 0.9));
      const auto = searched({ kind: 'platt', a: 1, b: 3 });
      assert.equal(checkOnFinalModel('binary', auto, binary(probabilities), labels, 1, true), undefined);
      assert.equal(auto.method, 'none');
      assert.equal(auto.calibrator, null);
      assert.equal(auto.refit, undefined);
      assert.match(
        auto.note!,
        /^platt did not lower the final model's validation log loss \([\d.]+ against [\d.]+ without\): left uncalibrated$/,
      );
      const named = searched({ kind: 'platt', a: 1, b: 3 }, 'platt');
      const warning = checkOnFinalModel('binary', named, binary(probabilities), labels, 1, true);
      assert.match(warning ?? '', /^platt calibration, as asked, did not lower the final model's validation log loss/);
      assert.equal(named.validation!.kept, true);
      assert.deepEqual(named.calibrator, { kind: 'platt', a: 1, b: 3 });
    });
    it('fits nothing on validation rows that are also the evaluation rows, on a non-finite score, or on a share too rare in a class', () => {
      const { probabilities, labels } = miscalibrated(6000, 25);
      // The over-sharpening calibrator of the refit case above, with no test rows: dropped, not refitted.
      const noTest = searched({ kind: 'platt', a: 3, b: 0 });
      checkOnFinalModel('binary', noTest, binary(probabilities), labels, 1, false);
      assert.equal(noTest.refit, undefined);
      assert.equal(noTest.calibrator, null);
      assert.match(noTest.note!, /^platt did not lower the final model's validation log loss .*: left uncalibrated$/);
      // One NaN score (an isotonic fit over it would never end): nothing checked or fitted, and the run is told.
      const withNaN = Float64Array.from(probabilities);
      withNaN[2 * 17] = Number.NaN;
      withNaN[2 * 17 + 1] = Number.NaN;
      const nanReport = searched({ kind: 'isotonic', x: [0.45, 0.55], y: [0.3, 0.7] });
      const nanWarning = checkOnFinalModel('binary', nanReport, binary(withNaN), labels, 1, true);
      assert.match(nanWarning ?? '', /non-finite probability: the isotonic calibrator was not checked/);
      assert.equal(nanReport.refit, undefined);
      assert.equal(nanReport.validation, undefined);
      assert.deepEqual(nanReport.calibrator, { kind: 'isotonic', x: [0.45, 0.55], y: [0.3, 0.7] });
      // Nor in the search's own comparison, and isotonic regression itself refuses such a score rather than loop.
      const oofWithNaN = chooseCalibration('binary', binary(withNaN), foldsOf(labels, 3), 'auto');
      assert.equal(oofWithNaN.calibrator, null);
      assert.match(oofWithNaN.note ?? '', /non-finite/);
      assert.throws(
        () => fitIsotonic(Float64Array.from([Number.NaN, 0.2, 0.5]), Uint8Array.from([1, 0, 1])),
        (e: unknown) => e instanceof HearthError && e.code === 'INVALID_INPUT',
      );
      assert.throws(() => pav(Float64Array.from([0.1, Number.NaN]), [0, 1]), HearthError);
      // 100,000 rows with 60 positives: the 20,000-row share keeps about 12, fewer than five folds need.
      const n = 100_000;
      const rare = Int32Array.from({ length: n }, (_, i) => (i % 1667 === 0 ? 1 : 0));
      assert.equal(
        rare.reduce((t, y) => t + y, 0),
        60,
      );
      const flat = Float64Array.from({ length: 2 * n }, (_, j) => (j % 2 === 1 ? 0.2 : 0.8));
      const rareReport = searched({ kind: 'platt', a: 1, b: 2 });
      checkOnFinalModel('binary', rareReport, binary(flat), rare, 1, true);
      assert.equal(rareReport.refit, undefined);
      assert.equal(rareReport.calibrator, null);
    });

    it('past 20,000 rows: a calibrator within noise of the model as it is stays, one clearly worse than a refit goes', () => {
      // A calibrated model (its probability is the truth) and a near-identity Platt: on a 20,000-row share, none and
      // the calibrator differ by noise, so the searched calibrator is kept.
      const random = seededRandom(10);
      const n = 40_000;
      const labels = new Int32Array(n);
      const probabilities = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) {
        const p = 1 / (1 + Math.exp(-(4 * (random() - 0.5))));
        probabilities[2 * i] = 1 - p;
        probabilities[2 * i + 1] = p;
        labels[i] = random() < p ? 1 : 0;
      }
      const nearIdentity = searched({ kind: 'platt', a: 1, b: -0.02 });
      checkOnFinalModel('binary', nearIdentity, binary(probabilities), labels, 1, true);
      assert.equal(nearIdentity.validation!.rows, n);
      assert.deepEqual(nearIdentity.calibrator, { kind: 'platt', a: 1, b: -0.02 }, nearIdentity.note);
      // One that halves the slope does harm: the methods compared again on a 20,000-row share find none better than
      // the model as it is (already calibrated), so it is dropped.
      const soft = searched({ kind: 'platt', a: 0.5, b: 0 });
      checkOnFinalModel('binary', soft, binary(probabilities), labels, 1, true);
      assert.equal(soft.validation!.kept, false);
      assert.equal(soft.refit!.rows, 20_000);
      assert.equal(soft.method, 'none');
      assert.equal(soft.calibrator, null);
    });
  });

  it('"auto" takes the lowest log loss, but never one that costs more than 0.002 held-out ROC AUC', () => {
    const row = (method: 'none' | 'platt' | 'isotonic', logLoss: number, auc?: number) => ({
      method,
      cv_log_loss: logLoss,
      cv_brier: 0,
      cv_ece: 0,
      ...(auc === undefined ? {} : { cv_roc_auc: auc }),
    });
    // Isotonic has the lowest log loss but ties rows (0.85 → 0.80): Platt, the next lowest, wins.
    assert.equal(
      calibrationWinner([row('none', 0.3, 0.85), row('platt', 0.29, 0.85), row('isotonic', 0.28, 0.8)]).method,
      'platt',
    );
    // 0.0019 below is within the floor: isotonic wins.
    assert.equal(
      calibrationWinner([row('none', 0.3, 0.85), row('platt', 0.29, 0.85), row('isotonic', 0.28, 0.8481)]).method,
      'isotonic',
    );
    // A tie keeps "none"; multiclass (no AUC) is by log loss alone.
    assert.equal(calibrationWinner([row('none', 0.3, 0.85), row('platt', 0.3, 0.86)]).method, 'none');
    assert.equal(calibrationWinner([row('none', 0.3), row('platt', 0.2)]).method, 'platt');
  });

  it('"none" asked: nothing compared, nothing fitted', () => {
    const { probabilities, labels } = miscalibrated(300, 4);
    const report = chooseCalibration(
      'binary',
      { kind: 'classification', classes: ['0', '1'], probabilities },
      foldsOf(labels, 3),
      'none',
    );
    assert.equal(report.method, 'none');
    assert.equal(report.calibrator, null);
    assert.deepEqual(report.compared, []);
  });

  it('refuses a method for the wrong task, or for a single learner', () => {
    assert.throws(
      () => checkCalibrationArgs('multiclass', { algorithm: 'auto', calibration: 'platt' }),
      (e: unknown) => e instanceof HearthError && e.code === 'VALIDATION_FAILED' && /temperature/.test(e.message),
    );
    assert.throws(
      () => checkCalibrationArgs('binary', { algorithm: 'auto', calibration: 'temperature' }),
      (e: unknown) => e instanceof HearthError && e.code === 'VALIDATION_FAILED',
    );
    assert.throws(
      () => checkCalibrationArgs('regression', { algorithm: 'auto', calibration: 'isotonic' }),
      (e: unknown) => e instanceof HearthError && e.code === 'VALIDATION_FAILED',
    );
    assert.throws(
      () => checkCalibrationArgs('binary', { algorithm: 'gbdt', calibration: 'isotonic' }),
      (e: unknown) => e instanceof HearthError && /algorithm "auto"/.test(e.message),
    );
    checkCalibrationArgs('binary', { algorithm: 'gbdt', calibration: 'none' });
    checkCalibrationArgs('regression', { algorithm: 'auto', calibration: 'auto' });
  });
});
