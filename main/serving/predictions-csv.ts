import { cellValue } from '../table/frame.js';
import { csvCell } from '../data/csv.js';
import type { BatchPrediction } from './batch.js';

/**
 * A scored file as CSV: its columns, then the prediction (and each class's probability). Shared by `hearth predict
 * --out` and the desktop's "score a file", so both write the same bytes.
 */
export function predictionsCsv(batch: BatchPrediction): string {
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
