// One back end of the GPU benchmark, in a fresh process (a back end's native state stays out of the others' way):
//   gpu-child.js tfjs NAME ROWS   MLP training on that TensorFlow.js back end, then forward passes
//   gpu-child.js ort NAME ROWS    batch predictions of a float32 MLP graph on that ONNX Runtime provider
// Prints one JSON line.
import * as tf from '@tensorflow/tfjs-core';
import { createSession } from '../../main/accel/onnx-runtime.js';
import type { OrtProviderName } from '../../main/contracts/api.js';
import { seededRandom } from '../../main/stats/random.js';
import { selectBackend, type BackendName } from '../../workers/mlp/backend.js';
import { fitMlp, type DenseMatrix } from '../../workers/mlp/fit-mlp.js';
import { floatMlpGraph } from '../fixtures/float-mlp.js';

const [runtime, name, rowsArg] = process.argv.slice(2);
const rows = Number(rowsArg ?? 100_000);
const columns = 64;
const hidden = [512, 256];
/** Each back end gets this long to train; the slow ones report the epochs they finished. */
const budgetMs = Number(process.env.HEARTH_GPU_BENCH_BUDGET_S ?? 60) * 1000;

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const random = seededRandom(1);
const values = Float32Array.from({ length: rows * columns }, () => 2 * random() - 1);

if (runtime === 'tfjs') {
  const targets = Int32Array.from({ length: rows }, (_, i) =>
    values[i * columns]! * values[i * columns + 1]! + values[i * columns + 2]! > 0 ? 1 : 0,
  );
  const train: DenseMatrix = { rows, columns, values };
  const choice = await selectBackend(undefined, name as BackendName);
  const gpu = choice.name === 'webgpu' || choice.name === 'tensorflow-gpu';
  const epochTimes: number[] = [];
  const losses: number[] = [];
  const started = performance.now();
  let last = started;
  const fit = await fitMlp(
    { task: 'binary', classes: 2, train, trainTargets: targets, validation: null, validationTargets: null },
    {
      hiddenLayers: hidden,
      learningRate: 1e-3,
      epochs: 4,
      batchSize: null,
      l2: 0,
      dropout: 0,
      patience: Number.POSITIVE_INFINITY,
      seed: 1,
      classWeights: null,
      deadline: Date.now() + budgetMs,
    },
    (_epoch, loss) => {
      const now = performance.now();
      epochTimes.push(now - last);
      losses.push(loss);
      last = now;
    },
    () => {},
    gpu,
  );
  // Forward passes in batches of 4,096 rows, read back asynchronously as the serving path would.
  const weights = fit.layers.map((l) => ({
    w: tf.tensor2d(l.weights, [l.inputs, l.outputs]),
    b: tf.tensor1d(l.bias),
  }));
  const forwardStarted = performance.now();
  const forwardRows = Math.min(rows, 65_536);
  for (let start = 0; start < forwardRows; start += 4096) {
    const end = Math.min(forwardRows, start + 4096);
    const out = tf.tidy(() => {
      let h: tf.Tensor2D = tf.tensor2d(values.subarray(start * columns, end * columns), [end - start, columns]);
      weights.forEach((l, i) => {
        h = tf.add(tf.matMul(h, l.w), l.b);
        if (i < weights.length - 1) h = tf.relu(h);
      });
      return tf.sigmoid(h);
    });
    await out.data();
    out.dispose();
  }
  const forwardS = (performance.now() - forwardStarted) / 1000;
  const steady = epochTimes.length > 1 ? epochTimes.slice(1) : epochTimes;
  emit({
    bench: 'gpu',
    runtime: 'tfjs',
    backend: choice.name,
    device: choice.device,
    rows,
    columns,
    hidden,
    batch_size: fit.batchSize,
    epochs_done: epochTimes.length,
    first_epoch_s: Number(((epochTimes[0] ?? 0) / 1000).toFixed(3)),
    epoch_s: Number((steady.reduce((s, v) => s + v, 0) / Math.max(1, steady.length) / 1000).toFixed(3)),
    train_rows_per_s: Math.round((rows * steady.length) / (steady.reduce((s, v) => s + v, 0) / 1000 || 1)),
    losses: losses.map((l) => Number(l.toFixed(6))),
    predict_rows_per_s: Math.round(forwardRows / forwardS),
  });
} else if (runtime === 'ort') {
  const model = floatMlpGraph(columns, hidden, 8);
  const session = await createSession(model, name as OrtProviderName);
  const batch = Math.min(4096, rows);
  const feeds = (start: number) => ({
    features: {
      type: 'float32' as const,
      data: values.subarray(start * columns, (start + batch) * columns),
      dims: [batch, columns],
    },
  });
  await session.run(feeds(0), ['probabilities']); // the first run compiles shaders and allocates
  const latencies: number[] = [];
  const began = performance.now();
  let done = 0;
  for (
    let start = 0;
    performance.now() - began < Math.min(budgetMs, 20_000) || latencies.length < 5;
    start = rows === batch ? 0 : (start + batch) % (rows - batch)
  ) {
    const t = performance.now();
    await session.run(feeds(start), ['probabilities']);
    latencies.push(performance.now() - t);
    done += batch;
    if (latencies.length >= 2000) break;
  }
  const seconds = (performance.now() - began) / 1000;
  latencies.sort((a, b) => a - b);
  emit({
    bench: 'gpu',
    runtime: 'onnxruntime',
    backend: name,
    placement: session.executionProvider,
    graph: `float32 MLP ${columns}→${hidden.join('→')}→8`,
    batch_rows: batch,
    // Sessions are created as the serving pool creates them: one intra-op thread each (the pool runs several).
    session_threads: 1,
    batches: latencies.length,
    predict_rows_per_s: Math.round(done / seconds),
    batch_ms_p50: Number(latencies[Math.floor(latencies.length / 2)]!.toFixed(2)),
    batch_ms_p99: Number(latencies[Math.floor(latencies.length * 0.99)]!.toFixed(2)),
  });
  await session.release();
} else {
  throw new Error('usage: gpu-child.js tfjs|ort NAME [ROWS]');
}
