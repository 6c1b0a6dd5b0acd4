import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { readCsv } from '../../main/data/csv.js';
import type { Frame } from '../../main/table/frame.js';
import { exportModelToOnnx } from '../../main/models/model.js';
import { createSession } from '../../main/accel/onnx-runtime.js';
import { loadOrt } from '../../main/accel/ort-load.js';
import { nativeBinFill } from '../../main/accel/gbdt-addon.js';
import { openDirect } from '../../main/accel/ort-direct.js';
import { Predictor } from '../../main/models/predictor.js';
import { binCount, binFrameRows, fitBins, missingBin, numericBin } from '../../main/models/binning.js';
import { seededRandom } from '../../main/stats/random.js';
import { radixSortFloat64 } from '../../main/stats/stats.js';
import { rawInputsFromFrame, type Task } from '../../main/models/preprocess.js';
import { maxAbsDifference } from '../../main/training/trainer.js';
import {
  predictTrees,
  treeFeaturesFromBins,
  treeFromGrown,
  treeInputMatrix,
  leafOf,
  type TreeModel,
  type TreeNodes,
} from '../../main/models/tree-model.js';
import { conditionalExpectation, explainTrees, treeShap } from '../../main/models/treeshap.js';
import { fitBoosting, type BoostParams } from '../../workers/gbdt/boost.js';
import { fitForest } from '../../workers/gbdt/forest.js';
import { prestartHelpers, spareHelperCount } from '../../workers/gbdt/histogram.js';
import { leafOfBinnedRow, orderedEnds, plainCategoricalSplits, type GrownTree } from '../../workers/gbdt/tree.js';
import { treesToFloat32 } from '../../main/models/compress/trees.js';
import { rocAuc } from '../../main/stats/metrics.js';
import { syntheticCsv, tempDir, writeFile } from '../helpers.js';

const tmp = tempDir();
after(tmp.cleanup);
let files = 0;

const defaults: BoostParams = {
  trees: 1,
  learningRate: 1,
  maxLeaves: 2,
  maxDepth: 0,
  minChildSamples: 1,
  minChildWeight: 1e-6,
  minSplitGain: 0,
  l1: 0,
  l2: 0,
  ...plainCategoricalSplits,
  rowSubsample: 1,
  colSubsample: 1,
  earlyStoppingRounds: 0,
  seed: 1,
  threads: 1,
  classWeights: null,
  huberDelta: null,
};

async function frameOf(csv: string): Promise<Frame> {
  return (await readCsv(writeFile(tmp.dir, `g${files++}.csv`, csv))).frame;
}

/** Fits on every row of the frame and returns the model as it would be stored. */
function fit(frame: Frame, target: string, task: Task, params: Partial<BoostParams> = {}, validation?: Frame): TreeModel {
  const all = Int32Array.from({ length: frame.rowCount }, (_, i) => i);
  const { features } = fitBins(frame, all, target);
  const column = frame.columns.find((c) => c.name === target)!;
  const classes = column.kind === 'string' ? [...column.dictionary].sort() : null;
  const targetsOf = (f: Frame): Int32Array | Float64Array => {
    const c = f.columns.find((x) => x.name === target)!;
    return c.kind === 'string'
      ? Int32Array.from({ length: f.rowCount }, (_, r) => classes!.indexOf(c.dictionary[c.codes[r]!]!))
      : Float64Array.from(c.values);
  };
  const result = fitBoosting(
    {
      task,
      classes: classes?.length ?? 0,
      bins: binFrameRows(features, frame, all, true),
      F: features.length,
      binCounts: features.map(binCount),
      categorical: features.map((f) => f.kind === 'categorical'),
      targets: targetsOf(frame),
      validation:
        validation === undefined
          ? null
          : {
              bins: binFrameRows(
                features,
                validation,
                Int32Array.from({ length: validation.rowCount }, (_, i) => i),
              ),
              targets: targetsOf(validation),
            },
    },
    { ...defaults, ...params },
  );
  return {
    format: 'hearth.trees/1',
    algorithm: 'gbdt',
    task,
    target,
    classes,
    features: treeFeaturesFromBins(features),
    trees: result.trees.map((t) => treeFromGrown(t, features)),
    treeOutputs: result.treeOutputs,
    baseScore: result.baseScore,
    outputs: task === 'multiclass' ? classes!.length : 1,
    aggregation: 'sum',
  };
}

const values = (model: TreeModel, frame: Frame): Float64Array => {
  const p = predictTrees(model, rawInputsFromFrame(model, frame));
  assert.equal(p.kind, 'regression');
  return p.values;
};

