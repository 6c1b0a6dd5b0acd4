import { HearthError } from '../contracts/errors.js';
import { createSession } from '../accel/onnx-runtime.js';
import { Predictor } from '../models/predictor.js';
import { exportModelToOnnx, modelInputs, type TrainedModel } from '../models/model.js';
import type { RawInputs } from '../models/preprocess.js';
import type { Frame } from '../table/frame.js';
import { rawInputsAt } from './predict-rows.js';
import type { LeaderboardEntry, TrainArgs } from './train-args.js';

/*
 * Cost inside the search (`maxLatencyUs`, `maxSize`). A candidate's footprint is measured on the model its last
 * cross-validation fold fitted: its ONNX graph is serialized exactly as registration would (preprocessing and
 * calibrator-free graph included), so the size is the graph's bytes for that fold's fit; its latency is the p50 of
 * 200 one-row calls through ONNX Runtime and the serving predictor, cycling over up to 64 rows. Only candidates that
 * could still win are measured (see `SearchLimits.consider`), so the search pays for few of them.
 */

/** Bytes in the KB of `maxSize` and of the board's sizes. */
export const bytesPerKb = 1024;
/** One-row calls timed per candidate (and for a registered model's cost, export-check.ts). */
export const latencyCalls = 200;

/** A model's serving footprint: its serialized ONNX bytes and single-row p50 latency. */
export interface Footprint {
  modelBytes: number;
  latencyUs: number;
}

/** The run's limits, null where unset. */
export interface Limits {
  maxLatencyUs: number | null;
  maxBytes: number | null;
}

export function limitsOf(args: TrainArgs): Limits | null {
  if (args.maxLatencyUs === undefined && args.maxSize === undefined) return null;
  return { maxLatencyUs: args.maxLatencyUs ?? null, maxBytes: args.maxSize === undefined ? null : args.maxSize * bytesPerKb };
}

/** Which limits a footprint breaks (none: empty). */
export function overLimits(footprint: Footprint, limits: Limits): ('size' | 'latency')[] {
  const over: ('size' | 'latency')[] = [];
  if (limits.maxBytes !== null && footprint.modelBytes > limits.maxBytes) over.push('size');
  if (limits.maxLatencyUs !== null && footprint.latencyUs > limits.maxLatencyUs) over.push('latency');
  return over;
}

