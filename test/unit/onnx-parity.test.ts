import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { readCsv } from '../../main/data/csv.js';
import { selectRows } from '../../main/table/frame.js';
import { exportModelToOnnx, rowCost } from '../../main/models/model.js';
import { createSession } from '../../main/accel/onnx-runtime.js';
import { inlineProvider, inlineRowsFor, Predictor, toPredictions } from '../../main/models/predictor.js';
import { SessionPool } from '../../main/serving/session-pool.js';
import { predictLinear, type LinearModel } from '../../main/models/linear-model.js';
import {
  designFromFrame,
  fitPreprocessor,
  rawInputsFromFrame,
  rawInputsFromRecords,
  type Task,
} from '../../main/models/preprocess.js';
import { splitRows } from '../../main/training/split.js';
import { maxAbsDifference } from '../../main/training/trainer.js';
import { fitLinear } from '../../workers/linear/fit-linear.js';
import { syntheticCsv, tempDir, writeFile } from '../helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

async function trainModel(
  task: Task,
): Promise<{ model: LinearModel; heldOut: Int32Array; frame: Awaited<ReturnType<typeof readCsv>>['frame'] }> {
  const { frame } = await readCsv(writeFile(tmp.dir, `${task}.csv`, syntheticCsv(task, 4000)));
  const target = { binary: 'label', multiclass: 'kind', regression: 'amount' }[task];
  const split = splitRows(
    Int32Array.from({ length: frame.rowCount }, (_, i) => i),
    { seed: 1, validationFraction: 0, testFraction: 0.25 },
  );
  const prep = fitPreprocessor(frame, split.train, target);
  const targetColumn = frame.columns.find((c) => c.name === target)!;
  const classes = targetColumn.kind === 'string' ? [...targetColumn.dictionary].sort() : null;
  const targets =
    targetColumn.kind === 'string'
      ? Int32Array.from(split.train, (r) => classes!.indexOf(targetColumn.dictionary[targetColumn.codes[r]!]!))
      : Float64Array.from(split.train, (r) => targetColumn.values[r]!);
  const design = designFromFrame(prep, frame, split.train);
  const fit = fitLinear(design, targets, { task, classes: classes?.length ?? 0, l2: 1e-3, maxIterations: 300 });
  const model: LinearModel = {
    format: 'hearth.linear/1',
    task,
    target,
    classes,
    preprocessor: prep,
    outputs: fit.outputs,
    dimension: design.dimension,
    weights: Array.from(fit.weights),
    intercepts: Array.from(fit.intercepts),
  };
  return { model, heldOut: split.test, frame };
}