describe('gradient-boosted trees', () => {
  it('finds the best split of a tiny table, worked by hand', async () => {
    // Base score is the mean, 5; the residuals are −5 on the left and +5 on the right of x ≤ 3.5, so one tree with
    // learning rate 1 and no penalty predicts the two group means exactly.
    const frame = await frameOf('x,y\n1,0\n2,0\n3,0\n4,10\n5,10\n6,10\n');
    const model = fit(frame, 'y', 'regression');
    assert.equal(model.trees[0]!.feature[0], 0);
    assert.equal(model.trees[0]!.threshold[0], 3.5);
    assert.deepEqual([...values(model, frame)], [0, 0, 0, 10, 10, 10]);
  });

  it('routes missing values by a learned default direction', async () => {
    const frame = await frameOf('x,y\n1,0\n2,0\n3,0\n,10\n,10\n6,10\n');
    const model = fit(frame, 'y', 'regression');
    const tree = model.trees[0]!;
    assert.equal(tree.threshold[0], 4.5); // midpoint of 3 and 6
    assert.equal(tree.defaultLeft[0], false); // missing rows look like the right side
    assert.deepEqual([...values(model, frame)], [0, 0, 0, 10, 10, 10]);
    const unseen = await frameOf('x,y\n,0\n');
    assert.deepEqual([...values(model, unseen)], [10]);
  });

  it('splits categories as sets, which one threshold over their codes could not', async () => {
    const rows = ['a', 'b', 'c', 'd'].flatMap((level) =>
      Array.from({ length: 5 }, () => `${level},${level === 'b' || level === 'd' ? 10 : 0}`),
    );
    const frame = await frameOf(`colour,y\n${rows.join('\n')}\n`);
    const model = fit(frame, 'y', 'regression');
    assert.equal(model.trees[0]!.threshold[0], null);
    const predicted = values(model, frame);
    rows.forEach((r, i) => assert.equal(predicted[i], Number(r.split(',')[1])));
  });

  it('stops early when the validation loss stops improving', async () => {
    const train = await frameOf(syntheticCsv('binary', 300, 1));
    const validation = await frameOf(syntheticCsv('binary', 300, 2));
    const model = fit(
      train,
      'label',
      'binary',
      { trees: 200, learningRate: 0.5, maxLeaves: 31, minChildSamples: 2, earlyStoppingRounds: 10 },
      validation,
    );
    assert.ok(model.trees.length < 60, `${model.trees.length} trees kept`);
    assert.ok(model.trees.length >= 1);
  });

  it('gives the same model for the same seed, with row and column subsampling', async () => {
    const frame = await frameOf(syntheticCsv('regression', 2000, 3));
    const params = {
      trees: 15,
      learningRate: 0.2,
      maxLeaves: 8,
      minChildSamples: 10,
      rowSubsample: 0.7,
      colSubsample: 0.6,
      seed: 9,
    };
    assert.deepEqual(
      JSON.stringify(fit(frame, 'amount', 'regression', params)),
      JSON.stringify(fit(frame, 'amount', 'regression', params)),
    );
    assert.notDeepEqual(
      JSON.stringify(fit(frame, 'amount', 'regression', params)),
      JSON.stringify(fit(frame, 'amount', 'regression', { ...params, seed: 10 })),
    );
  });

  it('builds the same trees with two threads as with one', async () => {
    const frame = await frameOf(syntheticCsv('binary', 40_000, 4));
    const params = { trees: 5, learningRate: 0.3, maxLeaves: 15, minChildSamples: 20 };
    const one = fit(frame, 'label', 'binary', { ...params, threads: 1 });
    const two = fit(frame, 'label', 'binary', { ...params, threads: 2 });
    assert.deepEqual(
      one.trees.map((t) => t.feature),
      two.trees.map((t) => t.feature),
    );
    const a = predictTrees(one, rawInputsFromFrame(one, frame));
    const b = predictTrees(two, rawInputsFromFrame(two, frame));
    assert.ok(maxAbsDifference(a, b) < 1e-9);
    // A helper started ahead of the fit (as a training worker starts them) is handed the fit's data: the same trees.
    prestartHelpers(1);
    assert.equal(spareHelperCount(), 1);
    const parked = fit(frame, 'label', 'binary', { ...params, threads: 2 });
    assert.equal(spareHelperCount(), 0);
    assert.deepEqual(parked.trees, two.trees);
  });

  it('gives multiclass probabilities that sum to one', async () => {
    const frame = await frameOf(syntheticCsv('multiclass', 1500, 5));
    const model = fit(frame, 'kind', 'multiclass', { trees: 10, learningRate: 0.3, maxLeaves: 8, minChildSamples: 5 });
    assert.equal(model.trees.length, 30);
    const p = predictTrees(model, rawInputsFromFrame(model, frame));
    assert.equal(p.kind, 'classification');
    for (let i = 0; i < frame.rowCount; i++) {
      const row = p.probabilities.subarray(i * 3, i * 3 + 3);
      assert.ok(Math.abs(row[0]! + row[1]! + row[2]! - 1) < 1e-12);
    }
  });

  for (const task of ['binary', 'multiclass', 'regression'] as const) {
    it(`${task}: ONNX Runtime's TreeEnsemble predicts what the TypeScript trees predict on 10,000 rows (within 1e-5)`, async () => {
      const target = { binary: 'label', multiclass: 'kind', regression: 'amount' }[task];
      const train = await frameOf(syntheticCsv(task, 3000, 11));
      const held = await frameOf(syntheticCsv(task, 10_000, 12));
      const model = fit(train, target, task, { trees: 30, learningRate: 0.2, maxLeaves: 15, minChildSamples: 10, l2: 1 });
      const raw = rawInputsFromFrame(model, held);
      const loaded = await createSession(exportModelToOnnx(model, 'test'));
      const onnx = await new Predictor('m', 1, model, loaded).run(raw);
      const ts = predictTrees(model, raw);
      assert.equal(raw.rows, 10_000);
      assert.ok(maxAbsDifference(onnx, ts) < 1e-5, `max difference ${maxAbsDifference(onnx, ts)}`);
      await loaded.session.release();
    });
  }
});

describe('TreeSHAP', () => {
  it('adds up to the margin minus the expected value', async () => {
    const frame = await frameOf(syntheticCsv('binary', 2000, 21));
    const model = fit(frame, 'label', 'binary', { trees: 20, learningRate: 0.3, maxLeaves: 12, minChildSamples: 10, l2: 1 });
    const x = treeInputMatrix(model, rawInputsFromFrame(model, frame));
    const { expectedValue, phi } = explainTrees(model, x, 50, 0);
    const p = predictTrees(model, rawInputsFromFrame(model, frame));
    assert.equal(p.kind, 'classification');
    for (let i = 0; i < 50; i++) {
      const margin = Math.log(p.probabilities[2 * i + 1]! / p.probabilities[2 * i]!);
      const total = expectedValue + phi[i]!.reduce((s, v) => s + v, 0);
      assert.ok(Math.abs(total - margin) < 1e-9, `row ${i}: ${total} vs ${margin}`);
    }
  });

  it('explains many rows as it explains each alone: remembered leaves change no contribution', async () => {
    /** Whether some root-to-leaf path splits twice on one feature. */
    const repeats = (tree: TreeNodes): boolean => {
      const walk = (node: number, seen: Set<number>): boolean => {
        const f = tree.feature[node]!;
        if (f < 0) return false;
        if (seen.has(f)) return true;
        const next = new Set(seen).add(f);
        return walk(tree.left[node]!, next) || walk(tree.right[node]!, next);
      };
      return walk(0, new Set());
    };
    for (const [task, target] of [
      ['binary', 'label'],
      ['multiclass', 'kind'],
    ] as const) {
      // Missing cells, a four-level category and trees of up to 31 leaves: paths that repeat a feature and paths that
      // do not, and leaves reached by the same satisfied features from many rows.
      const frame = await frameOf(syntheticCsv(task, 3000, 23));
      const model = fit(frame, target, task, { trees: 12, learningRate: 0.3, maxLeaves: 31, minChildSamples: 5 });
      const small = fit(frame, target, task, { trees: 12, learningRate: 0.3, maxLeaves: 4, minChildSamples: 5 });
      const F = model.features.length;
      const rows = 300;
      const x = treeInputMatrix(model, rawInputsFromFrame(model, frame));
      // A stored model may carry codes no lookup table holds: such a tree is explained row by row.
      const hostile = JSON.parse(JSON.stringify(model)) as TreeModel;
      const split = hostile.trees[0]!.leftCodes.findIndex((codes) => codes !== null && codes.length > 0);
      assert.ok(split >= 0, 'a categorical split');
      hostile.trees[0]!.leftCodes[split]!.push(1e9, 2.5);
      const kinds = { exact: 0, repeated: 0 };
      for (const explained of [model, hostile, small])
        explained.trees.forEach((tree, t) => {
          const k = explained.treeOutputs[t]!;
          const { phi } = explainTrees({ ...explained, trees: [tree], treeOutputs: [k] }, x, rows, k);
          let largest = 0;
          let differing = 0;
          for (let i = 0; i < rows; i++) {
            const alone = new Float64Array(F);
            treeShap(tree, x, i * F, alone);
            for (let f = 0; f < F; f++) {
              largest = Math.max(largest, Math.abs(phi[i]![f]! - alone[f]!));
              if (!Object.is(phi[i]![f], alone[f])) differing++;
            }
          }
          // The same arithmetic in the same order, bit for bit, unless a path splits twice on one feature: that
          // feature's fractions are then combined as one element, where treeShap unwinds and extends it again (the
          // same value, rounded differently).
          if (repeats(tree)) {
            kinds.repeated++;
            assert.ok(largest < 1e-12, `${task} tree ${t}: rows differ by ${largest}`);
          } else {
            kinds.exact++;
            assert.equal(differing, 0, `${task} tree ${t}: ${differing} contributions differ, by up to ${largest}`);
          }
        });
      assert.ok(kinds.exact > 0 && kinds.repeated > 0, JSON.stringify(kinds));
    }
    // A stored tree whose two splits share a child (allowed: a child need only come after its parent), and one whose
    // split reads a feature past the row's: each explained row by row, as treeShap does.
    const shared: TreeNodes = {
      feature: [0, 1, 2, -1, -1, -1],
      threshold: [0, 0, 0, null, null, null],
      leftCodes: [null, null, null, null, null, null],
      defaultLeft: [true, true, false, false, false, false],
      left: [1, 3, 3, -1, -1, -1],
      right: [2, 4, 5, -1, -1, -1],
      value: [0, 0, 0, 1.5, -2, 0.25],
      count: [10, 7, 3, 4, 3, 1],
      gain: [1, 1, 1, 0, 0, 0],
    };
    const past: TreeNodes = {
      feature: [0, 1, 7, -1, -1, -1, -1],
      threshold: [0, 0, 0, null, null, null, null],
      leftCodes: [null, null, null, null, null, null, null],
      defaultLeft: [true, true, false, false, false, false, false],
      left: [1, 3, 5, -1, -1, -1, -1],
      right: [2, 4, 6, -1, -1, -1, -1],
      value: [0, 0, 0, 1.5, -2, 0.25, 3],
      count: [10, 7, 3, 4, 3, 1, 2],
      gain: [1, 1, 1, 0, 0, 0, 0],
    };
    const x = Float64Array.from({ length: 40 * 3 }, (_, i) => Math.sin(i * 1.7));
    for (const tree of [shared, past]) {
      const stored: TreeModel = {
        format: 'hearth.trees/1',
        algorithm: 'gbdt',
        task: 'regression',
        target: 'y',
        classes: null,
        features: ['a', 'b', 'c'].map((name) => ({ kind: 'numeric', name, sourceType: 'number' }) as const),
        trees: [tree],
        treeOutputs: [0],
        baseScore: [0],
        outputs: 1,
        aggregation: 'sum',
      };
      const { phi } = explainTrees(stored, x, 40, 0);
      for (let i = 0; i < 40; i++) {
        const alone = new Float64Array(3);
        treeShap(tree, x, i * 3, alone);
        assert.deepEqual(Array.from(phi[i]!), Array.from(alone), `row ${i}`);
      }
    }
  });

  it('equals brute-force Shapley values on small trees', async () => {
    const frame = await frameOf(syntheticCsv('regression', 400, 22));
    const model = fit(frame, 'amount', 'regression', { trees: 3, learningRate: 0.5, maxLeaves: 6, minChildSamples: 5 });
    const F = model.features.length;
    const x = treeInputMatrix(model, rawInputsFromFrame(model, frame));
    const factorial = (k: number): number => (k <= 1 ? 1 : k * factorial(k - 1));
    for (const row of [0, 7, 42]) {
      for (const tree of model.trees) {
        const fast = new Float64Array(F);
        treeShap(tree, x, row * F, fast);
        for (let f = 0; f < F; f++) {
          // φ_f = Σ over subsets S of the other features |S|!(F−|S|−1)!/F! · (v(S ∪ {f}) − v(S)).
          let exact = 0;
          const others = [...Array(F).keys()].filter((g) => g !== f);
          for (let mask = 0; mask < 1 << others.length; mask++) {
            const subset = new Set(others.filter((_, k) => (mask >> k) & 1));
            const weight = (factorial(subset.size) * factorial(F - subset.size - 1)) / factorial(F);
            const withF = new Set([...subset, f]);
            exact +=
              weight * (conditionalExpectation(tree, x, row * F, withF) - conditionalExpectation(tree, x, row * F, subset));
          }
          assert.ok(Math.abs(exact - fast[f]!) < 1e-9, `row ${row} feature ${f}: ${fast[f]} vs ${exact}`);
        }
      }
    }
  });
});

