import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { missingBin } from '../../main/models/binning.js';
import { seededRandom } from '../../main/stats/random.js';
import { fitBoosting, marginLoss, type BoostInput, type BoostParams } from '../../workers/gbdt/boost.js';
import { binnedTable, boostDefaults } from '../fixtures/gbdt-table.js';
import { fitForest } from '../../workers/gbdt/forest.js';
import { HistogramPool } from '../../workers/gbdt/histogram.js';
import { claimShare, closeClaims, firstClaim, taskInts } from '../../workers/gbdt/shares.js';
import { expNonPositive, gradientsAndLoss, lossFromProducts } from '../../workers/gbdt/gradients.js';
import { addTreeToBinnedRows, growTree, leafOfBinnedRow } from '../../workers/gbdt/tree.js';
import { findSplit, splitSearch, type GrowParams } from '../../workers/gbdt/split-search.js';
import {
  accumulateHistogram,
  allocatePinned,
  allocateTraining,
  histogramSize,
  kernelChoice,
  kernelEnv,
  fitsInWasm,
  kernelModule,
  nativeKernel,
  partitionRows,
  wasmPages,
  type KernelChoice,
  type TrainingArrays,
} from '../../workers/gbdt/kernel.js';
import { probeGbdtKernels } from '../../workers/gbdt/kernel-probe.js';
import { HearthError } from '../../main/contracts/errors.js';

const params = boostDefaults;

/** The fixture table, with enough rows (40,000 by default) that helpers take part. */
function data(task: 'binary' | 'regression' | 'multiclass', n = 40_000): BoostInput {
  return binnedTable(task, n, 11);
}

const wasmBuilt = kernelModule();
const nativeBuilt = nativeKernel();
/** The compiled kernels to hold to the TypeScript one: native where its addon is built (CI requires it). */
const compiled: ('native' | 'wasm')[] = nativeBuilt instanceof Error ? ['wasm'] : ['native', 'wasm'];
const kernelNames = { native: 'native', wasm: 'wasm-simd', typescript: 'typescript' } as const;

