import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baselineFromReport, compareWithBaseline, compareWithPrior, priorOf } from '../../main/training/baseline.js';
import { gate, type Scored } from '../../main/training/retrain.js';
import type { PredictionMatrix } from '../../main/models/linear-model.js';
import { seededRandom } from '../../main/stats/random.js';
import { constantPredictionMetrics } from '../../main/stats/metrics.js';
import { evaluate } from '../../main/training/evaluation.js';

/** A split over rows 0..train-1 (training) and train..train+test-1 (test), with the given targets. */
function data(task: 'binary' | 'multiclass' | 'regression', targets: number[], train: number, classes: string[] | null) {
  const all = Int32Array.from(targets.keys());
  return {
    task,
    classes,
    split: { train: all.subarray(0, train), validation: new Int32Array(0), test: all.subarray(train) },
    targetsOf: (rows: Int32Array) =>
      task === 'regression' ? Float64Array.from(rows, (r) => targets[r]!) : Int32Array.from(rows, (r) => targets[r]!),
  };
}

describe('baseline beside the model', () => {
  it('binary: the training prior on hand-made test rows (accuracy 0.75, log loss 0.5623, AUC 0.5)', () => {
    // Training targets 0, 0, 0, 1: prior P(b) = 0.25, so the baseline always answers "a".
    const d = data('binary', [0, 0, 0, 1, 0, 0, 1, 0], 4, ['a', 'b']);
    // A model that is sure and right on the four test rows.
    const probabilities = Float64Array.from([0.9, 0.1, 0.9, 0.1, 0.1, 0.9, 0.9, 0.1]);
    const { baseline, warning } = compareWithBaseline(
      d,
      { kind: 'classification', classes: ['a', 'b'], probabilities },
      d.split.test,
    );
    assert.equal(baseline.kind, 'majority');
    assert.equal(baseline.answer, 'a');
    assert.equal(baseline.metrics.accuracy, 0.75);
    // −(3 ln 0.75 + ln 0.25) / 4 = 0.562335…
    assert.ok(Math.abs(baseline.metrics.log_loss! - 0.5623351446) < 1e-9);
    assert.equal(baseline.metrics.roc_auc, 0.5);
    assert.equal(baseline.metrics.f1, 0);
    // Log loss per row improves on every row (ln 0.9 − ln 0.75 > 0, ln 0.9 − ln 0.25 > 0), but with four rows the
    // accuracy gain is one row: its test is not significant, the log loss one is (all positive, small spread).
    assert.equal(baseline.beaten, true);
    assert.equal(warning, null);
  });

  it('a model no better than always answering the majority gets BELOW_BASELINE, with figures', () => {
    // 0.894 of 500 test rows are "None"; the model agrees with the majority but for 2 rows it gets wrong.
    const n = 500;
    const random = seededRandom(3);
    const targets: number[] = Array.from({ length: 1000 }, (_, i) => (i < 894 ? 0 : 1));
    for (let i = targets.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [targets[i], targets[j]] = [targets[j]!, targets[i]!];
    }
    const d = data('binary', targets, 500, ['None', 'Damage']);
    const probabilities = new Float64Array(2 * n);
    let flipped = 0;
    d.split.test.forEach((r, i) => {
      // Prior-like probabilities, two majority rows answered wrong.
      const p = targets[r] === 0 && flipped < 2 ? (flipped++, 0.6) : 0.106;
      probabilities[2 * i] = 1 - p;
      probabilities[2 * i + 1] = p;
    });
    const { baseline, warning } = compareWithBaseline(
      d,
      { kind: 'classification', classes: ['None', 'Damage'], probabilities },
      d.split.test,
    );
    assert.equal(baseline.beaten, false);
    assert.equal(warning?.code, 'BELOW_BASELINE');
    assert.match(warning.message, /does not clearly beat always answering "None" on the 500 evaluation rows/);
  });

  it('regression: the training mean (RMSE √2, MAE 1, R² −1 on these rows)', () => {
    // Training 1, 2, 3: mean 2. Test 2, 4: errors 0 and 2.
    const d = data('regression', [1, 2, 3, 2, 4], 3, null);
    const { baseline, warning } = compareWithBaseline(d, { kind: 'regression', values: Float64Array.from([2, 4]) }, d.split.test);
    assert.equal(baseline.answer, 2);
    assert.ok(Math.abs(baseline.metrics.rmse! - Math.SQRT2) < 1e-12);
    assert.equal(baseline.metrics.mae, 1);
    // R² against the test rows' own mean 3: 1 − 4/2 = −1 (0 only when the test mean equals the training mean).
    assert.equal(baseline.metrics.r2, -1);
    // Two rows, one improved by 4 and one by 0: mean 2, se 2, z 1, p 0.16: not clearly better.
    assert.equal(baseline.beaten, false);
    assert.equal(warning?.code, 'BELOW_BASELINE');
  });
});

