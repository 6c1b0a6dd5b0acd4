// Trains Hearth's GBDT on a peer split's train.csv in a fresh process (so peak RSS is its own) and scores test.csv.
// The CSV is ingested by a process of its own first (this file run with "ingest"), so the training process's peak
// RSS is training's, not the CSV parser's. Prints one JSON line.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Engine } from '../../main/engine/engine.js';
import { evaluateFile } from '../../main/serving/batch.js';
import { readCsv } from '../../main/data/csv.js';
import { modelInputs } from '../../main/models/model.js';
import { rawInputsFromFrame, rawInputsFromRecords } from '../../main/models/preprocess.js';
import { cellValue } from '../../main/table/frame.js';
import { createSession } from '../../main/accel/onnx-runtime.js';
import { Predictor } from '../../main/models/predictor.js';

if (process.argv[2] === 'ingest') {
  const [, csv, into] = process.argv.slice(2);
  const started = performance.now();
  const ingesting = Engine.open(into!);
  await ingesting.datasets.ingestCsv('bench', csv!);
  ingesting.close();
  process.stdout.write(
    `${JSON.stringify({ ingest_s: (performance.now() - started) / 1000, peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
  );
  process.exit(0);
}
const [train, test, target, dataDir, threads] = process.argv.slice(2);
if (train === undefined || test === undefined || target === undefined || dataDir === undefined)
  throw new Error('usage: gbdt-child TRAIN TEST TARGET DATA_DIR [THREADS]');
const ingest = spawnSync(process.execPath, [fileURLToPath(import.meta.url), 'ingest', train, dataDir], { encoding: 'utf8' });
if (ingest.status !== 0) throw new Error(`ingest failed: ${ingest.stderr}`);
const ingested = JSON.parse(ingest.stdout.trim().split('\n').pop()!) as { ingest_s: number; peak_rss_mb: number };
const engine = Engine.open(dataDir);
const job = engine.trainer.start({
  dataset: 'bench',
  target,
  algorithm: 'gbdt',
  model: 'bench',
  trees: 100,
  learningRate: 0.1,
  maxLeaves: 31,
  earlyStoppingRounds: 0,
  validationFraction: 0,
  testFraction: 0,
  threads: Number(threads ?? 2),
});
const done = await engine.trainer.wait(job.id);
if (done.status !== 'succeeded') throw new Error(`training failed: ${done.error?.message}`);
const trainPeakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
const info = engine.registry.version('bench', done.result!.version);
// Seconds per phase of the train job (a phase may recur, as evaluation after a refit: summed).
const phases: Record<string, number> = {};
for (const p of done.result!.budget?.phases ?? []) phases[p.phase] = Number(((phases[p.phase] ?? 0) + p.seconds).toFixed(3));
const jobCpuSeconds = Number((info.cost?.training.cpuSeconds ?? Number.NaN).toFixed(2));
const cores = info.cost?.training.cores ?? Number.NaN;
const evaluation = await evaluateFile(engine, 'bench', test);

// Prediction latency through ONNX Runtime (a session on this thread): one row at a time, and a batch of 10,000.
// Serving answers a single row with the TypeScript predictor instead (Predictor's inlineRows): timed beside it.
const served = await engine.predictors.get('bench', info.version);
const predictor = new Predictor(
  'bench',
  info.version,
  served.stored,
  // In place, as the serving pool's threads run a graph.
  await createSession(engine.registry.onnxBytes('bench', info.version), 'cpu', undefined, true),
);
const features = { features: modelInputs(predictor.stored) };
const { frame } = await readCsv(test);
const first = Object.fromEntries(frame.columns.map((c) => [c.name, cellValue(c, 0)]));
const one = rawInputsFromRecords(features, [first]);
// The first 2,000 calls (a session just loaded, its code not yet optimised, the heap still full of training's
// garbage) are reported apart from the steady state a server answers in: the 20,000 calls after them, `rows` in turn.
const singleRowUs = async (
  p: Predictor,
  rows: readonly ReturnType<typeof rawInputsFromRecords>[],
): Promise<{ cold: number[]; warm: number[] }> => {
  const samples: number[] = [];
  for (let i = 0; i < 22_000; i++) {
    const row = rows[i % rows.length]!;
    const t = process.hrtime.bigint();
    await p.run(row);
    samples.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  const sorted = (a: number[]): number[] => a.sort((x, y) => x - y);
  return { cold: sorted(samples.slice(0, 2000)), warm: sorted(samples.slice(2000)) };
};
const quantile = (sorted: number[], q: number): number => Number(sorted[Math.floor(q * sorted.length)]!.toFixed(1));
const samples = await singleRowUs(predictor, [one]);
const servedSamples = await singleRowUs(served, [one]);
// The same over the first 1,000 test rows in turn, as a server sees them. One row asked again and again flatters a
// tree graph: its path through every tree stays in the caches and the branch predictor. On the 255k-row table's
// model (2,141 category-set splits, most over codes above 30, which ONNX Runtime tests in a hash set) that row took
// 24 µs and the rows in turn 48.
const varied = Array.from({ length: Math.min(1000, frame.rowCount) }, (_, r) =>
  rawInputsFromRecords(features, [Object.fromEntries(frame.columns.map((c) => [c.name, cellValue(c, r)]))]),
);
const variedSamples = (await singleRowUs(predictor, varied)).warm;
const variedServed = (await singleRowUs(served, varied)).warm;
const rowsInBatch = Math.min(10_000, frame.rowCount);
const batchFrame = {
  rowCount: rowsInBatch,
  columns: frame.columns.map((c) =>
    c.kind === 'numeric'
      ? { ...c, values: c.values.subarray(0, rowsInBatch) }
      : { ...c, codes: c.codes.subarray(0, rowsInBatch) },
  ),
};
const batch = rawInputsFromFrame(features, batchFrame);
const batchTimes: number[] = [];
for (let i = 0; i < 5; i++) {
  const t = performance.now();
  await predictor.run(batch);
  batchTimes.push(performance.now() - t);
}
batchTimes.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    fit_s: (info.report.fitMs as number) / 1000,
    // The boosting rounds alone, LightGBM's fit_s's scope (its binning is in its load time).
    boost_s: (info.report.boostMs as number) / 1000,
    train_job_s: done.result!.durationMs / 1000,
    job_over_fit: Number((done.result!.durationMs / (info.report.fitMs as number)).toFixed(2)),
    // The job's CPU time on every thread (its own cost record, the fit's threads' spin-waits included) and the cores
    // it had: how close the job ran to filling them.
    train_job_cpu_s: jobCpuSeconds,
    cores,
    phases,
    trees: info.report.trees,
    kernel: info.report.kernel,
    ingest_s: Number(ingested.ingest_s.toFixed(2)),
    ingest_peak_rss_mb: ingested.peak_rss_mb,
    train_peak_rss_mb: trainPeakRssMb,
    // This process (training, then scoring test.csv and the latency runs); ingest ran in its own process.
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    ...evaluation.metrics,
    onnx_single_row_us_p50: quantile(samples.warm, 0.5),
    onnx_single_row_us_p99: quantile(samples.warm, 0.99),
    onnx_single_row_first_2000_us_p50: quantile(samples.cold, 0.5),
    onnx_single_row_first_2000_us_p99: quantile(samples.cold, 0.99),
    served_single_row: served.providerFor(one),
    served_single_row_us_p50: quantile(servedSamples.warm, 0.5),
    served_single_row_us_p99: quantile(servedSamples.warm, 0.99),
    onnx_single_row_varied_us_p50: quantile(variedSamples, 0.5),
    onnx_single_row_varied_us_p99: quantile(variedSamples, 0.99),
    served_single_row_varied_us_p50: quantile(variedServed, 0.5),
    served_single_row_varied_us_p99: quantile(variedServed, 0.99),
    onnx_batch_rows: batch.rows,
    onnx_batch_ms: Number(batchTimes[2]!.toFixed(2)),
    execution_provider: predictor.executionProvider,
  })}\n`,
);
engine.close();
