import { SingleBar } from 'cli-progress';
import type { BaselineComparison } from '../contracts/api.js';

/** Where a command writes: one JSON document on stdout with --json, human text otherwise; progress on stderr. */
export class Output {
  constructor(readonly json: boolean) {}

  result(data: unknown, human: () => string): void {
    if (this.json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    else process.stdout.write(`${human()}\n`);
  }

  info(text: string): void {
    if (!this.json) process.stderr.write(`${text}\n`);
  }

  /** A progress bar on stderr when it is a terminal; silent otherwise (scripts and CI logs stay clean). */
  progress(label: string, total: number): { update(value: number, detail?: string): void; stop(): void } {
    if (this.json || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
    const bar = new SingleBar({
      format: `${label} [{bar}] {percentage}% {detail}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    });
    bar.start(total, 0, { detail: '' });
    return { update: (value, detail = '') => bar.update(value, { detail }), stop: () => bar.stop() };
  }
}

export function formatMetrics(metrics: Record<string, number>, baseline?: BaselineComparison): string {
  const figure = (v: number | undefined) => (v === undefined ? '–' : Number.isFinite(v) ? v.toFixed(4) : String(v));
  const lines = Object.entries(metrics).map(
    ([k, v]) => `  ${k.padEnd(10)} ${figure(v)}${baseline === undefined ? '' : `   baseline ${figure(baseline.metrics[k])}`}`,
  );
  if (baseline !== undefined)
    lines.push(
      `  (baseline: ${baseline.kind === 'majority' ? `always "${baseline.answer}"` : `the training mean ${Number(baseline.answer).toPrecision(4)}`}; ${baseline.beaten ? 'clearly beaten' : 'NOT clearly beaten'}: ${baseline.tests.map((t) => `${t.metric} ${t.improvement >= 0 ? '+' : ''}${t.improvement.toPrecision(2)} a row, p = ${t.p.toPrecision(2)}`).join('; ')})`,
    );
  return lines.join('\n');
}
