import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { readCsv } from '../../main/data/csv.js';
import { gather, selectRows, type Frame } from '../../main/table/frame.js';
import { modelInputs, predictModel } from '../../main/models/model.js';
import type { Task } from '../../main/models/preprocess.js';
import { rawInputsFromFrame } from '../../main/models/preprocess.js';
import { multiclassMetrics, rocAuc } from '../../main/stats/metrics.js';
import {
  ascendingGroups,
  descendingSweep,
  sortedByLabel,
  withSharedScoreOrders,
  type Sweep,
} from '../../main/stats/score-order.js';
import { gbdtLearner } from '../../main/training/learners/trees.js';
import type { FitReply, LearnerHost } from '../../main/training/learners/learner.js';
import { predictAt, predictChunkRows, predictTrainingRows, rawInputsAt } from '../../main/training/predict-rows.js';
import { fitBoosting } from '../../workers/gbdt/boost.js';
import type { WorkerRequest } from '../../workers/protocol.js';
import { syntheticCsv, tempDir, writeFile } from '../helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

async function frameOf(csv: string, name: string): Promise<Frame> {
  return (await readCsv(writeFile(tmp.dir, name, csv))).frame;
}

/** Runs the boosting request in this thread, as the training worker would. */
const inProcess: LearnerHost = {
  runWorker: (request: WorkerRequest) => {
    if (request.type !== 'fit-gbdt') throw new Error(`unexpected ${request.type}`);
    return Promise.resolve({
      seq: request.seq,
      type: 'trees',
      result: fitBoosting(request, request.params),
      cpuMs: 0,
    } as FitReply);
  },
  nextSeq: () => 1,
  cancel: new SharedArrayBuffer(4),
  preferredBackend: () => null,
  pinnedKernel: () => null,
  unusableKernels: () => [],
};

/** earlyStoppingRounds undefined: the default the learner decides for a run on these rows, validation rows given. */
async function boosted(task: Task, rows: number, earlyStoppingRounds: number | undefined = 0, learningRate = 0.1) {
  const target = { binary: 'label', multiclass: 'kind', regression: 'amount' }[task];
  const frame = await frameOf(syntheticCsv(task, rows, 5), `${task}-${rows}.csv`);
  const column = frame.columns.find((c) => c.name === target)!;
  const classes = column.kind === 'string' ? [...column.dictionary] : null;
  const classOf = column.kind === 'string' ? Int32Array.from(column.codes) : null;
  const values = column.kind === 'numeric' ? column.values : null;
  // Every other row trains (in a shuffled-looking order); the rest are validation rows for early stopping.
  const train = Int32Array.from({ length: rows >> 1 }, (_, i) => (i * 7919) % rows).filter((r) => r % 2 === 0);
  const validation = Int32Array.from({ length: rows >> 1 }, (_, i) => 2 * i + 1);
  const fit = await gbdtLearner.fit(
    {
      task,
      classes,
      frame,
      rows: train,
      validationRows: earlyStoppingRounds !== 0 ? validation : new Int32Array(0),
      targetsOf: (r) => (classOf !== null ? gather(classOf, r) : gather(values!, r)),
      args: gbdtLearner.decideDefaults(
        {
          dataset: 'd',
          target,
          algorithm: 'gbdt',
          trees: 40,
          learningRate,
          ...(earlyStoppingRounds === undefined ? {} : { earlyStoppingRounds }),
          threads: 1,
        },
        train.length + validation.length,
      ),
      seed: 3,
      classWeights: null,
      deadline: null,
      label: null,
      validationFraction: 0,
      testFraction: 0,
    },
    inProcess,
  );
  return { frame, train, fit };
}

