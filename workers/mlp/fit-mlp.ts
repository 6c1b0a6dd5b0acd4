import * as tf from '@tensorflow/tfjs-core';
import { seededRandom } from '../../main/stats/random.js';
import type { Design, Task } from '../../main/models/preprocess.js';

/** A dense matrix, row-major, as the MLP reads its inputs (the preprocessed design: standardised and one-hot). */
export interface DenseMatrix {
  rows: number;
  columns: number;
  values: Float32Array;
}

/** The design's numerics and one-hot blocks as one dense float32 matrix. */
export function denseFromDesign(design: Design): DenseMatrix {
  const columns = design.dimension;
  const values = new Float32Array(design.rows * columns);
  design.numeric.forEach((column, j) => {
    for (let r = 0; r < design.rows; r++) values[r * columns + j] = column[r]!;
  });
  design.categorical.forEach((levels, k) => {
    const offset = design.offsets[k]!;
    for (let r = 0; r < design.rows; r++) if (levels[r]! >= 0) values[r * columns + offset + levels[r]!] = 1;
  });
  return { rows: design.rows, columns, values };
}

export interface MlpParams {
  hiddenLayers: number[];
  learningRate: number;
  /** The most passes over the training rows; early stopping usually ends sooner. */
  epochs: number;
  /** Rows per mini-batch; null: chosen for the back end and the table (see defaultBatchSize). */
  batchSize: number | null;
  /** L2 penalty on the weight matrices (not the biases). */
  l2: number;
  dropout: number;
  /** Epochs without a better validation loss before stopping. */
  patience: number;
  seed: number;
  classWeights: number[] | null;
  /** Stop after the epoch that ends past this time (ms since the epoch), keeping the best epoch so far. */
  deadline: number | null;
}

export interface MlpInput {
  task: Task;
  classes: number;
  train: DenseMatrix;
  trainTargets: Int32Array | Float64Array;
  /** Rows for early stopping; with none, a seeded tenth of the training rows is held out for it. */
  validation: DenseMatrix | null;
  validationTargets: Int32Array | Float64Array | null;
}

/** One dense layer: weights row-major inputs × outputs, then the activation. */
export interface DenseLayer {
  inputs: number;
  outputs: number;
  weights: Float32Array;
  bias: Float32Array;
  activation: 'relu' | 'linear';
}

export interface MlpResult {
  /** The mini-batch size used. */
  batchSize: number;
  /** The last layer's outputs are logits (classification) or the target on its own scale (regression). */
  layers: DenseLayer[];
  epochs: number;
  bestEpoch: number;
  bestValidationLoss: number;
}

/**
 * Rows per mini-batch when the run does not say. A step's cost is mostly fixed overhead on every back end, far more
 * on a GPU (a dispatch and a queue per op), so GPUs get larger batches; small tables keep enough steps per epoch
 * (at least ~32) for Adam to converge within the epoch budget.
 */
export function defaultBatchSize(rows: number, gpu: boolean): number {
  if (!gpu) return rows > 50_000 ? 1024 : 256;
  const target = Math.min(4096, Math.max(256, rows / 32));
  return 2 ** Math.floor(Math.log2(target));
}

/** Rows per forward pass outside training: tfjs' default of 32 spends its time in per-call overhead. */
export const predictBatch = 4096;

function takeRows(m: DenseMatrix, rows: Int32Array): DenseMatrix {
  const values = new Float32Array(rows.length * m.columns);
  for (let i = 0; i < rows.length; i++)
    values.set(m.values.subarray(rows[i]! * m.columns, (rows[i]! + 1) * m.columns), i * m.columns);
  return { rows: rows.length, columns: m.columns, values };
}

/** He-uniform initialisation for ReLU layers, Glorot-uniform for the output, from the run's seed. */
function initialWeights(inputs: number, outputs: number, relu: boolean, random: () => number): Float32Array {
  const limit = relu ? Math.sqrt(6 / inputs) : Math.sqrt(6 / (inputs + outputs));
  return Float32Array.from({ length: inputs * outputs }, () => (2 * random() - 1) * limit);
}