describe('ONNX export', () => {
  for (const task of ['binary', 'multiclass', 'regression'] as const) {
    it(`${task}: ONNX Runtime predicts what the TypeScript model predicts (held-out rows, within 1e-5)`, async () => {
      const { model, heldOut, frame } = await trainModel(task);
      const held = {
        rowCount: heldOut.length,
        columns: frame.columns.map((c) =>
          c.kind === 'numeric'
            ? { ...c, values: Float64Array.from(heldOut, (r) => c.values[r]!) }
            : { ...c, codes: Int32Array.from(heldOut, (r) => c.codes[r]!) },
        ),
      };
      assert.ok(held.rowCount >= 900);
      const raw = rawInputsFromFrame(model.preprocessor, held);
      const loaded = await createSession(exportModelToOnnx(model, 'test'));
      const onnx = await new Predictor('m', 1, model, loaded).run(raw);
      const ts = predictLinear(model, raw);
      assert.ok(maxAbsDifference(onnx, ts) < 1e-5, `max difference ${maxAbsDifference(onnx, ts)}`);
      if (onnx.kind === 'classification') {
        // The label is the argmax of the probabilities.
        const predictions = toPredictions(onnx);
        const k = onnx.classes.length;
        predictions.forEach((p, i) => {
          assert.ok('label' in p);
          const probabilities = onnx.probabilities.subarray(i * k, i * k + k);
          const sum = probabilities.reduce((s, v) => s + v, 0);
          assert.ok(Math.abs(sum - 1) < 1e-9);
          assert.equal(p.label, onnx.classes[probabilities.indexOf(Math.max(...probabilities))]);
        });
      }
      await loaded.session.release();
    });
  }

  it('imputes missing inputs and ignores unseen levels the same way in both predictors', async () => {
    const { model } = await trainModel('binary');
    const records = [
      { x1: null, x2: null, colour: null, flag: null },
      { x1: 0.5, x2: 3, colour: 'purple', flag: true },
      { x1: '1.25', x2: 2, colour: 'red', flag: 'false' },
    ];
    const raw = rawInputsFromRecords(model.preprocessor, records);
    const loaded = await createSession(exportModelToOnnx(model, 'test'));
    const onnx = await new Predictor('m', 1, model, loaded).run(raw);
    const ts = predictLinear(model, raw);
    assert.ok(maxAbsDifference(onnx, ts) < 1e-12);
    await loaded.session.release();
  });

  it('scores small requests with the TypeScript predictor on the calling thread, larger ones with the graph', async () => {
    const { model, heldOut, frame } = await trainModel('multiclass');
    const loaded = await createSession(exportModelToOnnx(model, 'test'));
    const graph = new Predictor('m', 1, model, loaded);
    // The version loads: its TypeScript answers agree with its graph's on the probe rows, and a row costs little.
    const inlineRows = await inlineRowsFor(model, loaded, 16);
    assert.equal(inlineRows, 16);
    const served = new Predictor('m', 1, model, loaded, inlineRows);
    const raw = (n: number) => rawInputsFromFrame(model.preprocessor, selectRows(frame, heldOut.subarray(0, n)));
    // Up to 16 rows: TypeScript, and it says so; the answers are the graph's (to the parity check's 1e-6).
    for (const n of [1, 16]) {
      assert.equal(served.providerFor(raw(n)), inlineProvider);
      assert.ok(maxAbsDifference(await served.run(raw(n)), await graph.run(raw(n))) < 1e-9);
    }
    // Past the limit, with a number past 1e30 in a row (where float32 graphs overflow), when the caller asks for the
    // graph (a shadow), and whenever the limit is 0 (any provider but the CPU): the graph.
    assert.equal(served.providerFor(raw(17)), 'cpu');
    const huge = raw(1);
    huge.numeric[0]![0] = 1e300;
    assert.equal(served.providerFor(huge), 'cpu');
    const nul = raw(1);
    assert.ok(nul.categorical.length > 0);
    nul.categorical[0]![0] = 'red\u0000';
    assert.equal(served.providerFor(nul), 'cpu');
    assert.equal(graph.providerFor(raw(1)), 'cpu');
    // A graph that answers otherwise shows which path ran; and a version whose TypeScript answers disagree with its
    // graph on the probe rows (a pulled model.json this build reads differently) is never scored in TypeScript.
    const wrong = {
      ...loaded,
      run: async (_feeds: unknown, fetches: readonly string[]) => {
        const rows = 5;
        return { [fetches[0]!]: { type: 'float64', data: new Float64Array(rows * 3).fill(1 / 3), dims: [rows, 3] } };
      },
    } as unknown as typeof loaded;
    assert.equal(await inlineRowsFor(model, wrong, 16), 0);
    const viaTs = await new Predictor('m', 1, model, wrong, 16).run(raw(1));
    assert.ok(maxAbsDifference(viaTs, await graph.run(raw(1))) < 1e-9);
    assert.ok(maxAbsDifference(await new Predictor('m', 1, model, wrong, 16).run(raw(1), false), viaTs) > 1e-3);
    await loaded.session.release();
  });

  it('keeps big models and malformed trees off the calling thread', async () => {
    const { model } = await trainModel('binary');
    const loaded = await createSession(exportModelToOnnx(model, 'test'));
    // A linear model of this size costs a handful of multiply-adds a row: the whole 16 rows fit the budget.
    assert.ok(rowCost(model) < 100);
    assert.equal(await inlineRowsFor(model, loaded, 16), 16);
    assert.equal(await inlineRowsFor(model, loaded, 0), 0);
    // 50,000 multiply-adds a request: a model that costs 20,000 a row scores two rows inline, one of 60,000 none.
    const wide = {
      ...model,
      outputs: 1,
      preprocessor: { ...model.preprocessor, features: new Array(19_999).fill(model.preprocessor.features[0]) },
    };
    assert.equal(rowCost(wide), 20_000);
    const tree = {
      format: 'hearth.trees/1',
      features: [{ kind: 'numeric', name: 'x' }],
      trees: [
        {
          feature: [0, -1, -1],
          threshold: [0.5, null, null],
          leftCodes: [null, null, null],
          defaultLeft: [true, false, false],
          left: [2, -1, -1],
          right: [0, -1, -1],
          value: [0, 1, 2],
          count: [2, 1, 1],
          gain: [1, 0, 0],
        },
      ],
    } as unknown as Parameters<typeof rowCost>[0];
    // A split whose child points back up the tree would walk forever: refused.
    assert.throws(() => rowCost(tree), /tree 0 of the model is malformed at node 0/);
    await loaded.session.release();
  });

  it('the serving pool merges concurrent requests into batches and answers each with its own rows', async () => {
    const { model, heldOut, frame } = await trainModel('multiclass');
    const rows = Array.from(heldOut.subarray(0, 300));
    const one = (r: number) =>
      rawInputsFromFrame(model.preprocessor, {
        rowCount: 1,
        columns: frame.columns.map((c) =>
          c.kind === 'numeric' ? { ...c, values: Float64Array.of(c.values[r]!) } : { ...c, codes: Int32Array.of(c.codes[r]!) },
        ),
      });
    const pool = new SessionPool(2);
    try {
      const runner = await pool.load('m@1', exportModelToOnnx(model, 'test'));
      assert.equal(runner.executionProvider, 'cpu');
      const predictor = new Predictor('m', 1, model, runner);
      // 300 single-row requests at once: two threads cannot take them one by one, so most of them share a run.
      const answers = await Promise.all(rows.map((r) => predictor.run(one(r))));
      const k = model.classes!.length;
      answers.forEach((answer, i) => {
        assert.equal(answer.kind, 'classification');
        if (answer.kind !== 'classification') return;
        assert.equal(answer.probabilities.length, k);
        const expected = predictLinear(model, one(rows[i]!));
        assert.ok(maxAbsDifference(answer, expected) < 1e-9, `row ${i}: ${maxAbsDifference(answer, expected)}`);
      });
      assert.equal(pool.counts.requests, 300);
      assert.ok(pool.counts.runs < 100, `${pool.counts.runs} runs for 300 requests`);
      // A request for a released version fails with a coded error instead of hanging.
      await runner.release();
      await assert.rejects(predictor.run(one(rows[0]!)), { code: 'UNAVAILABLE' });
    } finally {
      await pool.close();
    }
  });
});
