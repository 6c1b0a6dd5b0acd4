import type { CostMeasures } from '../contracts/models.js';
import { HearthError } from '../contracts/errors.js';
import type { Frame } from '../table/frame.js';
import { createSession } from '../accel/onnx-runtime.js';
import { Predictor } from '../models/predictor.js';
import type { PredictionMatrix } from '../models/linear-model.js';
import { predictModel, type TrainedModel } from '../models/model.js';
import type { InputFeature } from '../models/preprocess.js';
import { rawInputsAt } from './predict-rows.js';
import { COST_BATCH_ROWS } from './budget-plan.js';
import { singleRowLatencies } from './search-limits.js';

/**
 * Checks that the model's exported ONNX graph reproduces the TypeScript model on held-out rows (up to 2,000 of
 * them) before anything is registered; measures single-row latency and one batch's throughput on the way.
 */
export async function checkExport(
  model: TrainedModel,
  onnx: Uint8Array,
  inputs: { features: InputFeature[] },
  frame: Frame,
  rows: Int32Array,
): Promise<{
  parity: number;
  predictLatencyUs: number | null;
  latency: CostMeasures['latency'];
  batch: CostMeasures['batch'];
}> {
  const parityRaw = rawInputsAt(inputs, frame, rows.subarray(0, Math.min(2000, rows.length)));
  const loaded = await createSession(onnx);
  const parity = maxAbsDifference(await new Predictor('', 0, model, loaded).run(parityRaw), predictModel(model, parityRaw));
  // Single-row latency through the exported graph, for the run's record and its cost: 200 calls cycling over up to
  // 64 held-out rows, p50 and p99 (the same timing a search's limits use, search-limits.ts).
  const parityPredictor = new Predictor('', 0, model, loaded);
  const latencies = await singleRowLatencies(parityPredictor, parityRaw);
  const latency =
    latencies.length === 0
      ? null
      : {
          p50Us: Number(latencies[latencies.length >> 1]!.toFixed(1)),
          p99Us: Number(latencies[Math.min(latencies.length - 1, Math.ceil(0.99 * latencies.length) - 1)]!.toFixed(1)),
          samples: latencies.length,
        };
  const batch = rows.length === 0 ? null : await timeBatch(parityPredictor, inputs, frame, rows);
  await loaded.session.release();
  const tolerance = parityTolerance(model, predictModel(model, parityRaw));
  if (!(parity <= tolerance)) {
    throw new HearthError(
      'INTERNAL',
      `the exported ONNX graph disagrees with the trained model (max difference ${parity}, allowed ${tolerance})`,
    );
  }
  return { parity, predictLatencyUs: latency?.p50Us ?? null, latency, batch };
}

/**
 * One batch of up to 10,000 rows (the held-out rows, repeated when fewer) through the predictor serving uses: its
 * wall time and the process's CPU time meanwhile (ONNX Runtime may run it on several threads).
 */
async function timeBatch(
  predictor: Predictor,
  inputs: { features: InputFeature[] },
  frame: Frame,
  rows: Int32Array,
): Promise<{ rows: number; wallMs: number; cpuMs: number }> {
  const tiled = new Int32Array(COST_BATCH_ROWS);
  for (let i = 0; i < tiled.length; i++) tiled[i] = rows[i % rows.length]!;
  const raw = rawInputsAt(inputs, frame, tiled);
  const cpu = process.cpuUsage();
  const t = process.hrtime.bigint();
  await predictor.run(raw);
  const wallMs = Number(process.hrtime.bigint() - t) / 1e6;
  const used = process.cpuUsage(cpu);
  return { rows: tiled.length, wallMs: Number(wallMs.toFixed(3)), cpuMs: (used.user + used.system) / 1000 };
}

/**
 * How far the ONNX graph may be from the TypeScript model: 1e-6 where both compute in float64; a network's layers
 * run in float32 in the graph (see export-mlp.ts), as do float32 variants, so there 1e-5, relative to the values'
 * scale for regression.
 */
export function parityTolerance(model: TrainedModel, reference: PredictionMatrix): number {
  // Compressed variants (models/compress) in float32 or float16/int8 weights compute in single precision too.
  const single = (m: TrainedModel): boolean =>
    m.format === 'hearth.mlp/1' ||
    ((m.format === 'hearth.trees/1' || m.format === 'hearth.linear/1') && m.precision === 'float32') ||
    (m.format === 'hearth.ensemble/1' && m.members.some(single));
  const float32 = single(model);
  if (!float32) return 1e-6;
  if (reference.kind !== 'regression') return 1e-5;
  let scale = 1;
  for (const v of reference.values) scale = Math.max(scale, Math.abs(v));
  return 1e-5 * scale;
}

export function maxAbsDifference(a: PredictionMatrix, b: PredictionMatrix): number {
  const x = a.kind === 'regression' ? a.values : a.probabilities;
  const y = b.kind === 'regression' ? b.values : b.probabilities;
  if (x.length !== y.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]! - y[i]!));
  return max;
}
