// One ingest in a fresh process, so its peak RSS is its own. Prints one JSON line.
//   BENCH_MODE=parse   read the CSV into a frame (no store)
//   BENCH_MODE=ingest  a file (CSV, NDJSON or Parquet, by extension) as a new dataset version
//   BENCH_MODE=load    the version ingested before, loaded into training arrays (frame, preprocessor, design)
//   BENCH_MODE=push    ROWS of the CSV pushed over HTTP in batches of BATCH rows (POST /v1/datasets/{name}/rows)
import { readCsv } from '../../main/data/csv.js';
import { cellValue } from '../../main/data/frame.js';
import { Engine } from '../../main/engine/engine.js';
import { createHandlers } from '../../main/api/handlers.js';
import { startHttpServer } from '../../main/api/http-server.js';
import { loadTokenVerifier } from '../../main/api/auth.js';
import { designFromFrame, fitPreprocessor } from '../../main/training/preprocess.js';

const [file, dataDir] = process.argv.slice(2);
if (file === undefined || dataDir === undefined) throw new Error('usage: ingest-child FILE DATA_DIR');
const mode = process.env.BENCH_MODE ?? 'ingest';
const dataset = process.env.BENCH_DATASET ?? 'bench';
let started = performance.now();
let rows: number;
let quarantined = 0;
const extra: Record<string, unknown> = {};
if (mode === 'parse') {
  const result = await readCsv(file);
  rows = result.frame.rowCount;
  quarantined = result.quarantined.length;
} else if (mode === 'load') {
  const engine = Engine.open(dataDir);
  const { frame } = engine.datasets.loadFrame(dataset);
  const loaded = performance.now();
  const all = Int32Array.from({ length: frame.rowCount }, (_, i) => i);
  const prep = fitPreprocessor(frame, all, process.env.BENCH_TARGET ?? 'label');
  const design = designFromFrame(prep, frame, all);
  rows = design.rows;
  extra.load_frame_s = Number(((loaded - started) / 1000).toFixed(3));
  extra.design_columns = design.dimension;
  engine.close();
} else if (mode === 'push') {
  const total = Number(process.env.BENCH_ROWS ?? 100_000);
  const batch = Number(process.env.BENCH_BATCH ?? 1000);
  const { frame } = await readCsv(file);
  const records = Array.from({ length: Math.min(total, frame.rowCount) }, (_, r) =>
    Object.fromEntries(frame.columns.map((c) => [c.name, cellValue(c, r)])),
  );
  const engine = Engine.open(dataDir);
  const token = 'bench-token-0123456789abcdef';
  const server = await startHttpServer({
    engine,
    handlers: createHandlers(engine),
    auth: loadTokenVerifier(engine.db, token),
    port: 0,
  });
  const bodies = [];
  for (let i = 0; i < records.length; i += batch) bodies.push(JSON.stringify({ rows: records.slice(i, i + batch) }));
  started = performance.now();
  const lastBatches: number[] = [];
  for (const body of bodies) {
    const t = performance.now();
    const response = await fetch(`${server.url}/v1/datasets/${dataset}/rows`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });
    if (!response.ok) throw new Error(`push failed: HTTP ${response.status} ${await response.text()}`);
    lastBatches.push(performance.now() - t);
  }
  rows = records.length;
  extra.batch_rows = batch;
  extra.first_batch_ms = Number(lastBatches[0]!.toFixed(1));
  extra.last_batch_ms = Number(lastBatches.at(-1)!.toFixed(1));
  await server.close();
  engine.close();
} else {
  const engine = Engine.open(dataDir);
  const result = await engine.datasets.ingestCsv(dataset, file);
  rows = result.rows;
  quarantined = result.quarantined;
  engine.close();
}
const seconds = (performance.now() - started) / 1000;
process.stdout.write(
  `${JSON.stringify({ seconds, rows, quarantined, peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024), ...extra })}\n`,
);