/** `calls` one-row predictions, cycling over the rows of `raw`: each call's wall time in µs, sorted. */
export async function singleRowLatencies(predictor: Predictor, raw: RawInputs, calls = latencyCalls): Promise<number[]> {
  const rows = Array.from({ length: Math.min(64, raw.rows) }, (_, r) => ({
    rows: 1,
    numeric: raw.numeric.map((c) => c.subarray(r, r + 1)),
    categorical: raw.categorical.map((c) => c.slice(r, r + 1)),
  }));
  const latencies: number[] = [];
  for (let i = 0; i < calls && rows.length > 0; i++) {
    const t = process.hrtime.bigint();
    await predictor.run(rows[i % rows.length]!);
    latencies.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  return latencies.sort((p, q) => p - q);
}

/** A model's footprint: its graph serialized and timed one row at a time on `rows` of the frame. */
export async function measureFootprint(
  model: TrainedModel,
  producerVersion: string,
  frame: Frame,
  rows: Int32Array,
): Promise<Footprint> {
  const onnx = exportModelToOnnx(model, producerVersion);
  const loaded = await createSession(onnx);
  try {
    const raw = rawInputsAt({ features: modelInputs(model) }, frame, rows.subarray(0, Math.min(64, rows.length)));
    const latencies = await singleRowLatencies(new Predictor('', 0, model, loaded), raw);
    const p50 = latencies.length === 0 ? 0 : latencies[latencies.length >> 1]!;
    return { modelBytes: onnx.length, latencyUs: Number(p50.toFixed(1)) };
  } finally {
    await loaded.session.release();
  }
}

/** What the run records of its limits (the search report's `limits`). */
export interface LimitsReport {
  maxLatencyUs: number | null;
  maxSizeKb: number | null;
  method: string;
  measured: number;
  overLimit: number;
  /** After the final fit: each model checked, in order, and whether it was kept. */
  finalChecks: { algorithm: string; modelBytes: number; latencyUs: number; overLimit: string[]; kept: boolean }[];
  /** The registered model as exported (size and the cost measure's p50). */
  registered?: { modelBytes: number; latencyUs: number | null; overLimit: string[] };
}

/**
 * The limits during one search: which board entries to measure, which may be chosen. Without limits the top three
 * at the time they are scored are measured (so the board shows what the leaders cost); with limits, every candidate
 * that scores better than the best one known to be within them (it could win), and the imbalance variants of the
 * chosen one. A candidate never measured under limits ranked below an eligible one when scored, so it could not win.
 */
export class SearchLimits {
  private measuredCount = 0;
  constructor(
    readonly limits: Limits | null,
    private readonly measure: ((model: TrainedModel) => Promise<Footprint>) | null,
    /** Negative when the first rank is the better. */
    private readonly better: (a: number, b: number) => number,
    private readonly rankOf: (e: LeaderboardEntry) => number,
  ) {}

  /** Within every limit (always, without limits); an entry not measured under limits is not eligible. */
  eligible(entry: LeaderboardEntry): boolean {
    if (this.limits === null) return true;
    return entry.overLimit !== undefined && entry.overLimit.length === 0;
  }

  /** Measures the entry (just pushed on `board`) when it could matter, from `model`, its last fold's fit. */
  async consider(
    entry: LeaderboardEntry,
    model: TrainedModel | null,
    board: LeaderboardEntry[],
    force = false,
    late: () => boolean = () => false,
  ): Promise<void> {
    if (this.measure === null || model === null) return;
    const rank = this.rankOf(entry);
    // Without limits the figures only inform the board: past the search's deadline they are not worth its budget,
    // except for a new leader's, which the board always shows.
    const leads = board.every((e) => e === entry || this.better(rank, this.rankOf(e)) <= 0);
    if (this.limits === null && !force && !leads && late()) return;
    let wanted = force;
    if (this.limits === null) {
      wanted ||= board.filter((e) => e !== entry && this.better(this.rankOf(e), rank) < 0).length < 3;
    } else {
      const bestEligible = board
        .filter((e) => e !== entry && this.eligible(e))
        .sort((a, b) => this.better(this.rankOf(a), this.rankOf(b)))[0];
      wanted ||= bestEligible === undefined || this.better(rank, this.rankOf(bestEligible)) < 0;
    }
    if (!wanted || !Number.isFinite(rank)) return;
    const footprint = await this.measure(model);
    this.measuredCount++;
    entry.modelBytes = footprint.modelBytes;
    entry.latencyUs = footprint.latencyUs;
    if (this.limits !== null) entry.overLimit = overLimits(footprint, this.limits);
  }

  /** The coded refusal when no candidate is within the limits: the smallest and fastest the search achieved. */
  unmet(board: readonly LeaderboardEntry[]): HearthError {
    const maxBytes = this.limits?.maxBytes ?? null;
    const maxLatencyUs = this.limits?.maxLatencyUs ?? null;
    const measured = board.filter((e) => e.modelBytes !== undefined && e.latencyUs !== undefined);
    const smallest = measured.reduce<LeaderboardEntry | null>(
      (b, e) => (b === null || e.modelBytes! < b.modelBytes! ? e : b),
      null,
    );
    const fastest = measured.reduce<LeaderboardEntry | null>((b, e) => (b === null || e.latencyUs! < b.latencyUs! ? e : b), null);
    const asked = [
      maxBytes === null ? null : `at most ${maxBytes / bytesPerKb} KB`,
      maxLatencyUs === null ? null : `at most ${maxLatencyUs} µs a row`,
    ].filter((s) => s !== null);
    const achieved =
      smallest === null || fastest === null
        ? 'no candidate could be measured'
        : `the smallest was ${smallest.algorithm} at ${(smallest.modelBytes! / bytesPerKb).toFixed(1)} KB, ` +
          `the fastest ${fastest.algorithm} at ${fastest.latencyUs!.toFixed(1)} µs`;
    return new HearthError('BUDGET_UNMET', `no candidate met the limits (${asked.join(', ')}): ${achieved}`, {
      maxSizeKb: maxBytes === null ? null : maxBytes / bytesPerKb,
      maxLatencyUs,
      smallest: smallest === null ? null : { algorithm: smallest.algorithm, modelBytes: smallest.modelBytes! },
      fastest: fastest === null ? null : { algorithm: fastest.algorithm, latencyUs: fastest.latencyUs! },
    });
  }

  report(board: readonly LeaderboardEntry[]): LimitsReport | null {
    if (this.limits === null) return null;
    return {
      maxLatencyUs: this.limits.maxLatencyUs,
      maxSizeKb: this.limits.maxBytes === null ? null : this.limits.maxBytes / bytesPerKb,
      method:
        `each candidate that could win measured on its last fold's model: serialized ONNX bytes, and the p50 of ` +
        `${latencyCalls} one-row ONNX Runtime calls; the final model checked again after its final fit`,
      measured: this.measuredCount,
      overLimit: board.filter((e) => (e.overLimit?.length ?? 0) > 0).length,
      finalChecks: [],
    };
  }
}
