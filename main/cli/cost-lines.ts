import type { CostEstimate } from '../contracts/api.js';

/** A version's cost as lines of text: training CPU and wall time, then what predictions cost on this box. */
export function costLines(cost: CostEstimate | null): string[] {
  if (cost === null) return ['cost: not measured (a version registered before Hearth measured it, or imported)'];
  const t = cost.training;
  const money = (value: number | null): string =>
    cost.price === null || value === null
      ? ''
      : ` = ${formatMoney(value)}${cost.price.currency === '' ? '' : ` ${cost.price.currency}`}`;
  const lines = [
    `cost of training: ${t.cpuSeconds.toFixed(1)} CPU-s (all threads; main thread ${t.mainThreadCpuSeconds === null ? '–' : `${t.mainThreadCpuSeconds.toFixed(1)} s`}) ` +
      `in ${t.wallSeconds.toFixed(1)} s wall on ${t.cores} cores = ${formatHours(t.cpuHours)} CPU-h${money(cost.price?.training ?? null)}`,
    `  peak memory ${cost.peakRssMb ?? '–'} MB, model ${cost.modelBytes ?? '–'} bytes (ONNX)`,
  ];
  if (cost.latency !== null)
    lines.push(
      `  single row: p50 ${cost.latency.p50Us.toFixed(1)} µs, p99 ${cost.latency.p99Us.toFixed(1)} µs (${cost.latency.samples} calls)` +
        (cost.perMillion.singleRowCpuHours === null
          ? ''
          : `; per million: ${formatHours(cost.perMillion.singleRowCpuHours)} CPU-h${money(cost.price?.perMillionSingleRow ?? null)}`),
    );
  if (cost.batch !== null)
    lines.push(
      `  batch of ${cost.batch.rows} rows: ${cost.batch.wallMs.toFixed(1)} ms` +
        (cost.batch.rowsPerSecond === null ? '' : ` (${Math.round(cost.batch.rowsPerSecond)} rows/s)`) +
        (cost.perMillion.batchCpuHours === null
          ? ''
          : `; per million: ${formatHours(cost.perMillion.batchCpuHours)} CPU-h${money(cost.price?.perMillionBatch ?? null)}`),
    );
  if (cost.price === null) lines.push('  no price: set cost.perCoreHour (HEARTH_COST_PER_CORE_HOUR) to see one');
  return lines;
}

/** CPU-hours to three significant digits: runs cost fractions of an hour. */
function formatHours(hours: number): string {
  return hours === 0 ? '0' : hours.toPrecision(3);
}

function formatMoney(value: number): string {
  return value === 0 ? '0' : value >= 0.01 ? value.toFixed(2) : value.toPrecision(2);
}
