import type { Overview } from '../../contracts/api.js';
import type { Command } from '../command.js';

const fixed = (x: number | null | undefined, digits = 4): string => (x === null || x === undefined ? '–' : x.toFixed(digits));

/** The overview as text: one block per section, the same facts as the console's landing page. */
export function formatOverview(o: Overview): string {
  const lines: string[] = ['Production models:'];
  if (o.production.length === 0) lines.push('  none (promote a version: hearth models promote NAME VERSION)');
  for (const p of o.production) {
    const drift =
      p.drift === null
        ? 'drift: no window yet'
        : `drift: ${(100 * p.drift.share).toFixed(0)}% of columns${p.drift.datasetDrifted ? ' (DRIFTED)' : ''}`;
    lines.push(
      `  ${p.model} v${p.version} (${p.algorithm}, ${p.task}) ${p.metric === null ? '' : `${p.metric.name} ${fixed(p.metric.value)}`}`,
      `    24 h: ${p.served.rows} rows, p99 ${p.served.latencyP99Ms === null ? '–' : `${p.served.latencyP99Ms.toFixed(1)} ms`}` +
        `${p.served.realised === null ? '' : `, realised ${fixed(p.served.realised)}`}` +
        `${p.served.estimated === null ? '' : `, estimated ${fixed(p.served.estimated)}`}; ${drift}; ${p.openAlerts} open alerts`,
    );
  }
  if (o.unpromoted.length > 0)
    lines.push(`Not in production: ${o.unpromoted.map((u) => `${u.model} (v${u.latestVersion})`).join(', ')}`);
  lines.push('', 'Jobs running:');
  if (o.jobs.length === 0) lines.push('  none');
  for (const j of o.jobs)
    lines.push(
      `  ${j.id.slice(0, 8)} ${j.status} ${j.algorithm} on ${j.dataset}${j.model === null ? '' : ` → ${j.model}`}` +
        `${j.progress === null ? '' : ` ${(100 * j.progress.fraction).toFixed(0)}% (${j.progress.phase})`}`,
    );
  lines.push('', 'Recent runs:');
  if (o.recentRuns.length === 0) lines.push('  none');
  for (const r of o.recentRuns)
    lines.push(
      `  ${r.id.slice(0, 8)} ${r.status.padEnd(9)} ${r.algorithm.padEnd(7)} ${r.model === null ? '–' : `${r.model} v${r.version ?? '?'}`}` +
        `${r.metric === null ? '' : `  ${r.metric.name} ${fixed(r.metric.value)}`}  ${r.createdAt}`,
    );
  lines.push('', 'Datasets:');
  if (o.datasets.length === 0) lines.push('  none (hearth ingest FILE --dataset NAME)');
  for (const d of o.datasets)
    lines.push(
      `  ${d.name} v${d.latestVersion}: ${d.rows} rows, ${d.quarantined} quarantined, ${d.rules} rules; updated ${d.updatedAt}`,
    );
  lines.push(
    '',
    `Alerts firing: ${o.alerts.firing}`,
    `Sync: ${o.sync.pending} waiting, ${o.sync.failed} failed attempts, ${o.sync.remotes} remotes${o.sync.lastError === null ? '' : `; last error: ${o.sync.lastError}`}`,
  );
  return lines.join('\n');
}

export const overviewCommand: Command = {
  name: 'overview',
  summary: 'the box at a glance: production models and their health, jobs, recent runs, datasets, sync',
  usage: `  overview [--json]                   what the console's landing page shows (API: system.overview)`,
  run: async ({ out, open }) => {
    const { client } = open();
    const overview = await client.call('system.overview', {});
    out.result(overview, () => formatOverview(overview));
    return 0;
  },
};
