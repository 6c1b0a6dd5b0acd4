import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { probeWebGpu } from '../../main/accel/webgpu.js';
import { tempDir } from '../helpers.js';

const script = fileURLToPath(new URL('../../../scripts/gpu-bundle.js', import.meta.url));
const adapter = await probeWebGpu();

/*
 * The GPU benchmark bundle as it would travel to a GPU machine: built (with fast compression, to keep the suite
 * quick; the real build compresses harder), unpacked elsewhere, run with a clean environment and an empty home
 * folder, on this box's adapters (a software one, or none).
 */
describe('the GPU benchmark bundle', () => {
  const tmp = tempDir();
  after(tmp.cleanup);

  it('builds under 64 MiB, unpacks and runs every back end end to end, writing nothing under the home folder', () => {
    const archive = join(tmp.dir, 'bench.tar.xz');
    const built = spawnSync(process.execPath, [script, '--fast', '--out', archive], { encoding: 'utf8' });
    assert.equal(built.status, 0, built.stderr);
    assert.ok(statSync(archive).size < 64 * 2 ** 20, `${statSync(archive).size} bytes`);
    const unpacked = join(tmp.dir, 'unpacked');
    const home = join(tmp.dir, 'home');
    mkdirSync(unpacked);
    mkdirSync(home);
    assert.equal(spawnSync('tar', ['-C', unpacked, '-xJf', archive]).status, 0);
    const run = spawnSync(join(unpacked, 'hearth-gpu-bench', 'run.sh'), [], {
      encoding: 'utf8',
      // Nothing of this machine's Node or environment: the bundle brings its own.
      env: { PATH: '/usr/bin:/bin', HOME: home, HEARTH_GPU_BENCH_ROWS: '3000', HEARTH_GPU_BENCH_BUDGET_S: '3' },
      timeout: 240_000,
    });
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const probe = lines.find((l) => l.phase === 'probe')!;
    const probes = probe.backends as { runtime: string; name: string; usable: boolean }[];
    const measured = lines.filter((l) => l.phase === undefined);
    for (const p of probes.filter((b) => b.usable)) {
      const line = measured.find((l) => l.runtime === p.runtime && l.backend === p.name);
      assert.ok(line, `${p.runtime}/${p.name} was not measured`);
      assert.equal(line.error, undefined, JSON.stringify(line));
      assert.ok((line.predict_rows_per_s as number) > 0);
    }
    const webgpu = measured.filter((l) => l.backend === 'webgpu');
    if (adapter.ok) {
      assert.equal(webgpu.length, 2, 'both runtimes measure WebGPU where an adapter exists');
      assert.ok(lines.some((l) => l.phase === 'summary' && l.backend === 'webgpu' && l.software === adapter.info.software));
    } else assert.equal(webgpu.length, 0);
    assert.deepEqual(readdirSync(home, { recursive: true }), []);
  });
});
