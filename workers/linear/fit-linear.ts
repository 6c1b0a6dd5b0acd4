import { linearMargins, type Design, type Task } from '../../main/models/preprocess.js';
import { minimizeLbfgs } from './lbfgs.js';

export interface LinearFitOptions {
  task: Task;
  /** Number of classes for classification (2 for binary); ignored for regression. */
  classes: number;
  /** L2 penalty λ on the weights (not the intercepts), on the mean loss: loss/n + λ/2·‖W‖². */
  l2: number;
  maxIterations: number;
  /** Stop unconverged after the iteration that ends past this time (ms since the epoch); a time budget's. */
  deadline?: number | null;
  onIteration?: (iteration: number, loss: number, validationLoss: number | null) => void;
}

export interface LinearFit {
  outputs: number;
  weights: Float64Array;
  intercepts: Float64Array;
  iterations: number;
  converged: boolean;
  loss: number;
}

/** Targets: class index per row (Int32Array) for classification, values (Float64Array) for regression. */
export type Targets = Int32Array | Float64Array;

export function outputsFor(task: Task, classes: number): number {
  return task === 'multiclass' ? classes : 1;
}

/** Mean loss over rows and the residual ∂loss/∂margin per row and output (written into `residual`). */
export function meanLoss(task: Task, margins: Float64Array, targets: Targets, outputs: number, residual?: Float64Array): number {
  const n = targets.length;
  let loss = 0;
  if (task === 'regression') {
    for (let i = 0; i < n; i++) {
      const e = margins[i]! - targets[i]!;
      loss += 0.5 * e * e;
      if (residual) residual[i] = e / n;
    }
  } else if (task === 'binary') {
    for (let i = 0; i < n; i++) {
      const m = margins[i]!;
      const yi = targets[i]!;
      // log(1 + e^m) − y·m, computed without overflow.
      loss += (m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m))) - yi * m;
      if (residual) residual[i] = (1 / (1 + Math.exp(-m)) - yi) / n;
    }
  } else {
    for (let i = 0; i < n; i++) {
      let max = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < outputs; c++) max = Math.max(max, margins[i * outputs + c]!);
      let sum = 0;
      for (let c = 0; c < outputs; c++) sum += Math.exp(margins[i * outputs + c]! - max);
      const yi = targets[i]!;
      loss += max + Math.log(sum) - margins[i * outputs + yi]!;
      if (residual) {
        for (let c = 0; c < outputs; c++) {
          const p = Math.exp(margins[i * outputs + c]! - max) / sum;
          residual[i * outputs + c] = (p - (c === yi ? 1 : 0)) / n;
        }
      }
    }
  }
  return loss / n;
}

/** Fits linear regression (squared loss), logistic regression or multinomial logistic regression with L2. */
export function fitLinear(
  train: Design,
  targets: Targets,
  options: LinearFitOptions,
  validation?: { design: Design; targets: Targets },
): LinearFit {
  const outputs = outputsFor(options.task, options.classes);
  const d = train.dimension;
  const n = train.rows;
  const residual = new Float64Array(n * outputs);
  const start = new Float64Array(outputs * d + outputs);
  if (options.task === 'regression') {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += targets[i]!;
    start[outputs * d] = mean / n;
  }
  const split = (x: Float64Array): { w: Float64Array; b: Float64Array } => ({
    w: x.subarray(0, outputs * d),
    b: x.subarray(outputs * d),
  });
  const objective = (x: Float64Array, gradient: Float64Array): number => {
    const { w, b } = split(x);
    const margins = linearMargins(train, w, b, outputs);
    let value = meanLoss(options.task, margins, targets, outputs, residual);
    gradient.fill(0);
    const gw = gradient.subarray(0, outputs * d);
    const gb = gradient.subarray(outputs * d);
    for (let i = 0; i < n; i++) for (let c = 0; c < outputs; c++) gb[c]! += residual[i * outputs + c]!;
    train.numeric.forEach((column, j) => {
      for (let c = 0; c < outputs; c++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += residual[i * outputs + c]! * column[i]!;
        gw[c * d + j] = s;
      }
    });
    train.categorical.forEach((codes, k) => {
      const offset = train.offsets[k]!;
      for (let i = 0; i < n; i++) {
        const code = codes[i]!;
        if (code < 0) continue;
        for (let c = 0; c < outputs; c++) gw[c * d + offset + code]! += residual[i * outputs + c]!;
      }
    });
    for (let i = 0; i < w.length; i++) {
      value += 0.5 * options.l2 * w[i]! * w[i]!;
      gw[i]! += options.l2 * w[i]!;
    }
    return value;
  };
  const result = minimizeLbfgs(objective, start, {
    maxIterations: options.maxIterations,
    gradientTolerance: 1e-7,
    relativeTolerance: 1e-12,
    history: 10,
    deadline: options.deadline ?? null,
    onIteration: (iteration, value, _gradientNorm, current) => {
      let validationLoss: number | null = null;
      if (validation !== undefined && validation.design.rows > 0) {
        const { w, b } = split(current);
        validationLoss = meanLoss(options.task, linearMargins(validation.design, w, b, outputs), validation.targets, outputs);
      }
      options.onIteration?.(iteration, value, validationLoss);
    },
  });
  const { w, b } = split(result.x);
  return {
    outputs,
    weights: Float64Array.from(w),
    intercepts: Float64Array.from(b),
    iterations: result.iterations,
    converged: result.converged,
    loss: result.value,
  };
}
