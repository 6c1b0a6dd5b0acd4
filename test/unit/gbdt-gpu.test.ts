import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { probeWebGpu } from '../../main/accel/webgpu.js';
import { seededRandom } from '../../main/stats/random.js';
import { fitBoosting, type BoostInput } from '../../workers/gbdt/boost.js';
import { fitForest } from '../../workers/gbdt/forest.js';
import { gpuMinRows, histogramDevice } from '../../workers/gbdt/gpu-histograms.js';
import { copyGradients, decodeHistogram, isIdentity, shiftFor, wordsPerFeature } from '../../workers/gbdt/gpu-kernel.js';
import { HistogramPool } from '../../workers/gbdt/histogram.js';
import { accumulateHistogram, allocateTraining, histogramSize } from '../../workers/gbdt/kernel.js';
import type { GrownTree } from '../../workers/gbdt/tree.js';
import { binnedTable, boostDefaults } from '../fixtures/gbdt-table.js';

/**
 * GBDT histograms on WebGPU (HEARTH_GBDT_DEVICE=webgpu) against the CPU kernel, on whatever adapter Dawn finds: in
 * CI, Mesa's lavapipe. The fixed-point arithmetic is checked against hand-worked values first; then GPU histograms
 * against the CPU's, bin by bin, exactly where the sums are exact in both; then whole fits, which must grow the same
 * trees.
 */
const probe = await probeWebGpu();
const required = process.env.HEARTH_REQUIRE_WEBGPU === '1';

describe('GPU histogram arithmetic', () => {
  it('picks the largest shift that keeps every sum below 2^61', () => {
    // One row of magnitude 1: 2^60 · 1 < 2^61; a million rows of 0.25 (a log-loss hessian's largest): 2^20 · 2^-2 ·
    // 2^42 = 2^60.
    assert.equal(shiftFor(1, 1), 60);
    assert.equal(shiftFor(0.25, 2 ** 20), 42);
    assert.equal(shiftFor(1e4, 40_000), Math.floor(61 - Math.log2(40_000) - Math.log2(1e4)) - 1);
    assert.equal(shiftFor(0, 10), 0);
    assert.ok(2 ** 20 * 0.25 * 2 ** shiftFor(0.25, 2 ** 20) < 2 ** 61);
  });

  it('reads 64-bit two’s-complement sums back, carries and signs included', () => {
    const raw = new Uint32Array(wordsPerFeature * 4);
    // Bin 0: gradient −1 (all ones), hessian 2^32 + 5 (a carry into the high word).
    raw.set([0xffffffff, 0xffffffff, 5, 1], 0);
    // Bin 3: gradient −2^32 (low zero, high −1), hessian 3.
    raw.set([0, 0xffffffff, 3, 0], 12);
    const out = new Float64Array(histogramSize(1));
    decodeHistogram(raw, 1, 0, 0, out);
    assert.deepEqual([out[0], out[1], out[6], out[7]], [-1, 4294967301, -4294967296, 3]);
    decodeHistogram(raw, 1, 3, 1, out);
    assert.deepEqual([out[0], out[1], out[6], out[7]], [-0.125, 4294967301 / 2, -4294967296 / 8, 1.5]);
  });

  it('copies the rows asked for, and finds their largest magnitudes (NaN counting as not finite)', () => {
    const gh = Float32Array.from([-3, 0.5, 2, 0.25, 100, 9]);
    const to = new Float32Array(6);
    assert.deepEqual(copyGradients(gh, to, 2), { grad: 3, hess: 0.5 });
    assert.deepEqual([...to], [-3, 0.5, 2, 0.25, 0, 0]);
    assert.ok(Number.isNaN(copyGradients(Float32Array.from([1, Number.NaN, 2, 0.5]), to, 2).hess));
    assert.equal(isIdentity(Int32Array.from([0, 1, 2, 7]), 3), true);
    assert.equal(isIdentity(Int32Array.from([0, 2, 1]), 3), false);
  });

  it('refuses a device or a row threshold it does not know, with a coded error', () => {
    assert.equal(histogramDevice(undefined), 'cpu');
    assert.equal(histogramDevice('webgpu'), 'webgpu');
    assert.throws(() => histogramDevice('cuda'), { code: 'INVALID_INPUT' });
    assert.equal(gpuMinRows('0'), 0);
    for (const bad of ['-1', '1.5', 'many', 'Infinity', ' ', '\t', '0x10', '1e3', '99999999999999999999'])
      assert.throws(() => gpuMinRows(bad), { code: 'INVALID_INPUT' }, JSON.stringify(bad));
  });
});