describe('baseline of a later evaluation, from the prior recorded at training', () => {
  const prediction: PredictionMatrix = {
    kind: 'classification',
    classes: ['a', 'b'],
    probabilities: Float64Array.from([0.9, 0.1, 0.2, 0.8]),
  };
  const targets = Int32Array.from([0, 1]);

  it('answers with the recorded shares: prior (0.7, 0.3) on targets a, b gives accuracy 0.5, log loss 0.7803', () => {
    const report = { baseline: { kind: 'majority', answer: 'a', prior: [0.7, 0.3] } };
    const baseline = baselineFromReport(report, 'binary', { prediction, targets })!;
    assert.equal(baseline.metrics.accuracy, 0.5);
    // −(ln 0.7 + ln 0.3) / 2 = 0.780324…
    assert.ok(Math.abs(baseline.metrics.log_loss! - 0.7803238741) < 1e-9);
  });

  it('is null for versions without a usable prior (trained before baselines, pulled, or another shape)', () => {
    assert.equal(baselineFromReport({}, 'binary', { prediction, targets }), null);
    assert.equal(baselineFromReport({ baseline: { kind: 'majority', answer: 'a' } }, 'binary', { prediction, targets }), null);
    assert.equal(
      baselineFromReport({ baseline: { kind: 'majority', answer: 'a', prior: [0.2, 0.3, 0.5] } }, 'binary', {
        prediction,
        targets,
      }),
      null,
    );
    assert.equal(baselineFromReport({ baseline: { kind: 'mean', answer: 2 } }, 'binary', { prediction, targets }), null);
  });
});

function binaryScored(labels: Uint8Array, positive: Float64Array, score: number): Scored {
  return { score, rows: { kind: 'binary', labels, positive } };
}