describe('random forest', () => {
  function forest(frame: Frame, target: string, task: Task, trees = 20) {
    const all = Int32Array.from({ length: frame.rowCount }, (_, i) => i);
    const { features } = fitBins(frame, all, target);
    const column = frame.columns.find((c) => c.name === target)!;
    const classes = column.kind === 'string' ? [...column.dictionary].sort() : null;
    const targets =
      column.kind === 'string'
        ? Int32Array.from(all, (r) => classes!.indexOf(column.dictionary[column.codes[r]!]!))
        : Float64Array.from(column.values);
    const result = fitForest(
      {
        task,
        classes: classes?.length ?? 0,
        bins: binFrameRows(features, frame, all, true),
        F: features.length,
        binCounts: features.map(binCount),
        categorical: features.map((f) => f.kind === 'categorical'),
        targets,
        validation: null,
      },
      { trees, maxLeaves: 64, maxDepth: 0, minChildSamples: 2, featuresPerSplit: 0, sampleFraction: 1, seed: 3, threads: 1 },
    );
    const model: TreeModel = {
      format: 'hearth.trees/1',
      algorithm: 'forest',
      task,
      target,
      classes,
      features: treeFeaturesFromBins(features),
      trees: result.trees.map((t) => treeFromGrown(t, features)),
      treeOutputs: result.treeOutputs,
      baseScore: new Array<number>(result.outputs).fill(0),
      outputs: result.outputs,
      aggregation: 'average',
    };
    return { model, oob: result.oob, targets };
  }

  it('averages bootstrap trees whose leaves are class shares, with an out-of-bag estimate', async () => {
    const frame = await frameOf(syntheticCsv('binary', 3000, 31));
    const { model, oob, targets } = forest(frame, 'label', 'binary');
    const p = predictTrees(model, rawInputsFromFrame(model, frame));
    assert.equal(p.kind, 'classification');
    for (let i = 0; i < frame.rowCount; i++) assert.ok(p.probabilities[2 * i + 1]! >= 0 && p.probabilities[2 * i + 1]! <= 1);
    // About e^-1 of the rows miss each bootstrap sample, so after 20 trees nearly every row has an OOB estimate,
    // and it is an honest (held-out) one: clearly better than chance, clearly worse than the in-sample fit.
    const withOob = [...Array(frame.rowCount).keys()].filter((i) => !Number.isNaN(oob[i]!));
    assert.ok(withOob.length > 0.99 * frame.rowCount);
    const oobAuc = rocAuc(
      Uint8Array.from(withOob, (i) => targets[i]!),
      Float64Array.from(withOob, (i) => oob[i]!),
    );
    const inSampleAuc = rocAuc(
      Uint8Array.from(targets),
      Float64Array.from({ length: frame.rowCount }, (_, i) => p.probabilities[2 * i + 1]!),
    );
    assert.ok(oobAuc > 0.7 && oobAuc < inSampleAuc, `oob ${oobAuc}, in-sample ${inSampleAuc}`);
  });

  for (const task of ['binary', 'multiclass', 'regression'] as const) {
    it(`${task}: ONNX Runtime predicts what the TypeScript forest predicts on 10,000 rows (within 1e-5)`, async () => {
      const target = { binary: 'label', multiclass: 'kind', regression: 'amount' }[task];
      const { model } = forest(await frameOf(syntheticCsv(task, 2000, 32)), target, task, 10);
      const raw = rawInputsFromFrame(model, await frameOf(syntheticCsv(task, 10_000, 33)));
      const loaded = await createSession(exportModelToOnnx(model, 'test'));
      const onnx = await new Predictor('m', 1, model, loaded).run(raw);
      assert.ok(maxAbsDifference(onnx, predictTrees(model, raw)) < 1e-5);
      await loaded.session.release();
    });
  }
});

