import type { Task } from '../preprocess.js';

/** The truth of some rows: class indices in the model's class order, or values for regression. */
export type Targets = Int32Array | Float64Array;

/**
 * Mean loss of margins (n × K, row-major) against the truth: log loss through a sigmoid (binary, K = 1) or a
 * softmax (multiclass), squared error for regression. What pruning and truncation minimise on validation rows.
 */
export function marginLoss(task: Task, margins: Float64Array, K: number, targets: Targets): number {
  const n = targets.length;
  if (n === 0) return 0;
  let total = 0;
  if (task === 'regression') {
    for (let i = 0; i < n; i++) total += (margins[i]! - targets[i]!) ** 2;
    return total / n;
  }
  if (task === 'binary') {
    for (let i = 0; i < n; i++) {
      const m = margins[i]!;
      // softplus(m) − y·m, computed without overflow.
      const softplus = m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m));
      total += softplus - (targets[i] === 1 ? m : 0);
    }
    return total / n;
  }
  for (let i = 0; i < n; i++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < K; k++) max = Math.max(max, margins[i * K + k]!);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += Math.exp(margins[i * K + k]! - max);
    total += max + Math.log(sum) - margins[i * K + targets[i]!]!;
  }
  return total / n;
}
