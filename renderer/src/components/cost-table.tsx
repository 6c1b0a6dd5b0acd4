import type { CostEstimate } from '../../../main/contracts/api.js';

/** CPU-hours to three significant digits: a run costs a fraction of an hour. */
export function cpuHoursText(hours: number | null): string {
  return hours === null ? '–' : hours === 0 ? '0' : hours.toPrecision(3);
}

/** A price with the host's currency label; empty when the host sets no rate. */
export function priceText(cost: CostEstimate, value: number | null): string {
  if (cost.price === null || value === null) return '';
  const shown = value === 0 ? '0' : value >= 0.01 ? value.toFixed(2) : value.toPrecision(2);
  return ` = ${shown}${cost.price.currency === '' ? '' : ` ${cost.price.currency}`}`;
}

/**
 * What a run cost and what its model's predictions cost on this box: CPU time (every thread of the process), wall
 * time, memory, size, latency and throughput, and CPU-hours (priced when the host sets cost.perCoreHour).
 */
export function CostTable({ cost, testId }: { cost: CostEstimate | null; testId: string }) {
  if (cost === null)
    return (
      <p className="muted" data-testid={testId}>
        Cost not measured (a version registered before Hearth measured it, or imported).
      </p>
    );
  const t = cost.training;
  return (
    <table data-testid={testId}>
      <tbody>
        <tr>
          <th>Training CPU (all threads)</th>
          <td data-testid={`${testId}-training`}>
            {t.cpuSeconds.toFixed(1)} CPU-s = {cpuHoursText(t.cpuHours)} CPU-h{priceText(cost, cost.price?.training ?? null)}
            {t.mainThreadCpuSeconds === null ? '' : ` (main thread ${t.mainThreadCpuSeconds.toFixed(1)} s)`}
          </td>
        </tr>
        <tr>
          <th>Training wall time</th>
          <td>
            {t.wallSeconds.toFixed(1)} s on {t.cores} cores:{' '}
            {t.phases.map((p) => `${p.phase} ${p.seconds.toFixed(1)} s`).join(', ')}
          </td>
        </tr>
        <tr>
          <th>Peak memory, model size</th>
          <td>
            {cost.peakRssMb ?? '–'} MB, {cost.modelBytes?.toLocaleString('en-US') ?? '–'} bytes (ONNX)
          </td>
        </tr>
        {cost.latency !== null && (
          <tr>
            <th>Single row</th>
            <td data-testid={`${testId}-single`}>
              p50 {cost.latency.p50Us.toFixed(1)} µs, p99 {cost.latency.p99Us.toFixed(1)} µs ({cost.latency.samples} calls); per
              million: {cpuHoursText(cost.perMillion.singleRowCpuHours)} CPU-h
              {priceText(cost, cost.price?.perMillionSingleRow ?? null)}
            </td>
          </tr>
        )}
        {cost.batch !== null && (
          <tr>
            <th>Batch</th>
            <td data-testid={`${testId}-batch`}>
              {cost.batch.rows.toLocaleString('en-US')} rows in {cost.batch.wallMs.toFixed(1)} ms
              {cost.batch.rowsPerSecond === null
                ? ''
                : ` (${Math.round(cost.batch.rowsPerSecond).toLocaleString('en-US')} rows/s)`}
              ; per million: {cpuHoursText(cost.perMillion.batchCpuHours)} CPU-h
              {priceText(cost, cost.price?.perMillionBatch ?? null)}
            </td>
          </tr>
        )}
        <tr className="muted">
          <th>Rate</th>
          <td>
            {cost.price === null
              ? 'none set (cost.perCoreHour): CPU-hours only'
              : `${cost.price.perCoreHour}${cost.price.currency === '' ? '' : ` ${cost.price.currency}`} per core-hour`}
          </td>
        </tr>
      </tbody>
    </table>
  );
}
