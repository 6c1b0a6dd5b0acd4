import type { CostEstimate, CostMeasures } from '../contracts/models.js';

/* What a run and a model cost, in CPU-hours and, when a rate per core-hour is set, in money. Pure arithmetic. */

const secondsPerHour = 3600;
const microsecondsPerHour = 3.6e9;

/** CPU-seconds as CPU-hours (core-hours): 7,200 CPU-seconds are 2 core-hours. */
export function cpuHours(cpuSeconds: number): number {
  return cpuSeconds / secondsPerHour;
}

/**
 * CPU-hours per million predictions made one row per call: each call keeps one core busy for its median latency
 * (an ONNX Runtime call on one row runs on one thread), so a million calls cost p50 × 10⁶ µs of one core.
 */
export function singleRowCpuHoursPerMillion(p50Us: number): number {
  return (p50Us * 1e6) / microsecondsPerHour;
}

/**
 * CPU-hours per million predictions made in batches: a million rows take 10⁶ / throughput seconds of wall time, with
 * `coresBusy` cores busy meanwhile (the batch's measured CPU time over its wall time; ONNX Runtime may use several).
 */
export function batchCpuHoursPerMillion(rowsPerSecond: number, coresBusy: number): number {
  return ((1e6 / rowsPerSecond) * coresBusy) / secondsPerHour;
}

/** The rate a host prices CPU at (settings cost.perCoreHour and cost.currency); null: CPU-hours only. */
export interface CostRate {
  perCoreHour: number;
  currency: string;
}

/** The measures a version recorded at registration, with the figures worked out from them and priced at `rate`. */
export function costEstimate(
  measures: CostMeasures,
  resources: { peakRssMb: number | null; modelBytes: number | null },
  rate: CostRate | null,
): CostEstimate {
  const trainingCpuHours = cpuHours(measures.cpuMs / 1000);
  const singleRow = measures.latency === null ? null : singleRowCpuHoursPerMillion(measures.latency.p50Us);
  const batch =
    measures.batch === null || measures.batch.wallMs <= 0 || measures.batch.rows === 0
      ? null
      : batchCpuHoursPerMillion(
          (measures.batch.rows * 1000) / measures.batch.wallMs,
          // A batch too quick for the CPU clock's resolution still kept at least one core busy.
          Math.max(1, measures.batch.cpuMs / measures.batch.wallMs),
        );
  const priced = (hours: number | null): number | null => (rate === null || hours === null ? null : hours * rate.perCoreHour);
  return {
    training: {
      cpuSeconds: measures.cpuMs / 1000,
      mainThreadCpuSeconds: measures.mainThreadCpuMs === null ? null : measures.mainThreadCpuMs / 1000,
      wallSeconds: measures.wallMs / 1000,
      cores: measures.cores,
      cpuHours: trainingCpuHours,
      phases: measures.phases,
    },
    peakRssMb: resources.peakRssMb,
    modelBytes: resources.modelBytes,
    latency: measures.latency,
    batch:
      measures.batch === null
        ? null
        : {
            ...measures.batch,
            rowsPerSecond: measures.batch.wallMs > 0 ? (measures.batch.rows * 1000) / measures.batch.wallMs : null,
          },
    perMillion: { singleRowCpuHours: singleRow, batchCpuHours: batch },
    price:
      rate === null
        ? null
        : {
            perCoreHour: rate.perCoreHour,
            currency: rate.currency,
            training: priced(trainingCpuHours)!,
            perMillionSingleRow: priced(singleRow),
            perMillionBatch: priced(batch),
          },
  };
}
