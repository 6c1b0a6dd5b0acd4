import type { Client } from '../../contracts/client.js';
import type { CompressJob, CompressVariantResult } from '../../contracts/compress.js';
import { HearthError, isErrorCode } from '../../contracts/errors.js';
import { parseRef } from '../../serving/batch.js';
import type { Flags } from '../command.js';
import type { Output } from '../output.js';
import { argsFromFlags } from '../flags.js';

/** `models compress NAME[@V] [--max-size KB] [--max-latency-us N] [--max-loss X] [--metric M] [--choose VARIANT]`. */
export async function compressCommand(client: Client, out: Output, ref: string, flags: Flags): Promise<number> {
  const { name, version } = parseRef(ref);
  if (flags.choose !== undefined) {
    const info = await client.call('models.compress-choose', {
      name,
      ...(version === undefined ? {} : { version }),
      variant: flags.choose,
    });
    const lineage = (info.report.compression as { lineage?: string } | undefined)?.lineage ?? '';
    out.result(
      info,
      () =>
        `Registered ${info.model} v${info.version} (${lineage}); not promoted\n` +
        `  ${Object.entries(info.metrics)
          .map(([k, v]) => `${k}=${v.toFixed(4)}`)
          .join('  ')}`,
    );
    return 0;
  }
  const started = await client.call('models.compress', {
    name,
    ...(version === undefined ? {} : { version }),
    ...argsFromFlags(flags, 'models.compress', {
      maxSizeKb: 'max-size',
      maxLatencyUs: 'max-latency-us',
      maxLoss: 'max-loss',
      metric: 'metric',
    }),
  });
  const bar = out.progress('compressing', 100);
  const stop = (): void => {
    void client.call('models.compress-cancel', { jobId: started.id });
  };
  process.once('SIGINT', stop);
  let job: CompressJob;
  try {
    for (;;) {
      job = await client.call('models.compress-get', { jobId: started.id });
      bar.update(Math.round(job.progress.fraction * 100), job.progress.current ?? '');
      if (job.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    process.off('SIGINT', stop);
    bar.stop();
  }
  if (job.error !== null)
    throw new HearthError(isErrorCode(job.error.code) ? job.error.code : 'INTERNAL', job.error.message, job.error.details);
  out.result(job, () => frontierTable(job));
  return 0;
}

/** The frontier as a table: variant, description, size, latency, metric, Δ, Pareto (S size, L latency), limits. */
export function frontierTable(job: CompressJob): string {
  const r = job.result!;
  const metric = job.metric ?? '';
  const fixed = (v: number | null, digits = 4): string => (v === null ? '–' : v.toFixed(digits));
  const signed = (v: number | null): string => (v === null ? '–' : `${v >= 0 ? '+' : ''}${v.toFixed(4)}`);
  const row = (v: CompressVariantResult): string[] => [
    v.variant,
    (v.sizeBytes / 1024).toFixed(1),
    v.p50Us.toFixed(1),
    v.p99Us.toFixed(1),
    fixed(v.validation),
    fixed(v.test),
    signed(v.deltaTest),
    `${v.pareto.size ? 'S' : ''}${v.pareto.latency ? 'L' : ''}` || '·',
    Object.keys(job.limits).length === 0 ? '' : v.withinLimits ? 'ok' : '–',
    v.description,
  ];
  const header = ['variant', 'KB', 'p50 µs', 'p99 µs', `val ${metric}`, `test ${metric}`, 'Δ test', 'pareto', 'limits', 'what'];
  const rows = [header, row(r.original), ...r.variants.map(row)];
  const widths = header.map((_, c) => Math.max(...rows.map((x) => x[c]!.length)));
  const lines = rows.map((x) => x.map((cell, c) => (c === x.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  '));
  return [
    `${job.model} v${job.version}: ${r.variants.length} variants on ${r.rows.validation} validation and ${r.rows.test} test rows ` +
      `(pareto: S on size, L on latency, against the validation ${metric})`,
    ...lines,
    `register one: hearth models compress ${job.model}@${job.version} --choose VARIANT`,
  ].join('\n');
}
