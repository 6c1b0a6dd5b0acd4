import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { readCsv } from '../../main/data/csv.js';
import { exportModelToOnnx } from '../../main/models/model.js';
import { createSession } from '../../main/accel/onnx-runtime.js';
import { Predictor } from '../../main/models/predictor.js';
import { predictMlp, type MlpModel } from '../../main/models/mlp-model.js';
import { designFromFrame, fitPreprocessor, rawInputsFromFrame, type Design, type Task } from '../../main/models/preprocess.js';
import { seededRandom } from '../../main/stats/random.js';
import { maxAbsDifference, parityTolerance } from '../../main/training/trainer.js';
import { backendOrder, selectBackend, type BackendCandidate } from '../../workers/mlp/backend.js';
import { denseFromDesign, fitMlp, type MlpParams } from '../../workers/mlp/fit-mlp.js';
import { syntheticCsv, tempDir, writeFile, xorDesign } from '../helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

const params: MlpParams = {
  hiddenLayers: [16, 8],
  learningRate: 0.01,
  epochs: 60,
  batchSize: 64,
  l2: 0,
  dropout: 0,
  patience: 15,
  seed: 3,
  classWeights: null,
  deadline: null,
};

describe('TensorFlow.js back end selection', () => {
  it('falls back past a back end that fails to load and records why', async () => {
    const candidates: BackendCandidate[] = [
      {
        name: 'tensorflow-gpu',
        register: () => Promise.reject(new Error('libtensorflow.so: cannot open shared object file')),
      },
      { name: 'tensorflow', register: () => Promise.reject(new Error('no CUDA device')) },
      { name: 'cpu', register: async () => (await import('@tensorflow/tfjs-backend-cpu'), { tfName: 'cpu', device: 'CPU' }) },
    ];
    const choice = await selectBackend(candidates);
    assert.equal(choice.name, 'cpu');
    assert.deepEqual(
      choice.skipped.map((s) => s.name),
      ['tensorflow-gpu', 'tensorflow'],
    );
    assert.match(choice.skipped[0]!.reason, /libtensorflow/);
  });

  it('a back end that registers but cannot initialise is skipped too', async () => {
    const choice = await selectBackend([
      { name: 'wasm', register: () => Promise.resolve({ tfName: 'no-such-backend', device: '?' }) },
      { name: 'cpu', register: () => Promise.resolve({ tfName: 'cpu', device: 'CPU' }) },
    ]);
    assert.equal(choice.name, 'cpu');
    assert.equal(choice.skipped[0]!.name, 'wasm');
  });

  it('fails with every reason when nothing loads, and honours a pinned back end', async () => {
    await assert.rejects(
      selectBackend([{ name: 'wasm', register: () => Promise.reject(new Error('no wasm')) }]),
      /no TensorFlow.js back end could load: wasm: no wasm/,
    );
    const pinned = await selectBackend(undefined, 'cpu');
    assert.equal(pinned.name, 'cpu');
    assert.deepEqual(pinned.skipped, []);
  });

  it('the default chain picks the first back end that loads here, in order', async () => {
    const choice = await selectBackend();
    const position = backendOrder.indexOf(choice.name);
    assert.ok(position >= 0);
    assert.deepEqual(
      choice.skipped.map((s) => s.name),
      backendOrder.slice(0, position),
    );
    if (choice.name === 'wasm') assert.equal(typeof choice.simd, 'boolean');
  });
});

