import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { probeWebGpu } from '../../main/accel/webgpu.js';
import { createSession } from '../../main/accel/onnx-runtime.js';
import { loadOrt } from '../../main/accel/ort-load.js';
import { predictMlpDesign, type MlpModel } from '../../main/models/mlp-model.js';
import { seededRandom } from '../../main/stats/random.js';
import { selectBackend } from '../../workers/mlp/backend.js';
import { denseFromDesign, fitMlp, type MlpParams, type MlpResult } from '../../workers/mlp/fit-mlp.js';
import { floatMlpGraph } from '../fixtures/float-mlp.js';
import { xorDesign } from '../helpers.js';

/*
 * The WebGPU paths against the CPU ones, on whatever adapter Dawn finds: on a box without a GPU that is Mesa's
 * lavapipe (a software Vulkan device, installed by .ci/run from bookworm-backports). Where no adapter exists at all
 * the comparisons cannot run, and the test asserts the reason reported instead; CI sets HEARTH_REQUIRE_WEBGPU=1 so
 * that a missing adapter there fails rather than passes quietly.
 */
const probe = await probeWebGpu();
const required = process.env.HEARTH_REQUIRE_WEBGPU === '1';

const params: MlpParams = {
  hiddenLayers: [32, 16],
  learningRate: 0.01,
  epochs: 8,
  batchSize: 128,
  l2: 1e-5,
  dropout: 0.1,
  patience: Number.POSITIVE_INFINITY,
  seed: 11,
  classWeights: null,
  deadline: null,
};

async function train(
  backend: 'cpu' | 'webgpu',
  data: ReturnType<typeof xorDesign>,
): Promise<{ fit: MlpResult; losses: number[] }> {
  const choice = await selectBackend(undefined, backend);
  assert.equal(choice.name, backend);
  assert.equal(tf.getBackend(), backend, 'tfjs must not have fallen back to another back end');
  const losses: number[] = [];
  const fit = await fitMlp(
    {
      task: 'binary',
      classes: 2,
      train: denseFromDesign(data.design),
      trainTargets: data.targets,
      validation: null,
      validationTargets: null,
    },
    params,
    (_epoch, loss) => losses.push(loss),
  );
  return { fit, losses };
}

describe('WebGPU', () => {
  if (!probe.ok) {
    it('no adapter here: the reason is reported, not a crash', () => {
      assert.equal(required, false, `HEARTH_REQUIRE_WEBGPU=1 but no adapter: ${probe.reason}`);
      assert.match(probe.reason, /adapter|did not load/);
    });
    return;
  }

  it(`found an adapter and says whether it is software (${probe.info.device})`, () => {
    assert.ok(probe.info.device.length > 0);
    // lavapipe, the adapter CI has, must be recognised as software: it is never chosen for speed.
    if (/llvmpipe|lavapipe/i.test(probe.info.device)) assert.equal(probe.info.software, true);
  });

  it('TensorFlow.js: an MLP trains on WebGPU with the losses and predictions it has on the CPU', async () => {
    const data = xorDesign(3000, 2);
    const onCpu = await train('cpu', data);
    const onGpu = await train('webgpu', data);
    assert.equal(onGpu.losses.length, params.epochs);
    onCpu.losses.forEach((loss, i) => {
      const gap = Math.abs(loss - onGpu.losses[i]!) / Math.abs(loss);
      assert.ok(gap < 1e-3, `epoch ${i + 1}: cpu ${loss}, webgpu ${onGpu.losses[i]} (relative gap ${gap})`);
    });
    // It learnt something: the last epoch's loss is well under the first's.
    assert.ok(onGpu.losses.at(-1)! < 0.8 * onGpu.losses[0]!, `losses ${onGpu.losses.join(', ')}`);
    const held = xorDesign(500, 9);
    const model = (fit: MlpResult): MlpModel => ({
      format: 'hearth.mlp/1',
      task: 'binary',
      target: 'y',
      classes: ['0', '1'],
      preprocessor: { target: 'y', features: [], ignored: [] } as unknown as MlpModel['preprocessor'],
      layers: fit.layers.map((l) => ({ ...l, weights: Array.from(l.weights), bias: Array.from(l.bias) })),
      backend: 'test',
    });
    const p = predictMlpDesign(model(onCpu.fit), held.design);
    const q = predictMlpDesign(model(onGpu.fit), held.design);
    assert.equal(p.kind, 'classification');
    if (p.kind !== 'classification' || q.kind !== 'classification') return;
    let worst = 0;
    for (let i = 0; i < p.probabilities.length; i++) worst = Math.max(worst, Math.abs(p.probabilities[i]! - q.probabilities[i]!));
    assert.ok(worst < 1e-3, `largest probability gap between the cpu- and webgpu-trained models: ${worst}`);
  });

  it('TensorFlow.js: large tensors (4M elements) compute right on the adapter', async () => {
    await selectBackend(undefined, 'webgpu');
    const rows = 65_536;
    const x = tf.fill([rows, 64], 0.5);
    const w = tf.fill([64, 8], 0.25);
    const product = tf.matMul(x, w);
    const values = await product.data();
    tf.dispose([x, w, product]);
    assert.equal(values.length, rows * 8);
    assert.ok(values.every((v) => Math.abs(v - 8) < 1e-4));
  });

  it('ONNX Runtime: a float32 MLP runs every node on WebGPU and answers what the CPU provider answers', async () => {
    const model = floatMlpGraph(12, [64, 32], 4);
    const ort = await loadOrt();
    const rows = 257;
    const random = seededRandom(4);
    const input = Float32Array.from({ length: rows * 12 }, () => 4 * random() - 2);
    const cpu = await createSession(model, 'cpu');
    const gpu = await createSession(model, 'webgpu');
    try {
      assert.equal(cpu.executionProvider, 'cpu');
      assert.equal(gpu.placement.provider, 'webgpu');
      assert.match(gpu.executionProvider, /^webgpu: all \d+ nodes$/);
      const feeds = { features: { type: 'float32' as const, data: input, dims: [rows, 12] } };
      const a = (await cpu.run(feeds, ['probabilities'])).probabilities!.data as Float32Array;
      const b = (await gpu.run(feeds, ['probabilities'])).probabilities!.data as Float32Array;
      assert.equal(b.length, rows * 4);
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      assert.ok(worst < 1e-5, `largest gap ${worst}`);
      assert.ok(ort.env.versions.common !== undefined);
    } finally {
      await cpu.release();
      await gpu.release();
    }
  });
});