describe('binning', () => {
  it('puts every value in the bin whose edge test the trees apply (value ≤ upper[b])', async () => {
    const random = seededRandom(8);
    const values = Array.from({ length: 50_000 }, (_, i) =>
      i % 97 === 0 ? '' : (Math.exp(random() * 8) * (random() < 0.5 ? -1 : 1)).toPrecision(5),
    );
    const frame = await frameOf(`x\n${values.join('\n')}\n`);
    const all = Int32Array.from({ length: frame.rowCount }, (_, i) => i);
    const { features } = fitBins(frame, all, 'none');
    const bins = binFrameRows(features, frame, all);
    const upper = (features[0] as { upper: number[] }).upper;
    assert.ok(upper.length === 254);
    const column = frame.columns[0]!;
    assert.equal(column.kind, 'numeric');
    // Also the edges themselves and values just beside them.
    for (let i = 0; i < frame.rowCount; i++) {
      const v: number = column.kind === 'numeric' ? column.values[i]! : Number.NaN;
      assert.equal(bins[i], Number.isNaN(v) ? 255 : numericBin(upper, v));
    }
    const probe = upper.flatMap((e) => [e, e * (1 + 1e-15), e * (1 - 1e-15)]);
    const probeFrame = await frameOf(`x\n${probe.map((v) => v.toPrecision(17)).join('\n')}\n`);
    const probeBins = binFrameRows(
      features,
      probeFrame,
      Int32Array.from({ length: probeFrame.rowCount }, (_, i) => i),
    );
    const probeColumn = probeFrame.columns[0]!;
    for (let i = 0; i < probeFrame.rowCount; i++) {
      const v: number = probeColumn.kind === 'numeric' ? probeColumn.values[i]! : Number.NaN;
      assert.equal(probeBins[i], numericBin(upper, v));
      assert.ok(probeBins[i] === upper.length || v <= upper[probeBins[i]!]!);
    }
  });

  it('bins rows in any order, and rows given twice, each as it bins them in ascending order', async () => {
    // 90,000 rows, 80,000 of them binned: a numeric column with missing values, a string categorical with a missing
    // level and rare levels pooled, and a numeric column as categories.
    const random = seededRandom(9);
    const lines = ['x,c,k'];
    for (let i = 0; i < 90_000; i++) {
      const x = i % 53 === 0 ? '' : (random() * 1000 - 500).toFixed(3);
      const c = i % 41 === 0 ? '' : `L${Math.floor(random() * 300)}`;
      lines.push(`${x},${c},${i % 7}`);
    }
    const frame = await frameOf(`${lines.join('\n')}\n`);
    const all = Int32Array.from({ length: frame.rowCount }, (_, i) => i);
    const { features } = fitBins(frame, all, 'none', 1, [], { minCategoryRows: 10 });
    assert.deepEqual(
      features.map((f) => f.kind),
      ['numeric', 'categorical', 'numeric'],
    );
    const withK = [...features, { kind: 'categorical' as const, name: 'k', categories: ['3', '1', '6'] }];
    // A seeded shuffle of 80,000 of the rows.
    const order = Int32Array.from(all);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const rows = order.subarray(0, 80_000);
    const shuffled = binFrameRows(withK, frame, rows, true);
    const sorted = Int32Array.from(rows).sort();
    const inOrder = binFrameRows(withK, frame, sorted);
    const F = withK.length;
    const place = new Map(Array.from(sorted, (row, i) => [row, i]));
    for (let i = 0; i < rows.length; i++) {
      const from = place.get(rows[i]!)! * F;
      assert.deepEqual([...shuffled.subarray(i * F, i * F + F)], [...inOrder.subarray(from, from + F)], `row ${rows[i]}`);
    }
    assert.ok(shuffled.includes(missingBin), 'missing values took part');
    // Rows drawn with replacement (each of 40,000 rows twice, shuffled): every copy binned, none left at zero.
    const twice = Int32Array.from({ length: 80_000 }, (_, i) => order[i % 40_000]!);
    for (let i = twice.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [twice[i], twice[j]] = [twice[j]!, twice[i]!];
    }
    const repeated = binFrameRows(withK, frame, twice);
    const sortedTwice = Int32Array.from(twice).sort();
    const twiceInOrder = binFrameRows(withK, frame, sortedTwice);
    const firstPlace = new Map<number, number>();
    sortedTwice.forEach((row, i) => firstPlace.has(row) || firstPlace.set(row, i));
    for (let i = 0; i < twice.length; i++) {
      const from = firstPlace.get(twice[i]!)! * F;
      assert.deepEqual([...repeated.subarray(i * F, i * F + F)], [...twiceInOrder.subarray(from, from + F)], `repeat ${i}`);
    }
  });

  it('places equal-frequency edges between distinct values: 510 values, one row each, give 254 edges two rows apart', async () => {
    const frame = await frameOf(`x\n${Array.from({ length: 510 }, (_, i) => 509 - i).join('\n')}\n`);
    const { features } = fitBins(
      frame,
      Int32Array.from({ length: 510 }, (_, i) => i),
      'none',
    );
    assert.deepEqual(
      (features[0] as { upper: number[] }).upper,
      Array.from({ length: 254 }, (_, k) => 2 * k + 1.5),
    );
  });

  it('finds a column’s edges from its distinct values when it has at most 255: −0 as 0, infinities, values apart only in their exponents', async () => {
    const cell = ['3', '-0', '0', '1.5', '-1e999', '1e999', '3', '1e308', '-2', ''];
    const frame = await frameOf(`x\n${Array.from({ length: 3000 }, (_, i) => cell[i % cell.length]).join('\n')}\n`);
    const all = Int32Array.from({ length: frame.rowCount }, (_, i) => i);
    assert.deepEqual((fitBins(frame, all, 'none').features[0] as { upper: number[] }).upper, [
      -Number.MAX_VALUE,
      -1,
      0.75,
      2.25,
      5e307,
      1e308,
    ]);
    // 255 powers of two (their low words all zero) are 255 values: an edge between each pair; a 256th makes the
    // edges equal-frequency ones (fewer, since every value is one row in 256).
    const powers = (count: number): string =>
      `x\n${Array.from({ length: count }, (_, k) => String(2 ** (k - 100))).join('\n')}\n`;
    const rows = (count: number): Int32Array => Int32Array.from({ length: count }, (_, i) => i);
    const few = (fitBins(await frameOf(powers(255)), rows(255), 'none').features[0] as { upper: number[] }).upper;
    assert.deepEqual(
      few,
      Array.from({ length: 254 }, (_, k) => 2 ** (k - 100) + 2 ** (k - 101)),
    );
    const many = (fitBins(await frameOf(powers(256)), rows(256), 'none').features[0] as { upper: number[] }).upper;
    assert.equal(many.length, 254);
    assert.ok(many.every((edge, k) => k === 0 || edge > many[k - 1]!));
  });

  it('bins a column holding infinities (1e999 in a CSV) by the same edge test, its finite values in their own bins', async () => {
    const values = Array.from({ length: 2_000 }, (_, i) => (i % 50 === 0 ? '1e999' : i % 50 === 1 ? '-1e999' : String(i % 300)));
    const frame = await frameOf(`x\n${values.join('\n')}\n`);
    const column = frame.columns[0]!;
    assert.ok(column.kind === 'numeric' && column.values.includes(Infinity) && column.values.includes(-Infinity));
    const all = Int32Array.from({ length: frame.rowCount }, (_, i) => i);
    const { features } = fitBins(frame, all, 'none');
    const upper = (features[0] as { upper: number[] }).upper;
    const bins = binFrameRows(features, frame, all);
    // Before, an infinite edge made the bin lookup's bucket NaN and every row of the column landed in bin 0.
    for (let i = 0; i < frame.rowCount; i++)
      assert.equal(bins[i], numericBin(upper, column.kind === 'numeric' ? column.values[i]! : 0));
    assert.equal(new Set(bins).size, upper.length + 1);
    // Every edge is finite: a model is stored as JSON, where a -Infinity threshold came back as null and was then
    // read as a category split (explain and compress failed on every row).
    assert.ok(upper.every(Number.isFinite), `edges ${upper.slice(0, 3).join(', ')}…`);
  });

  it('bins values far outside the edges, and infinities against a single edge, as numericBin does', () => {
    // Fitted on two values (one edge, so the lookup's scale is 0) and on 300 (254 edges); then binned: values past
    // 2^31 buckets away, the extremes of the doubles, infinities, the edges themselves.
    const hostile = [Infinity, -Infinity, 1e300, -1e300, Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324, 0, 1, 0.5, 299, 1e12];
    for (const fitted of [Float64Array.of(0, 1, 0, 1), Float64Array.from({ length: 300 }, (_, i) => i)]) {
      const fitFrame: Frame = {
        rowCount: fitted.length,
        columns: [{ kind: 'numeric', name: 'x', type: 'number', values: fitted }],
      };
      const { features } = fitBins(
        fitFrame,
        Int32Array.from(fitted, (_, i) => i),
        'none',
      );
      const upper = (features[0] as { upper: number[] }).upper;
      const values = Float64Array.from([...hostile, ...upper]);
      const frame: Frame = { rowCount: values.length, columns: [{ kind: 'numeric', name: 'x', type: 'number', values }] };
      const bins = binFrameRows(
        features,
        frame,
        Int32Array.from(values, (_, i) => i),
      );
      values.forEach((v, i) => assert.equal(bins[i], numericBin(upper, v), `${v} with ${upper.length} edge(s)`));
    }
  });

  it('bins values whose edges are packed within a few ulps of a lookup bucket’s boundary as numericBin does', () => {
    // The lookup's 4,096 buckets span -1e6 to 0.001; 200 values a few ulps apart sit just below bucket 4094's lower
    // bound, where the bucket arithmetic's rounding once put 197 of them up to 197 bins too high.
    const low = -1e6;
    const boundary = low + 4094 / (4096 / (0.001 - low));
    const below = (x: number, ulps: number): number => {
      const bits = new BigInt64Array(Float64Array.of(x).buffer);
      bits[0] = bits[0]! + BigInt(x > 0 ? -ulps : ulps);
      return new Float64Array(bits.buffer)[0]!;
    };
    const values = Float64Array.from([
      low - 1,
      low + 1,
      0.0005,
      0.0015,
      ...Array.from({ length: 200 }, (_, j) => below(boundary, 5 * j)),
    ]);
    const frame: Frame = { rowCount: values.length, columns: [{ kind: 'numeric', name: 'x', type: 'number', values }] };
    const all = Int32Array.from({ length: values.length }, (_, i) => i);
    const { features } = fitBins(frame, all, 'none');
    const upper = (features[0] as { upper: number[] }).upper;
    const bins = binFrameRows(features, frame, all);
    for (let i = 0; i < values.length; i++) assert.equal(bins[i], numericBin(upper, values[i]!), `value ${values[i]}`);
  });

  it('samples, sorts and bins in C exactly as the TypeScript loops do, and refuses what would read or write out of bounds', () => {
    const fill = nativeBinFill();
    assert.ok(fill !== null, 'the native addon is built here (npm run build:native)');
    const random = seededRandom(31);
    const n = 20_000;
    // Numbers spread, repeated, missing, infinite and signed zero; a column of few values; codes with missing ones and
    // levels pooled in "other"; read through views that start past their buffers' first element.
    const pool = [Number.NaN, Infinity, -Infinity, -0, 0, 1e300, -1e300, 5e-324];
    const spread = Float64Array.from({ length: n + 3 }, () =>
      random() < 0.05 ? pool[Math.floor(random() * pool.length)]! : (random() - 0.3) * 1e4,
    ).subarray(3);
    const few = Float64Array.from({ length: n }, () => (random() < 0.1 ? Number.NaN : Math.floor(random() * 7)));
    const codes = Int32Array.from({ length: n + 1 }, () => (random() < 0.1 ? -1 : Math.floor(random() * 600))).subarray(1);
    const frame: Frame = {
      rowCount: n,
      columns: [
        { kind: 'numeric', name: 'spread', type: 'number', values: spread },
        { kind: 'numeric', name: 'few', type: 'number', values: few },
        { kind: 'string', name: 'level', type: 'categorical', codes, dictionary: Array.from({ length: 600 }, (_, i) => `l${i}`) },
        { kind: 'numeric', name: 'y', type: 'number', values: Float64Array.from({ length: n }, () => random()) },
      ],
    };
    const all = Int32Array.from({ length: n }, (_, i) => i);
    const options = { minCategoryRows: 1, maxCategoryBlocks: 2, edgeSampleRows: 4000 };
    const { features } = fitBins(frame, all.subarray(0, 5000), 'y', 1, [], options);
    assert.equal(features.length, 4, 'two numeric features and two blocks of levels');
    // The edges from the native sample and sort are TypeScript's (4,000 of 5,000 rows sampled; and all of them).
    assert.deepEqual(fitBins(frame, all.subarray(0, 5000), 'y', 1, [], { ...options, native: null }).features, features);
    assert.deepEqual(
      fitBins(frame, all, 'y', 1, [], { ...options, edgeSampleRows: n }).features,
      fitBins(frame, all, 'y', 1, [], { ...options, edgeSampleRows: n, native: null }).features,
    );
    // The sort orders doubles to the bit as stats.ts's radix sort does (−0 before +0), past and below its 2,048-value cutover.
    for (const size of [3, 2047, 5000]) {
      const doubles = Float64Array.from({ length: size }, () =>
        random() < 0.3 ? pool[1 + Math.floor(random() * (pool.length - 1))]! : (random() - 0.5) * 10 ** Math.floor(random() * 20),
      );
      const bits = (v: Float64Array): bigint[] => Array.from(new BigInt64Array(v.buffer, v.byteOffset, v.length));
      assert.deepEqual(bits(fill.sortDoubles(doubles.slice())), bits(radixSortFloat64(doubles.slice())), `${size} values`);
    }
    // Rows in any order, some twice.
    const rows = Int32Array.from({ length: 15_000 }, () => Math.floor(random() * n));
    const native = binFrameRows(features, frame, rows, false, fill);
    const typescript = binFrameRows(features, frame, rows, false, null);
    assert.deepEqual(native, typescript);
    assert.ok(native.includes(missingBin));

    const values = Float64Array.of(1, 2, 3);
    const upper = Float64Array.of(1.5, 2.5);
    const first = new Uint8Array(16_385);
    const out = new Uint8Array(12);
    const ok = (): void => fill.fillNumeric(values, Int32Array.of(0, 1, 2), upper, first, 1.5, 16_384, out, 4, 1, 0, 3);
    ok();
    assert.deepEqual([out[1], out[5], out[9]], [0, 1, 2]);
    // A table whose bins run past the edges is clamped to the last one: nothing read past `upper`.
    fill.fillNumeric(values, Int32Array.of(2, 2, 2), upper, new Uint8Array(16_385).fill(200), 1.5, 16_384, out, 4, 1, 0, 3);
    assert.deepEqual([out[1], out[5], out[9]], [2, 2, 2]);
    const refusals: [string, () => void][] = [
      ['a row past the column', () => fill.fillNumeric(values, Int32Array.of(0, 3), upper, first, 1.5, 1, out, 4, 1, 0, 2)],
      ['a negative row', () => fill.fillCodes(Int32Array.of(0, 1), Int32Array.of(-1), Uint8Array.of(0, 1), out, 4, 0, 0, 1)],
      [
        'a code past its table',
        () => fill.fillCodes(Int32Array.of(0, 9), Int32Array.of(1), Uint8Array.of(0, 1), out, 4, 0, 0, 1),
      ],
      [
        'an output shorter than rows x F',
        () => fill.fillNumeric(values, Int32Array.of(0, 1, 2), upper, first, 1.5, 1, out, 5, 1, 0, 3),
      ],
      ['f past F', () => fill.fillNumeric(values, Int32Array.of(0), upper, first, 1.5, 1, out, 4, 4, 0, 1)],
      ['an end past the rows', () => fill.fillNumeric(values, Int32Array.of(0), upper, first, 1.5, 1, out, 4, 0, 0, 2)],
      ['a start past the end', () => fill.fillNumeric(values, Int32Array.of(0, 1), upper, first, 1.5, 1, out, 4, 0, 2, 1)],
      ['a sample row past the column', () => fill.gatherPresent(values, Int32Array.of(0, 7), new Float64Array(2))],
      ['a sample shorter than its rows', () => fill.gatherPresent(values, Int32Array.of(0, 1), new Float64Array(1))],
      ['a fractional count', () => fill.fillNumeric(values, Int32Array.of(0), upper, first, 1.5, 1, out, 4.5, 0, 0, 1)],
      ['255 edges', () => fill.fillNumeric(values, Int32Array.of(0), new Float64Array(255), first, 1.5, 1, out, 4, 0, 0, 1)],
      ['no bucket table', () => fill.fillNumeric(values, Int32Array.of(0), upper, new Uint8Array(0), 1.5, 1, out, 4, 0, 0, 1)],
    ];
    for (const [what, call] of refusals) assert.throws(call, RangeError, what);
    const mistyped = [
      () =>
        fill.fillNumeric(Float32Array.of(1) as unknown as Float64Array, Int32Array.of(0), upper, first, 1.5, 1, out, 4, 0, 0, 1),
      () => fill.fillCodes(Int32Array.of(0), Uint32Array.of(0) as unknown as Int32Array, Uint8Array.of(0), out, 4, 0, 0, 1),
      () => fill.fillCodes(Int32Array.of(0), Int32Array.of(0), Uint8Array.of(0), [0] as unknown as Uint8Array, 4, 0, 0, 1),
    ];
    for (const call of mistyped) assert.throws(call, TypeError);
  });

  it('trains, stores and explains a model that splits off -1e999, its threshold finite through JSON', async () => {
    const random = seededRandom(12);
    const rows = Array.from({ length: 600 }, (_, i) => {
      const low = i % 3 === 0;
      return `${low ? '-1e999' : (random() * 10).toFixed(3)},${(low ? random() < 0.9 : random() < 0.1) ? 'a' : 'b'}`;
    });
    const frame = await frameOf(`x,y\n${rows.join('\n')}\n`);
    const model = JSON.parse(JSON.stringify(fit(frame, 'y', 'binary', { trees: 5, minChildSamples: 5 }))) as TreeModel;
    const thresholds = model.trees.flatMap((t) => t.threshold.filter((v, node) => t.feature[node]! >= 0 && v !== undefined));
    assert.ok(
      thresholds.length > 0 && thresholds.every((v) => typeof v === 'number' && Number.isFinite(v)),
      JSON.stringify(thresholds),
    );
    const raw = rawInputsFromFrame(model, frame);
    const p = predictTrees(model, raw);
    assert.equal(p.kind, 'classification');
    // The -1e999 rows are mostly "a", the others mostly "b": the trees split them apart.
    assert.ok(p.probabilities[0]! > 0.7 && p.probabilities[2]! < 0.3, Array.from(p.probabilities.slice(0, 4)).join(', '));
    const x = treeInputMatrix(model, raw);
    const { expectedValue, phi } = explainTrees(model, x, 3, 0);
    for (let i = 0; i < 3; i++) {
      const margin = Math.log(p.probabilities[2 * i + 1]! / p.probabilities[2 * i]!);
      assert.ok(Math.abs(expectedValue + phi[i]!.reduce((a, v) => a + v, 0) - margin) < 1e-9);
    }
    // Compressed to float32, the lowest double's edge is clamped to float32's range, not rounded to -Infinity.
    const small = JSON.parse(JSON.stringify(treesToFloat32(model))) as TreeModel;
    const smallThresholds = small.trees.flatMap((t) => t.threshold.filter((v, node) => t.feature[node]! >= 0 && v !== undefined));
    assert.ok(
      smallThresholds.every((v) => typeof v === 'number' && Number.isFinite(v)),
      JSON.stringify(smallThresholds),
    );
    const smallP = predictTrees(small, raw);
    assert.equal(smallP.kind, 'classification');
    assert.ok(Math.abs(smallP.probabilities[0]! - p.probabilities[0]!) < 1e-5);
    explainTrees(small, treeInputMatrix(small, raw), 3, 0);
  });
});

