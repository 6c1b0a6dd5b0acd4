// One ingest in a fresh process, so its peak RSS is its own. Prints one JSON line.
//   BENCH_MODE=parse   read the CSV into a frame (no store)
//   BENCH_MODE=ingest  a file (CSV, NDJSON or Parquet, by extension) as a new dataset version
//   BENCH_MODE=load    the version ingested before, loaded into training arrays (frame, preprocessor, design)
//   BENCH_MODE=push    ROWS of the CSV pushed over HTTP in batches of BATCH rows (POST /v1/datasets/{name}/rows) by
//                      a client in another process (push-client.ts)
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readCsv } from '../../main/data/csv.js';
import { Engine } from '../../main/engine/engine.js';
import { createHandlers } from '../../main/api/handlers.js';
import { startHttpServer } from '../../main/api/http-server.js';
import { loadTokenVerifier } from '../../main/api/auth.js';
import { designFromFrame, fitPreprocessor } from '../../main/models/preprocess.js';

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
  // The server here, the pusher in a process of its own (test/bench/push-client.ts), as a real client is.
  const engine = Engine.open(dataDir);
  const token = 'bench-token-0123456789abcdef';
  const server = await startHttpServer({
    engine,
    handlers: createHandlers(engine),
    auth: loadTokenVerifier(engine.db, token),
    port: 0,
  });
  const client = fileURLToPath(new URL('./push-client.js', import.meta.url));
  const args = [client, server.url, token, file, dataset, process.env.BENCH_ROWS ?? '100000', process.env.BENCH_BATCH ?? '1000'];
  const output = await new Promise<string>((resolve, reject) => {
    let out = '';
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`push-client exited with ${code}`))));
  });
  const pushed = JSON.parse(output.trim().split('\n').pop()!) as Record<string, number>;
  rows = pushed.rows!;
  started = performance.now() - pushed.seconds! * 1000;
  const { seconds: _seconds, rows: _rows, ...latencies } = pushed;
  Object.assign(extra, { batch_rows: Number(process.env.BENCH_BATCH ?? 1000), ...latencies });
  extra.versions = engine.datasets.versions(dataset).length;
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