const base = { ...boostDefaults, trees: 6, threads: 2 };

/** The fixture table; regression targets in the thousands, so the fixed-point scale is exercised. */
function data(task: 'binary' | 'regression' | 'multiclass', n = 12_000): BoostInput {
  return binnedTable(task, n, 5, 1000);
}

function assertSameTrees(gpu: GrownTree[], cpu: GrownTree[]): void {
  assert.equal(gpu.length, cpu.length);
  gpu.forEach((t, k) => {
    for (const key of ['feature', 'splitBin', 'defaultLeft', 'left', 'right', 'count'] as const)
      assert.deepEqual(t[key], cpu[k]![key], `tree ${k}: ${key}`);
    assert.deepEqual(t.leftBins, cpu[k]!.leftBins, `tree ${k}: categorical splits`);
    t.value.forEach((v, i) => assert.ok(Math.abs(v - cpu[k]!.value[i]!) <= 1e-9 * (1 + Math.abs(v)), `tree ${k} node ${i}`));
  });
}

describe('GBDT histograms on WebGPU', () => {
  if (!probe.ok) {
    it('no adapter here: the reason is reported, not a crash', () => {
      assert.equal(required, false, `HEARTH_REQUIRE_WEBGPU=1 but no adapter: ${probe.reason}`);
      assert.match(probe.reason, /adapter|did not load/);
    });
    return;
  }

  it('builds the CPU kernel’s histogram, bin for bin, over any rows in any order', () => {
    const input = data('binary', 5000);
    const { F, bins } = input;
    const n = 5000;
    const arrays = allocateTraining(bins, n, F, n, 1, 'typescript');
    const random = seededRandom(3);
    // Gradients on a 2^-10 grid and hessians on a 2^-12 grid, signs mixed: every partial sum is exact in float64 and
    // in fixed point, so the two histograms must be equal to the last bit.
    for (let i = 0; i < n; i++) {
      arrays.gradHess[2 * i] = Math.round((random() - 0.5) * 4096) / 1024;
      arrays.gradHess[2 * i + 1] = Math.round(random() * 1024) / 4096;
    }
    const pool = new HistogramPool(arrays, 0, null, 0);
    try {
      const gpu = new Float64Array(histogramSize(F));
      const cpu = new Float64Array(histogramSize(F));
      // The root, then a deep node: a scattered third of the rows in descending order, some rows twice (a bootstrap).
      for (let i = 0; i < n; i++) arrays.rows[i] = i;
      pool.beginTree();
      pool.build(0, n, gpu);
      accumulateHistogram(bins, F, arrays.rows, 0, n, arrays.gradHess, cpu);
      assert.deepEqual(gpu, cpu);
      const picked = Array.from({ length: 1700 }, (_, k) => (k * 7919) % n).sort((a, b) => b - a);
      arrays.rows.set([...picked, 17, 17, 4999]);
      cpu.fill(0);
      pool.build(0, picked.length + 3, gpu);
      accumulateHistogram(bins, F, arrays.rows, 0, picked.length + 3, arrays.gradHess, cpu);
      assert.deepEqual(gpu, cpu);
      // An empty node: all zeros.
      pool.build(10, 10, gpu);
      assert.ok(gpu.every((v) => v === 0));
      assert.equal(pool.gpuReport?.gpuNodes, 3);
    } finally {
      pool.close();
    }
  });

  it('refuses gradients that are not finite rather than summing garbage', () => {
    const input = data('binary', 2000);
    const arrays = allocateTraining(input.bins, 2000, input.F, 2000, 1, 'typescript');
    arrays.gradHess.fill(0.5);
    arrays.gradHess[7] = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 2000; i++) arrays.rows[i] = i;
    const pool = new HistogramPool(arrays, 0, null, 0);
    try {
      pool.beginTree();
      assert.throws(() => pool.build(0, 2000, new Float64Array(histogramSize(input.F))), {
        code: 'VALIDATION_FAILED',
        message: /not finite/,
      });
    } finally {
      pool.close();
    }
  });

  it('refuses a table whose histogram the adapter cannot bind, rather than reading back zeros', () => {
    // 32,772 features: a 128 MiB + 16 KiB histogram buffer, past lavapipe's (and WebGPU's default) 128 MiB binding.
    const limit = probe.adapter.limits.maxStorageBufferBindingSize;
    const F = Math.ceil((limit + 1) / 4096) + 4;
    const n = 8;
    const arrays = allocateTraining(new Uint8Array(n * F), n, F, n, 1, 'typescript');
    arrays.gradHess.fill(0.5);
    for (let i = 0; i < n; i++) arrays.rows[i] = i;
    const pool = new HistogramPool(arrays, 0, null, 0);
    try {
      pool.beginTree();
      assert.throws(() => pool.build(0, n, new Float64Array(histogramSize(F))), {
        code: 'NOT_SUPPORTED',
        message: /GPU buffer; the adapter binds at most/,
      });
    } finally {
      pool.close();
    }
  });

  for (const task of ['binary', 'regression', 'multiclass'] as const)
    it(`grows the CPU's trees for a ${task} model, and says which device built what`, () => {
      const input = data(task);
      // Regression subsamples rows and features: its roots are not every row in order, so their row lists go up.
      const p = task === 'regression' ? { ...base, rowSubsample: 0.8, colSubsample: 0.8 } : base;
      const cpu = fitBoosting(input, { ...p, device: 'cpu' });
      const saved = process.env.HEARTH_GBDT_GPU_MIN_ROWS;
      // Every node on the GPU for one task; for the others, the large ones only, the rest on the CPU.
      process.env.HEARTH_GBDT_GPU_MIN_ROWS = task === 'binary' ? '0' : '3000';
      try {
        const gpu = fitBoosting(input, { ...p, device: 'webgpu' });
        assertSameTrees(gpu.trees, cpu.trees);
        assert.equal(cpu.gpu, null);
        assert.equal(gpu.gpu?.device, 'webgpu');
        assert.equal(gpu.gpu.adapter.startsWith('software:'), probe.info.software);
        assert.ok(gpu.gpu.gpuNodes >= gpu.trees.length, 'every root on the GPU');
        if (task === 'binary') assert.equal(gpu.gpu.cpuNodes, 0);
        else assert.ok(gpu.gpu.cpuNodes > 0, 'small nodes on the CPU');
      } finally {
        if (saved === undefined) delete process.env.HEARTH_GBDT_GPU_MIN_ROWS;
        else process.env.HEARTH_GBDT_GPU_MIN_ROWS = saved;
      }
    });

  it('grows the CPU’s trees for a random forest, whose bootstrap repeats rows', () => {
    const input = data('binary', 6000);
    const p = { ...base, trees: 4, sampleFraction: 1, featuresPerSplit: 0, maxLeaves: 31, minChildSamples: 5 };
    const cpu = fitForest(input, { ...p, device: 'cpu' });
    const saved = process.env.HEARTH_GBDT_GPU_MIN_ROWS;
    process.env.HEARTH_GBDT_GPU_MIN_ROWS = '0';
    try {
      const gpu = fitForest(input, { ...p, device: 'webgpu' });
      assertSameTrees(gpu.trees, cpu.trees);
      assert.ok((gpu.gpu?.gpuNodes ?? 0) > 0);
    } finally {
      if (saved === undefined) delete process.env.HEARTH_GBDT_GPU_MIN_ROWS;
      else process.env.HEARTH_GBDT_GPU_MIN_ROWS = saved;
    }
  });

  it('refuses webgpu on a machine with no adapter, instead of training on the CPU', () => {
    const boost = fileURLToPath(new URL('../../workers/gbdt/boost.js', import.meta.url));
    const script = `
      const { fitBoosting } = await import(${JSON.stringify(boost)});
      const n = 70000, F = 2;
      const input = { task: 'regression', classes: 0, bins: new Uint8Array(n * F), F, binCounts: [4, 4],
        categorical: [false, false], targets: new Float64Array(n), validation: null };
      try {
        fitBoosting(input, ${JSON.stringify({ ...base, trees: 1, device: 'webgpu' })});
        console.log('trained');
      } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
      process.exit(0);`;
    // From a file: a worker started under `node -e` waits for a main thread that is blocked in Atomics.wait.
    const dir = mkdtempSync(join(tmpdir(), 'hearth-gpu-'));
    const file = join(dir, 'no-adapter.mjs');
    writeFileSync(file, script);
    const child = spawnSync(process.execPath, [file], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' },
    });
    rmSync(dir, { recursive: true, force: true });
    const line = child.stdout.trim().split('\n').pop() ?? '';
    assert.ok(line.startsWith('{'), `the child said: ${child.stdout}${child.stderr} (${child.signal ?? child.status})`);
    const answer = JSON.parse(line) as { code: string; message: string };
    assert.equal(answer.code, 'NOT_SUPPORTED');
    assert.match(answer.message, /HEARTH_GBDT_DEVICE=webgpu: .*adapter/);
  });

  it('a cancelled fit lets the GPU go before its thread ends: the process lives on', () => {
    // The training worker's cancel path: the fit throws between rounds, the pool closes, the worker is terminated.
    // Terminating a thread while Dawn holds a request in flight aborts the whole process; closing first must not.
    const boost = fileURLToPath(new URL('../../workers/gbdt/boost.js', import.meta.url));
    const script = `
      import { Worker, isMainThread, parentPort } from 'node:worker_threads';
      if (isMainThread) {
        for (let k = 0; k < 3; k++) {
          const w = new Worker(new URL(import.meta.url), { env: { ...process.env, HEARTH_GBDT_GPU_MIN_ROWS: '0' } });
          const said = await new Promise((resolve) => w.once('message', resolve));
          await w.terminate();
          console.log('terminated after ' + said);
        }
        console.log('alive');
      } else {
        const { fitBoosting } = await import(${JSON.stringify(boost)});
        const n = 20000, F = 8;
        const bins = new Uint8Array(n * F).map((_, i) => (i * 2654435761) >>> 24);
        const targets = new Int32Array(n).map((_, i) => (bins[i * F] > 128 ? 1 : 0));
        const input = { task: 'binary', classes: 0, bins, F, binCounts: new Array(F).fill(255),
          categorical: new Array(F).fill(false), targets, validation: null };
        try {
          fitBoosting(input, ${JSON.stringify({ ...base, trees: 50, device: 'webgpu' })}, (round) => {
            if (round === 2) throw new Error('cancelled');
          });
          parentPort.postMessage('finished');
        } catch (e) { parentPort.postMessage(e.message); }
      }`;
    const dir = mkdtempSync(join(tmpdir(), 'hearth-gpu-'));
    const file = join(dir, 'cancel.mjs');
    writeFileSync(file, script);
    const child = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 120_000 });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(child.status, 0, `the process ended with ${child.status ?? child.signal}: ${child.stderr.slice(-500)}`);
    assert.deepEqual(child.stdout.trim().split('\n'), [
      'terminated after cancelled',
      'terminated after cancelled',
      'terminated after cancelled',
      'alive',
    ]);
  });
});
