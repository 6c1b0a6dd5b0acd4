// `npm run bench -- gbdt-gpu` (and `./run.sh gbdt` in the GPU bundle): GBDT training with the large nodes'
// histograms on WebGPU (HEARTH_GBDT_DEVICE=webgpu) beside the CPU kernel, on the same binned table in one process,
// and scikit-learn's HistGradientBoosting on that table as the peer where Python has it. Shaped like synth 1M's
// training split (800,000 rows, 28 numeric features of 255 bins and 4 categorical ones, 5% missing, a binary target
// from a known margin); 100 trees of 31 leaves, learning rate 0.1. Each configuration's fit in seconds, whether its
// trees are the CPU fit's, and the GPU's share of nodes; then the root and a deep node's histogram alone, per device.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeWebGpu } from '../../main/accel/webgpu.js';
import { missingBin } from '../../main/models/binning.js';
import { seededRandom } from '../../main/stats/random.js';
import { fitBoosting, type BoostInput, type BoostParams, type BoostResult } from '../../workers/gbdt/boost.js';
import { HistogramPool } from '../../workers/gbdt/histogram.js';
import { allocateTraining, histogramSize } from '../../workers/gbdt/kernel.js';

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function table(n: number): BoostInput {
  const levels = [5, 12, 25, 50];
  const F = 28 + levels.length;
  const binCounts = [...new Array<number>(28).fill(255), ...levels];
  const random = seededRandom(42);
  const bins = new Uint8Array(n * F);
  const targets = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < F; f++) bins[i * F + f] = random() < 0.05 ? missingBin : Math.floor(random() * binCounts[f]!);
    const b = (f: number): number => (bins[i * F + f] === missingBin ? 127 : bins[i * F + f]!);
    const margin = b(0) / 64 - 2 + (b(1) - 127) / 128 - (b(2) > 200 ? 1 : 0) + (b(29) % 3 === 0 ? 1 : 0) - (b(31) % 7) / 6;
    targets[i] = random() < 1 / (1 + Math.exp(-margin)) ? 1 : 0;
  }
  return {
    task: 'binary',
    classes: 0,
    bins,
    F,
    binCounts,
    categorical: binCounts.map((_, f) => f >= 28),
    targets,
    validation: null,
  };
}

/** Training ROC AUC from the fit's margins: a check that every configuration learnt the same thing. */
function auc(margins: Float64Array, targets: Int32Array): number {
  const order = Array.from(margins.keys()).sort((a, b) => margins[a]! - margins[b]!);
  let positives = 0;
  let rankSum = 0;
  order.forEach((row, rank) => {
    if (targets[row] === 1) {
      positives++;
      rankSum += rank + 1;
    }
  });
  const negatives = targets.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

function sameTrees(a: BoostResult, b: BoostResult): { same_trees: boolean; max_leaf_diff: number } {
  let same = a.trees.length === b.trees.length;
  let diff = 0;
  a.trees.forEach((t, k) => {
    const u = b.trees[k];
    if (u === undefined) return;
    if (JSON.stringify([t.feature, t.splitBin, t.left, t.count]) !== JSON.stringify([u.feature, u.splitBin, u.left, u.count]))
      same = false;
    t.value.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - (u.value[i] ?? Number.NaN)))));
  });
  return { same_trees: same, max_leaf_diff: diff };
}

export async function runGbdtGpuBench(
  n = Number(process.env.HEARTH_GBDT_GPU_BENCH_ROWS ?? 800_000),
  trees = Number(process.env.HEARTH_GBDT_GPU_BENCH_TREES ?? 100),
): Promise<void> {
  const adapter = await probeWebGpu();
  const cores = availableParallelism();
  const threadCounts = process.env.HEARTH_GBDT_GPU_BENCH_THREADS?.split(',').map(Number) ?? [...new Set([2, cores])];
  emit({
    bench: 'gbdt-gpu',
    phase: 'probe',
    rows: n,
    trees,
    cores,
    webgpu_adapter: adapter.ok ? { device: adapter.info.device, software: adapter.info.software } : { error: adapter.reason },
  });
  const input = table(n);
  const params: BoostParams = {
    trees,
    learningRate: 0.1,
    maxLeaves: 31,
    maxDepth: 0,
    minChildSamples: 20,
    minChildWeight: 1e-3,
    minSplitGain: 0,
    l1: 0,
    l2: 0,
    catSmooth: 10,
    catL2: 10,
    maxCatThreshold: 32,
    minDataPerGroup: 100,
    maxCatToOnehot: 4,
    rowSubsample: 1,
    colSubsample: 1,
    earlyStoppingRounds: 0,
    seed: 1,
    threads: 2,
    classWeights: null,
    huberDelta: null,
  };
  const minRowsList = (process.env.HEARTH_GBDT_GPU_BENCH_MIN_ROWS ?? '65536,16384').split(',').map((s) => Number(s));
  for (const threads of threadCounts) {
    const t0 = performance.now();
    const cpu = fitBoosting(input, { ...params, threads, device: 'cpu' });
    const cpuS = (performance.now() - t0) / 1000;
    emit({
      bench: 'gbdt-gpu',
      device: 'cpu',
      kernel: cpu.kernel,
      threads,
      fit_s: Number(cpuS.toFixed(3)),
      train_auc: Number(auc(cpu.trainMargins!, input.targets as Int32Array).toFixed(5)),
      load1: loadavg()[0],
    });
    if (!adapter.ok) continue;
    for (const minRows of minRowsList) {
      process.env.HEARTH_GBDT_GPU_MIN_ROWS = String(minRows);
      const t1 = performance.now();
      const gpu = fitBoosting(input, { ...params, threads, device: 'webgpu' });
      const gpuS = (performance.now() - t1) / 1000;
      emit({
        bench: 'gbdt-gpu',
        device: 'webgpu',
        adapter: adapter.info.device,
        software: adapter.info.software,
        threads,
        gpu_min_rows: minRows,
        fit_s: Number(gpuS.toFixed(3)),
        gpu_nodes: gpu.gpu?.gpuNodes,
        cpu_nodes: gpu.gpu?.cpuNodes,
        gpu_ms: gpu.gpu?.ms,
        ...sameTrees(gpu, cpu),
        train_auc: Number(auc(gpu.trainMargins!, input.targets as Int32Array).toFixed(5)),
        speedup_over_cpu: Number((cpuS / gpuS).toFixed(2)),
      });
    }
    delete process.env.HEARTH_GBDT_GPU_MIN_ROWS;
  }
  if (adapter.ok) histogramTimes(input);
  if (process.env.HEARTH_GBDT_GPU_BENCH_PEER !== '0') peer(input, threadCounts, trees);
}

