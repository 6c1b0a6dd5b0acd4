import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { readCsv } from '../../main/data/csv.js';
import { createSession } from '../../main/accel/onnx-runtime.js';
import type { Calibrator } from '../../main/models/calibration.js';
import type { EnsembleModel } from '../../main/models/ensemble-model.js';
import type { LinearModel } from '../../main/models/linear-model.js';
import { exportModelToOnnx, modelInputs, predictModel, predictUncalibrated, type TrainedModel } from '../../main/models/model.js';
import { Predictor } from '../../main/models/predictor.js';
import { designFromFrame, fitPreprocessor, rawInputsFromFrame } from '../../main/models/preprocess.js';
import { selectRows } from '../../main/table/frame.js';
import { maxAbsDifference } from '../../main/training/trainer.js';
import { fitLinear } from '../../workers/linear/fit-linear.js';
import { syntheticCsv, tempDir, writeFile } from '../helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

async function linear(task: 'binary' | 'multiclass', l2: number) {
  const { frame } = await readCsv(writeFile(tmp.dir, `${task}.csv`, syntheticCsv(task, 1500)));
  const target = task === 'binary' ? 'label' : 'kind';
  const rows = Int32Array.from({ length: 1000 }, (_, i) => i);
  const held = Int32Array.from({ length: 500 }, (_, i) => 1000 + i);
  const prep = fitPreprocessor(frame, rows, target);
  const column = frame.columns.find((c) => c.name === target)!;
  if (column.kind !== 'string') throw new Error('string target expected');
  const classes = [...column.dictionary].sort();
  const targets = Int32Array.from(rows, (r) => classes.indexOf(column.dictionary[column.codes[r]!]!));
  const design = designFromFrame(prep, frame, rows);
  const fit = fitLinear(design, targets, { task, classes: classes.length, l2, maxIterations: 200 });
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
  return { model, frame, held };
}

/** ONNX Runtime's probabilities for the rows, and the TypeScript predictor's (calibrated and not). */
async function both(model: TrainedModel, frame: Awaited<ReturnType<typeof linear>>['frame'], rows: Int32Array) {
  const raw = rawInputsFromFrame({ features: modelInputs(model) }, selectRows(frame, rows));
  const loaded = await createSession(exportModelToOnnx(model, 'test'));
  try {
    const graph = await new Predictor('', 0, model, loaded).run(raw);
    return { graph, typescript: predictModel(model, raw), uncalibrated: predictUncalibrated(model, raw) };
  } finally {
    await loaded.session.release();
  }
}

describe('the calibrator inside the ONNX graph', () => {
  const binaryCalibrators: Calibrator[] = [
    { kind: 'platt', a: 0.4, b: -0.3 },
    { kind: 'isotonic', x: [0.05, 0.2, 0.5, 0.5001, 0.9], y: [0.01, 0.1, 0.3, 0.6, 0.95] },
    { kind: 'isotonic', x: [0.3, 1.3], y: [0.4, 0.4] },
  ];
  for (const calibrator of binaryCalibrators) {
    it(`binary, ${calibrator.kind} ${JSON.stringify(calibrator).slice(0, 60)}: ONNX Runtime gives the TypeScript predictor's calibrated probabilities`, async () => {
      const { model, frame, held } = await linear('binary', 1e-3);
      model.calibrator = calibrator;
      const { graph, typescript, uncalibrated } = await both(model, frame, held);
      assert.ok(maxAbsDifference(graph, typescript) < 1e-9, `max difference ${maxAbsDifference(graph, typescript)}`);
      // The calibrator changed the probabilities (so the graph did apply it), and rows still sum to one.
      assert.ok(maxAbsDifference(typescript, uncalibrated) > 0.05);
      if (graph.kind === 'classification')
        for (let i = 0; i < held.length; i++)
          assert.ok(Math.abs(graph.probabilities[2 * i]! + graph.probabilities[2 * i + 1]! - 1) < 1e-12);
    });
  }

  it('multiclass with a temperature, and its labels from the calibrated probabilities', async () => {
    const { model, frame, held } = await linear('multiclass', 1e-3);
    model.calibrator = { kind: 'temperature', temperature: 2.5 };
    const { graph, typescript, uncalibrated } = await both(model, frame, held);
    assert.ok(maxAbsDifference(graph, typescript) < 1e-9, `max difference ${maxAbsDifference(graph, typescript)}`);
    assert.ok(maxAbsDifference(typescript, uncalibrated) > 0.05);
  });

  it('an ensemble with an isotonic calibrator after its blend', async () => {
    const a = await linear('binary', 1e-3);
    const b = await linear('binary', 10);
    const ensemble: EnsembleModel = {
      format: 'hearth.ensemble/1',
      task: 'binary',
      target: 'label',
      classes: a.model.classes,
      members: [a.model, b.model],
      weights: [0.7, 0.3],
      calibrator: { kind: 'isotonic', x: [0.1, 0.4, 0.8], y: [0.02, 0.5, 0.97] },
    };
    const { graph, typescript, uncalibrated } = await both(ensemble, a.frame, a.held);
    assert.ok(maxAbsDifference(graph, typescript) < 1e-9, `max difference ${maxAbsDifference(graph, typescript)}`);
    assert.ok(maxAbsDifference(typescript, uncalibrated) > 0.05);
  });
});
