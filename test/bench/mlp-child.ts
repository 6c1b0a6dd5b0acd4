// MLP training speed on one pinned TensorFlow.js back end, in a fresh process: seconds per epoch on a synthetic
// design, and forward-pass time in batches of 32 (tfjs' default) and 4,096. Prints one JSON line.
import { selectBackend, type BackendName } from '../../workers/mlp/backend.js';
import { fitMlp, type DenseMatrix } from '../../workers/mlp/fit-mlp.js';
import { seededRandom } from '../../main/stats/random.js';
import * as tf from '@tensorflow/tfjs-core';

const backend = (process.argv[2] ?? 'wasm') as BackendName;
const rows = Number(process.argv[3] ?? 50_000);
const columns = 40;
const random = seededRandom(1);
const values = Float32Array.from({ length: rows * columns }, () => 2 * random() - 1);
const targets = Int32Array.from({ length: rows }, (_, i) => (values[i * columns]! * values[i * columns + 1]! > 0 ? 1 : 0));
const train: DenseMatrix = { rows, columns, values };
const choice = await selectBackend(undefined, backend);
const epochs = 3;
const epochTimes: number[] = [];
let last = performance.now();
await fitMlp(
  { task: 'binary', classes: 2, train, trainTargets: targets, validation: null, validationTargets: null },
  {
    hiddenLayers: [64, 32],
    learningRate: 1e-3,
    epochs,
    batchSize: 256,
    l2: 0,
    dropout: 0,
    patience: 100,
    seed: 1,
    classWeights: null,
    deadline: null,
  },
  () => {
    const now = performance.now();
    epochTimes.push(now - last);
    last = now;
  },
);
// Forward passes of the same shapes as training, in small and large batches.
const w1 = tf.randomNormal([columns, 64]);
const w2 = tf.randomNormal([64, 32]);
const w3 = tf.randomNormal([32, 1]);
const forward = (batch: number): number => {
  const t = performance.now();
  for (let start = 0; start < rows; start += batch) {
    const end = Math.min(rows, start + batch);
    tf.tidy(() => {
      const x = tf.tensor2d(values.subarray(start * columns, end * columns), [end - start, columns]);
      return tf.sigmoid(tf.matMul(tf.relu(tf.matMul(tf.relu(tf.matMul(x, w1)), w2)), w3)).dataSync();
    });
  }
  return (performance.now() - t) / 1000;
};
process.stdout.write(
  `${JSON.stringify({
    backend: choice.name,
    simd: choice.simd,
    rows,
    columns,
    hidden: [64, 32],
    batch_size: 256,
    epoch_s: Number((epochTimes.slice(1).reduce((s, v) => s + v, 0) / Math.max(1, epochTimes.length - 1) / 1000).toFixed(3)),
    first_epoch_s: Number(((epochTimes[0] ?? 0) / 1000).toFixed(3)),
    predict_s_batch_32: Number(forward(32).toFixed(3)),
    predict_s_batch_4096: Number(forward(4096).toFixed(3)),
  })}\n`,
);