/** One histogram alone: the root's (every row) and a deep node's (every tenth row), median of nine, per device. */
function histogramTimes(input: BoostInput): void {
  const { bins, F } = input;
  const n = input.targets.length;
  const arrays = allocateTraining(bins, n, F, n, 2, 'auto');
  const random = seededRandom(9);
  for (let i = 0; i < 2 * n; i++) arrays.gradHess[i] = i % 2 === 0 ? random() - 0.5 : 0.25;
  const cpuPool = new HistogramPool(arrays, 1);
  const gpuPool = new HistogramPool(arrays, 1, null, 0);
  const hist = new Float64Array(histogramSize(F));
  const times = { cpu: { root: [] as number[], deep: [] as number[] }, webgpu: { root: [] as number[], deep: [] as number[] } };
  try {
    gpuPool.beginTree();
    for (let rep = 0; rep < 10; rep++) {
      for (const [name, pool] of [
        ['cpu', cpuPool],
        ['webgpu', gpuPool],
      ] as const) {
        for (let i = 0; i < n; i++) arrays.rows[i] = i;
        let t = performance.now();
        pool.build(0, n, hist);
        const root = performance.now() - t;
        for (let i = 0; i < n / 10; i++) arrays.rows[i] = 10 * i;
        t = performance.now();
        pool.build(0, Math.floor(n / 10), hist);
        const deep = performance.now() - t;
        if (rep > 0) {
          times[name].root.push(root);
          times[name].deep.push(deep);
        }
      }
    }
  } finally {
    cpuPool.close();
    gpuPool.close();
  }
  for (const name of ['cpu', 'webgpu'] as const)
    emit({
      bench: 'gbdt-gpu',
      measure: 'histogram',
      device: name,
      threads: 2,
      root_ms: Number(median(times[name].root).toFixed(3)),
      deep_ms: Number(median(times[name].deep).toFixed(3)),
    });
}

/** scikit-learn's HistGradientBoostingClassifier on the same binned table, same trees and leaves, per thread count. */
function peer(input: BoostInput, threadCounts: number[], trees: number): void {
  // From dist/test/bench (or the GPU bundle's app/dist/test/bench) to the source's test/bench, where it lives.
  const script = fileURLToPath(new URL('../../../test/bench/gbdt_gpu_peer.py', import.meta.url));
  // Debian's Python (scikit-learn from apt) here; HEARTH_BENCH_PYTHON elsewhere (a GPU machine's own Python).
  const python = process.env.HEARTH_BENCH_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
  const dir = mkdtempSync(join(tmpdir(), 'hearth-gbdt-gpu-'));
  try {
    writeFileSync(join(dir, 'bins.u8'), input.bins);
    writeFileSync(join(dir, 'targets.i32'), new Uint8Array(input.targets.buffer));
    for (const threads of threadCounts) {
      const r = spawnSync(python, [script, dir, String(input.F), String(trees), '28'], {
        encoding: 'utf8',
        env: { ...process.env, OMP_NUM_THREADS: String(threads) },
        timeout: 600_000,
      });
      if (r.status !== 0) {
        emit({
          bench: 'gbdt-gpu',
          peer: 'sklearn-hgb',
          threads,
          skipped: (r.stderr || r.error?.message || '').trim().split('\n').pop(),
        });
        continue;
      }
      emit({ bench: 'gbdt-gpu', peer: 'sklearn-hgb', threads, ...(JSON.parse(r.stdout.trim().split('\n').pop()!) as object) });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runGbdtGpuBench();
