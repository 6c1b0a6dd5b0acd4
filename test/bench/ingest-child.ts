// One ingest in a fresh process, so its peak RSS is its own. Prints one JSON line.
import { readCsv } from '../../main/data/csv.js';
import { Engine } from '../../main/engine/engine.js';

const [file, dataDir] = process.argv.slice(2);
if (file === undefined || dataDir === undefined) throw new Error('usage: ingest-child FILE DATA_DIR');
const mode = process.env.BENCH_MODE ?? 'ingest';
const started = performance.now();
let rows: number;
let quarantined: number;
if (mode === 'parse') {
  const result = await readCsv(file);
  rows = result.frame.rowCount;
  quarantined = result.quarantined.length;
} else {
  const engine = Engine.open(dataDir);
  const result = await engine.datasets.ingestCsv('bench', file);
  rows = result.rows;
  quarantined = result.quarantined;
  engine.close();
}
const seconds = (performance.now() - started) / 1000;
process.stdout.write(
  `${JSON.stringify({ seconds, rows, quarantined, peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
);
