import { writeFileSync } from 'node:fs';
import { predictFile } from '../../serving/batch.js';
import { cellValue } from '../../table/frame.js';
import { csvCell } from '../../data/csv.js';
import { type Command, UsageError, required } from '../command.js';

export const predictCommand: Command = {
  name: 'predict',
  summary: 'predict a file with a model version, as CSV or JSON',
  usage: `  predict --model NAME[@V] FILE [--out FILE]`,
  run: async ({ rest, flags, out, open }) => {
    if (rest.length !== 1) throw new UsageError('predict takes one FILE');
    const { engine } = open();
    const batch = await predictFile(engine, required(flags, 'model'), rest[0]!);
    if (flags.out !== undefined) {
      writeFileSync(flags.out, predictionsCsv(batch));
      out.result(
        {
          model: batch.model,
          version: batch.version,
          rows: batch.predictions.length,
          quarantined: batch.quarantined,
          out: flags.out,
          execution_provider: batch.executionProvider,
        },
        () => `Wrote ${batch.predictions.length} predictions to ${flags.out} (ran on ${batch.executionProvider})`,
      );
    } else if (out.json)
      out.result(
        {
          model: batch.model,
          version: batch.version,
          execution_provider: batch.executionProvider,
          predictions: batch.predictions,
        },
        () => '',
      );
    else process.stdout.write(predictionsCsv(batch));
    return 0;
  },
};

function predictionsCsv(batch: Awaited<ReturnType<typeof predictFile>>): string {
  const columns = batch.frame.columns;
  const header = columns.map((c) => c.name);
  const classes = batch.matrix.kind === 'classification' ? batch.matrix.classes : [];
  if (batch.matrix.kind === 'classification') header.push('prediction', ...classes.map((c) => `probability_${c}`));
  else header.push('prediction');
  const lines = [header.map(csvCell).join(',')];
  batch.predictions.forEach((p, r) => {
    const cells = columns.map((c) => csvCell(cellValue(c, r)));
    if ('label' in p) cells.push(csvCell(p.label), ...classes.map((c) => String(p.probabilities[c])));
    else cells.push(String(p.value));
    lines.push(cells.join(','));
  });
  return `${lines.join('\n')}\n`;
}
