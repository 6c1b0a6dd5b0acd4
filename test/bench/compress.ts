// `npm run bench -- compress`: models compress on a GBDT over the synthetic 200k-row table and over the bundled
// sample, and on an MLP over scikit-learn's digits; one JSON line per variant, then one per goal.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompressJob, CompressVariantResult } from '../../main/contracts/compress.js';
import { Engine } from '../../main/engine/engine.js';
import type { TrainArgs } from '../../main/training/train-args.js';

type Emit = (line: Record<string, unknown>) => void;

const python = '/usr/bin/python3';

function round(v: number | null, digits = 4): number | null {
  return v === null ? null : Number(v.toFixed(digits));
}

/** Trains one model, compresses it, and writes one line per variant (the original first). */
async function compressOne(
  emit: Emit,
  bench: { set: string; csv: string; dataset: string; train: TrainArgs },
): Promise<CompressJob> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-bench-compress-'));
  const engine = Engine.open(dataDir);
  try {
    await engine.datasets.ingestCsv(bench.dataset, bench.csv);
    const trainStarted = Date.now();
    const done = await engine.trainer.wait(engine.trainer.start(bench.train).id);
    if (done.status !== 'succeeded') throw new Error(`training failed: ${done.error?.message}`);
    const trainSeconds = (Date.now() - trainStarted) / 1000;
    const compressStarted = Date.now();
    const job = await engine.compressor.wait(engine.compressor.start({ name: bench.train.model!, metric: 'roc_auc' }).id);
    if (job.status !== 'succeeded') throw new Error(`compression failed: ${job.error?.message}`);
    const r = job.result!;
    const line = (v: CompressVariantResult): Record<string, unknown> => ({
      bench: 'compress',
      set: bench.set,
      learner: bench.train.algorithm,
      variant: v.variant,
      description: v.description,
      size_kb: round(v.sizeBytes / 1024, 1),
      size_ratio: round(r.original.sizeBytes / v.sizeBytes, 2),
      p50_us: v.p50Us,
      p99_us: v.p99Us,
      speedup_p50: round(r.original.p50Us / v.p50Us, 2),
      metric: job.metric,
      validation: round(v.validation),
      test: round(v.test),
      delta_test: round(v.deltaTest),
      pareto: `${v.pareto.size ? 'S' : ''}${v.pareto.latency ? 'L' : ''}`,
      parity_max_abs: v.parity,
      parity_tolerance: v.parityTolerance,
    });
    emit({
      bench: 'compress',
      set: bench.set,
      learner: bench.train.algorithm,
      rows: { validation: r.rows.validation, test: r.rows.test },
      train_s: round(trainSeconds, 1),
      compress_s: round((Date.now() - compressStarted) / 1000, 1),
      variants: r.variants.length,
    });
    for (const v of [r.original, ...r.variants]) emit(line(v));
    return job;
  } finally {
    engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The best variant meeting a goal (largest size ratio among those within the loss), or null. */
function goal(
  job: CompressJob,
  maxLoss: number,
  minSizeRatio: number,
  minSpeedup: number,
  only?: (v: CompressVariantResult) => boolean,
): Record<string, unknown> {
  const r = job.result!;
  const lossOnTest = (v: CompressVariantResult): number => -(v.deltaTest ?? 0);
  const meeting = r.variants
    .filter((v) => only === undefined || only(v))
    .filter(
      (v) =>
        lossOnTest(v) <= maxLoss &&
        r.original.sizeBytes / v.sizeBytes >= minSizeRatio &&
        r.original.p50Us / v.p50Us >= minSpeedup,
    )
    .sort((a, b) => a.sizeBytes - b.sizeBytes);
  const best = meeting[0] ?? null;
  return {
    met: best !== null,
    variant: best?.variant ?? null,
    size_ratio: best === null ? null : round(r.original.sizeBytes / best.sizeBytes, 2),
    speedup_p50: best === null ? null : round(r.original.p50Us / best.p50Us, 2),
    test_loss: best === null ? null : round(lossOnTest(best), 5),
  };
}

export async function runCompressBench(emit: Emit, root: string, sharedBench: string): Promise<void> {
  const work = process.env.HEARTH_BENCH_DIR ?? join(tmpdir(), 'hearth-bench-compress');
  mkdirSync(work, { recursive: true });
  const synth = join(work, 'synth_200k.csv');
  if (!existsSync(synth)) {
    const r = spawnSync(python, [join(sharedBench, 'gen_synth.py'), synth, '200000'], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error('gen_synth.py failed (needs /usr/bin/python3 with numpy and pandas)');
  }
  const digits = join(work, 'digits.csv');
  if (!existsSync(digits)) {
    // scikit-learn's bundled copy of the UCI optical digits (1,797 rows of 8×8 pixels, 10 classes).
    const script = `from sklearn.datasets import load_digits\nd = load_digits(as_frame=True).frame\nd.to_csv(${JSON.stringify(digits)}, index=False)`;
    const r = spawnSync(python, ['-c', script], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('could not write the digits data set (needs python3-sklearn)');
  }
  const gbdt = await compressOne(emit, {
    set: 'synth_200k',
    csv: synth,
    dataset: 'synth',
    train: { dataset: 'synth', target: 'label', algorithm: 'gbdt', model: 'synth', metric: 'roc_auc', seed: 42 },
  });
  emit({
    bench: 'compress',
    set: 'synth_200k',
    goal: 'a GBDT variant >= 4x smaller and >= 2x faster (p50) at <= 0.002 ROC AUC loss on the test rows',
    ...goal(gbdt, 0.002, 4, 2),
    smaller_only: goal(gbdt, 0.002, 4, 1),
  });
  const sample = await compressOne(emit, {
    set: 'birdstrikes',
    csv: join(root, 'resources', 'samples', 'birdstrikes.csv'),
    dataset: 'birdstrikes',
    train: {
      dataset: 'birdstrikes',
      target: 'Effect Amount of damage',
      algorithm: 'gbdt',
      model: 'birdstrikes',
      metric: 'roc_auc',
      seed: 42,
    },
  });
  emit({
    bench: 'compress',
    set: 'birdstrikes',
    goal: 'a GBDT variant >= 4x smaller and >= 2x faster (p50) at <= 0.002 ROC AUC loss on the test rows',
    ...goal(sample, 0.002, 4, 2),
    smaller_only: goal(sample, 0.002, 4, 1),
  });
  const mlp = await compressOne(emit, {
    set: 'digits',
    csv: digits,
    dataset: 'digits',
    train: {
      dataset: 'digits',
      target: 'target',
      algorithm: 'mlp',
      model: 'digits',
      metric: 'roc_auc',
      seed: 42,
      task: 'multiclass',
    },
  });
  emit({
    bench: 'compress',
    set: 'digits',
    goal: 'an int8 MLP >= 3x smaller at <= 0.005 ROC AUC loss on the test rows (default hidden layers 64, 32)',
    ...goal(mlp, 0.005, 3, 0, (v) => v.variant.includes('int8')),
    int8_size_ratio: round(mlp.result!.original.sizeBytes / mlp.result!.variants.find((v) => v.variant === 'int8')!.sizeBytes, 2),
  });
  // The default network is small: its int8 graph is bounded by what does not shrink (preprocessing constants,
  // metadata, 13 nodes a layer). A wider one shows the ratio once the weights dominate.
  const wide = await compressOne(emit, {
    set: 'digits_256x128',
    csv: digits,
    dataset: 'digits',
    train: {
      dataset: 'digits',
      target: 'target',
      algorithm: 'mlp',
      model: 'digits',
      metric: 'roc_auc',
      seed: 42,
      task: 'multiclass',
      hiddenLayers: [256, 128],
    },
  });
  emit({
    bench: 'compress',
    set: 'digits_256x128',
    goal: 'an int8 MLP >= 3x smaller at <= 0.005 ROC AUC loss on the test rows',
    ...goal(wide, 0.005, 3, 0, (v) => v.variant.includes('int8')),
  });
  const all = [gbdt, sample, mlp, wide].flatMap((j) => [j.result!.original, ...j.result!.variants]);
  emit({
    bench: 'compress',
    goal: "every variant's ONNX answers equal its TypeScript predictor's within its tolerance (1e-5 single precision, 1e-6 double)",
    met: all.every((v) => v.parity <= v.parityTolerance),
    max_parity: Math.max(...all.map((v) => v.parity)),
    variants: all.length,
  });
}
