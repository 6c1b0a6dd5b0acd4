import type { CompressVariantResult } from '../contracts/compress.js';
import { HearthError } from '../contracts/errors.js';
import { createSession } from '../accel/onnx-runtime.js';
import { Predictor } from '../models/predictor.js';
import { modelInputs, predictModel, type TrainedModel } from '../models/model.js';
import type { RawInputs } from '../models/preprocess.js';
import type { Frame } from '../table/frame.js';
import { evaluate } from './evaluation.js';
import { maxAbsDifference, parityTolerance } from './export-check.js';
import { rawInputsAt } from './predict-rows.js';

/** The rows a compression is judged on: the original run's validation and test rows and their truth. */
export interface JudgedRows {
  frame: Frame;
  task: TrainedModel['task'];
  classes: string[] | null;
  validation: Int32Array;
  test: Int32Array;
  targetsOf: (rows: Int32Array) => Int32Array | Float64Array;
  metric: string;
  higherIsBetter: boolean;
}

/** What one graph measured: size, latency, parity against its TypeScript reference, the metric on each side. */
export type Measured = Pick<
  CompressVariantResult,
  'sizeBytes' | 'p50Us' | 'p99Us' | 'validation' | 'test' | 'parity' | 'parityTolerance'
> & { testMetrics: Record<string, number> | null; validationMetrics: Record<string, number> | null };

/**
 * Loads the graph in ONNX Runtime (on the CPU, one thread, as a served model's session), predicts the validation
 * and test rows with it (those are the metrics: what would serve), checks every answer against the TypeScript
 * reference, and times 200 single-row calls as the run's cost does (p50, p99).
 */
export async function measureGraph(model: TrainedModel, onnx: Uint8Array, rows: JudgedRows): Promise<Measured> {
  const inputs = { features: modelInputs(model) };
  const loaded = await createSession(onnx);
  try {
    const predictor = new Predictor('', 0, model, loaded);
    let parity = 0;
    let tolerance = 0;
    const side = async (which: Int32Array): Promise<Record<string, number> | null> => {
      if (which.length === 0) return null;
      const raw = rawInputsAt(inputs, rows.frame, which);
      const served = await predictor.run(raw);
      const reference = predictModel(model, raw);
      parity = Math.max(parity, maxAbsDifference(served, reference));
      tolerance = Math.max(tolerance, parityTolerance(model, reference));
      return evaluate(rows.task, served, rows.targetsOf(which), rows.classes, model.decisionThreshold, false).metrics;
    };
    const validationMetrics = await side(rows.validation);
    const testMetrics = await side(rows.test);
    if (!(parity <= tolerance))
      throw new HearthError(
        'INTERNAL',
        `a compressed graph disagrees with its TypeScript reference (max difference ${parity}, allowed ${tolerance})`,
      );
    const sample = rows.test.length > 0 ? rows.test : rows.validation;
    const one = oneRow(rawInputsAt(inputs, rows.frame, sample.subarray(0, 1)));
    const latencies: number[] = [];
    // A few calls first: the first runs of a fresh session allocate.
    for (let i = 0; i < 10; i++) await predictor.run(one);
    for (let i = 0; i < 200; i++) {
      const t = process.hrtime.bigint();
      await predictor.run(one);
      latencies.push(Number(process.hrtime.bigint() - t) / 1000);
    }
    latencies.sort((a, b) => a - b);
    const metricOf = (m: Record<string, number> | null): number | null => (m === null ? null : (m[rows.metric] ?? null));
    return {
      sizeBytes: onnx.length,
      p50Us: Number(latencies[latencies.length >> 1]!.toFixed(1)),
      p99Us: Number(latencies[Math.ceil(0.99 * latencies.length) - 1]!.toFixed(1)),
      validation: metricOf(validationMetrics),
      test: metricOf(testMetrics),
      parity,
      parityTolerance: tolerance,
      testMetrics,
      validationMetrics,
    };
  } finally {
    await loaded.session.release();
  }
}

function oneRow(raw: RawInputs): RawInputs {
  return { rows: 1, numeric: raw.numeric.map((c) => c.subarray(0, 1)), categorical: raw.categorical.map((c) => c.slice(0, 1)) };
}

/** How much worse a metric is than the original's (positive: worse), in the metric's own direction. */
export function lossOf(original: number | null, variant: number | null, higherIsBetter: boolean): number {
  if (original === null || variant === null) return 0;
  return higherIsBetter ? original - variant : variant - original;
}

/**
 * Pareto marks over (size, loss) and (p50 latency, loss): a point is marked when no other point is at most as
 * large (as slow) and at most as lossy, and strictly better in one of the two. The original takes part.
 */
export function paretoMarks<T extends { sizeBytes: number; p50Us: number; loss: number }>(
  points: readonly T[],
): { size: boolean; latency: boolean }[] {
  const dominated = (key: 'sizeBytes' | 'p50Us', p: T): boolean =>
    points.some((q) => q !== p && q[key] <= p[key] && q.loss <= p.loss && (q[key] < p[key] || q.loss < p.loss));
  return points.map((p) => ({ size: !dominated('sizeBytes', p), latency: !dominated('p50Us', p) }));
}
