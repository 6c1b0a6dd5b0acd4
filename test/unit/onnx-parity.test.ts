import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { readCsv } from '../../main/data/csv.js';
import { selectRows } from '../../main/table/frame.js';
import { exportModelToOnnx } from '../../main/models/model.js';
import { createSession } from '../../main/accel/onnx-runtime.js';
import { inlineProvider, Predictor, toPredictions } from '../../main/models/predictor.js';
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
    const served = new Predictor('m', 1, model, loaded, 16);
    const raw = (n: number) => rawInputsFromFrame(model.preprocessor, selectRows(frame, heldOut.subarray(0, n)));
    // Up to 16 rows: TypeScript, and it says so; the answers are the graph's (to the parity check's 1e-6).
    for (const n of [1, 16]) {
      assert.equal(served.providerFor(n), inlineProvider);
      assert.ok(maxAbsDifference(await served.run(raw(n)), await graph.run(raw(n))) < 1e-9);
    }
    // Past the limit, and whenever the limit is 0 (the default, and any provider other than the CPU): the graph.
    assert.equal(served.providerFor(17), 'cpu');
    assert.equal(graph.providerFor(1), 'cpu');
    // The TypeScript answer is not the graph's own run: a graph that answers otherwise shows which one ran.
    const wrong = {
      ...loaded,
      run: async () => ({ probabilities: { type: 'float64', data: new Float64Array(3).fill(1 / 3), dims: [1, 3] } }),
    };
    const inline = await new Predictor('m', 1, model, wrong as unknown as typeof loaded, 16).run(raw(1));
    const viaGraph = await new Predictor('m', 1, model, wrong as unknown as typeof loaded, 0).run(raw(1));
    assert.ok(maxAbsDifference(inline, await graph.run(raw(1))) < 1e-9);
    assert.ok(maxAbsDifference(viaGraph, await graph.run(raw(1))) > 1e-3);
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