describe('MLP training', () => {
  it('learns XOR, which no linear model can (held-out accuracy > 0.95)', async () => {
    await selectBackend();
    const train = xorDesign(3000, 1);
    const test = xorDesign(1000, 2);
    const fit = await fitMlp(
      {
        task: 'binary',
        classes: 2,
        train: denseFromDesign(train.design),
        trainTargets: train.targets,
        validation: null,
        validationTargets: null,
      },
      params,
      () => {},
    );
    assert.ok(fit.bestEpoch >= 1 && fit.bestEpoch <= fit.epochs);
    const model: MlpModel = {
      format: 'hearth.mlp/1',
      task: 'binary',
      target: 'y',
      classes: ['0', '1'],
      preprocessor: { features: [], ignored: [] },
      layers: fit.layers.map((l) => ({ ...l, weights: Array.from(l.weights), bias: Array.from(l.bias) })),
      backend: 'test',
    };
    const { predictMlpDesign } = await import('../../main/models/mlp-model.js');
    const prediction = predictMlpDesign(model, test.design);
    assert.equal(prediction.kind, 'classification');
    let correct = 0;
    for (let i = 0; i < test.design.rows; i++) {
      const p = prediction.kind === 'classification' ? prediction.probabilities[2 * i + 1]! : 0;
      if ((p > 0.5 ? 1 : 0) === test.targets[i]) correct++;
    }
    assert.ok(correct / test.design.rows > 0.95, `accuracy ${correct / test.design.rows}`);
  });

  it('regression: the target scale is folded into the last layer (y = 1000·x + 5000)', async () => {
    await selectBackend();
    const random = seededRandom(9);
    const x = Float64Array.from({ length: 2000 }, () => 2 * random() - 1);
    const y = Float64Array.from(x, (v) => 1000 * v + 5000);
    const design: Design = { rows: x.length, numeric: [x], categorical: [], offsets: [], dimension: 1 };
    const fit = await fitMlp(
      {
        task: 'regression',
        classes: 0,
        train: denseFromDesign(design),
        trainTargets: y,
        validation: null,
        validationTargets: null,
      },
      { ...params, hiddenLayers: [8] },
      () => {},
    );
    const { predictMlpDesign } = await import('../../main/models/mlp-model.js');
    const model: MlpModel = {
      format: 'hearth.mlp/1',
      task: 'regression',
      target: 'y',
      classes: null,
      preprocessor: { features: [], ignored: [] },
      layers: fit.layers.map((l) => ({ ...l, weights: Array.from(l.weights), bias: Array.from(l.bias) })),
      backend: 'test',
    };
    const probe: Design = { rows: 3, numeric: [Float64Array.from([-0.5, 0, 0.5])], categorical: [], offsets: [], dimension: 1 };
    const values = predictMlpDesign(model, probe);
    assert.equal(values.kind, 'regression');
    if (values.kind === 'regression') {
      [4500, 5000, 5500].forEach((expected, i) => assert.ok(Math.abs(values.values[i]! - expected) < 30, `${values.values[i]}`));
    }
  });

  it('the same seed gives the same weights', async () => {
    await selectBackend();
    const data = xorDesign(500, 4);
    const run = () =>
      fitMlp(
        {
          task: 'binary',
          classes: 2,
          train: denseFromDesign(data.design),
          trainTargets: data.targets,
          validation: null,
          validationTargets: null,
        },
        { ...params, epochs: 5, dropout: 0.2 },
        () => {},
      );
    assert.deepEqual((await run()).layers[0]!.weights, (await run()).layers[0]!.weights);
  });
});

describe('MLP ONNX export', () => {
  for (const task of ['binary', 'multiclass', 'regression'] as const satisfies Task[]) {
    it(`${task}: ONNX Runtime (Gemm/Relu/${task === 'binary' ? 'Sigmoid' : task === 'multiclass' ? 'Softmax' : 'identity'}) matches the TypeScript forward pass, missing values included`, async () => {
      await selectBackend();
      const { frame } = await readCsv(writeFile(tmp.dir, `${task}.csv`, syntheticCsv(task, 2000)));
      const target = { binary: 'label', multiclass: 'kind', regression: 'amount' }[task];
      const rows = Int32Array.from({ length: 1500 }, (_, i) => i);
      const held = Int32Array.from({ length: 500 }, (_, i) => 1500 + i);
      const prep = fitPreprocessor(frame, rows, target);
      const column = frame.columns.find((c) => c.name === target)!;
      const classes = column.kind === 'string' ? [...column.dictionary].sort() : null;
      const targets =
        column.kind === 'string'
          ? Int32Array.from(rows, (r) => classes!.indexOf(column.dictionary[column.codes[r]!]!))
          : Float64Array.from(rows, (r) => column.values[r]!);
      const fit = await fitMlp(
        {
          task,
          classes: classes?.length ?? 0,
          train: denseFromDesign(designFromFrame(prep, frame, rows)),
          trainTargets: targets,
          validation: null,
          validationTargets: null,
        },
        { ...params, epochs: 10 },
        () => {},
      );
      const model: MlpModel = {
        format: 'hearth.mlp/1',
        task,
        target,
        classes,
        preprocessor: prep,
        layers: fit.layers.map((l) => ({ ...l, weights: Array.from(l.weights), bias: Array.from(l.bias) })),
        backend: 'test',
      };
      const heldFrame = {
        rowCount: held.length,
        columns: frame.columns.map((c) =>
          c.kind === 'numeric'
            ? { ...c, values: Float64Array.from(held, (r) => c.values[r]!) }
            : { ...c, codes: Int32Array.from(held, (r) => c.codes[r]!) },
        ),
      };
      const raw = rawInputsFromFrame(prep, heldFrame);
      assert.ok(
        raw.numeric.some((c) => c.some((v) => Number.isNaN(v))),
        'the held-out rows include missing numbers',
      );
      const loaded = await createSession(exportModelToOnnx(model, 'test'));
      const onnx = await new Predictor('m', 1, model, loaded).run(raw);
      await loaded.session.release();
      const reference = predictMlp(model, raw);
      const difference = maxAbsDifference(onnx, reference);
      // The graph's layers run in float32 (so a GPU provider can take them): within the trainer's own gate.
      const tolerance = parityTolerance(model, reference);
      assert.ok(difference <= tolerance, `max difference ${difference} (allowed ${tolerance})`);
    });
  }
});
