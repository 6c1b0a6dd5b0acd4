import type { CostFigures, CostSummary } from '../../contracts/api.js';
import type { Command } from '../command.js';
import { type FlagTable, argsFromFlags } from '../flags.js';

const costsFlags = { weeks: 'weeks', model: 'model' } as const satisfies FlagTable<'costs.summary'>;

/** CPU-hours to three significant digits (runs cost fractions of an hour); 0 as 0. */
const hours = (h: number): string => (h === 0 ? '0' : h.toPrecision(3));

/** The summary as text: one line per model and week, then the totals per model, per week and overall. */
export function formatCosts(s: CostSummary): string {
  const money = (f: CostFigures): string =>
    f.price === null || s.rate === null
      ? ''
      : `  ${f.price.total.toPrecision(3)}${s.rate.currency === '' ? '' : ` ${s.rate.currency}`}`;
  const line = (label: string, f: CostFigures): string =>
    `${label.padEnd(34)} train ${hours(f.trainingCpuHours).padStart(9)} CPU-h (${f.runs} runs)  ` +
    `serve ${hours(f.servingCpuHours).padStart(9)} CPU-h (${Math.round(f.predictions)} predictions` +
    `${f.unmeasuredPredictions > 0 ? `, ${Math.round(f.unmeasuredPredictions)} not costed` : ''})${money(f)}`;
  const lines = [`Costs over ${s.weeks.length} ISO weeks from ${s.weeks[0]!.start} (UTC):`];
  if (s.rows.length === 0) lines.push('  no training runs or logged predictions in these weeks');
  for (const r of s.rows) lines.push(`  ${line(`${r.week} ${r.model}`, r)}`);
  lines.push('Per model:');
  for (const m of s.byModel) lines.push(`  ${line(m.model, m)}`);
  lines.push(`  ${line('total', s.total)}`);
  if (s.rate === null) lines.push('no price: set cost.perCoreHour (HEARTH_COST_PER_CORE_HOUR) to see one');
  if (s.logSample < 1) lines.push(`predictions scaled from a ${s.logSample} sample of the log (serving.logSample)`);
  lines.push(`training: ${s.method.training}`, `serving: ${s.method.serving}`);
  return lines.join('\n');
}

export const costsCommand: Command = {
  name: 'costs',
  summary: 'CPU-hours of training and serving per model and ISO week, priced when cost.perCoreHour is set',
  usage: `  costs [--weeks N] [--model NAME] [--json]   training CPU-hours (runs' measured CPU time) and serving
                                              CPU-hours (logged predictions × their version's single-row p50)
                                              per model and ISO week, the last N weeks (default 12, at most 520)`,
  run: async ({ flags, out, open }) => {
    const args = argsFromFlags(flags, 'costs.summary', costsFlags);
    const { client } = open();
    const summary = await client.call('costs.summary', args);
    out.result(summary, () => formatCosts(summary));
    return 0;
  },
};
