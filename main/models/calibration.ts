/** linear-model.ts's PredictionMatrix, restated so that the model formats can import this file without a circle. */
type PredictionMatrix =
  { kind: 'classification'; classes: string[]; probabilities: Float64Array } | { kind: 'regression'; values: Float64Array };

/**
 * A probability calibrator fitted on out-of-fold predictions, stored with the model and applied after it (by the
 * TypeScript predictor and inside the ONNX graph, with the same formulas):
 * - platt (binary): P(positive) ↦ sigmoid(a · logit(p) + b) (Platt 1999, on the logit as in Kull et al. 2017, so
 *   a = 1, b = 0 is the identity);
 * - isotonic (binary): P(positive) ↦ the piecewise-linear interpolation of a non-decreasing map through the points
 *   (x, y), constant beyond its ends (Zadrozny & Elkan 2002; scikit-learn's IsotonicRegression);
 * - temperature (multiclass): p ↦ softmax(log p / T) (Guo et al. 2017).
 */
export type Calibrator =
  | { kind: 'platt'; a: number; b: number }
  | { kind: 'isotonic'; x: number[]; y: number[] }
  | { kind: 'temperature'; temperature: number };

export type CalibrationMethod = Calibrator['kind'];

/** Probabilities are kept this far from 0 and 1 before a logarithm, in the graph and here alike. */
export const calibrationEpsilon = 1e-15;

/** The calibrated prediction; a regression, or no calibrator, passes through unchanged. */
export function applyCalibrator(calibrator: Calibrator | undefined, prediction: PredictionMatrix): PredictionMatrix {
  if (calibrator === undefined || prediction.kind === 'regression') return prediction;
  const k = prediction.classes.length;
  const p = prediction.probabilities;
  const n = p.length / k;
  const out = new Float64Array(p.length);
  if (calibrator.kind === 'temperature') {
    for (let i = 0; i < n; i++) {
      let max = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < k; c++) max = Math.max(max, (out[i * k + c] = temperatureLogit(p[i * k + c]!, calibrator.temperature)));
      let sum = 0;
      for (let c = 0; c < k; c++) sum += out[i * k + c] = Math.exp(out[i * k + c]! - max);
      for (let c = 0; c < k; c++) out[i * k + c]! /= sum;
    }
  } else {
    const map = binaryMap(calibrator);
    for (let i = 0; i < n; i++) {
      const q = map(p[2 * i + 1]!);
      out[2 * i] = 1 - q;
      out[2 * i + 1] = q;
    }
  }
  return { kind: 'classification', classes: prediction.classes, probabilities: out };
}

export function temperatureLogit(p: number, temperature: number): number {
  return Math.log(Math.min(1, Math.max(calibrationEpsilon, p))) / temperature;
}

/** P(positive) ↦ calibrated P(positive), for the binary calibrators. */
export function binaryMap(calibrator: Exclude<Calibrator, { kind: 'temperature' }>): (p: number) => number {
  if (calibrator.kind === 'platt') {
    const { a, b } = calibrator;
    return (p) => 1 / (1 + Math.exp(-(a * logit(p) + b)));
  }
  const segments = isotonicSegments(calibrator);
  return (p) => {
    // y0 + Σ slope_j · (clamp(p, x_j, x_j+1) − x_j): the sum the ONNX graph computes with Max, Min and a MatMul.
    let q = segments.y0;
    for (let j = 0; j < segments.lower.length; j++)
      q += segments.slope[j]! * (Math.min(Math.max(p, segments.lower[j]!), segments.upper[j]!) - segments.lower[j]!);
    return q;
  };
}

export function logit(p: number): number {
  const c = Math.min(1 - calibrationEpsilon, Math.max(calibrationEpsilon, p));
  return Math.log(c / (1 - c));
}

/** An isotonic map as segments between consecutive distinct x: where each starts and ends, and its slope. */
export function isotonicSegments(calibrator: { x: number[]; y: number[] }): {
  y0: number;
  lower: number[];
  upper: number[];
  slope: number[];
} {
  const { x, y } = calibrator;
  const lower: number[] = [];
  const upper: number[] = [];
  const slope: number[] = [];
  for (let j = 0; j + 1 < x.length; j++) {
    if (!(x[j + 1]! > x[j]!)) continue;
    lower.push(x[j]!);
    upper.push(x[j + 1]!);
    slope.push((y[j + 1]! - y[j]!) / (x[j + 1]! - x[j]!));
  }
  return { y0: y[0]!, lower, upper, slope };
}

/** A short description for reports: the method and its parameters. */
export function describeCalibrator(calibrator: Calibrator | undefined): string {
  if (calibrator === undefined) return 'none';
  if (calibrator.kind === 'platt') return `platt (a ${calibrator.a.toFixed(3)}, b ${calibrator.b.toFixed(3)})`;
  if (calibrator.kind === 'isotonic') return `isotonic (${calibrator.x.length} points)`;
  return `temperature (T ${calibrator.temperature.toFixed(3)})`;
}