describe('categorical regularisation', () => {
  it('takes both ends of the categories ordered by key, stably, as Array.prototype.sort does with a key comparator', () => {
    const random = seededRandom(5);
    const first = new Int32Array(256);
    const last = new Int32Array(256);
    for (const ties of [4, 1000]) {
      for (const count of [1, 2, 7, 64, 255, 256]) {
        for (const k of [1, 2, 5, 32, Math.ceil(count / 2), count]) {
          if (k > count) continue;
          // Few distinct keys (many ties, ±0 among them) or many; items in a scrambled order, which is what "stable" keeps.
          const keys = Float64Array.from({ length: 256 }, (_, i) => (i % 9 === 0 ? -0 : Math.round(random() * ties) / 4 - 1));
          const items = Int32Array.from({ length: 256 }, (_, i) => (i * 37 + 11) % 256);
          const expected = Array.from(items.subarray(0, count)).sort((a, b) => keys[a]! - keys[b]!);
          orderedEnds(items, count, keys, k, first, last);
          const label = `${count} items, k = ${k}, ${ties} keys`;
          assert.deepEqual(Array.from(first.subarray(0, k)), expected.slice(0, k), label);
          assert.deepEqual(Array.from(last.subarray(0, k)), expected.reverse().slice(0, k), label);
        }
      }
    }
  });

  it('splits one category against the rest when a node has at most maxCatToOnehot of them', async () => {
    // a and b average 0, c and d average 10: many-vs-many takes {a, b} (a perfect split); one-vs-rest cannot.
    const rows = ['c,y'];
    for (let i = 0; i < 160; i++) rows.push(`${'abcd'[i % 4]},${i % 4 < 2 ? 0 : 10}`);
    const frame = await frameOf(`${rows.join('\n')}\n`);
    assert.equal(fit(frame, 'y', 'regression').trees[0]!.leftCodes[0]!.length, 2);
    assert.equal(fit(frame, 'y', 'regression', { maxCatToOnehot: 4 }).trees[0]!.leftCodes[0]!.length, 1);
  });

  it('puts at most maxCatThreshold categories on the scanned side, and only categories with catSmooth rows', async () => {
    // Twenty levels with y = the level's index: the best split halves them; the cap allows three from an end.
    const rows = ['c,y'];
    for (let i = 0; i < 400; i++) rows.push(`k${i % 20},${i % 20}`);
    rows.push('rare,100', 'rare,100', 'rare,100');
    const frame = await frameOf(`${rows.join('\n')}\n`);
    const left = (p: Partial<BoostParams>): string[] => {
      const model = fit(frame, 'y', 'regression', p);
      const feature = model.features[0]!;
      assert.equal(feature.kind, 'categorical');
      return model.trees[0]!.leftCodes[0]!.map((code) => (feature.kind === 'categorical' ? feature.categories[code]! : ''));
    };
    // The three-row level at 100 alone is the best split (3·400/403·90.5² ≈ 24,400 against ≈ 9,500 for
    // {rare, k19, k18} and ≈ 5,900 for {k0, k1, k2}).
    assert.deepEqual(left({ maxCatThreshold: 3 }), ['rare']);
    // With catSmooth 10 the three-row level takes no part (it stays right), and the low end wins: {k0, k1, k2}, 60 rows
    // averaging 1 against 343 averaging 11.8 (≈ 5,900), beats {k17, k18, k19} against the rest (≈ 4,300).
    assert.deepEqual(left({ maxCatThreshold: 3, catSmooth: 10 }).sort(), ['k0', 'k1', 'k2']);
  });

  it('pools levels rarer than minCategoryRows into the model’s "other" level, as unseen levels are', async () => {
    const rows = ['c,y'];
    const counts: Record<string, number> = { a: 30, b: 12, c: 9, d: 1 };
    for (const [level, n] of Object.entries(counts)) for (let i = 0; i < n; i++) rows.push(`${level},${i % 2}`);
    const frame = await frameOf(`${rows.join('\n')}\n`);
    const all = Int32Array.from({ length: frame.rowCount }, (_, i) => i);
    const { features } = fitBins(frame, all, 'y', 1, [], { minCategoryRows: 10 });
    assert.deepEqual(features[0], { kind: 'categorical', name: 'c', categories: ['a', 'b'] });
    const probe = await frameOf('c,y\na,0\nb,0\nc,0\nd,0\nnever-seen,0\n,0\n');
    const bins = binFrameRows(
      features,
      probe,
      Int32Array.from({ length: 6 }, (_, i) => i),
    );
    assert.deepEqual([...bins], [0, 1, 2, 2, 2, 255]);
  });
});

