import type { CostMeasures } from '../contracts/models.js';
import { HearthError } from '../contracts/errors.js';
import type { Frame } from '../table/frame.js';
import { createSession } from '../accel/onnx-runtime.js';
import { Predictor } from '../models/predictor.js';
import { predictModel, type TrainedModel } from '../models/model.js';
import { maxAbsDifference, parityTolerance } from '../models/parity.js';
import type { InputFeature, RawInputs } from '../models/preprocess.js';
import { rawInputsAt } from './predict-rows.js';
import { COST_BATCH_MIN_MS, COST_BATCH_ROWS, COST_BATCH_RUNS } from './budget-plan.js';
import { singleRowLatencies } from './search-limits.js';

/** What a serving-cost measurement of the exported graph gives (ExportCheck.measure). */
export interface ServingMeasures {
  predictLatencyUs: number | null;
  latency: CostMeasures['latency'];
  batch: CostMeasures['batch'];
}

/** An exported graph that reproduced the model, with its session kept open to time it. */
export interface ExportCheck {
  parity: number;
  /**
   * Single-row latency and one batch's throughput, then the session released. Timed apart from the check so the
   * caller can first let other work on this process finish: the batch's CPU time is the whole process's.
   */
  measure(): Promise<ServingMeasures>;
  /** Releases the session without measuring (idempotent; measure releases it too). */
  release(): Promise<void>;
}

/**
 * Checks that the model's exported ONNX graph reproduces the TypeScript model on held-out rows (up to 2,000 of
 * them) before anything is registered. A graph that does not is refused with INTERNAL (its session released).
 */
export async function checkExport(
  model: TrainedModel,
  onnx: Uint8Array,
  inputs: { features: InputFeature[] },
  frame: Frame,
  rows: Int32Array,
): Promise<ExportCheck> {
  const parityRaw = rawInputsAt(inputs, frame, rows.subarray(0, Math.min(2000, rows.length)));
  const loaded = await createSession(onnx);
  let released = false;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    await loaded.session.release();
  };
  try {
    const expected = predictModel(model, parityRaw);
    const parity = maxAbsDifference(await new Predictor('', 0, model, loaded).run(parityRaw), expected);
    const tolerance = parityTolerance(model, expected);
    if (!(parity <= tolerance)) {
      throw new HearthError(
        'INTERNAL',
        `the exported ONNX graph disagrees with the trained model (max difference ${parity}, allowed ${tolerance})`,
      );
    }
    const measure = async (): Promise<ServingMeasures> => {
      try {
        // Single-row latency through the exported graph, for the run's record and its cost: 200 calls cycling over
        // up to 64 held-out rows, p50 and p99 (the same timing a search's limits use, search-limits.ts).
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
        const batch =
          rows.length === 0
            ? null
            : await timeBatch(
                parityPredictor,
                parityRaw.rows === COST_BATCH_ROWS ? parityRaw : rawInputsAt(inputs, frame, tiled(rows, COST_BATCH_ROWS)),
              );
        return { predictLatencyUs: latency?.p50Us ?? null, latency, batch };
      } finally {
        await release();
      }
    };
    return { parity, measure, release };
  } catch (e) {
    await release();
    throw e;
  }
}

/** `rows` repeated to `count` rows. */
function tiled(rows: Int32Array, count: number): Int32Array {
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) out[i] = rows[i % rows.length]!;
  return out;
}

/**
 * A batch's throughput through the predictor serving uses: `raw` (COST_BATCH_ROWS held-out rows, repeated when fewer)
 * run until the calls have taken COST_BATCH_MIN_MS or COST_BATCH_RUNS calls, and the process's CPU time meanwhile
 * (ONNX Runtime may run it on several threads). The session has already run these rows for the parity check, so no
 * call pays a first run's costs. A slow graph (a hundred trees with large category sets, ~18 µs a row in ONNX
 * Runtime) is timed on 2,000 rows in ~35 ms, where one batch of 10,000 took 180 ms of its train job; a fast one
 * on up to 10,000 rows, enough to time.
 */
async function timeBatch(predictor: Predictor, raw: RawInputs): Promise<{ rows: number; wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const t = process.hrtime.bigint();
  let wallMs = 0;
  let calls = 0;
  while (calls < COST_BATCH_RUNS && (calls === 0 || wallMs < COST_BATCH_MIN_MS)) {
    await predictor.run(raw);
    calls++;
    wallMs = Number(process.hrtime.bigint() - t) / 1e6;
  }
  const used = process.cpuUsage(cpu);
  return { rows: calls * raw.rows, wallMs: Number(wallMs.toFixed(3)), cpuMs: (used.user + used.system) / 1000 };
}

export { maxAbsDifference, parityTolerance };
