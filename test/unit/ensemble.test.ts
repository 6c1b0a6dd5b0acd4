import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { readCsv } from '../../main/data/csv.js';
import { createSession } from '../../main/accel/onnx-runtime.js';
import { Predictor } from '../../main/models/predictor.js';
import type { EnsembleModel } from '../../main/models/ensemble-model.js';
import { crossFittedBlend, selectEnsemble, takePrediction } from '../../main/training/ensemble-selection.js';
import { crossFittedThresholdScores, objectiveValue, scatterPrediction } from '../../main/training/imbalance.js';
import type { LinearModel, PredictionMatrix } from '../../main/models/linear-model.js';
import { binaryMetrics, logLoss, multiclassMetrics, rocAuc } from '../../main/stats/metrics.js';
import { evaluate, metricOf } from '../../main/training/evaluation.js';
import { exportModelToOnnx, modelInputs, predictModel } from '../../main/models/model.js';
import { designFromFrame, fitPreprocessor, rawInputsFromFrame } from '../../main/models/preprocess.js';
import { seededRandom } from '../../main/stats/random.js';
import { maxAbsDifference } from '../../main/training/trainer.js';
import { fitLinear } from '../../workers/linear/fit-linear.js';
import { syntheticCsv, tempDir, writeFile } from '../helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

function binary(positive: number[]): PredictionMatrix {
  return {
    kind: 'classification',
    classes: ['0', '1'],
    probabilities: Float64Array.from(positive.flatMap((p) => [1 - p, p])),
  };
}