describe('ONNX Runtime through its binding, run in place (accel/ort-direct)', () => {
  it('answers what ONNX Runtime’s public session answers, on every output, row for row', async () => {
    const train = await frameOf(syntheticCsv('binary', 1500, 21));
    const held = await frameOf(syntheticCsv('binary', 500, 22));
    const model = fit(train, 'label', 'binary', { trees: 20, learningRate: 0.2, maxLeaves: 15, minChildSamples: 10, l2: 1 });
    const bytes = exportModelToOnnx(model, 'test');
    const ort = await loadOrt();
    const options = {
      executionProviders: ['cpu'],
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all' as const,
    };
    const direct = openDirect(ort, bytes, options);
    // onnxruntime-node is pinned: its binding must be the one ort-direct was written against, or serving has
    // quietly fallen back to the deferred run.
    assert.ok(direct !== null, 'the binding of the pinned onnxruntime-node was not usable');
    const reference = await ort.InferenceSession.create(bytes, options);
    assert.deepEqual(direct.session.inputNames, reference.inputNames);
    assert.deepEqual(direct.session.outputNames, reference.outputNames);
    assert.deepEqual(direct.session.inputMetadata, reference.inputMetadata);
    assert.deepEqual(direct.session.outputMetadata, reference.outputMetadata);

    const raw = rawInputsFromFrame(model, held);
    const p = raw.numeric.length;
    const m = raw.categorical.length;
    assert.ok(p > 0 && m > 0);
    const numeric = Float64Array.from({ length: raw.rows * p }, (_, k) => raw.numeric[k % p]![Math.floor(k / p)]!);
    const categorical = Array.from({ length: raw.rows * m }, (_, k) => raw.categorical[k % m]![Math.floor(k / m)]!);
    const feeds = (): Record<string, InstanceType<typeof ort.Tensor>> => ({
      numeric: new ort.Tensor('float64', numeric, [raw.rows, p]),
      categorical: new ort.Tensor('string', categorical, [raw.rows, m]),
    });
    const viaPublic = await reference.run(feeds());
    const viaRunNow = direct.runNow(feeds(), reference.outputNames);
    const viaSession = await direct.session.run(feeds());
    for (const name of reference.outputNames) {
      assert.deepEqual([...viaRunNow[name]!.data], [...viaPublic[name]!.data], name);
      assert.deepEqual([...viaSession[name]!.data], [...viaPublic[name]!.data], name);
      assert.deepEqual(viaRunNow[name]!.dims, viaPublic[name]!.dims);
    }
    // createSession's session (direct on the CPU) scores through the Predictor as the public one does.
    const loaded = await createSession(bytes, 'cpu', undefined, true);
    const scored = await new Predictor('m', 1, model, loaded).run(raw);
    assert.ok(scored.kind === 'classification');
    assert.deepEqual([...scored.probabilities], [...(viaPublic.probabilities!.data as Float64Array)]);

    // Wrong calls are refused with an error, never a crash of the process.
    assert.throws(() => direct.runNow({}, ['probabilities']), /missing/);
    assert.throws(() => direct.runNow(feeds(), ['no_such_output']), /not a valid output/);
    await assert.rejects(loaded.run({}, ['probabilities']), /missing/);
    await assert.rejects(
      loaded.run(
        {
          numeric: { type: 'float32', data: new Float32Array(2), dims: [1, 2] },
          categorical: { type: 'string', data: ['a'], dims: [1, 1] },
        },
        ['probabilities'],
      ),
    );
    await loaded.release();
    await direct.session.release();
    await reference.release();
  });
});