describe('retraining gate', () => {
  it('refuses to decide on 7 held-out rows, even when the challenger looks perfect', () => {
    const labels = Uint8Array.from([1, 0, 1, 0, 1, 0, 0]);
    const challenger = binaryScored(
      labels,
      Float64Array.from(labels, (l) => (l === 1 ? 0.9 : 0.1)),
      1,
    );
    const production = binaryScored(labels, Float64Array.from([0.4, 0.6, 0.5, 0.5, 0.3, 0.2, 0.7]), 0.4);
    const d = gate('roc_auc', 7, [4, 3], production, challenger);
    assert.equal(d.better, false);
    assert.equal(d.test, null);
    assert.equal(d.reason, 'holdout 7 rows < 30: not promoted');
  });

  it('refuses a holdout of 40 rows with only 5 of a class', () => {
    const labels = Uint8Array.from({ length: 40 }, (_, i) => (i < 5 ? 1 : 0));
    const s = binaryScored(labels, Float64Array.from(labels), 1);
    const d = gate('roc_auc', 40, [35, 5], s, s);
    assert.equal(d.better, false);
    assert.match(d.reason, /5 rows of its rarer class < 10: not promoted/);
  });

  it('promotes a clearly better challenger on a large holdout (DeLong), not an equal one', () => {
    const random = seededRandom(5);
    const n = 600;
    const labels = Uint8Array.from({ length: n }, () => (random() < 0.5 ? 1 : 0));
    // The challenger's score separates the classes well; production's barely.
    const challenger = Float64Array.from(labels, (l) => l * 2 + random() * 2.2);
    const production = Float64Array.from(labels, (l) => l * 0.3 + random() * 2.2);
    const d = gate('roc_auc', n, [300, 300], binaryScored(labels, production, 0.6), binaryScored(labels, challenger, 0.9));
    assert.equal(d.better, true);
    assert.equal(d.test!.method, 'delong');
    assert.ok(d.test!.improvement > 0.2 && d.test!.p < 1e-6, JSON.stringify(d.test));
    assert.match(d.reason, /^challenger \+0\.\d{3} roc_auc on 600 held-out rows, p = .+ \(delong\): promoted$/);
    const same = gate('roc_auc', n, [300, 300], binaryScored(labels, production, 0.6), binaryScored(labels, production, 0.6));
    assert.equal(same.better, false);
    assert.match(same.reason, /not promoted \(needs p < 0\.05\)$/);
  });

  it('regression: a paired bootstrap of the RMSE difference', () => {
    const random = seededRandom(8);
    const n = 200;
    const actual = Float64Array.from({ length: n }, () => random() * 10);
    const good = Float64Array.from(actual, (a) => a + (random() - 0.5));
    const bad = Float64Array.from(actual, (a) => a + (random() - 0.5) * 4);
    const scored = (predicted: Float64Array): Scored => ({
      score: Math.sqrt(predicted.reduce((s, p, i) => s + (p - actual[i]!) ** 2, 0) / n),
      rows: { kind: 'regression', actual, predicted },
    });
    const better = gate('rmse', n, null, scored(bad), scored(good));
    assert.equal(better.better, true);
    assert.equal(better.test!.method, 'paired-bootstrap');
    assert.ok(better.test!.p < 0.001);
    assert.match(better.reason, /^challenger -\d\.\d{3} rmse/);
    assert.equal(gate('rmse', n, null, scored(good), scored(bad)).better, false);
  });
});