describe('ensemble selection', () => {
  it('blends two predictors with independent errors and beats each; ignores a useless one', () => {
    const random = seededRandom(5);
    const n = 4000;
    const labels = Uint8Array.from({ length: n }, () => (random() < 0.5 ? 1 : 0));
    const noisy = (): number[] =>
      Array.from(labels, (y) => 1 / (1 + Math.exp(-(2 * (y - 0.5) * 1.2 + 1.5 * (2 * random() - 1) * 1.7))));
    const a = binary(noisy());
    const b = binary(noisy());
    const useless = binary(Array.from({ length: n }, () => random()));
    const score = (p: PredictionMatrix): number =>
      p.kind === 'classification'
        ? rocAuc(
            labels,
            Float64Array.from({ length: n }, (_, i) => p.probabilities[2 * i + 1]!),
          )
        : 0;
    const selection = selectEnsemble([a, b, useless], score);
    assert.ok(selection.score > Math.max(score(a), score(b)) + 0.005, `${selection.score} vs ${score(a)}, ${score(b)}`);
    assert.ok(selection.weights[0]! > 0.25 && selection.weights[1]! > 0.25, JSON.stringify(selection.weights));
    assert.ok(selection.weights[2]! < 0.1, `useless weight ${selection.weights[2]}`);
    assert.ok(Math.abs(selection.weights.reduce((s, w) => s + w, 0) - 1) < 1e-12);
  });

  it('returns the best single candidate alone when no blend helps', () => {
    const labels = Uint8Array.from([0, 0, 1, 1]);
    const perfect = binary([0.1, 0.2, 0.8, 0.9]);
    const reversed = binary([0.9, 0.8, 0.2, 0.1]);
    const score = (p: PredictionMatrix): number =>
      p.kind === 'classification'
        ? rocAuc(
            labels,
            Float64Array.from({ length: 4 }, (_, i) => p.probabilities[2 * i + 1]!),
          )
        : 0;
    assert.deepEqual(selectEnsemble([reversed, perfect], score).weights, [0, 1]);
  });

  it('scores a blend on weights chosen without the rows it is scored on (hand-built folds)', () => {
    // Fold 0 = rows 0, 1; fold 1 = rows 2, 3; labels 0, 1, 0, 1. A is right on fold 0 and wrong on fold 1, B the
    // reverse. Chosen on every row, the 50/50 blend scores ln 2; chosen on one fold, each fold's rows get the
    // other fold's winner, wrong on every row: the honest blend predicts 0.9, 0.1, 0.9, 0.1.
    const labels = [0, 1, 0, 1];
    const a = binary([0.1, 0.9, 0.9, 0.1]);
    const b = binary([0.9, 0.1, 0.1, 0.9]);
    const folds = [Int32Array.from([0, 1]), Int32Array.from([2, 3])];
    const foldScore = (p: PredictionMatrix, k: number): number =>
      p.kind === 'classification'
        ? -logLoss(
            Int32Array.from(folds[k]!, (r) => labels[r]!),
            p.probabilities,
            2,
          )
        : 0;
    const whole = (p: PredictionMatrix): number =>
      (foldScore(takePrediction(p, folds[0]!), 0) + foldScore(takePrediction(p, folds[1]!), 1)) / 2;
    assert.ok(Math.abs(selectEnsemble([a, b], whole).score + Math.log(2)) < 1e-12);
    const honest = crossFittedBlend([a, b], folds, foldScore);
    assert.equal(honest.kind, 'classification');
    if (honest.kind === 'classification')
      assert.deepEqual(Array.from(honest.probabilities.filter((_, i) => i % 2 === 1)), [0.9, 0.1, 0.9, 0.1]);
    assert.ok(Math.abs(whole(honest) + Math.log(10)) < 1e-12, `${whole(honest)}`);
    // One fold (forward chaining on a short series): nothing to cross-fit on, the blend chosen on its rows, A alone.
    const single = crossFittedBlend([a, b], [folds[0]!], foldScore);
    if (single.kind === 'classification')
      assert.deepEqual(Array.from(single.probabilities.filter((_, i) => i % 2 === 1)), [0.1, 0.9, 0.9, 0.1]);
  });

  it('log loss alone equals the log loss of the full binary and multiclass metrics', () => {
    const random = seededRandom(9);
    const n = 500;
    const binaryLabels = Int32Array.from({ length: n }, () => (random() < 0.3 ? 1 : 0));
    const p = binary(Array.from({ length: n }, (_, i) => (i % 50 === 0 ? binaryLabels[i]! : random())));
    if (p.kind === 'classification')
      assert.equal(
        logLoss(binaryLabels, p.probabilities, 2),
        binaryMetrics(
          Uint8Array.from(binaryLabels),
          Float64Array.from({ length: n }, (_, i) => p.probabilities[2 * i + 1]!),
        ).log_loss,
      );
    const k = 3;
    const labels = Int32Array.from({ length: n }, () => Math.floor(random() * k));
    const unnormalised = Float64Array.from({ length: n * k }, () => random() * 2);
    assert.equal(logLoss(labels, unnormalised, k), multiclassMetrics(labels, unnormalised, k).log_loss);
    // metricOf takes the short paths and gives evaluate's numbers.
    for (const metric of ['log_loss', 'roc_auc', 'accuracy'])
      assert.equal(
        metricOf('binary', p, binaryLabels, ['0', '1'], metric),
        evaluate('binary', p, binaryLabels, ['0', '1'], 0.5, false).metrics[metric],
      );
    const values = Float64Array.from({ length: n }, () => random() * 10);
    const regression: PredictionMatrix = { kind: 'regression', values: values.map((v) => v + random()) };
    for (const metric of ['rmse', 'mae', 'r2'])
      assert.equal(
        metricOf('regression', regression, values, null, metric),
        evaluate('regression', regression, values, null, 0.5, false).metrics[metric],
      );
  });

  it('out-of-fold predictions land at their pool rows, and can be taken back out', () => {
    let oof: PredictionMatrix | null = null;
    oof = scatterPrediction(oof, binary([0.2, 0.4]), Int32Array.from([3, 0]), 4);
    oof = scatterPrediction(oof, binary([0.6, 0.8]), Int32Array.from([1, 2]), 4);
    assert.equal(oof.kind, 'classification');
    if (oof.kind === 'classification')
      assert.deepEqual(Array.from(oof.probabilities.filter((_, i) => i % 2 === 1)), [0.4, 0.6, 0.8, 0.2]);
    const taken = takePrediction(oof, Int32Array.from([2, 3]));
    if (taken.kind === 'classification') assert.deepEqual(Array.from(taken.probabilities), [0.19999999999999996, 0.8, 0.8, 0.2]);
  });
});

describe('threshold tuning across folds', () => {
  it('a threshold tuned on the other folds raises F1 on a skewed set where 0.5 predicts almost no positives', () => {
    const random = seededRandom(11);
    const n = 3000;
    const labels = Int32Array.from({ length: n }, () => (random() < 0.08 ? 1 : 0));
    // Calibrated-looking but low scores for positives: at 0.5 few rows are labelled positive.
    const scores = Array.from(labels, (y) => Math.min(0.99, (y === 1 ? 0.3 : 0.05) + 0.25 * random()));
    const oof = binary(scores);
    const foldIndices = [0, 1, 2].map((k) => Int32Array.from({ length: n / 3 }, (_, i) => k * (n / 3) + i));
    const foldTargets = foldIndices.map((rows) => Int32Array.from(rows, (r) => labels[r]!));
    const result = crossFittedThresholdScores(oof, foldIndices, foldTargets, { kind: 'f1', metric: 'f1' });
    assert.ok(result.tuned.cvMetric > result.fixed.cvMetric + 0.3, JSON.stringify(result));
    for (const t of result.thresholds) assert.ok(t > 0.25 && t < 0.35, `threshold ${t}`);
  });

  it('objective values by hand: F1 and cost per row', () => {
    const labels = Uint8Array.from([1, 1, 0, 0, 1]);
    const scores = Float64Array.from([0.9, 0.4, 0.6, 0.1, 0.7]);
    // At 0.5: tp 2, fp 1, fn 1 → F1 = 4/6; cost with FP 1, FN 5 → (1 + 5)/5.
    assert.equal(objectiveValue(labels, scores, 0.5, { kind: 'f1', metric: 'f1' }), 4 / 6);
    assert.equal(
      objectiveValue(labels, scores, 0.5, { kind: 'cost', metric: 'cost_per_row', falsePositive: 1, falseNegative: 5 }),
      6 / 5,
    );
  });
});