describe('a column of more levels than one feature bins (blocks of 254)', () => {
  const level = (k: number): string => `L${String(k).padStart(4, '0')}`;
  /** A CSV of column c (level k given counts[k] rows, first seen in k's order), a noise number x and a label y. */
  const csvOf = (counts: number[], label: (k: number, i: number) => number): string => {
    const lines = ['c,x,y'];
    let i = 0;
    counts.forEach((n, k) => {
      for (let j = 0; j < n; j++, i++) lines.push(`${level(k)},${(i * 7919) % 1000},${label(k, i)}`);
    });
    return `${lines.join('\n')}\n`;
  };

  it('keeps levels past the 254th in a second block while the first hold under 99% of the values, a thin last block not', async () => {
    // 254 levels of 20 rows and 346 of 12: the first block holds 55% of the values, two hold 88% (the cap).
    const wide = await frameOf(csvOf([...Array<number>(254).fill(20), ...Array<number>(346).fill(12)], (k) => k % 2));
    const all = Int32Array.from({ length: wide.rowCount }, (_, i) => i);
    const two = fitBins(wide, all, 'y', 1, [], { maxCategoryBlocks: 2 }).features;
    assert.deepEqual(
      two.map((f) => [f.name, f.kind, f.kind === 'categorical' ? [f.categories.length, f.categories[0], f.offset ?? 0] : null]),
      [
        ['c', 'categorical', [254, level(0), 0]],
        ['c', 'categorical', [254, level(254), 254]],
        ['x', 'numeric', null],
      ],
    );
    // One block unless asked for more: the levels past the 254th are "other".
    assert.deepEqual(
      fitBins(wide, all, 'y').features.map((f) => (f.kind === 'categorical' ? f.categories.length : -1)),
      [254, -1],
    );
    // 254 levels of 40 rows hold 98.8%; 99% takes 5 of the 4-row levels, 0.2% of the values: left in "other".
    const thin = await frameOf(csvOf([...Array<number>(254).fill(40), ...Array<number>(30).fill(4)], (k) => k % 2));
    const thinRows = Int32Array.from({ length: thin.rowCount }, (_, i) => i);
    assert.deepEqual(
      fitBins(thin, thinRows, 'y', 1, [], { maxCategoryBlocks: 4 }).features.map((f) =>
        f.kind === 'categorical' ? f.categories.length : -1,
      ),
      [254, -1],
    );
    // 254 levels hold 99% or more: no second block.
    const covered = await frameOf(csvOf([...Array<number>(254).fill(100), ...Array<number>(40).fill(1)], (k) => k % 2));
    const coveredRows = Int32Array.from({ length: covered.rowCount }, (_, i) => i);
    assert.equal(fitBins(covered, coveredRows, 'y', 1, [], { maxCategoryBlocks: 4 }).features.length, 2);
  });

  it('splits on the second block’s levels; the model routes raw levels as the booster routed bins, ONNX Runtime too', async () => {
    // The label is the level's: 1 for levels 300-359 and 100-129, else 0 (a tenth of rows flipped). With one block,
    // levels 300-359 are pooled in "other" with 240 others and no tree can find them.
    const counts = Array.from({ length: 600 }, (_, k) => 30 - (k % 7));
    const positive = (k: number): boolean => (k >= 300 && k < 360) || (k >= 100 && k < 130);
    const frame = await frameOf(csvOf(counts, (k, i) => Number(positive(k) !== (i % 10 === 3))));
    const all = Int32Array.from({ length: frame.rowCount }, (_, i) => i);
    const { features } = fitBins(frame, all, 'y', 1, [], { maxCategoryBlocks: 2 });
    const y = frame.columns.find((c) => c.name === 'y')!;
    assert.equal(y.kind, 'numeric');
    const targets = Int32Array.from(all, (r) => (y.kind === 'numeric' ? y.values[r]! : -1));
    const bins = binFrameRows(features, frame, all, true);
    const categorical = features.map((f) => f.kind === 'categorical');
    const result = fitBoosting(
      {
        task: 'binary',
        classes: 2,
        bins,
        F: features.length,
        binCounts: features.map(binCount),
        categorical,
        targets,
        validation: null,
      },
      { ...defaults, trees: 20, learningRate: 0.3, maxLeaves: 8, minChildSamples: 10, l2: 1 },
    );
    const model: TreeModel = {
      format: 'hearth.trees/1',
      algorithm: 'gbdt',
      task: 'binary',
      target: 'y',
      classes: ['0', '1'],
      features: treeFeaturesFromBins(features),
      trees: result.trees.map((t) => treeFromGrown(t, features)),
      treeOutputs: result.treeOutputs,
      baseScore: result.baseScore,
      outputs: 1,
      aggregation: 'sum',
    };
    assert.deepEqual(
      model.features.map((f) => [f.name, f.kind === 'categorical' ? f.categories.length : 0]),
      [
        ['c', 508],
        ['x', 0],
      ],
    );
    assert.ok(
      model.trees.some((t) => t.leftCodes.some((codes) => codes !== null && codes.some((c) => c >= 300 && c < 360))),
      'a split names levels of the second block',
    );
    // Every level, an unseen one and a missing one: the leaf the model's codes reach is the one the bins reached.
    const probe = await frameOf(
      `c,x,y\n${[...Array.from({ length: 600 }, (_, k) => level(k)), 'never-seen', ''].map((c, i) => `${c},${i % 1000},0`).join('\n')}\n`,
    );
    const probeRows = Int32Array.from({ length: probe.rowCount }, (_, i) => i);
    const probeBins = binFrameRows(features, probe, probeRows);
    const raw = rawInputsFromFrame(model, probe);
    const x = treeInputMatrix(model, raw);
    result.trees.forEach((grown, t) => {
      for (let r = 0; r < probe.rowCount; r++)
        assert.equal(
          leafOf(model.trees[t]!, x, r * 2),
          leafOfBinnedRow(grown, probeBins, features.length, r, categorical),
          `tree ${t} row ${r}`,
        );
    });
    // What it learned: levels 300-359 score above the levels around them.
    const p = predictTrees(model, raw);
    const mean = (from: number, to: number): number => {
      let s = 0;
      for (let k = from; k < to; k++) s += (p as { probabilities: Float64Array }).probabilities[2 * k + 1]!;
      return s / (to - from);
    };
    assert.ok(mean(300, 360) > mean(400, 460) + 0.3, `${mean(300, 360)} against ${mean(400, 460)}`);
    const loaded = await createSession(exportModelToOnnx(model, 'test'));
    const onnx = await new Predictor('m', 1, model, loaded).run(raw);
    assert.ok(maxAbsDifference(onnx, p) < 1e-5, `max difference ${maxAbsDifference(onnx, p)}`);
    await loaded.session.release();
  });

  it('scores a stored model whose leaves carry empty code lists as leafOf walks it (the set tables sized as filled)', async () => {
    const model: TreeModel = {
      format: 'hearth.trees/1',
      algorithm: 'gbdt',
      task: 'regression',
      target: 'y',
      classes: null,
      features: [{ kind: 'categorical', name: 'c', categories: ['a', 'b'] }],
      trees: [
        {
          feature: [0, -1, -1],
          threshold: [null, null, null],
          leftCodes: [[1], [], []],
          defaultLeft: [false, false, false],
          left: [1, -1, -1],
          right: [2, -1, -1],
          value: [0, 10, -10],
          count: [2, 1, 1],
          gain: [1, 0, 0],
        },
      ],
      treeOutputs: [0],
      baseScore: [0],
      outputs: 1,
      aggregation: 'sum',
    };
    const probe = await frameOf('c,y\nb,0\na,0\n');
    const p = predictTrees(model, rawInputsFromFrame(model, probe));
    assert.deepEqual([...(p as { values: Float64Array }).values], [10, -10]);
  });

  it('maps a split that sends a block’s "other" bin left to every level outside the block, and back', () => {
    const features = [
      { kind: 'categorical' as const, name: 'c', categories: Array.from({ length: 254 }, (_, k) => level(k)) },
      { kind: 'categorical' as const, name: 'c', categories: Array.from({ length: 100 }, (_, k) => level(254 + k)), offset: 254 },
    ];
    const grown: GrownTree = {
      feature: [1, -1, -1],
      splitBin: [0, 0, 0],
      leftBins: [[3, 100, 7], null, null],
      defaultLeft: [false, false, false],
      left: [1, -1, -1],
      right: [2, -1, -1],
      value: [0, 1, 2],
      count: [3, 2, 1],
      gain: [1, 0, 0],
    };
    const nodes = treeFromGrown(grown, features);
    assert.equal(nodes.feature[0], 0);
    // Block 1's levels (0-253), block 2's 257 and 261, and the column's "other" (354) go left; the rest of block 2 right.
    const expected = [...Array.from({ length: 254 }, (_, k) => k), 257, 261, 354];
    assert.deepEqual(nodes.leftCodes[0], expected);
    // Without the "other" bin, the block's bins shifted by its offset.
    assert.deepEqual(treeFromGrown({ ...grown, leftBins: [[7, 3], null, null] }, features).leftCodes[0], [261, 257]);
    assert.deepEqual(treeFeaturesFromBins(features), [
      { kind: 'categorical', name: 'c', categories: [...features[0]!.categories, ...features[1]!.categories] },
    ]);
  });
});
