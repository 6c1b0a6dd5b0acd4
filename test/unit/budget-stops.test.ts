import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { readCsv } from '../../main/data/csv.js';
import { binCount, binFrameRows, fitBins } from '../../main/models/binning.js';
import { rawInputsFromFrame } from '../../main/models/preprocess.js';
import { treeFeaturesFromBins, treeFromGrown, type TreeModel } from '../../main/models/tree-model.js';
import { shapSummary } from '../../main/models/treeshap.js';
import { shapSummaryOn, type EvaluationData } from '../../main/training/evaluation.js';
import { fitBoosting } from '../../workers/gbdt/boost.js';
import { minimizeLbfgs } from '../../workers/linear/lbfgs.js';
import { syntheticCsv, tempDir, writeFile } from '../helpers.js';
import { boostDefaults } from '../fixtures/gbdt-table.js';

const tmp = tempDir();
after(tmp.cleanup);

describe('what a time budget stops', () => {
  it('L-BFGS stops unconverged after the iteration that ends past its deadline', () => {
    // Rosenbrock's function: far from converged after one iteration.
    const rosenbrock = (x: Float64Array, g: Float64Array): number => {
      const [a, b] = [x[0]!, x[1]!];
      g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
      g[1] = 200 * (b - a * a);
      return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
    };
    const options = { maxIterations: 500, gradientTolerance: 1e-10, relativeTolerance: 1e-15, history: 5 };
    const free = minimizeLbfgs(rosenbrock, Float64Array.from([-1.2, 1]), options);
    assert.ok(free.iterations > 10 && Math.abs(free.x[0]! - 1) < 1e-3, JSON.stringify(free));
    const cut = minimizeLbfgs(rosenbrock, Float64Array.from([-1.2, 1]), { ...options, deadline: Date.now() - 1 });
    assert.equal(cut.iterations, 1);
    assert.equal(cut.converged, false);
  });

  it('TreeSHAP under a deadline explains in chunks: the same mean, over the rows it reached', async () => {
    const { frame } = await readCsv(writeFile(tmp.dir, 'r.csv', syntheticCsv('regression', 400)));
    const all = Int32Array.from({ length: frame.rowCount }, (_, i) => i);
    const { features } = fitBins(frame, all, 'amount');
    const amount = frame.columns.find((c) => c.name === 'amount')!;
    const targets = amount.kind === 'string' ? new Float64Array(0) : Float64Array.from(amount.values);
    const fit = fitBoosting(
      {
        task: 'regression',
        classes: 0,
        bins: binFrameRows(features, frame, all, true),
        F: features.length,
        binCounts: features.map(binCount),
        categorical: features.map((f) => f.kind === 'categorical'),
        targets,
        validation: null,
      },
      { ...boostDefaults, trees: 20, learningRate: 0.1, maxLeaves: 8, minChildSamples: 5, seed: 1 },
    );
    const model: TreeModel = {
      format: 'hearth.trees/1',
      algorithm: 'gbdt',
      task: 'regression',
      target: 'amount',
      classes: null,
      features: treeFeaturesFromBins(features),
      trees: fit.trees.map((t) => treeFromGrown(t, features)),
      treeOutputs: fit.treeOutputs,
      baseScore: fit.baseScore,
      outputs: 1,
      aggregation: 'sum',
    };
    const data = { frame } as unknown as EvaluationData;
    const inputs = { features: model.features };
    const byName = (s: { feature: string; meanAbs: number }[] | null) => new Map(s!.map((f) => [f.feature, f.meanAbs]));
    // Without a deadline: the exact summary over the first 500 rows (all 400 here), in one pass.
    const whole = shapSummaryOn(data, model, inputs, all);
    assert.equal(whole.rows, 400);
    assert.deepEqual(whole.summary, shapSummary(model, rawInputsFromFrame(inputs, frame)));
    // A deadline far off: five rows to measure, then the rest in one chunk; the weighted means equal the whole mean.
    const chunked = shapSummaryOn(data, model, inputs, all, Date.now() + 60_000);
    assert.equal(chunked.rows, 400);
    for (const [name, value] of byName(whole.summary)) assert.ok(Math.abs(byName(chunked.summary).get(name)! - value) < 1e-12);
    // A deadline already passed: no rows, no summary.
    assert.deepEqual(shapSummaryOn(data, model, inputs, all, Date.now() - 1), { summary: null, rows: 0 });
  });
});