describe('ensemble ONNX export', () => {
  it('one graph over the union of the members’ inputs reproduces the weighted blend (missing values included)', async () => {
    const { frame } = await readCsv(writeFile(tmp.dir, 'binary.csv', syntheticCsv('binary', 1500)));
    const rows = Int32Array.from({ length: 1000 }, (_, i) => i);
    const column = frame.columns.find((c) => c.name === 'label')!;
    const classes = column.kind === 'string' ? [...column.dictionary].sort() : [];
    const targets = Int32Array.from(rows, (r) =>
      column.kind === 'string' ? classes.indexOf(column.dictionary[column.codes[r]!]!) : 0,
    );
    // Two linear members on different feature subsets, so the ensemble must gather columns for each.
    const member = (excluded: string[], l2: number): LinearModel => {
      const prep = fitPreprocessor(frame, rows, 'label', excluded);
      const design = designFromFrame(prep, frame, rows);
      const fit = fitLinear(design, targets, { task: 'binary', classes: 2, l2, maxIterations: 200 });
      return {
        format: 'hearth.linear/1',
        task: 'binary',
        target: 'label',
        classes,
        preprocessor: prep,
        outputs: fit.outputs,
        dimension: design.dimension,
        weights: Array.from(fit.weights),
        intercepts: Array.from(fit.intercepts),
      };
    };
    const ensemble: EnsembleModel = {
      format: 'hearth.ensemble/1',
      task: 'binary',
      target: 'label',
      classes,
      members: [member(['x2', 'flag'], 1e-3), member(['x1'], 1e-2)],
      weights: [0.7, 0.3],
    };
    const inputs = rawInputsFromFrame({ features: modelInputs(ensemble) }, frame);
    const loaded = await createSession(exportModelToOnnx(ensemble, 'test'));
    const onnx = await new Predictor('e', 1, ensemble, loaded).run(inputs);
    await loaded.session.release();
    const ts = predictModel(ensemble, inputs);
    assert.ok(maxAbsDifference(onnx, ts) < 1e-9, `max difference ${maxAbsDifference(onnx, ts)}`);
    // The blend is the weighted mean of the members' own predictions.
    const first = predictModel(ensemble.members[0]!, rawInputsFromFrame({ features: modelInputs(ensemble.members[0]!) }, frame));
    const second = predictModel(ensemble.members[1]!, rawInputsFromFrame({ features: modelInputs(ensemble.members[1]!) }, frame));
    if (ts.kind === 'classification' && first.kind === 'classification' && second.kind === 'classification') {
      for (const i of [0, 17, 999]) {
        assert.ok(
          Math.abs(
            ts.probabilities[2 * i + 1]! - (0.7 * first.probabilities[2 * i + 1]! + 0.3 * second.probabilities[2 * i + 1]!),
          ) < 1e-12,
        );
      }
    } else assert.fail('expected class probabilities');
  });
});

describe('linear SHAP summary', () => {
  it('is w·(x − E[x]) per feature, a one-hot block summed over its levels (hand-computed)', async () => {
    const { linearShapSummary } = await import('../../main/models/linear-model.js');
    const model: LinearModel = {
      format: 'hearth.linear/1',
      task: 'binary',
      target: 'y',
      classes: ['0', '1'],
      preprocessor: {
        features: [
          { kind: 'numeric', name: 'x', sourceType: 'number', median: 0, mean: 0, std: 1 },
          { kind: 'categorical', name: 'c', categories: ['a', 'b'], mode: 'a' },
        ],
        ignored: [],
      },
      outputs: 1,
      dimension: 3,
      weights: [2, 1, -1],
      intercepts: [0],
    };
    const raw = { rows: 4, numeric: [Float64Array.from([1, -1, 3, -3])], categorical: [['a', 'a', 'b', 'b']] };
    // x: mean 0, |2·x| averages 2·(1 + 1 + 3 + 3)/4 = 4; c: E = ½·1 + ½·(−1) = 0, |±1| averages 1.
    assert.deepEqual(linearShapSummary(model, raw), [
      { feature: 'x', meanAbs: 4 },
      { feature: 'c', meanAbs: 1 },
    ]);
  });
});