/**
 * Trains a multilayer perceptron with Adam on the active tfjs back end: mini-batches in a seeded order, per-row
 * class weights, dropout, L2, and early stopping on the validation loss (the best epoch's weights are kept).
 * Regression targets are standardised for training and the scale is folded back into the last layer.
 */
export async function fitMlp(
  input: MlpInput,
  params: MlpParams,
  onEpoch: (epoch: number, loss: number, validationLoss: number) => void,
  /** Checked between mini-batches; throwing from it stops the fit. */
  checkCancelled: () => void = () => {},
  /** Whether the active back end is a GPU one (it gets larger default batches). */
  gpu = false,
): Promise<MlpResult> {
  const batchSize = params.batchSize ?? defaultBatchSize(input.train.rows, gpu);
  const random = seededRandom(params.seed);
  let { train, trainTargets, validation, validationTargets } = input;
  // An infinite patience means a fixed number of epochs (a refit on all rows): nothing is held out then.
  const earlyStopping = Number.isFinite(params.patience);
  if (earlyStopping && (validation === null || validationTargets === null || validation.rows === 0)) {
    const order = Int32Array.from({ length: train.rows }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const cut = Math.max(1, Math.floor(train.rows * 0.1));
    const held = order.subarray(0, cut).sort();
    const kept = order.subarray(cut).sort();
    validation = takeRows(train, held);
    validationTargets =
      trainTargets instanceof Int32Array
        ? Int32Array.from(held, (r) => trainTargets[r]!)
        : Float64Array.from(held, (r) => trainTargets[r]!);
    const source = trainTargets;
    trainTargets =
      source instanceof Int32Array ? Int32Array.from(kept, (r) => source[r]!) : Float64Array.from(kept, (r) => source[r]!);
    train = takeRows(train, kept);
  }
  const outputs = input.task === 'multiclass' ? input.classes : 1;
  // Regression: train on a standardised target so one learning rate suits every scale.
  let targetMean = 0;
  let targetStd = 1;
  if (input.task === 'regression') {
    for (const v of trainTargets) targetMean += v;
    targetMean /= trainTargets.length;
    let squares = 0;
    for (const v of trainTargets) squares += (v - targetMean) ** 2;
    targetStd = Math.sqrt(squares / trainTargets.length) || 1;
  }
  const targetTensor = (targets: Int32Array | Float64Array, rows: Int32Array): tf.Tensor2D => {
    const n = rows.length;
    if (input.task === 'multiclass') {
      const onehot = new Float32Array(n * outputs);
      for (let i = 0; i < n; i++) onehot[i * outputs + targets[rows[i]!]!] = 1;
      return tf.tensor2d(onehot, [n, outputs]);
    }
    if (input.task === 'binary')
      return tf.tensor2d(
        Float32Array.from(rows, (r) => targets[r]!),
        [n, 1],
      );
    return tf.tensor2d(
      Float32Array.from(rows, (r) => (targets[r]! - targetMean) / targetStd),
      [n, 1],
    );
  };
  const weightOf = (targets: Int32Array | Float64Array, r: number): number =>
    params.classWeights === null || input.task === 'regression' ? 1 : params.classWeights[targets[r]!]!;
  /** The (class-weighted) mean loss of the outputs on the rows, computed in double precision. */
  const meanLoss = (z: Float32Array, targets: Int32Array | Float64Array, rows: Int32Array): number => {
    let total = 0;
    let weights = 0;
    rows.forEach((r, i) => {
      const w = weightOf(targets, r);
      weights += w;
      if (input.task === 'binary') {
        const m = z[i]!;
        // log(1 + e^m) − y·m, stable for large |m|.
        total += w * (Math.max(m, 0) + Math.log1p(Math.exp(-Math.abs(m))) - targets[r]! * m);
      } else if (input.task === 'multiclass') {
        let max = Number.NEGATIVE_INFINITY;
        for (let c = 0; c < outputs; c++) max = Math.max(max, z[i * outputs + c]!);
        let sum = 0;
        for (let c = 0; c < outputs; c++) sum += Math.exp(z[i * outputs + c]! - max);
        total += w * (max + Math.log(sum) - z[i * outputs + targets[r]!]!);
      } else {
        total += w * (z[i]! - (targets[r]! - targetMean) / targetStd) ** 2;
      }
    });
    return total / weights;
  };

  const sizes = [train.columns, ...params.hiddenLayers, outputs];
  const variables = sizes.slice(1).map((size, l) => ({
    weights: tf.variable(
      tf.tensor2d(initialWeights(sizes[l]!, size, l < sizes.length - 2, random), [sizes[l]!, size]),
      true,
      `w${l}`,
    ),
    bias: tf.variable(tf.zeros([size]), true, `b${l}`),
  }));
  const forward = (x: tf.Tensor2D): tf.Tensor2D => {
    let h = x;
    variables.forEach((layer, l) => {
      h = tf.add(tf.matMul(h, layer.weights), layer.bias);
      if (l < variables.length - 1) h = tf.relu(h);
    });
    return h;
  };
  const optimizer = tf.train.adam(params.learningRate);

  /**
   * One Adam step on a mini-batch, with the gradients written out by hand (backpropagation through Gemm, ReLU and
   * dropout; the output layer's gradient of the sigmoid or softmax cross-entropy, or squared error, is p − y).
   * No autodiff tape: tfjs-core ships without its gradient registry, and the explicit pass is cheaper anyway.
   * Returns the batch's outputs before the step, for the loss.
   */
  const step = (x: tf.Tensor2D, y: tf.Tensor2D, weights: Float32Array | null, dropoutSeed: number): tf.Tensor2D =>
    tf.tidy(() => {
      const inputs: tf.Tensor2D[] = [x];
      const preActivations: tf.Tensor2D[] = [];
      const masks: tf.Tensor2D[] = [];
      let h = x;
      variables.forEach((layer, l) => {
        const z = tf.add<tf.Tensor2D>(tf.matMul(h, layer.weights), layer.bias);
        preActivations.push(z);
        if (l < variables.length - 1) {
          h = tf.relu(z);
          if (params.dropout > 0) {
            const keep: tf.Tensor2D = tf.div(
              tf.cast(tf.greater(tf.randomUniform(h.shape, 0, 1, 'float32', dropoutSeed + l), params.dropout), 'float32'),
              1 - params.dropout,
            );
            masks.push(keep);
            h = tf.mul<tf.Tensor2D>(h, keep);
          }
          inputs.push(h);
        }
      });
      const out = preActivations[preActivations.length - 1]!;
      const n = x.shape[0];
      let delta: tf.Tensor2D =
        input.task === 'binary'
          ? tf.sub(tf.sigmoid(out), y)
          : input.task === 'multiclass'
            ? tf.sub(tf.softmax(out), y)
            : tf.mul(tf.sub(out, y), 2);
      let scale = 1 / n;
      if (weights !== null) {
        delta = tf.mul(delta, tf.tensor2d(weights, [n, 1]));
        scale = 1 / weights.reduce((sum, w) => sum + w, 0);
      }
      delta = tf.mul(delta, scale);
      const gradients: { name: string; tensor: tf.Tensor }[] = [];
      for (let l = variables.length - 1; l >= 0; l--) {
        const layer = variables[l]!;
        let gradient: tf.Tensor = tf.matMul(inputs[l]!, delta, true, false);
        if (params.l2 > 0) gradient = tf.add(gradient, tf.mul(layer.weights, 2 * params.l2));
        gradients.push({ name: layer.weights.name, tensor: gradient }, { name: layer.bias.name, tensor: tf.sum(delta, 0) });
        if (l > 0) {
          let back: tf.Tensor2D = tf.matMul(delta, layer.weights, false, true);
          if (params.dropout > 0) back = tf.mul(back, masks[l - 1]!);
          delta = tf.mul(back, tf.cast(tf.greater(preActivations[l - 1]!, 0), 'float32'));
        }
      }
      optimizer.applyGradients(gradients);
      return out;
    });

  const held =
    validation !== null && validationTargets !== null && validation.rows > 0
      ? { matrix: validation, targets: validationTargets }
      : null;
  const validationLoss = async (): Promise<number> => {
    if (held === null) return Number.NaN;
    const { matrix, targets } = held;
    const z = new Float32Array(matrix.rows * outputs);
    for (let start = 0; start < matrix.rows; start += predictBatch) {
      const end = Math.min(matrix.rows, start + predictBatch);
      const x = matrix.values.subarray(start * matrix.columns, end * matrix.columns);
      const batchOutputs = tf.tidy(() => forward(tf.tensor2d(x, [end - start, matrix.columns])));
      z.set(await batchOutputs.data(), start * outputs);
      batchOutputs.dispose();
    }
    return meanLoss(
      z,
      targets,
      Int32Array.from({ length: matrix.rows }, (_, i) => i),
    );
  };

  const order = Int32Array.from({ length: train.rows }, (_, i) => i);
  const batch = new Float32Array(batchSize * train.columns);
  let best = { loss: Number.POSITIVE_INFINITY, epoch: 0, weights: [] as { weights: Float32Array; bias: Float32Array }[] };
  let epochs = 0;
  for (let epoch = 1; epoch <= params.epochs; epoch++) {
    epochs = epoch;
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    // Each batch's outputs are read back after the epoch, not after its step: a GPU back end then runs the epoch's
    // steps without waiting for a round trip per batch (reading back synchronously is not even possible there).
    const batchOutputs: { rows: Int32Array; out: tf.Tensor2D }[] = [];
    let epochLoss = 0;
    try {
      for (let start = 0; start < train.rows; start += batchSize) {
        checkCancelled();
        const rows = order.subarray(start, Math.min(train.rows, start + batchSize));
        for (let i = 0; i < rows.length; i++)
          batch.set(train.values.subarray(rows[i]! * train.columns, (rows[i]! + 1) * train.columns), i * train.columns);
        const dropoutSeed = Math.floor(random() * 2 ** 31);
        const x = tf.tensor2d(batch.subarray(0, rows.length * train.columns), [rows.length, train.columns]);
        const y = targetTensor(trainTargets, rows);
        const weights = params.classWeights === null ? null : Float32Array.from(rows, (r) => weightOf(trainTargets, r));
        batchOutputs.push({ rows, out: step(x, y, weights, dropoutSeed) });
        tf.dispose([x, y]);
      }
      for (const { rows, out } of batchOutputs) {
        epochLoss += meanLoss((await out.data()) as Float32Array, trainTargets, rows) * rows.length;
        out.dispose();
      }
    } finally {
      // A cancelled epoch leaves outputs unread: free them (disposing a disposed tensor does nothing).
      tf.dispose(batchOutputs.map((b) => b.out));
    }
    const validationValue = await validationLoss();
    onEpoch(epoch, epochLoss / train.rows, validationValue);
    // The first epoch is always kept, so a model exists even when every validation loss is NaN.
    if (!earlyStopping || validationValue < best.loss - 1e-7 || best.epoch === 0) {
      best = {
        loss: validationValue,
        epoch,
        weights: await Promise.all(
          variables.map(async (layer) => ({
            weights: (await layer.weights.data()) as Float32Array,
            bias: (await layer.bias.data()) as Float32Array,
          })),
        ),
      };
    } else if (epoch - best.epoch >= params.patience) {
      break;
    }
    if (params.deadline !== null && Date.now() > params.deadline) break;
  }
  optimizer.dispose();
  for (const layer of variables) {
    layer.weights.dispose();
    layer.bias.dispose();
  }
  const layers: DenseLayer[] = best.weights.map((w, l) => ({
    inputs: sizes[l]!,
    outputs: sizes[l + 1]!,
    weights: Float32Array.from(w.weights),
    bias: Float32Array.from(w.bias),
    activation: l < best.weights.length - 1 ? 'relu' : 'linear',
  }));
  if (input.task === 'regression') {
    // Fold the target's scale into the last layer: y = (h·W + b)·std + mean.
    const last = layers[layers.length - 1]!;
    for (let i = 0; i < last.weights.length; i++) last.weights[i]! *= targetStd;
    for (let i = 0; i < last.bias.length; i++) last.bias[i] = last.bias[i]! * targetStd + targetMean;
  }
  return { batchSize, layers, epochs, bestEpoch: best.epoch, bestValidationLoss: best.loss };
}
