// Trains Hearth's GBDT on a peer split's train.csv in a fresh process (so peak RSS is its own) and scores test.csv.
// Prints one JSON line.
import { Engine } from '../../main/engine/engine.js';
import { evaluateFile } from '../../main/serving/batch.js';
import { readCsv } from '../../main/data/csv.js';
import { modelInputs } from '../../main/models/model.js';
import { rawInputsFromFrame, rawInputsFromRecords } from '../../main/models/preprocess.js';
import { cellValue } from '../../main/table/frame.js';

const [train, test, target, dataDir, threads] = process.argv.slice(2);
if (train === undefined || test === undefined || target === undefined || dataDir === undefined)
  throw new Error('usage: gbdt-child TRAIN TEST TARGET DATA_DIR [THREADS]');
const engine = Engine.open(dataDir);
await engine.datasets.ingestCsv('bench', train);
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
const info = engine.registry.version('bench', done.result!.version);
const evaluation = await evaluateFile(engine, 'bench', test);

// Prediction latency through ONNX Runtime: one row at a time, and a batch of 10,000.
const predictor = await engine.predictors.get('bench', info.version);
const features = { features: modelInputs(predictor.stored) };
const { frame } = await readCsv(test);
const first = Object.fromEntries(frame.columns.map((c) => [c.name, cellValue(c, 0)]));
const one = rawInputsFromRecords(features, [first]);
const samples: number[] = [];
for (let i = 0; i < 2000; i++) {
  const t = process.hrtime.bigint();
  await predictor.run(one);
  samples.push(Number(process.hrtime.bigint() - t) / 1000);
}
samples.sort((a, b) => a - b);
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
    train_job_s: done.result!.durationMs / 1000,
    trees: info.report.trees,
    kernel: info.report.kernel,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    ...evaluation.metrics,
    onnx_single_row_us_p50: Number(samples[1000]!.toFixed(1)),
    onnx_single_row_us_p99: Number(samples[1980]!.toFixed(1)),
    onnx_batch_rows: batch.rows,
    onnx_batch_ms: Number(batchTimes[2]!.toFixed(2)),
    execution_provider: predictor.executionProvider,
  })}\n`,
);
engine.close();