describe('a lean train job: predictions made once, in chunks, or taken from the fit', () => {
  it('predicts many rows a chunk at a time, exactly as one call on all of them, copying only the model columns', async () => {
    const { frame, fit } = await boosted('multiclass', 1200);
    // More rows than a chunk: the frame's rows, many times over.
    const rows = Int32Array.from({ length: predictChunkRows * 2 + 17 }, (_, i) => (i * 31) % frame.rowCount);
    const inputs = { features: modelInputs(fit.model) };
    const whole = predictModel(fit.model, rawInputsFromFrame(inputs, selectRows(frame, rows)));
    assert.deepEqual(predictAt(fit.model, inputs, frame, rows), whole);
    const raw = rawInputsAt(inputs, frame, rows.subarray(0, 10));
    assert.equal(raw.numeric.length + raw.categorical.length, inputs.features.length);
    assert.deepEqual(
      raw.numeric[0],
      gather((frame.columns.find((c) => c.name === 'x1') as { values: Float64Array }).values, rows.subarray(0, 10)),
    );
  });

  for (const task of ['binary', 'multiclass', 'regression'] as const) {
    it(`${task}: the boosting fit's own scores of its training rows are the model's prediction of them, bit for bit`, async () => {
      const { frame, train, fit } = await boosted(task, 3000);
      assert.ok(fit.trainScores !== undefined);
      const inputs = { features: modelInputs(fit.model) };
      const reused = predictTrainingRows(fit.model, inputs, frame, train, fit.trainScores);
      assert.equal(reused.reused, true);
      assert.deepEqual(reused.prediction, predictAt(fit.model, inputs, frame, train));
    });
  }

  it('predicts every row when the scores disagree, and has none when early stopping dropped trees', async () => {
    const { frame, train, fit } = await boosted('binary', 3000);
    const inputs = { features: modelInputs(fit.model) };
    const wrong = Float64Array.from(fit.trainScores!);
    wrong[5]! += 1e-12;
    const checked = predictTrainingRows(fit.model, inputs, frame, train, wrong);
    assert.equal(checked.reused, false);
    assert.deepEqual(checked.prediction, predictAt(fit.model, inputs, frame, train));
    // Early stopping on noisy-enough data stops before 40 rounds: the fit's margins include dropped rounds.
    const stopped = await boosted('binary', 3000, 2, 1);
    assert.ok((stopped.fit.fitReport.bestRound as number) < (stopped.fit.fitReport.rounds as number));
    assert.equal(stopped.fit.trainScores, undefined);
  });

  it('in a search, does not stop early by default on a small table, where a tenth of the rows is too few to stop on', async () => {
    // The same noisy fit that stops early when asked (above) runs all its rounds by default: the run's 2,250 rows
    // (750 training, 1,500 validation) are under the 10,000 above which boosting stops early unless told otherwise
    // (scikit-learn's rule).
    const byDefault = await boosted('binary', 3000, undefined, 1);
    assert.equal(byDefault.fit.params.earlyStoppingRounds, 0);
    assert.equal(byDefault.fit.fitReport.rounds, 40);
    assert.equal(byDefault.fit.fitReport.bestRound, 40);
  });
});

