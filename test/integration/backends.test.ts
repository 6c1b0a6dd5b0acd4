import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { probeWebGpu } from '../../main/accel/webgpu.js';
import type { BackendReport, ModelVersionInfo } from '../../main/contracts/api.js';
import { seededRandom } from '../../main/stats/random.js';
import { floatMlpGraph } from '../fixtures/float-mlp.js';
import { syntheticCsv, tempDir, writeFile } from '../helpers.js';
import { startHarness, waitForJob, type Harness } from './harness.js';
import { AccelRegistry } from '../../main/accel/registry.js';
import { openDatabase } from '../../main/store/database.js';
import { allocatePinned, type TrainingArrays } from '../../workers/gbdt/kernel.js';

const bin = fileURLToPath(new URL('../../../bin/hearth.js', import.meta.url));
const adapter = await probeWebGpu();

function doctor(dataDir: string, env: NodeJS.ProcessEnv = {}): BackendReport[] {
  const r = spawnSync(process.execPath, [bin, 'doctor', '--json', '--data-dir', dataDir], {
    encoding: 'utf8',
    env: { ...process.env, HEARTH_DATA_DIR: '', ...env },
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as BackendReport[];
}

function byName(report: BackendReport[], runtime: string, name: string): BackendReport {
  const found = report.find((b) => b.runtime === runtime && b.name === name);
  assert.ok(found, `${runtime}/${name} missing from ${JSON.stringify(report)}`);
  return found;
}

describe('hearth doctor: every back end, what it is and why', () => {
  const tmp = tempDir();
  after(tmp.cleanup);

  it('lists the GBDT kernels, each checked against the TypeScript kernel’s trees, the fastest built one selected', () => {
    const report = doctor(tmp.dir);
    const kernels = report.filter((b) => b.runtime === 'gbdt');
    assert.deepEqual(
      kernels.map((b) => b.name),
      ['native', 'wasm-simd', 'typescript'],
    );
    // Built by npm run build (CI requires the native one): every kernel grows the reference trees.
    for (const b of kernels) assert.notEqual(b.status, 'unavailable', `${b.name}: ${b.reason}`);
    assert.equal(byName(report, 'gbdt', 'native').status, 'selected');
    assert.match(byName(report, 'gbdt', 'native').reason, /TypeScript kernel's trees bit for bit/);
    // HEARTH_GBDT_KERNEL, which every fit reads before a pin, is what the doctor shows selected.
    const fromEnv = doctor(tmp.dir, { HEARTH_GBDT_KERNEL: 'typescript' });
    assert.equal(byName(fromEnv, 'gbdt', 'typescript').status, 'selected');
    assert.match(byName(fromEnv, 'gbdt', 'typescript').reason, /^HEARTH_GBDT_KERNEL selects it/);
    assert.equal(byName(fromEnv, 'gbdt', 'native').status, 'available');
    // A value that names no kernel: every fit that names none refuses it, so the doctor selects none and says so,
    // where it showed the automatic choice as selected.
    const invalid = doctor(tmp.dir, { HEARTH_GBDT_KERNEL: 'cuda' });
    for (const b of invalid.filter((k) => k.runtime === 'gbdt')) {
      assert.equal(b.status, 'available', b.name);
      assert.match(b.reason, /^HEARTH_GBDT_KERNEL is "cuda", which names no kernel .* tree fits that name no kernel fail/);
    }
  });

  it('lists both runtimes in priority order with exactly one selected each, the CPU always usable', () => {
    const report = doctor(tmp.dir);
    assert.deepEqual(
      report.filter((b) => b.runtime === 'tfjs').map((b) => b.name),
      ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'],
    );
    assert.deepEqual(
      report.filter((b) => b.runtime === 'onnxruntime').map((b) => b.name),
      ['cuda', 'dml', 'coreml', 'webgpu', 'cpu'],
    );
    for (const runtime of ['tfjs', 'onnxruntime']) {
      assert.equal(report.filter((b) => b.runtime === runtime && b.status === 'selected').length, 1, runtime);
    }
    for (const b of report) {
      assert.ok(b.reason.length > 0, `${b.runtime}/${b.name} has no reason`);
      if (b.status !== 'unavailable') assert.ok(b.device !== null, `${b.name} works but names no device`);
    }
    assert.notEqual(byName(report, 'tfjs', 'cpu').status, 'unavailable');
    assert.notEqual(byName(report, 'onnxruntime', 'cpu').status, 'unavailable');
    // No CUDA provider library is installed by Hearth's offline install: the report must say so, not pretend.
    if (process.platform === 'linux') assert.match(byName(report, 'onnxruntime', 'cuda').reason, /not installed/);
    if (process.platform !== 'win32') assert.match(byName(report, 'onnxruntime', 'dml').reason, /Windows only/);
    if (adapter.ok && adapter.info.software) {
      // A software adapter works but is never chosen for speed.
      for (const runtime of ['tfjs', 'onnxruntime']) {
        const webgpu = byName(report, runtime, 'webgpu');
        assert.equal(webgpu.status, 'available');
        assert.equal(webgpu.software, true);
        assert.match(webgpu.reason, /software adapter/);
      }
    }
  });

  it('probing the GPU writes nothing under the home folder (no driver shader cache, no telemetry queue)', () => {
    const home = tempDir('hearth-home-');
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, HOME: home.dir };
      for (const name of [
        'ORT_DISABLE_TELEMETRY',
        'MESA_SHADER_CACHE_DISABLE',
        '__GL_SHADER_DISK_CACHE',
        'CUDA_CACHE_DISABLE',
        'XDG_CACHE_HOME',
      ])
        delete env[name];
      const r = spawnSync(process.execPath, [bin, 'doctor', '--json', '--data-dir', tmp.dir], { encoding: 'utf8', env });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(readdirSync(home.dir, { recursive: true }), []);
    } finally {
      home.cleanup();
    }
  });

  it('with no WebGPU adapter (no Vulkan driver), says so and selects a CPU back end', () => {
    const report = doctor(tmp.dir, { VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' });
    const tfjs = byName(report, 'tfjs', 'webgpu');
    assert.equal(tfjs.status, 'unavailable');
    assert.match(tfjs.reason, /no WebGPU adapter/);
    const ort = byName(report, 'onnxruntime', 'webgpu');
    assert.equal(ort.status, 'unavailable');
    assert.match(ort.reason, /adapter/i);
    assert.equal(byName(report, 'onnxruntime', 'cpu').status, 'selected');
    assert.ok(['wasm', 'cpu', 'tensorflow'].includes(report.find((b) => b.runtime === 'tfjs' && b.status === 'selected')!.name));
  });
});

describe('pinned back ends: training and serving use them, and say so', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness('in-process');
    const csv = writeFile(h.dataDir, 'customers.csv', syntheticCsv('binary', 1200, 4));
    await h.client.call('datasets.ingest', { name: 'customers', path: csv });
  });
  after(() => h?.close());

  /** Trains on the customers table, waits for the run to succeed, and returns the registered version. */
  async function trained(
    args: { algorithm: 'mlp'; epochs: number; model: string } | { algorithm: 'gbdt'; trees: number; model: string },
  ): Promise<ModelVersionInfo> {
    const job = await h.client.call('training.start', { dataset: 'customers', target: 'label', ...args });
    const done = await waitForJob(h.client, job.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    return h.client.call('models.version', { name: args.model, version: done.result!.version });
  }

  async function trainMlp(): Promise<{ name: string; device: string; skipped: { name: string; reason: string }[] }> {
    const info = await trained({ algorithm: 'mlp', epochs: 3, model: 'churn-mlp' });
    return info.report.backend as { name: string; device: string; skipped: { name: string; reason: string }[] };
  }

  it('a pin that cannot run falls back to the automatic choice, and the report and the run both say why', async () => {
    const report = await h.client.call('system.pin-backend', { runtime: 'tfjs', name: 'tensorflow-gpu' });
    assert.equal(report.pins.tfjs, 'tensorflow-gpu');
    const pinned = byName(report.backends, 'tfjs', 'tensorflow-gpu');
    assert.equal(pinned.status, 'unavailable');
    assert.match(pinned.reason, /^pinned, but cannot run/);
    const selected = report.backends.find((b) => b.runtime === 'tfjs' && b.status === 'selected');
    assert.ok(selected);
    assert.match(selected.reason, /chosen because the pinned tensorflow-gpu cannot run/);
    const ran = await trainMlp();
    assert.equal(ran.name, selected.name);
    assert.equal(ran.skipped[0]?.name, 'tensorflow-gpu');
    assert.match(ran.skipped[0].reason, /not installed/);
    await h.client.call('system.pin-backend', { runtime: 'tfjs', name: null });
  });

  it('a pinned GBDT kernel grows the trees, the same trees as the automatic choice; the report says which ran', async () => {
    // Rows to predict with each version: the same trees give the same probabilities, bit for bit.
    const random = seededRandom(12);
    const colours = ['red', 'green', 'blue', 'amber'];
    const rows = Array.from({ length: 50 }, () => ({
      x1: 2 * random() - 1,
      x2: 3 + 4 * (random() - 0.5),
      colour: colours[Math.floor(random() * 4)]!,
      flag: random() < 0.3,
    }));
    const trainGbdt = async (): Promise<{ kernel: string; report: Record<string, unknown>; predictions: unknown }> => {
      const info = await trained({ algorithm: 'gbdt', trees: 5, model: 'churn-gbdt' });
      const predicted = await h.client.call('models.predict', { name: 'churn-gbdt', version: info.version, rows });
      return {
        kernel: info.report.kernel as string,
        report: info.report,
        predictions: predicted.predictions.map((p) => ('probabilities' in p ? p.probabilities : null)),
      };
    };
    const automatic = await trainGbdt();
    const report = await h.client.call('system.pin-backend', { runtime: 'gbdt', name: 'typescript' });
    assert.equal(report.pins.gbdt, 'typescript');
    assert.equal(byName(report.backends, 'gbdt', 'typescript').status, 'selected');
    assert.match(byName(report.backends, 'gbdt', 'typescript').reason, /^pinned/);
    const pinned = await trainGbdt();
    assert.equal(pinned.kernel, 'typescript');
    assert.notEqual(automatic.kernel, 'typescript', 'a compiled kernel is built here');
    assert.deepEqual(pinned.predictions, automatic.predictions);
    await h.client.call('system.pin-backend', { runtime: 'gbdt', name: null });
    assert.equal((await trainGbdt()).kernel, automatic.kernel);

    // A kernel the engine's probe found unusable is passed over by the automatic choice, and by a pin on it; the run
    // says so, and its trees are still the reference's.
    const reason = 'grew other trees than the TypeScript kernel on the probe table';
    const failing = automatic.kernel as 'native' | 'wasm-simd';
    h.engine.accel.gbdtUnusable = () => [{ name: failing, reason }];
    try {
      const passed = await trainGbdt();
      assert.notEqual(passed.kernel, failing);
      assert.equal(
        passed.report.kernelPassedOver,
        `${failing} passed over as unusable here (hearth doctor): ${failing}: ${reason}`,
      );
      assert.deepEqual(passed.predictions, automatic.predictions);
      await h.client.call('system.pin-backend', { runtime: 'gbdt', name: failing });
      const pinnedPassed = await trainGbdt();
      assert.notEqual(pinnedPassed.kernel, failing);
      assert.equal(
        pinnedPassed.report.kernelPinSkipped,
        `the pinned ${failing} kernel is unusable here (hearth doctor): ${reason}`,
      );
    } finally {
      delete (h.engine.accel as { gbdtUnusable?: unknown }).gbdtUnusable;
      await h.client.call('system.pin-backend', { runtime: 'gbdt', name: null });
    }
  });

  it('fits run the GBDT kernel the report selects: every kernel the probe found unusable is passed over', async () => {
    const store = tempDir();
    const db = openDatabase(join(store.dir, 'hearth.db'));
    const wrong = 'grew other trees than the TypeScript kernel on the probe table';
    try {
      const probe = (name: string, usable: boolean, reason: string, flag?: 'wrongAnswer' | 'notProbed') => ({
        name,
        usable,
        preferred: true,
        software: false,
        device: usable ? 'cpu' : null,
        reason,
        ...(flag === undefined ? {} : { [flag]: true as const }),
      });
      const registry = new AccelRegistry(db, async () => ({
        tfjs: [probe('cpu', true, 'ok')],
        onnxruntime: [probe('cpu', true, 'ok')],
        gbdt: [
          probe('native', false, 'not probed: the probe process could not run', 'notProbed'),
          probe('wasm-simd', false, wrong, 'wrongAnswer'),
          probe('typescript', true, 'always available'),
        ],
      }));
      assert.deepEqual(registry.gbdtUnusable(), [], 'nothing before a probe has run');
      const report = await registry.report();
      assert.deepEqual(registry.gbdtUnusable(), [
        { name: 'native', reason: 'not probed: the probe process could not run' },
        { name: 'wasm-simd', reason: wrong },
      ]);
      // The report and a fit agree: TypeScript is selected, and TypeScript is what a fit allocates.
      assert.equal(byName(report.backends, 'gbdt', 'typescript').status, 'selected');
      const asked: string[] = [];
      const arrays = { kernel: 'typescript' } as TrainingArrays;
      const fit = allocatePinned(null, undefined, (choice) => (asked.push(choice), arrays), registry.gbdtUnusable());
      assert.deepEqual(asked, ['typescript']);
      assert.match(fit.passedOver ?? '', /^native and wasm-simd passed over as unusable here \(hearth doctor\)/);
      // HEARTH_GBDT_KERNEL naming the kernel that grew other trees: fits run it as named, and the report says so.
      process.env.HEARTH_GBDT_KERNEL = 'wasm';
      try {
        const named = await registry.report();
        assert.equal(byName(named.backends, 'gbdt', 'wasm-simd').status, 'selected');
        assert.equal(
          byName(named.backends, 'gbdt', 'wasm-simd').reason,
          `HEARTH_GBDT_KERNEL selects it, and tree fits use it although it ${wrong}`,
        );
      } finally {
        delete process.env.HEARTH_GBDT_KERNEL;
      }
    } finally {
      db.close();
      store.cleanup();
    }
  });

  it('refuses a back end of the other runtime', async () => {
    await assert.rejects(
      h.client.call('system.pin-backend', { runtime: 'tfjs', name: 'cuda' }),
      (e: unknown) => (e as { code?: string }).code === 'VALIDATION_FAILED' && /other runtime/.test((e as Error).message),
    );
    await assert.rejects(
      h.client.call('system.pin-backend', { runtime: 'gbdt', name: 'webgpu' }),
      (e: unknown) => (e as { code?: string }).code === 'VALIDATION_FAILED' && /other runtime/.test((e as Error).message),
    );
  });

  it(
    'pinned WebGPU: the MLP trains on the adapter and the run records it',
    { skip: !adapter.ok && 'no WebGPU adapter here' },
    async () => {
      const report = await h.client.call('system.pin-backend', { runtime: 'tfjs', name: 'webgpu' });
      assert.equal(byName(report.backends, 'tfjs', 'webgpu').status, 'selected');
      const ran = await trainMlp();
      assert.equal(ran.name, 'webgpu');
      assert.equal(ran.device, adapter.ok ? adapter.info.device : '');
      await h.client.call('system.pin-backend', { runtime: 'tfjs', name: null });
    },
  );

  it(
    'serving: a float32 graph runs on the pinned WebGPU provider and answers what the CPU answers; a float64 one stays on the CPU',
    { skip: !adapter.ok && 'no WebGPU adapter here' },
    async () => {
      const tmp = tempDir();
      try {
        const graph = writeFile(tmp.dir, 'mlp.onnx', Buffer.from(floatMlpGraph(6, [32, 16], 3)));
        const features = ['f1', 'f2', 'f3', 'f4', 'f5', 'f6'];
        const classes = ['low', 'mid', 'high'];
        const imported = { name: 'f32', path: graph, target: 'band', classes, features };
        await h.client.call('models.import', imported);
        await h.client.call('models.import', imported);
        const random = seededRandom(8);
        const rows = Array.from({ length: 40 }, () => Object.fromEntries(features.map((f) => [f, 4 * random() - 2])));

        await h.client.call('system.pin-backend', { runtime: 'onnxruntime', name: 'cpu' });
        const onCpu = await h.client.call('models.predict', { name: 'f32', version: 1, rows });
        assert.equal(onCpu.executionProvider, 'cpu');
        await h.client.call('system.pin-backend', { runtime: 'onnxruntime', name: 'webgpu' });
        // The pin moves a loaded model at its next request.
        const onGpu = await h.client.call('models.predict', { name: 'f32', version: 1, rows });
        assert.match(onGpu.executionProvider, /^webgpu: all \d+ nodes$/);
        const probabilities = (p: (typeof onCpu.predictions)[number]): Record<string, number> =>
          'probabilities' in p ? p.probabilities : {};
        onCpu.predictions.forEach((p, i) => {
          for (const c of classes) {
            const gap = Math.abs(probabilities(p)[c]! - probabilities(onGpu.predictions[i]!)[c]!);
            assert.ok(gap < 1e-5, `row ${i} ${c}: ${gap}`);
          }
        });

        // Hearth's MLP graph runs its layers in float32: they go to WebGPU, the float64 preprocessing stays on the CPU.
        const customer = Array.from({ length: 30 }, (_, i) => ({
          x1: i / 10 - 1.5,
          x2: 3 + (i % 5),
          colour: 'red',
          flag: i % 2 === 0,
        }));
        await h.client.call('system.pin-backend', { runtime: 'onnxruntime', name: 'cpu' });
        const mlpOnCpu = await h.client.call('models.predict', { name: 'churn-mlp', rows: customer });
        assert.equal(mlpOnCpu.executionProvider, 'cpu');
        await h.client.call('system.pin-backend', { runtime: 'onnxruntime', name: 'webgpu' });
        const mlpOnGpu = await h.client.call('models.predict', { name: 'churn-mlp', rows: customer });
        assert.match(mlpOnGpu.executionProvider, /^webgpu: \d+ of \d+ nodes \(Gemm, Relu\), the rest on cpu$/);
        mlpOnCpu.predictions.forEach((p, i) => {
          for (const c of ['good', 'bad']) {
            const gap = Math.abs(probabilities(p)[c]! - probabilities(mlpOnGpu.predictions[i]!)[c]!);
            assert.ok(gap < 1e-5, `row ${i} ${c}: ${gap}`);
          }
        });

        // Linear models compute in float64, which WebGPU lacks: the provider takes no arithmetic, so CPU.
        const job = await h.client.call('training.start', {
          dataset: 'customers',
          target: 'label',
          algorithm: 'linear',
          model: 'lin',
        });
        assert.equal((await waitForJob(h.client, job.id)).status, 'succeeded');
        const linear = await h.client.call('models.predict', {
          name: 'lin',
          rows: [{ x1: 0.1, x2: 3, colour: 'red', flag: true }],
        });
        assert.match(linear.executionProvider, /^cpu \(no operator of this graph computes on webgpu\)$/);
      } finally {
        await h.client.call('system.pin-backend', { runtime: 'onnxruntime', name: null });
        tmp.cleanup();
      }
    },
  );
});
