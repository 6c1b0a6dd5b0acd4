// `npm run bench -- gpu`, and the entry point of the self-contained GPU bundle (scripts/gpu-bundle.mjs): probes
// every back end of both runtimes, then trains the MLP and runs a batch of predictions on each one that works (a
// software adapter included: it is measured, and labelled so), each in a child process with a time budget. One
// JSON line per back end, then a summary with each GPU back end's speed against the best CPU one of its runtime.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { probeWebGpu } from '../../main/accel/webgpu.js';
import { probeOrtProviders } from '../../main/accel/ort-providers.js';
import { loadOrt } from '../../main/accel/ort-load.js';
import { probeBackends } from '../../workers/mlp/backend.js';

const child = fileURLToPath(new URL('./gpu-child.js', import.meta.url));
const gpuNames = new Set(['tensorflow-gpu', 'webgpu', 'cuda', 'dml', 'coreml']);

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

export async function runGpuBench(rows = Number(process.env.HEARTH_GPU_BENCH_ROWS ?? 100_000)): Promise<void> {
  const adapter = await probeWebGpu();
  const [tfjs, ort] = await Promise.all([probeBackends(), loadOrt().then(probeOrtProviders)]);
  emit({
    bench: 'gpu',
    phase: 'probe',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    webgpu_adapter: adapter.ok ? { device: adapter.info.device, software: adapter.info.software } : { error: adapter.reason },
    backends: [...tfjs.map((p) => ({ runtime: 'tfjs', ...p })), ...ort.map((p) => ({ runtime: 'onnxruntime', ...p }))],
  });
  const results: Record<string, unknown>[] = [];
  // HEARTH_GPU_BENCH_ONLY=webgpu,cuda measures those alone (a rerun on a GPU machine whose CPU figures are in hand).
  const only = process.env.HEARTH_GPU_BENCH_ONLY ? new Set(process.env.HEARTH_GPU_BENCH_ONLY.split(',')) : null;
  // A fit stops at the first epoch end past its budget: the slowest back end's first epoch may run well past it.
  const timeoutMs = (2 * Number(process.env.HEARTH_GPU_BENCH_BUDGET_S ?? 60) + 120) * 1000;
  for (const [runtime, probes] of [
    ['tfjs', tfjs],
    ['ort', ort],
  ] as const) {
    for (const probe of probes.filter((p) => p.usable && (only === null || only.has(p.name)))) {
      const r = spawnSync(process.execPath, [child, runtime, probe.name, String(rows)], {
        encoding: 'utf8',
        timeout: timeoutMs,
        env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' },
      });
      const last = r.stdout?.trim().split('\n').pop();
      if (r.status === 0 && last !== undefined && last.startsWith('{')) {
        const line = { ...(JSON.parse(last) as Record<string, unknown>), software: probe.software };
        results.push(line);
        emit(line);
      } else {
        const message = (r.stderr ?? '')
          .split('\n')
          .filter((l) => /Error|error:/.test(l))
          .slice(-1)[0];
        emit({
          bench: 'gpu',
          runtime: runtime === 'ort' ? 'onnxruntime' : runtime,
          backend: probe.name,
          error: r.error?.message ?? `exit ${r.status ?? r.signal}: ${message?.trim() ?? 'no error message'}`,
        });
      }
    }
  }
  for (const runtime of ['tfjs', 'onnxruntime']) {
    const mine = results.filter((r) => r.runtime === runtime);
    const cpuBest = mine
      .filter((r) => !gpuNames.has(r.backend as string))
      .reduce<Record<string, unknown> | null>(
        (best, r) => (best === null || (r.predict_rows_per_s as number) > (best.predict_rows_per_s as number) ? r : best),
        null,
      );
    for (const r of mine.filter((x) => gpuNames.has(x.backend as string))) {
      emit({
        bench: 'gpu',
        phase: 'summary',
        runtime,
        backend: r.backend,
        software: r.software,
        against: cpuBest?.backend ?? null,
        predict_speedup:
          cpuBest === null
            ? null
            : Number(((r.predict_rows_per_s as number) / (cpuBest.predict_rows_per_s as number)).toFixed(2)),
        ...(runtime === 'tfjs' && cpuBest !== null
          ? { train_speedup: Number(((r.train_rows_per_s as number) / (cpuBest.train_rows_per_s as number)).toFixed(2)) }
          : {}),
      });
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runGpuBench();