describe('scores in order without a comparator sort', () => {
  // The sweep's columns are typed arrays; compared as plain ones.
  const plainSweep = (sweep: Sweep): { tps: number[]; fps: number[]; thresholds: number[] } => ({
    tps: Array.from(sweep.tps),
    fps: Array.from(sweep.fps),
    thresholds: Array.from(sweep.thresholds),
  });
  // Scores 0.9 (one positive, one negative), 0.4 (two positives), 0.1 (one negative).
  const labels = Uint8Array.from([1, 0, 1, 0, 1]);
  const scores = Float64Array.from([0.9, 0.9, 0.4, 0.1, 0.4]);

  it('sweeps the distinct scores from the top with cumulative counts, and groups them from the bottom', () => {
    const sorted = sortedByLabel(labels, scores)!;
    assert.deepEqual(plainSweep(descendingSweep(sorted)), { tps: [1, 3, 3], fps: [1, 1, 2], thresholds: [0.9, 0.4, 0.1] });
    const groups: number[][] = [];
    ascendingGroups(sorted, (a, b) => groups.push([a, b]));
    assert.deepEqual(groups, [
      [0, 1],
      [2, 0],
      [1, 1],
    ]);
    assert.equal(sortedByLabel(labels, Float64Array.from([0.1, Number.NaN, 0, 0, 0])), null);
    // Scores already ascending are kept as they are, but +0 before −0 is not ascending: sorted, −0 first.
    const zeros = sortedByLabel(Uint8Array.from([0, 0, 0]), Float64Array.from([-1, 0, -0]))!;
    assert.ok(Object.is(zeros.neg[1], -0) && Object.is(zeros.neg[2], 0), 'the negatives ascend as -1, −0, +0');
    // Many scores (the radix sort's size): the order TypedArray sort gives, zeros' signs, ties and extremes included.
    const many = Float64Array.from({ length: 20_000 }, (_, i) =>
      i % 7 === 0 ? 0 : i % 11 === 0 ? -0 : i % 13 === 0 ? -Number.MAX_VALUE : Math.sin(i * 12.9898) * 1e3 * (i % 5),
    );
    const manyLabels = Uint8Array.from(many, (_, i) => (i % 3 === 0 ? 1 : 0));
    const byRadix = sortedByLabel(manyLabels, many)!;
    for (const [side, label] of [
      [byRadix.pos, 1],
      [byRadix.neg, 0],
    ] as const) {
      const native = many.filter((_, i) => manyLabels[i] === label).sort();
      assert.equal(side.length, native.length);
      assert.ok(
        native.every((v, i) => Object.is(v, side[i])),
        `label ${label}: the radix order differs from TypedArray sort`,
      );
    }
  });

  it('sorts the same scores once for all the metrics inside a shared scope, and again when they changed in place', () => {
    const ours = Float64Array.from(scores);
    const labelsHere = Uint8Array.from(labels);
    // Outside a scope nothing is kept.
    assert.notEqual(sortedByLabel(labelsHere, ours), sortedByLabel(labelsHere, ours));
    withSharedScoreOrders(() => {
      const first = sortedByLabel(labelsHere, ours)!;
      assert.equal(sortedByLabel(labelsHere, ours), first);
      assert.equal(sortedByLabel(Uint8Array.from(labelsHere), Float64Array.from(ours)), first, 'equal contents share');
      assert.equal(descendingSweep(first), descendingSweep(first));
      // A score changed in place: sorted afresh, and the metrics read the new order.
      ours[3] = 0.95;
      const changed = sortedByLabel(labelsHere, ours)!;
      assert.notEqual(changed, first);
      assert.deepEqual([...changed.neg], [0.9, 0.95]);
      assert.deepEqual(plainSweep(descendingSweep(changed)), { tps: [0, 1, 3], fps: [1, 2, 2], thresholds: [0.95, 0.9, 0.4] });
      // A label changed in place: the same.
      labelsHere[1] = 1;
      assert.deepEqual([...sortedByLabel(labelsHere, ours)!.pos], [0.4, 0.4, 0.9, 0.9]);
      // Changes a sum would miss: an infinite score, then a change too small to move a sum of large scores.
      ours[0] = Number.POSITIVE_INFINITY;
      const withInfinity = rocAuc(labelsHere, ours);
      ours[2] = 0.97;
      assert.equal(rocAuc(labelsHere, ours), rocAuc(Uint8Array.from(labelsHere), Float64Array.from(ours)));
      assert.notEqual(rocAuc(labelsHere, ours), withInfinity);
      const big = Float64Array.from({ length: 1000 }, () => 1000);
      const halves = Uint8Array.from({ length: 1000 }, (_, i) => i % 2);
      assert.equal(rocAuc(halves, big), 0.5);
      big[1] = 1000 + 1e-10;
      assert.equal(rocAuc(halves, big), rocAuc(Uint8Array.from(halves), Float64Array.from(big)));
      assert.ok(rocAuc(halves, big) > 0.5);
    });
  });

  it('gives each class its own order when one-vs-rest reuses its buffers (a review found a macro ROC AUC of 0.833 for 0.5)', () => {
    // Classes 0 and 1 have one-vs-rest scores and labels that a weighted sum could not tell apart.
    const classes = Int32Array.from([0, 1, 2]);
    const probabilities = Float64Array.from([0.75, 0.25, 0, 0.25, 0, 0.75, 0.25, 0.25, 0.5]);
    const alone = multiclassMetrics(classes, probabilities, 3);
    const shared = withSharedScoreOrders(() => multiclassMetrics(classes, probabilities, 3));
    assert.equal(shared.roc_auc, alone.roc_auc);
    assert.equal(alone.roc_auc, 0.5);
  });

  it('gives the hand-computed ROC AUC with ties counted half', () => {
    // Positive–negative pairs: (0.9, 0.9) ½, (0.9, 0.1) 1, twice (0.4, 0.9) 0 and (0.4, 0.1) 1: 3.5 of 6.
    assert.equal(rocAuc(labels, scores), 3.5 / 6);
  });
});