describe("the baseline's metrics from class counts", () => {
  /** The constant matrix evaluated row by row, as the baseline was before: the reference the closed form must match. */
  const rowByRow = (task: 'binary' | 'multiclass', shares: number[], targets: Int32Array): Record<string, number> => {
    const k = shares.length;
    const probabilities = new Float64Array(targets.length * k);
    for (let i = 0; i < targets.length; i++) for (let c = 0; c < k; c++) probabilities[i * k + c] = shares[c]!;
    const classes = shares.map((_, c) => `c${c}`);
    return evaluate(task, { kind: 'classification', classes, probabilities }, targets, classes, 0.5, false).metrics;
  };
  const same = (closed: Record<string, number>, reference: Record<string, number>, label: string): void => {
    assert.deepEqual(Object.keys(closed).sort(), Object.keys(reference).sort(), label);
    for (const [metric, value] of Object.entries(reference)) {
      if (Number.isNaN(value)) assert.ok(Number.isNaN(closed[metric]), `${label} ${metric}: ${closed[metric]} against NaN`);
      else assert.ok(Math.abs(closed[metric]! - value) <= 1e-12, `${label} ${metric}: ${closed[metric]} against ${value}`);
    }
  };
  it('matches evaluating the constant matrix row by row, binary and multiclass, including absent classes and ties', () => {
    const random = seededRandom(7);
    const cases: { task: 'binary' | 'multiclass'; shares: number[]; n: number; weights: number[] }[] = [
      { task: 'binary', shares: [0.75, 0.25], n: 1000, weights: [3, 1] },
      { task: 'binary', shares: [0.3, 0.7], n: 999, weights: [1, 1] },
      // Above the 0.5 threshold by the prior, with no positive row present; and a tie at exactly 0.5.
      { task: 'binary', shares: [0.2, 0.8], n: 50, weights: [1, 0] },
      { task: 'binary', shares: [0.5, 0.5], n: 40, weights: [1, 3] },
      { task: 'binary', shares: [1, 0], n: 20, weights: [1, 1] },
      { task: 'multiclass', shares: [0.5, 0.3, 0.2], n: 1200, weights: [2, 1, 1] },
      // A class the evaluation rows never show, a tie between the two largest shares, shares that do not sum to 1.
      { task: 'multiclass', shares: [0.1, 0.45, 0.45, 0], n: 300, weights: [1, 2, 0, 1] },
      { task: 'multiclass', shares: [2, 1, 1], n: 10, weights: [0, 0, 1] },
      // Two classes under the multiclass task (an imported graph can be declared so): Brier and ECE in binary form.
      { task: 'multiclass', shares: [0.5, 0.3], n: 80, weights: [3, 5] },
      { task: 'multiclass', shares: [0.7, 0.3], n: 0, weights: [1, 1] },
    ];
    for (const [at, c] of cases.entries()) {
      const total = c.weights.reduce((a, b) => a + b, 0);
      const targets = new Int32Array(c.n);
      const counts = new Float64Array(c.shares.length);
      for (let i = 0; i < c.n; i++) {
        let u = random() * total;
        let y = 0;
        while (u >= c.weights[y]! || c.weights[y] === 0) {
          u -= c.weights[y]!;
          y++;
        }
        targets[i] = y;
        counts[y]!++;
      }
      same(
        constantPredictionMetrics(Float64Array.from(c.shares), counts, c.task === 'binary'),
        rowByRow(c.task, c.shares, targets),
        `case ${at}`,
      );
    }
  });
  it('hand-computed on four rows: prior 0.25, one positive (log loss, Brier, ECE, PR AUC)', () => {
    const m = constantPredictionMetrics(Float64Array.from([0.75, 0.25]), Float64Array.from([3, 1]), true);
    assert.equal(m.accuracy, 0.75);
    assert.equal(m.precision, 0);
    assert.equal(m.roc_auc, 0.5);
    assert.equal(m.pr_auc, 0.25);
    assert.ok(Math.abs(m.log_loss! - -(Math.log(0.25) + 3 * Math.log(0.75)) / 4) < 1e-15);
    assert.ok(Math.abs(m.brier! - (0.75 ** 2 + 3 * 0.25 ** 2) / 4) < 1e-15);
    assert.equal(m.ece, 0);
  });
});

describe('the baseline against hostile priors and targets', () => {
  const prediction: PredictionMatrix = {
    kind: 'classification',
    classes: ['a', 'b'],
    probabilities: Float64Array.from([0.4, 0.6, 0.8, 0.2]),
  };
  it('a target that is not a class index is an error, not a row left out of the counts', () => {
    for (const bad of [2, -1, 0.5])
      assert.throws(
        () => compareWithPrior('binary', prediction, Float64Array.from([0, bad]), { shares: [0.5, 0.5] }),
        (e: Error & { code?: string }) => e.code === 'INTERNAL' && /not a class index/.test(e.message),
      );
  });
  it("a stored report's negative, infinite or non-numeric share gives no prior", () => {
    const report = (prior: unknown[]) => ({ kind: 'majority', answer: 'a', prior }) as never;
    assert.deepEqual(priorOf(report([0.25, 0.75])), { shares: [0.25, 0.75] });
    for (const prior of [
      [-0.1, 1.1],
      [Infinity, 0],
      [Number.NaN, 1],
      ['0.5', 0.5],
    ])
      assert.equal(priorOf(report(prior)), null, String(prior));
  });
});
