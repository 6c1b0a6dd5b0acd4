// `npm run bench -- gbdt-kernel`: A/B of the GBDT hot-loop kernels (native and wasm-simd against TypeScript; native
// where its addon is built) on the same
// binned data in one process, interleaved (ABAB...) so that load from other processes on a shared machine falls on
// both alike. Shaped like synth 1M's training split: 800,000 rows, 28 numeric features (255 bins) and 4 categorical
// (5/12/25/50 levels), 5% missing; a binary log-loss tree of 31 leaves on 2 threads. One JSON line per measure:
// medians of the root histogram (every row), of a deep node's (every tenth row: the rows the wasm kernel gathers; per
// row beside the root's) and of a whole tree, per kernel, and their ratios to TypeScript and native's to wasm.
import { loadavg } from 'node:os';
import { missingBin } from '../../main/models/binning.js';
import { seededRandom } from '../../main/stats/random.js';
import { HistogramPool } from '../../workers/gbdt/histogram.js';
import { allocateTraining, histogramSize, nativeKernel, type TrainingArrays } from '../../workers/gbdt/kernel.js';
import { growTree, plainCategoricalSplits, type GrownTree } from '../../workers/gbdt/tree.js';

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function runGbdtKernelBench(
  n = Number(process.env.HEARTH_KERNEL_BENCH_ROWS ?? 800_000),
  reps = Number(process.env.HEARTH_KERNEL_BENCH_REPS ?? 9),
  threads = 2,
): void {
  const levels = [5, 12, 25, 50];
  const F = 28 + levels.length;
  const binCounts = [...new Array<number>(28).fill(255), ...levels];
  const categorical = binCounts.map((_, f) => f >= 28);
  const random = seededRandom(42);
  const bins = new Uint8Array(n * F);
  const margin = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < F; f++) bins[i * F + f] = random() < 0.05 ? missingBin : Math.floor(random() * binCounts[f]!);
    margin[i] = (bins[i * F]! % 255) / 64 - 3 + ((bins[i * F + 29]! % 12) % 3 === 0 ? 1 : 0);
  }
  // Gradients of log loss at the base score for targets drawn from the margin (about 10% positives).
  const gradHess = new Float32Array(2 * n);
  const q0 = 0.1;
  for (let i = 0; i < n; i++) {
    const y = random() < 1 / (1 + Math.exp(-margin[i]!)) ? 1 : 0;
    gradHess[2 * i] = q0 - y;
    gradHess[2 * i + 1] = q0 * (1 - q0);
  }
  type Choice = 'native' | 'wasm' | 'typescript';
  const setUp = (choice: Choice): { arrays: TrainingArrays; pool: HistogramPool } => {
    const arrays = allocateTraining(bins, n, F, n, threads, choice);
    arrays.gradHess.set(gradHess);
    return { arrays, pool: new HistogramPool(arrays, threads - 1) };
  };
  const names: Choice[] = nativeKernel() instanceof Error ? ['typescript', 'wasm'] : ['typescript', 'wasm', 'native'];
  const kernels = Object.fromEntries(names.map((name) => [name, setUp(name)])) as Record<Choice, ReturnType<typeof setUp>>;
  const params = {
    maxLeaves: 31,
    maxDepth: 0,
    minChildSamples: 20,
    minChildWeight: 1e-3,
    minSplitGain: 0,
    l1: 0,
    l2: 1,
    learningRate: 0.1,
    ...plainCategoricalSplits,
  };
  const allowed = new Uint8Array(F).fill(1);
  const deepRows = Math.floor(n / 10);
  const hist = new Float64Array(histogramSize(F));
  const times = Object.fromEntries(
    names.map((name) => [name, { root: [] as number[], deep: [] as number[], tree: [] as number[] }]),
  ) as Record<Choice, { root: number[]; deep: number[]; tree: number[] }>;
  const grown: Partial<Record<Choice, GrownTree>> = {};
  const load = loadavg()[0]!;
  // The first round warms both up (JIT, page faults in fresh memory) and is not counted.
  for (let rep = 0; rep <= reps; rep++) {
    for (const name of names) {
      const { arrays, pool } = kernels[name];
      // A deep node's rows: every tenth, spread over all the bins (what the kernel gathers).
      for (let i = 0; i < deepRows; i++) arrays.rows[i] = 10 * i;
      let t = performance.now();
      pool.build(0, deepRows, hist);
      const deep = performance.now() - t;
      for (let i = 0; i < n; i++) arrays.rows[i] = i;
      t = performance.now();
      pool.build(0, n, hist);
      const root = performance.now() - t;
      t = performance.now();
      const tree = growTree({ F, binCounts, categorical, pool }, n, allowed, params);
      const whole = performance.now() - t;
      if (rep === 0) continue;
      times[name].root.push(root);
      times[name].deep.push(deep);
      times[name].tree.push(whole);
      grown[name] = tree;
    }
  }
  for (const k of Object.values(kernels)) k.pool.close();
  const same = names.every((name) => JSON.stringify(grown[name]) === JSON.stringify(grown.typescript));
  const common = { bench: 'gbdt-kernel', rows: n, features: F, threads, reps, load_1m_at_start: Number(load.toFixed(2)) };
  for (const name of names) {
    emit({
      ...common,
      kernel: kernels[name].arrays.kernel,
      root_histogram_ms_p50: Number(median(times[name].root).toFixed(2)),
      root_histogram_ns_per_row: Number(((median(times[name].root) * 1e6) / n).toFixed(1)),
      deep_histogram_ns_per_row: Number(((median(times[name].deep) * 1e6) / deepRows).toFixed(1)),
      tree_ms_p50: Number(median(times[name].tree).toFixed(2)),
    });
  }
  const ratio = (a: Choice, b: Choice, of: 'root' | 'deep' | 'tree'): number =>
    Number((median(times[a][of]) / median(times[b][of])).toFixed(3));
  emit({
    ...common,
    root_histogram_ratio_wasm_vs_typescript: ratio('wasm', 'typescript', 'root'),
    tree_ratio_wasm_vs_typescript: ratio('wasm', 'typescript', 'tree'),
    ...(names.includes('native')
      ? {
          root_histogram_ratio_native_vs_wasm: ratio('native', 'wasm', 'root'),
          deep_histogram_ratio_native_vs_wasm: ratio('native', 'wasm', 'deep'),
          tree_ratio_native_vs_wasm: ratio('native', 'wasm', 'tree'),
        }
      : { native: 'not built (npm run build:native)' }),
    same_tree: same,
    load_1m_at_end: Number(loadavg()[0]!.toFixed(2)),
  });
  if (!same) throw new Error('the kernels grew different trees');
}