describe('the GBDT kernels (native, wasm-simd and TypeScript)', () => {
  const saved = process.env[kernelEnv];
  afterEach(() => {
    if (saved === undefined) delete process.env[kernelEnv];
    else process.env[kernelEnv] = saved;
  });

  it('the wasm kernel is built (npm run build:wasm) and loads', () => {
    assert.ok(!(wasmBuilt instanceof Error), wasmBuilt instanceof Error ? wasmBuilt.message : '');
  });

  it('the native kernel is built (npm run build:native) and loads, where HEARTH_REQUIRE_NATIVE=1 asks for it', (t) => {
    if (nativeBuilt instanceof Error) {
      if (process.env.HEARTH_REQUIRE_NATIVE === '1') assert.fail(nativeBuilt.message);
      t.skip(nativeBuilt.message);
      return;
    }
    assert.equal(typeof nativeBuilt.bind, 'function');
  });

  it('passes over a kernel the engine found unusable, pinned or automatic, unless a fit or HEARTH_GBDT_KERNEL names it', () => {
    delete process.env[kernelEnv];
    const asked: string[] = [];
    const arrays = { kernel: 'typescript' } as TrainingArrays;
    const allocate = (refuse: string[]) => (choice: KernelChoice) => {
      asked.push(choice);
      if (refuse.includes(choice)) throw new HearthError('NOT_SUPPORTED', `${choice} is not built`);
      return arrays;
    };
    const wrong = 'grew other trees than the TypeScript kernel on the probe table';
    const nativeFailed = [{ name: 'native' as const, reason: wrong }];
    // Automatic: the next kernel in order, by name, and the run says which was passed over and why.
    let got = allocatePinned(null, undefined, allocate([]), nativeFailed);
    assert.deepEqual(asked.splice(0), ['wasm']);
    assert.equal(got.pinSkipped, null);
    assert.equal(got.passedOver, `native passed over as unusable here (hearth doctor): native: ${wrong}`);
    // Both fast kernels failed, or wasm cannot load here: TypeScript, the reference.
    got = allocatePinned(null, undefined, allocate([]), [...nativeFailed, { name: 'wasm-simd', reason: wrong }]);
    assert.deepEqual(asked.splice(0), ['typescript']);
    assert.equal(
      got.passedOver,
      `native and wasm-simd passed over as unusable here (hearth doctor): native: ${wrong}; wasm-simd: ${wrong}`,
    );
    allocatePinned(null, undefined, allocate(['wasm']), nativeFailed);
    assert.deepEqual(asked.splice(0), ['wasm', 'typescript']);
    // Only wasm failed, and native cannot load: never 'auto' (which would fall back to the failed wasm kernel).
    const wasmFailed = [{ name: 'wasm-simd' as const, reason: wrong }];
    got = allocatePinned(null, undefined, allocate(['native']), wasmFailed);
    assert.deepEqual(asked.splice(0), ['native', 'typescript']);
    assert.equal(got.passedOver, `wasm-simd passed over as unusable here (hearth doctor): wasm-simd: ${wrong}`);
    // Only wasm failed, and native runs: nothing was passed over (native was the choice anyway).
    got = allocatePinned(null, undefined, allocate([]), wasmFailed);
    assert.deepEqual(asked.splice(0), ['native']);
    assert.equal(got.passedOver, null);
    // A pinned kernel that failed is not run; the automatic choice without it is, and both reasons are given.
    got = allocatePinned('native', undefined, allocate([]), nativeFailed);
    assert.deepEqual(asked.splice(0), ['wasm']);
    assert.equal(got.pinSkipped, `the pinned native kernel is unusable here (hearth doctor): ${wrong}`);
    // A pin on a kernel that passed runs as pinned.
    got = allocatePinned('typescript', undefined, allocate([]), nativeFailed);
    assert.deepEqual(asked.splice(0), ['typescript']);
    assert.deepEqual([got.pinSkipped, got.passedOver], [null, null]);
    // Named by the fit or the variable: run as named (that is how a failing kernel is examined).
    allocatePinned(null, 'native', allocate([]), nativeFailed);
    assert.deepEqual(asked.splice(0), ['native']);
    process.env[kernelEnv] = 'native';
    got = allocatePinned(null, undefined, allocate([]), nativeFailed);
    assert.deepEqual(asked.splice(0), ['native']);
    assert.equal(got.passedOver, null);
    delete process.env[kernelEnv];
    // Nothing failed: the automatic choice as before.
    assert.deepEqual(allocatePinned(null, undefined, allocate([]), []), { arrays, pinSkipped: null, passedOver: null });
    assert.deepEqual(asked.splice(0), ['auto']);
  });

  it('a pinned kernel runs where no fit or HEARTH_GBDT_KERNEL names one; one that cannot run falls back, saying why', () => {
    delete process.env[kernelEnv];
    const asked: string[] = [];
    const arrays = { kernel: 'typescript' } as TrainingArrays;
    const allocate = (refuse: string | null) => (choice: KernelChoice) => {
      asked.push(choice);
      if (choice === refuse) throw new HearthError('NOT_SUPPORTED', `${choice} is not built`);
      return arrays;
    };
    assert.deepEqual(allocatePinned('wasm-simd', undefined, allocate(null)), { arrays, pinSkipped: null, passedOver: null });
    assert.deepEqual(asked.splice(0), ['wasm']);
    const fallback = allocatePinned('native', undefined, allocate('native'));
    assert.deepEqual(asked.splice(0), ['native', 'auto']);
    assert.match(fallback.pinSkipped ?? '', /^the pinned native kernel cannot run: native is not built/);
    // The fit's own kernel, then the environment's, come before the pin; a kernel the fit asks for is not replaced.
    allocatePinned('native', 'typescript', allocate(null));
    assert.deepEqual(asked.splice(0), ['typescript']);
    assert.throws(() => allocatePinned('native', 'wasm', allocate('wasm')), /wasm is not built/);
    assert.deepEqual(asked.splice(0), ['wasm']);
    process.env[kernelEnv] = 'typescript';
    allocatePinned('native', undefined, allocate(null));
    assert.deepEqual(asked.splice(0), ['typescript']);
    // A value no kernel has fails a fit that names none, and leaves alone one that names its own (the doctor's probe).
    process.env[kernelEnv] = 'bogus';
    assert.throws(() => allocatePinned(null, undefined, allocate(null)), /must be native, wasm, typescript or auto/);
    allocatePinned(null, 'wasm', allocate(null));
    assert.deepEqual(asked.splice(0), ['wasm']);
    delete process.env[kernelEnv];
    // Anything but an unavailable kernel is no reason to fall back.
    assert.throws(
      () =>
        allocatePinned('native', undefined, () => {
          throw new RangeError('memory');
        }),
      RangeError,
    );
    // Probed the way `hearth doctor` probes them: each built kernel grows the TypeScript kernel's trees.
    const probes = probeGbdtKernels();
    assert.deepEqual(
      probes.map((p) => [p.name, p.usable]),
      [
        ['native', !(nativeBuilt instanceof Error)],
        ['wasm-simd', true],
        ['typescript', true],
      ],
    );
    // Outside the probe child (the host probing for itself), the native kernel is not run for a report.
    const here = probeGbdtKernels(false);
    assert.equal(here[0]!.usable, false);
    assert.match(here[0]!.reason, /^not probed/);
    assert.deepEqual(
      here.slice(1).map((p) => p.usable),
      [true, true],
    );
    // The fallback's reason names the pin, not the variable it did not set.
    const refused = allocatePinned('native', undefined, (choice) => {
      if (choice === 'native') throw new HearthError('NOT_SUPPORTED', `${kernelEnv}=native: the addon did not load`);
      return arrays;
    });
    assert.equal(refused.pinSkipped, 'the pinned native kernel cannot run: the addon did not load');
  });

  for (const [task, threads, extra] of [
    ['binary', 2, {}],
    ['binary', 3, { rowSubsample: 0.7, colSubsample: 0.8 }],
    ['regression', 2, { huberDelta: 0.5 }],
    ['multiclass', 1, { trees: 4 }],
  ] as const) {
    it(`grows bit-identical trees with every kernel: ${task}, ${threads} thread(s) ${JSON.stringify(extra)}`, () => {
      const input = data(task);
      const p = { ...params, threads, ...extra };
      const ts = fitBoosting(input, { ...p, kernel: 'typescript' });
      assert.equal(ts.kernel, 'typescript');
      assert.ok(
        ts.trees.every((t) => t.feature.filter((f) => f >= 0).length > 3),
        'the trees split',
      );
      for (const choice of compiled) {
        const fit = fitBoosting(input, { ...p, kernel: choice });
        assert.equal(fit.kernel, kernelNames[choice]);
        assert.equal(fit.trees.length, ts.trees.length);
        // deepStrictEqual compares numbers with Object.is: every threshold, leaf value and gain bit for bit.
        assert.deepStrictEqual(fit.trees, ts.trees, choice);
        assert.deepStrictEqual(fit.history, ts.history, choice);
      }
    });
  }

  for (const [task, extra] of [
    ['binary', { classWeights: [1, 3] }],
    ['regression', { huberDelta: 0.5 }],
  ] as ['binary' | 'regression', Partial<BoostParams>][]) {
    it(`makes ${task}'s gradients on every thread: 1 and 3 threads grow the same trees, and report the margins' loss`, () => {
      const input = data(task);
      const p = { ...params, ...extra };
      const one = fitBoosting(input, { ...p, threads: 1 });
      const three = fitBoosting(input, { ...p, threads: 3 });
      // Each row's gradient is made by one thread or another, with the same arithmetic: the same trees, bit for bit.
      assert.deepStrictEqual(three.trees, one.trees);
      // Leaf values reach the margins on whichever thread holds the row's slice: each row once, the same sums.
      assert.deepStrictEqual(three.trainMargins, one.trainMargins);
      // The loss is summed in parts, added in thread order: equal but for rounding.
      one.history.forEach((h, i) => assert.ok(Math.abs(h.loss - three.history[i]!.loss) <= 1e-12 * h.loss, `round ${i + 1}`));
      // Reported after each round at the margins it left: the last one is the final margins' loss, computed apart.
      const last = three.history.at(-1)!.loss;
      assert.ok(Math.abs(last - marginLoss(task, three.trainMargins!, input.targets, 1)) <= 1e-12 * last);
      assert.ok(last < three.history[0]!.loss);
    });
  }

  it('grows the same tree from gradients whose sums round (so the summation order must match too)', () => {
    // Float32 gradients summed in float64 are exact, whatever the order, while their magnitudes span under ~2^13;
    // these span 2^-40..1 (hessians 2^-20..1), so every sum rounds and only the same order gives the same bits.
    const input = data('binary');
    const { bins, F, binCounts, categorical } = input;
    const n = input.targets.length;
    const random = seededRandom(3);
    const gradHess = Float32Array.from({ length: 2 * n }, (_, i) =>
      i % 2 === 0 ? (random() * 2 - 1) * 2 ** -Math.floor(random() * 40) : (0.5 + random()) * 2 ** -Math.floor(random() * 20),
    );
    const grow = { ...params, maxLeaves: 31, minChildSamples: 5 };
    const trees = [...compiled, 'typescript' as const].map((choice) => {
      const arrays = allocateTraining(bins, n, F, n, 2, choice);
      arrays.gradHess.set(gradHess);
      for (let i = 0; i < n; i++) arrays.rows[i] = i;
      const pool = new HistogramPool(arrays, 1);
      const tree = growTree({ F, binCounts, categorical, pool }, n, new Uint8Array(F).fill(1), grow);
      pool.close();
      return tree;
    });
    assert.equal(trees[0]!.feature.filter((f) => f >= 0).length, 30);
    for (const tree of trees.slice(1)) assert.deepStrictEqual(tree, trees[0]);
  });

  it("searches sibling nodes' splits on two threads and finds what one thread finds, past the shared slots too", () => {
    // Many-level categoricals (the many-vs-many search, its two ends, missing values on either side) beside numeric
    // features, and trees with more leaves than the pool has shared histogram slots: those nodes are searched on
    // the caller alone, the rest as two shares. Every split, gain and leaf value must match the one-thread tree.
    const n = 30_000;
    const F = 6;
    const binCounts = [255, 200, 120, 64, 30, 255];
    const categorical = [false, true, true, false, true, false];
    const random = seededRandom(5);
    const bins = new Uint8Array(n * F);
    const gradHess = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      for (let f = 0; f < F; f++) bins[i * F + f] = random() < 0.04 ? missingBin : Math.floor(random() ** 2 * binCounts[f]!);
      const signal = (bins[i * F + 1]! % 7) / 7 - bins[i * F]! / 255 + (bins[i * F + 2]! % 5 === 0 ? 0.4 : 0) + random() - 0.5;
      gradHess[2 * i] = signal > 0 ? -0.6 : 0.4;
      gradHess[2 * i + 1] = 0.24;
    }
    for (const [maxLeaves, slotsCapped] of [
      [31, false],
      [400, true],
    ] as const) {
      const grow = { ...params, maxLeaves, minChildSamples: 5, minDataPerGroup: 20, catSmooth: 5 };
      const grown = [1, 2].map((threads) => {
        const arrays = allocateTraining(bins, n, F, n, threads, 'wasm');
        arrays.gradHess.set(gradHess);
        for (let i = 0; i < n; i++) arrays.rows[i] = i;
        const setting = { binCounts, categorical, params: grow, searches: 1e6 };
        const pool = new HistogramPool(arrays, threads - 1, null, null, setting, slotsCapped ? 64 : undefined);
        const tree = growTree({ F, binCounts, categorical, pool }, n, new Uint8Array(F).fill(1), grow);
        const searched = pool.parallelSearches;
        pool.close();
        return { tree, searched };
      });
      assert.equal(grown[0]!.searched, 0, 'one thread searches alone');
      assert.ok(grown[1]!.searched > 10, `${grown[1]!.searched} sibling searches on two threads (${maxLeaves} leaves)`);
      const leaves = grown[0]!.tree.feature.filter((f) => f < 0).length;
      assert.ok(leaves > (slotsCapped ? 64 : 30), `${leaves} leaves`);
      assert.ok(
        grown[0]!.tree.leftBins.some((set) => set !== null && set.length > 1),
        'a many-vs-many categorical split',
      );
      assert.deepStrictEqual(grown[1]!.tree, grown[0]!.tree);
    }
  });

  it('gives a helper that woke late no share of the next task, even when that task has more shares', () => {
    // Task 1: a pair of split searches (2 shares), every share claimed. A helper late for it has read the exhausted
    // claim word; the next task, a histogram on 3 threads, stores its share count (3) before its own claim word.
    const task = new Int32Array(new SharedArrayBuffer(4 * taskInts));
    Atomics.store(task, 8, 2);
    Atomics.store(task, 1, firstClaim(1));
    assert.equal(claimShare(task, 1), 1);
    assert.equal(claimShare(task, 1), -1, 'every share of task 1 is taken');
    // Without closing the old claims first, raising the count reopens task 1's word: share 2, run with task 2's fields.
    Atomics.store(task, 8, 3);
    assert.equal(claimShare(task, 1), 2, 'the race closeClaims prevents');
    // As the pool hands out: the claims closed first, then the fields, then the new word.
    Atomics.store(task, 8, 2);
    Atomics.store(task, 1, firstClaim(1) + 1);
    closeClaims(task, 2);
    Atomics.store(task, 8, 3);
    assert.equal(claimShare(task, 1), -1, 'a late helper of task 1 gets nothing');
    assert.equal(claimShare(task, 2), -1, "nor does task 2's helper before its word is out");
    Atomics.store(task, 1, firstClaim(2));
    assert.equal(claimShare(task, 2), 1);
    assert.equal(claimShare(task, 1), -1);
  });

  it("grows a random forest's trees alike on one thread and two: each node's feature draw in the same order", () => {
    // A forest draws the features of every node that can split, the left child before the right; two threads
    // search siblings together, so the draws must still come in that order (nodes too small to split draw none).
    const input = data('binary', 20_000);
    // 11 trees of up to 200 leaves: enough searches (2,189) that the pool searches siblings on two threads.
    const p = { trees: 11, maxLeaves: 200, maxDepth: 0, minChildSamples: 30, featuresPerSplit: 4, sampleFraction: 1, seed: 9 };
    const one = fitForest(input, { ...p, threads: 1, kernel: 'wasm' });
    const two = fitForest(input, { ...p, threads: 2, kernel: 'wasm' });
    assert.deepStrictEqual(two.trees, one.trees);
    assert.deepStrictEqual([...two.oob], [...one.oob]);
    // The third tree's first nodes as the forest grew them before sibling searches (a node that cannot split drew no
    // features then either): a draw for such a node would shift every later one and change these.
    assert.deepStrictEqual(
      one.trees[2]!.feature.slice(0, 40),
      [1, 6, 6, 0, 0, 2, 0, 2, 0, 1, 0, 0, 6, 0, 6, 0, 0, 1, 1, 1, 4, 2, 6, 5, 1, 2, 0, 4, 2, 5, -1, 1, 1, 0, 0, 2, 1, 1, 1, 6],
    );
  });

  it('fits the ordinary rows beside one huge regression target, with either kernel (no gradient is lost to it)', () => {
    // A forest's gradients are the targets themselves: 1e9 among targets in [0, 1). Histogram sums that quantised
    // gradients by the largest (a fixed point tried once) zeroed every other row's, and 18,770 of 19,999 rows missed.
    const n = 20_000;
    const F = 3;
    const random = seededRandom(11);
    const bins = Uint8Array.from({ length: n * F }, () => Math.floor(random() * 64));
    const targets = Float64Array.from({ length: n }, (_, i) => bins[i * F]! / 64);
    targets[0] = 1e9;
    const categorical = [false, false, false];
    const input: BoostInput = {
      task: 'regression',
      classes: 0,
      bins,
      F,
      binCounts: [64, 64, 64],
      categorical,
      targets,
      validation: null,
    };
    for (const kernel of ['wasm', 'typescript'] as const) {
      const p = { trees: 5, maxLeaves: 63, maxDepth: 0, minChildSamples: 20, featuresPerSplit: 3, sampleFraction: 1, seed: 1 };
      const forest = fitForest(input, { ...p, threads: 2, kernel });
      let off = 0;
      for (let i = 1; i < n; i++) {
        let sum = 0;
        for (const tree of forest.trees) sum += tree.value[leafOfBinnedRow(tree, bins, F, i, categorical)]!;
        if (Math.abs(sum / forest.trees.length - targets[i]!) > 0.05) off++;
      }
      // The one leaf that holds the outlier is off for its other rows (about 1/63 of them, fewer with bootstrap luck).
      assert.ok(off < 400, `${kernel}: ${off} of ${n - 1} ordinary rows off by more than 0.05`);
    }
  });

  it('scores binned rows through per-node tables as leafOfBinnedRow does: category sets, missing values, a lone leaf', () => {
    const input = data('binary', 20_000);
    const { bins, F, categorical } = input;
    const n = input.targets.length;
    const fit = fitBoosting(input, { ...params, trees: 12, threads: 1, rowSubsample: 0.8 });
    assert.ok(fit.trees.some((t) => t.leftBins.some((set) => set !== null)) && bins.includes(missingBin));
    const lone = { ...fit.trees[0]!, feature: [-1], left: [-1], right: [-1], value: [0.25], leftBins: [null] };
    // All the rows (the tables), and 40 (fewer than 8 a node: walked as leafOfBinnedRow walks).
    for (const rows of [n, 40])
      for (const tree of [...fit.trees, lone]) {
        const K = 2;
        const out = new Float64Array(rows * K).fill(1);
        addTreeToBinnedRows(tree, bins, F, rows, out, K, 1, categorical);
        for (let i = 0; i < rows; i++) {
          assert.equal(out[i * K], 1);
          assert.equal(out[i * K + 1], 1 + tree.value[leafOfBinnedRow(tree, bins, F, i, categorical)]!);
        }
      }
  });

  it('grows the same random forest with every kernel', () => {
    const input = data('binary', 20_000);
    const p = { trees: 3, maxLeaves: 64, maxDepth: 0, minChildSamples: 2, featuresPerSplit: 0, sampleFraction: 1, seed: 3 };
    const ts = fitForest(input, { ...p, threads: 2, kernel: 'typescript' });
    assert.equal(ts.kernel, 'typescript');
    for (const choice of compiled) {
      const fit = fitForest(input, { ...p, threads: 2, kernel: choice });
      assert.equal(fit.kernel, kernelNames[choice]);
      assert.deepStrictEqual(fit.trees, ts.trees, choice);
      assert.deepStrictEqual([...fit.oob], [...ts.oob], choice);
    }
  });

  it('fills a histogram with the hand-computed sums, and the TypeScript loop agrees bit for bit', () => {
    // 3 rows × 5 features (one past the unrolled four); rows 0 and 2 share bins in features 0 and 4.
    const F = 5;
    const bins = Uint8Array.from([1, 0, 7, 255, 2, 3, 0, 7, 9, 4, 1, 5, 6, 255, 2]);
    for (const choice of [...compiled, 'typescript' as const]) {
      const arrays = allocateTraining(bins, 3, F, 3, 2, choice);
      arrays.rows.set([2, 0, 1]);
      arrays.gradHess.set([0.5, 1, -2, 0.25, 0.125, 3]);
      const pool = new HistogramPool(arrays, 0);
      const out = new Float64Array(histogramSize(F)).fill(99);
      pool.build(0, 3, out);
      const at = (f: number, b: number): [number, number] => [out[(f * 256 + b) * 2]!, out[(f * 256 + b) * 2 + 1]!];
      assert.deepEqual(at(0, 1), [0.625, 4]);
      assert.deepEqual(at(0, 3), [-2, 0.25]);
      assert.deepEqual(at(1, 0), [-1.5, 1.25]);
      assert.deepEqual(at(1, 5), [0.125, 3]);
      assert.deepEqual(at(3, 255), [0.625, 4]);
      assert.deepEqual(at(4, 2), [0.625, 4]);
      assert.deepEqual(at(4, 4), [-2, 0.25]);
      let total = 0;
      for (const v of out) total += v;
      assert.equal(total, F * (0.5 - 2 + 0.125 + 1 + 0.25 + 3), `${choice}: nothing else was added`);
      // A subrange only: row 1 (index 2 of rows).
      pool.build(2, 3, out);
      assert.deepEqual(at(0, 3), [-2, 0.25]);
      assert.deepEqual(at(0, 1), [0, 0]);
      pool.close();
    }
    const random = seededRandom(5);
    const n = 5000;
    const wide = Uint8Array.from({ length: n * 13 }, () => Math.floor(random() * 256));
    // Magnitudes spread over 2^-40..1, so float64 sums round and their order shows in the last bits.
    const gradients = Float32Array.from({ length: 2 * n }, () => (random() * 2 - 1) * 2 ** -Math.floor(random() * 40));
    let fromTs = new Float64Array(histogramSize(13));
    let arrays = allocateTraining(wide, n, 13, n, 1, 'typescript');
    for (const choice of compiled) {
      fromTs = new Float64Array(histogramSize(13));
      arrays = allocateTraining(wide, n, 13, n, 1, choice);
      for (let i = 0; i < n; i++) arrays.rows[i] = n - 1 - i;
      arrays.gradHess.set(gradients);
      const pool = new HistogramPool(arrays, 0);
      const fromKernel = new Float64Array(histogramSize(13));
      pool.build(100, 4900, fromKernel);
      pool.close();
      accumulateHistogram(wide, 13, arrays.rows, 100, 4900, arrays.gradHess, fromTs);
      assert.deepStrictEqual([...fromKernel], [...fromTs], choice);
    }
    // The same rows summed backwards differ: the equality above rests on the order, not on exact sums.
    const backwards = Int32Array.from(arrays.rows).reverse();
    const reversed = new Float64Array(histogramSize(13));
    accumulateHistogram(wide, 13, backwards, 100, 4900, arrays.gradHess, reversed);
    assert.notDeepStrictEqual([...reversed], [...fromTs]);
  });

  it('partitions a large node across 1, 2 and 3 threads into exactly the single-thread order', () => {
    const random = seededRandom(12);
    const n = 50_001;
    const F = 3;
    const bins = Uint8Array.from({ length: n * F }, () => Math.floor(random() * 256));
    const tables: [string, Uint8Array][] = [
      ['random', Uint8Array.from({ length: 256 }, () => (random() < 0.4 ? 1 : 0))],
      ['all left', new Uint8Array(256).fill(1)],
      ['all right', new Uint8Array(256)],
      // Only the last rows' bins go left, so the helpers' shares hold every left row and the caller's none.
      ['one bin', Uint8Array.from({ length: 256 }, (_, b) => (b === bins[(n - 1) * F + 2] ? 1 : 0))],
      // Bytes other than 0 and 1 (a hostile table; the tree builder writes only those two): only 1 goes left, as in
      // TypeScript. The compiled loops once stepped their cursors by the byte, writing past the rows and the memory.
      ['bytes other than 0 and 1', Uint8Array.from({ length: 256 }, (_, b) => [0, 1, 2, 255, 16, 1][b % 6]!)],
    ];
    for (const [choice, threads] of compiled.flatMap((c) => [1, 2, 3].map((t) => [c, t] as const))) {
      const arrays = allocateTraining(bins, n, F, n, threads, choice);
      const pool = new HistogramPool(arrays, threads - 1);
      assert.equal(pool.threads, threads);
      for (const [name, toLeft] of tables) {
        // A scrambled row order over a subrange (start 3, end n − 2: shares of unequal size), as after earlier splits.
        const order = Int32Array.from({ length: n }, (_, i) => (i * 7919) % n);
        arrays.rows.set(order);
        const mid = pool.partition(2, 3, n - 2, toLeft);
        const expected = Int32Array.from(order);
        const column = Uint8Array.from({ length: n }, (_, r) => bins[r * F + 2]!);
        const expectedMid = partitionRows(column, expected, 3, n - 2, toLeft, new Int32Array(n));
        assert.equal(mid, expectedMid, `${choice}: ${name}, ${threads} threads`);
        assert.deepStrictEqual(arrays.rows.subarray(0, n), expected, `${choice}: ${name}, ${threads} threads`);
      }
      pool.close();
    }
  });

  it('sums a deep node’s spread-out rows (the gathered path) as the TypeScript loop does, the last row included', () => {
    const random = seededRandom(8);
    const n = 3001;
    // 13, 17 and 32 features: a row padded by 3, by 15 and by none in the gather buffer.
    for (const [choice, F] of compiled.flatMap((c) => [13, 17, 32].map((f) => [c, f] as const))) {
      const bins = Uint8Array.from({ length: n * F }, () => Math.floor(random() * 256));
      const arrays = allocateTraining(bins, n, F, n, 1, choice);
      // Every 7th row, ascending, ending at the very last row (whose 16-byte reads run past the bins): spread over
      // more than twice its count, so the kernel gathers; 429 rows, six whole blocks of 64 and a part.
      let count = 0;
      for (let r = n - 1 - 7 * 428; r < n; r += 7) arrays.rows[count++] = r;
      for (let i = 0; i < 2 * n; i++) arrays.gradHess[i] = (random() * 2 - 1) * 2 ** -Math.floor(random() * 40);
      const pool = new HistogramPool(arrays, 0);
      for (const [start, end] of [
        [0, count],
        [5, 70],
        [count - 1, count],
      ] as const) {
        const fromKernel = new Float64Array(histogramSize(F)).fill(7);
        pool.build(start, end, fromKernel);
        const fromTs = new Float64Array(histogramSize(F));
        accumulateHistogram(bins, F, arrays.rows, start, end, arrays.gradHess, fromTs);
        assert.deepStrictEqual([...fromKernel], [...fromTs], `${choice}: F = ${F}, rows [${start}, ${end})`);
      }
      pool.close();
    }
  });

  it('partitions rows stably, as the TypeScript loop does (each side in its old order)', () => {
    const F = 2;
    const n = 8;
    // Feature 1's bins per row: 4, 0, 9, 255, 2, 7, 1, 5.
    const col1 = [4, 0, 9, 255, 2, 7, 1, 5];
    const bins = Uint8Array.from(col1.flatMap((b, i) => [i, b]));
    const toLeft = new Uint8Array(256);
    for (let b = 0; b <= 4; b++) toLeft[b] = 1;
    toLeft[missingBin] = 1;
    const results = [...compiled, 'typescript' as const].map((choice) => {
      const arrays = allocateTraining(bins, n, F, n, 1, choice);
      arrays.rows.set([0, 1, 2, 3, 4, 5, 6, 7]);
      const pool = new HistogramPool(arrays, 0);
      const mid = pool.partition(1, 1, 8, toLeft);
      pool.close();
      return { mid, rows: [...arrays.rows] };
    });
    // Rows 1..7 with bin ≤ 4 or missing go left (1, 3, 4, 6), the rest right (2, 5, 7); row 0 is outside the range.
    assert.deepEqual(results[0], { mid: 5, rows: [0, 1, 3, 4, 6, 2, 5, 7] });
    for (const result of results.slice(1)) assert.deepEqual(result, results[0]);
    const direct = Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(partitionRows(Uint8Array.from(col1), direct, 1, 8, toLeft, new Int32Array(8)), 5);
    assert.deepEqual([...direct], [0, 1, 3, 4, 6, 2, 5, 7]);
  });

  it('refuses a native call a byte past its memory, a bad row index, and a bind to anything but a shared memory', (t) => {
    if (nativeBuilt instanceof Error) {
      t.skip(nativeBuilt.message);
      return;
    }
    const n = 100;
    const F = 4;
    const arrays = allocateTraining(new Uint8Array(n * F), n, F, n, 1, 'native');
    const { exports, layout, memory } = arrays.wasm!;
    const size = memory.buffer.byteLength;
    const L = layout;
    const gather = L.gathers[0]!;
    type Call = [string, () => unknown];
    /**
     * Each pair: the call at the last offset that fits passes, the same one element further (a byte for bytes, 4 for
     * int32 and float arrays, 8 for doubles: offsets must be aligned) throws a RangeError.
     */
    const edges: [string, number, (shift: number) => unknown][] = [
      // An empty row range reads no rows, so only the ranges' checks are at stake.
      ['histogram out', 8, (d) => exports.histogram(L.bins, F, L.rows, 0, 0, L.gradHess, size - (F << 12) + d, gather)],
      ['histogram rows', 4, (d) => exports.histogram(L.bins, F, size - 4 * n + d, n, n, L.gradHess, L.hists[0]!, gather)],
      ['histogram gather', 4, (d) => exports.histogram(L.bins, F, L.rows, 0, 0, L.gradHess, L.hists[0]!, size - 64 * 24 + d)],
      // The bins with the 15 bytes a gathered row's last vector may read past them.
      ['histogram bins', 1, (d) => exports.histogram(size - n * F - 15 + d, F, L.rows, 0, 0, L.gradHess, L.hists[0]!, gather)],
      ['histogram gradients', 4, (d) => exports.histogram(L.bins, F, L.rows, 0, 0, size - 8 * n + d, L.hists[0]!, gather)],
      ['addInto to', 8, (d) => exports.addInto(size - 16 + d, L.hists[0]!, 2)],
      ['addInto from', 8, (d) => exports.addInto(L.hists[0]!, size - 16 + d, 2)],
      ['moveInts to', 4, (d) => exports.moveInts(size - 8 + d, L.rows, 2)],
      ['moveInts from', 4, (d) => exports.moveInts(L.scratch, size - 8 + d, 2)],
      ['partition column', 1, (d) => exports.partition(size - n + d, L.rows, 0, 0, L.toLeft, L.scratch)],
      ['partition rows', 4, (d) => exports.partitionSide(L.columns, size - 4 * n + d, n, n, L.toLeft, L.scratch)],
      ['partition table', 1, (d) => exports.partitionSide(L.columns, L.rows, 0, 0, size - 256 + d, L.scratch)],
      ['partition right', 4, (d) => exports.partitionSide(L.columns, L.rows, 0, 5, L.toLeft, size - 20 + d)],
      ['transpose to', 1, (d) => exports.transpose(L.bins, size - n * F + d, n, F)],
      ['transpose from', 1, (d) => exports.transpose(size - n * F + d, L.columns, n, F)],
    ];
    for (const [name, step, call] of edges) {
      call(0);
      assert.throws(() => call(step), { name: 'RangeError', message: /passes the end of the training memory/ }, name);
      // A misaligned offset (C's int32 and double accesses need their alignment) is refused before it is used.
      if (step > 1) assert.throws(() => call(-1), { name: 'RangeError', message: /not aligned/ }, `${name}, misaligned`);
    }
    const refused: Call[] = [
      ['start past end', () => exports.histogram(L.bins, F, L.rows, 5, 4, L.gradHess, L.hists[0]!, gather)],
      ['end past 2^31', () => exports.partition(L.columns, L.rows, 0, 2 ** 31, L.toLeft, L.scratch)],
      ['another F', () => exports.histogram(L.bins, F + 1, L.rows, 0, 0, L.gradHess, L.hists[0]!, gather)],
      ['another shape', () => exports.transpose(L.bins, L.columns, n + 1, F)],
      ['past 2^32', () => exports.moveInts(2 ** 32 + 4, L.rows, 1)],
      ['negative', () => exports.moveInts(-4, L.rows, 1)],
      ['NaN', () => exports.moveInts(L.rows, L.scratch, Number.NaN)],
      ['Infinity', () => exports.addInto(L.hists[0]!, L.hists[0]!, Number.POSITIVE_INFINITY)],
      ['a fraction', () => exports.moveInts(L.rows, L.scratch, 1.5)],
      ['a string', () => (exports.addInto as (...a: unknown[]) => void)('0', 0, 2)],
    ];
    for (const [name, call] of refused) assert.throws(call, RangeError, name);
    assert.throws(() => (exports.addInto as (...a: unknown[]) => void)(0), TypeError);
    // A row index at or past n, or negative (a bug in the tree builder), throws instead of reading past the bins.
    for (const bad of [n, -1, 2 ** 31 - 1]) {
      arrays.rows.set([bad, 0]);
      for (const [name, call] of [
        ['histogram', () => exports.histogram(L.bins, F, L.rows, 0, 2, L.gradHess, L.hists[0]!, gather)],
        ['partition', () => exports.partition(L.columns, L.rows, 0, 2, L.toLeft, L.scratch)],
        ['partitionSide', () => exports.partitionSide(L.columns, L.rows, 0, 2, L.toLeft, L.scratch)],
      ] as Call[])
        assert.throws(call, { name: 'RangeError', message: /row index/ }, `${name}, row ${bad}`);
    }
    const bind = (...args: unknown[]): unknown => (nativeBuilt.bind as (...a: unknown[]) => unknown)(...args);
    const whole = new Uint8Array(memory.buffer);
    assert.throws(() => bind(new Float64Array(memory.buffer), n, F), TypeError);
    assert.throws(() => bind(new Uint8Array(memory.buffer, 16), n, F), TypeError);
    // A plain ArrayBuffer can be detached or resized under the kernel's cached address.
    assert.throws(() => bind(new Uint8Array(1 << 16), 10, 4), TypeError);
    assert.throws(() => bind({}, n, F), TypeError);
    assert.throws(() => bind(whole), TypeError);
    assert.throws(() => bind(whole, size, 2), RangeError);
    assert.throws(() => bind(whole, n, 0), RangeError);
    // A function taken from its kernel keeps working after the rest is dropped: it holds its memory itself.
    // eslint-disable-next-line @typescript-eslint/unbound-method -- a Node-API function: it has no `this`.
    const { partition } = exports;
    arrays.rows.set(Array.from({ length: n }, (_, i) => n - 1 - i));
    new Uint8Array(memory.buffer, L.toLeft, 256).fill(1);
    assert.equal(partition(L.columns, L.rows, 0, n, L.toLeft, L.scratch), n);
  });

  it('searches splits in C as split-search.ts does: 3,000 random nodes, hostile sums and parameters included', (t) => {
    if (nativeBuilt instanceof Error) {
      t.skip(nativeBuilt.message);
      return;
    }
    const random = seededRandom(29);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    let sets = 0;
    let thresholds = 0;
    for (let trial = 0; trial < 3000; trial++) {
      const F = 1 + Math.floor(random() * 6);
      const binCounts = Array.from({ length: F }, () => pick([1, 2, 3, 5, 17, 64, 200, 254, 255]));
      const categorical = Array.from({ length: F }, () => random() < 0.5);
      const p: GrowParams = {
        maxLeaves: 31,
        maxDepth: pick([0, 0, 3]),
        minChildSamples: pick([1, 5, 20, 100]),
        minChildWeight: pick([1e-3, 1e-6, 0.5]),
        minSplitGain: pick([0, 0, 0.1]),
        l1: pick([0, 0, 0.5]),
        l2: pick([0, 1, 5]),
        learningRate: 0.1,
        catSmooth: pick([0, 10, 50]),
        catL2: pick([0, 10]),
        maxCatThreshold: pick([1, 4, 32, 255, 2.5, Number.NaN]),
        minDataPerGroup: pick([0, 20, 100]),
        maxCatToOnehot: pick([0, 4, 300]),
      };
      const hist = new Float64Array(histogramSize(F));
      const empty = random() < 0.3;
      // Quarters now and then: sums that tie exactly, so every >, >= and < of the search is told apart.
      const round = random() < 0.4 ? (x: number): number => Math.round(x * 4) / 4 : (x: number): number => x;
      for (let f = 0; f < F; f++) {
        for (let b = 0; b < binCounts[f]!; b++) {
          if (empty && random() < 0.5) continue;
          const h = random() < 0.05 ? 0 : round(random() * pick([0.01, 1, 100]));
          hist[(f * 256 + b) * 2] = round((random() * 2 - 1) * pick([0.01, 1, 100])) * (random() < 0.01 ? Number.NaN : 1);
          hist[(f * 256 + b) * 2 + 1] = h;
        }
        if (random() < 0.5) {
          hist[(f * 256 + missingBin) * 2] = round(random() * 2 - 1);
          hist[(f * 256 + missingBin) * 2 + 1] = round(random() * 10);
        }
      }
      // The node's sums from feature 0 (any feature's bins hold every row), now and then off (a hostile caller).
      let G = 0;
      let H = 0;
      for (let b = 0; b < 256; b++) {
        G += hist[b * 2]!;
        H += hist[b * 2 + 1]!;
      }
      if (random() < 0.05) H *= 0.5;
      const rows = Math.max(0, Math.round(H * pick([1, 3, 50])) + pick([0, 1, 7]));
      const depth = Math.floor(random() * 5);
      const usable = Uint8Array.from({ length: F }, () => (random() < 0.85 ? 1 : 0));
      const ts = findSplit(splitSearch(F, binCounts, categorical, p), hist, rows, depth, G, H, usable);
      const native = findSplit(splitSearch(F, binCounts, categorical, p, true), hist, rows, depth, G, H, usable);
      assert.deepStrictEqual(native, ts, `trial ${trial}`);
      if (ts?.leftSet) sets++;
      else if (ts) thresholds++;
    }
    assert.ok(sets > 300 && thresholds > 300, `${sets} set splits, ${thresholds} thresholds`);

    // Exact ties at each boundary, worked by hand: the same answer from both, and the one the rules give.
    const base: GrowParams = {
      ...params,
      maxDepth: 0,
      minChildSamples: 1,
      minChildWeight: 1e-3,
      minSplitGain: 0,
      l1: 0,
      l2: 0,
      catSmooth: 0,
      catL2: 0,
      maxCatThreshold: 32,
      minDataPerGroup: 0,
      maxCatToOnehot: 0,
    };
    const both = (bins: [number, number][], categorical: boolean, p: GrowParams): ReturnType<typeof findSplit> => {
      const hist = new Float64Array(histogramSize(1));
      bins.forEach(([g, h], b) => hist.set([g, h], b * 2));
      const G = bins.reduce((s, [g]) => s + g, 0);
      const H = bins.reduce((s, [, h]) => s + h, 0);
      const usable = Uint8Array.of(1);
      const ts = findSplit(splitSearch(1, [bins.length], [categorical], p), hist, H, 0, G, H, usable);
      assert.deepStrictEqual(findSplit(splitSearch(1, [bins.length], [categorical], p, true), hist, H, 0, G, H, usable), ts);
      return ts;
    };
    // Halves of equal hessian, no missing rows in training: unseen missing values go left (HL >= H - HL).
    assert.equal(
      both(
        [
          [-1, 2],
          [1, 2],
        ],
        false,
        base,
      )?.defaultLeft,
      true,
    );
    // The right side's hessian exactly minChildWeight: still a split.
    assert.equal(
      both(
        [
          [-1, 1],
          [1, 0.5],
        ],
        false,
        { ...base, minChildWeight: 0.5, minChildSamples: 0.25 },
      )?.bin,
      0,
    );
    // Six categories of 10 rows, minDataPerGroup 30: the third step leaves exactly 30 rows right and is a candidate.
    const six: [number, number][] = [-6, -5, -4, 4, 5, 6].map((g) => [g, 10]);
    const split = both(six, true, { ...base, minDataPerGroup: 30 });
    assert.deepStrictEqual(
      [...split!.leftSet!.subarray(0, 6)].map((x, b) => x * (b + 1)).filter((b) => b > 0),
      [1, 2, 3],
    );
  });

  it('refuses a native split search given short arrays, a bad shape or anything but typed arrays', (t) => {
    if (nativeBuilt instanceof Error) {
      t.skip(nativeBuilt.message);
      return;
    }
    const find = nativeBuilt.findSplit as (...a: unknown[]) => number;
    const F = 2;
    const setting = (f: number, bins: number[]): Float64Array =>
      Float64Array.from([f, 0, 1, 1e-3, 0, 0, 1, 10, 10, 32, 100, 4, ...bins, 0, 1]);
    const good = [
      new Float64Array(histogramSize(F)),
      setting(F, [255, 9]),
      new Uint8Array(F).fill(1),
      Float64Array.from([100, 0, 1, 50]),
      new Float64Array(4),
      new Uint8Array(256),
    ];
    assert.equal(find(...good), 0);
    const with_ = (i: number, value: unknown): unknown[] => good.map((g, j) => (j === i ? value : g));
    for (const [name, args] of [
      ['a histogram one double short', with_(0, new Float64Array(histogramSize(F) - 1))],
      ['no usable byte for a feature', with_(2, new Uint8Array(1))],
      ['a node of three numbers', with_(3, new Float64Array(3))],
      ['an out of three numbers', with_(4, new Float64Array(3))],
      ['a set of 255 bytes', with_(5, new Uint8Array(255))],
      ['no features', with_(1, setting(0, [255, 9]))],
      ['more features than the setting holds', with_(1, setting(3, [255, 9]))],
      ['a fraction of a feature', with_(1, setting(1.5, [255, 9]))],
      ['a bin count of 256', with_(1, setting(F, [256, 9]))],
      ['a bin count of 0', with_(1, setting(F, [0, 9]))],
      ['a fractional bin count', with_(1, setting(F, [2.5, 9]))],
      ['a NaN bin count', with_(1, setting(F, [Number.NaN, 9]))],
    ] as [string, unknown[]][])
      assert.throws(() => find(...args), RangeError, name);
    for (const [name, args] of [
      ['a plain array', with_(0, [...new Float64Array(histogramSize(F))])],
      ['a Float32Array histogram', with_(0, new Float32Array(histogramSize(F)))],
      ['a Uint8Array setting', with_(1, new Uint8Array(40))],
      ['too few arguments', good.slice(0, 5)],
    ] as [string, unknown[]][])
      assert.throws(() => find(...args), TypeError, name);
    const subtract = nativeBuilt.subtract as (...a: unknown[]) => void;
    assert.throws(() => subtract(new Float64Array(4), new Float64Array(3)), RangeError);
    assert.throws(() => subtract(new Float64Array(4), new Uint8Array(4)), TypeError);
    const large = Float64Array.from([1, 2, 0.1, -0]);
    subtract(large, Float64Array.from([0.5, 2, 0.3, 0]));
    assert.deepStrictEqual([...large], [0.5, 0, 0.1 - 0.3, -0]);
  });

  it('takes the kernel from HEARTH_GBDT_KERNEL, the fastest built by default, and refuses an unknown one', () => {
    const input = data('binary', 2000);
    const p = { ...params, trees: 1 };
    delete process.env[kernelEnv];
    assert.equal(fitBoosting(input, p).kernel, kernelNames[compiled[0]!]);
    if (compiled.includes('native')) {
      process.env[kernelEnv] = 'native';
      assert.equal(fitBoosting(input, p).kernel, 'native');
    }
    process.env[kernelEnv] = 'typescript';
    assert.equal(fitBoosting(input, p).kernel, 'typescript');
    process.env[kernelEnv] = 'wasm';
    assert.equal(fitBoosting(input, p).kernel, 'wasm-simd');
    process.env[kernelEnv] = 'cuda';
    assert.throws(() => fitBoosting(input, p), { code: 'INVALID_INPUT', message: /HEARTH_GBDT_KERNEL.*"cuda"/ });
    assert.equal(kernelChoice(''), 'auto');
    assert.equal(kernelChoice('ts'), 'typescript');
    assert.throws(() => kernelChoice('WASM'), { code: 'INVALID_INPUT' });
  });

  it('refuses the wasm kernel, when asked for it, for a training past the 4 GiB of wasm32', () => {
    // 70,000 features × 65,536 rows of bins, twice (row- and column-major), is past 4 GiB; the arrays are never
    // touched, since allocation is refused before any copy.
    const n = 65_536;
    const F = 70_000;
    const fake = { length: n * F } as unknown as Uint8Array;
    assert.throws(() => allocateTraining(fake, n, F, n, 1, 'wasm'), {
      code: 'NOT_SUPPORTED',
      message: /do not fit in wasm32 memory/,
    });
  });

  it('keeps the wasm kernel for a table whose binary gradient space alone would pass wasm32’s 4 GiB', () => {
    // 130M rows of one feature: the bins, rows and gradients fit; with margins and targets beside them they do not,
    // and the gradient space (not the kernel) is what allocateTraining leaves out. A memory allocated is the size
    // wasmPages gives (both read one layout).
    const n = 130_000_000;
    assert.ok(fitsInWasm(wasmPages(n, 1, n, 2, null)));
    assert.ok(!fitsInWasm(wasmPages(n, 1, n, 2, { weighted: false })));
    const arrays = allocateTraining(new Uint8Array(3000 * 5), 3000, 5, 3000, 3, 'wasm', { weighted: true });
    assert.equal(arrays.wasm!.memory.buffer.byteLength, wasmPages(3000, 5, 3000, 3, { weighted: true }) * 65_536);
  });

  it('takes e^x as fdlibm does (Math.exp bit for bit) for every x ≤ 0, thresholds, subnormals and NaN included', () => {
    const view = new DataView(new ArrayBuffer(8));
    const high = (word: number): number => {
      view.setUint32(0, word);
      view.setUint32(4, 0);
      return view.getFloat64(0);
    };
    // fdlibm's branch points (0.5 ln 2, 1.5 ln 2, 2^-28, ~709.78, the underflow at ~745.13) and either side of them.
    const edges = [
      high(0x3fd62e43),
      high(0x3ff0a2b2),
      high(0x3e300000),
      high(0x40862e42),
      745.1332191019411,
      708,
      1021 * Math.LN2,
    ];
    const xs = [0, -0, -5e-324, -1e-300, -Infinity, Number.NaN, -1e-5, -0.5, -1, -20, -100, -707.9, -708.4, -709.9, -744.9, -746];
    for (const e of edges) xs.push(-e, -e * (1 + 2 ** -52), -e * (1 - 2 ** -52));
    const random = seededRandom(21);
    for (let i = 0; i < 200_000; i++) xs.push(-random() * [1e-9, 1, 40, 800][i % 4]!);
    for (const x of xs) assert.ok(Object.is(expNonPositive(x), Math.exp(x)), `e^${x}: ${expNonPositive(x)} vs ${Math.exp(x)}`);
  });

  it('makes binary gradients and the loss in wasm bit for bit as TypeScript does, hostile margins and odd ranges included', () => {
    // Over the wasm kernel's memory as either compiled kernel lays it out (native keeps wasm's gradient pass).
    const n = 1201;
    const random = seededRandom(22);
    const hostile = [0, -0, 1e-300, -1e-300, 0.3465, -0.3466, 1.0397, -1.0398, 707.99, -708, 708.01, -709.9, 745.2, -746, 1e308];
    // Between 0.5 ln 2 and fdlibm's threshold above it (0x3fd62e43 in the high word), where fdlibm keeps k = 0.
    for (let k = 0; k < 200; k++) hostile.push((k % 2 === 0 ? 1 : -1) * (0.34657359028 + (k / 200) * 9.5e-10));
    const margins = Float64Array.from({ length: n }, (_, i) =>
      i < hostile.length ? hostile[i]! : (random() * 2 - 1) * [1e-9, 1, 8, 40][i % 4]!,
    );
    const targets = Int32Array.from({ length: n }, () => (random() < 0.3 ? 1 : 0));
    const weights = Float64Array.from(targets, (y) => (y === 1 ? 2.5 : 0.75));
    for (const [choice, weighted] of compiled.flatMap((c) => [false, true].map((w) => [c, w] as const))) {
      const arrays = allocateTraining(new Uint8Array(n), n, 1, n, 1, choice, { weighted });
      const binary = arrays.binary!;
      const layout = arrays.wasm!.layout;
      binary.margins.set(margins);
      binary.targets.set(targets);
      if (weighted) binary.weights!.set(weights);
      const memory = new Float64Array(arrays.wasm!.memory.buffer);
      // Even and odd starts and ends, a range of one row, and one past a 32-row product's end.
      for (const [start, end] of [
        [0, n],
        [1, n],
        [3, 64],
        [31, 33],
        [500, 501],
        [0, 0],
      ] as const) {
        const expected = new Float32Array(2 * n);
        const loss = gradientsAndLoss('binary', margins, targets, weighted ? weights : null, null, expected, start, end);
        arrays.gradHess.fill(0);
        const { margins: m, targets: t, weights: w, losses } = layout.binary!;
        const count = arrays.wasm!.exports.binaryGradients(m, t, w, layout.gradHess, start, end, losses[0]!);
        const label = `${choice}: ${weighted ? 'weighted' : 'unweighted'}, rows [${start}, ${end})`;
        assert.deepStrictEqual(arrays.gradHess, expected, label);
        assert.ok(Object.is(lossFromProducts(memory, losses[0]! / 8, count), loss), label);
      }
      // And the pass as boosting runs it, through the pool, against marginLoss's own per-row sum.
      const pool = new HistogramPool(arrays, 0, {
        task: 'binary',
        margins: binary.margins,
        targets: binary.targets,
        weights: binary.weights,
        huberDelta: null,
      });
      const finite = Float64Array.from(margins, (x) => Math.max(-700, Math.min(700, x)));
      binary.margins.set(finite);
      const total = pool.gradientsAndLoss(n);
      const exact = marginLoss('binary', finite, targets, 1) * n;
      assert.ok(Math.abs(total - exact) <= 1e-12 * exact, `${total} vs ${exact}`);
      pool.close();
    }
  });
});
