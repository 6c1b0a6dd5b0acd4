import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { createHandlers } from '../../main/api/handlers.js';
import { inProcessTransport } from '../../main/api/in-process.js';
import { createClient } from '../../main/contracts/client.js';
import type { CostEstimate } from '../../main/contracts/api.js';
import { Engine } from '../../main/engine/engine.js';
import { syntheticCsv, tempDir, writeFile } from '../helpers.js';

const bin = fileURLToPath(new URL('../../../bin/hearth.js', import.meta.url));

/** A real run on a priced host: what it measured, what the API, the report and the CLI say it cost. */
describe('the cost of a run and its model version', () => {
  const tmp = tempDir();
  after(tmp.cleanup);
  const dataDir = join(tmp.dir, 'data');
  let cost: CostEstimate;
  let runId = '';

  it('a linear run measures its CPU, memory, size, latency and throughput, priced at the file rate', async () => {
    spawnSync('mkdir', ['-p', dataDir]);
    writeFileSync(join(dataDir, 'hearth.config.json'), JSON.stringify({ cost: { perCoreHour: 0.05, currency: 'EUR' } }));
    const engine = Engine.open(dataDir);
    try {
      const client = createClient(inProcessTransport(engine, createHandlers(engine)));
      await engine.datasets.ingestCsv('churn', writeFile(tmp.dir, 'churn.csv', syntheticCsv('binary', 3000, 3)));
      const job = engine.trainer.start({ dataset: 'churn', target: 'label', algorithm: 'linear', model: 'churn' });
      runId = job.id;
      const done = await engine.trainer.wait(job.id);
      assert.equal(done.status, 'succeeded', done.error?.message);
      const info = await client.call('models.version', { name: 'churn', version: done.result!.version });
      assert.ok(info.cost !== null);
      cost = info.cost;
      const t = cost.training;
      // CPU time is never negative, and a process cannot burn more than its cores for the wall time (plus the
      // rounding of the two clocks).
      assert.ok(t.cpuSeconds > 0, `${t.cpuSeconds}`);
      assert.ok(t.cpuSeconds <= t.wallSeconds * t.cores + 0.5, `${t.cpuSeconds} CPU-s in ${t.wallSeconds} s on ${t.cores}`);
      assert.ok(t.mainThreadCpuSeconds !== null && t.mainThreadCpuSeconds >= 0, 'Linux reads the main thread');
      // The main thread is one of the process's threads (10 ms ticks against microseconds).
      assert.ok(t.mainThreadCpuSeconds <= t.cpuSeconds + 0.02, `${t.mainThreadCpuSeconds} > ${t.cpuSeconds}`);
      assert.ok(t.wallSeconds <= done.result!.durationMs / 1000 + 0.001);
      assert.equal(t.cpuHours, t.cpuSeconds / 3600);
      const phases = t.phases.map((p) => p.phase);
      for (const p of ['load', 'fit', 'evaluate', 'export', 'parity']) assert.ok(phases.includes(p), phases.join(','));
      // The same ONNX bytes the registry serves, and the peak memory the report had already.
      assert.equal(cost.modelBytes, engine.registry.onnxBytes('churn', info.version).length);
      assert.equal(cost.peakRssMb, info.report.peakRssMb);
      assert.ok(cost.peakRssMb! > 10);
      // 200 single-row calls, p50 ≤ p99, the p50 being the report's single-row latency.
      assert.equal(cost.latency!.samples, 200);
      assert.ok(cost.latency!.p50Us > 0 && cost.latency!.p50Us <= cost.latency!.p99Us);
      assert.equal(cost.latency!.p50Us, info.report.predictLatencyUs);
      // Calls of 2,000 rows (the 600 held-out rows, repeated) until 25 ms have passed, at most five.
      const rows = cost.batch!.rows;
      assert.ok(rows % 2000 === 0 && rows >= 2000 && rows <= 10_000, String(rows));
      assert.equal(cost.batch!.rowsPerSecond, (rows * 1000) / cost.batch!.wallMs);
      // Per million and priced, by the arithmetic of stats/cost.ts on the measured figures.
      assert.equal(cost.perMillion.singleRowCpuHours, (cost.latency!.p50Us * 1e6) / 3.6e9);
      const busy = Math.max(1, cost.batch!.cpuMs / cost.batch!.wallMs);
      assert.ok(Math.abs(cost.perMillion.batchCpuHours! - ((1e6 / cost.batch!.rowsPerSecond) * busy) / 3600) < 1e-12);
      assert.deepEqual([cost.price!.perCoreHour, cost.price!.currency], [0.05, 'EUR']);
      assert.equal(cost.price!.training, t.cpuHours * 0.05);
      assert.equal(cost.price!.perMillionSingleRow, cost.perMillion.singleRowCpuHours * 0.05);

      // The run shows the version with it; the HTML report has a Cost section with the same figures.
      const detail = await client.call('runs.show', { id: job.id });
      assert.deepEqual(detail.modelVersion!.cost, cost);
      const { html } = await client.call('models.report', { name: 'churn' });
      assert.match(html, /<h2>Cost<\/h2>/);
      assert.match(html, /per million predictions, one row per call/);
      assert.match(html, /Priced at 0\.05 EUR per core-hour/);
    } finally {
      engine.close();
    }
  });

  const hearth = (env: Record<string, string>, ...args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args, '--data-dir', dataDir, '--json'], {
      encoding: 'utf8',
      env: { ...process.env, HEARTH_DATA_DIR: '', ...env },
    });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };

  it('the CLI shows it: models cost and runs show, the HEARTH_COST_PER_CORE_HOUR variable over the file', () => {
    const shown = hearth({}, 'models', 'cost', 'churn') as { cost: CostEstimate };
    assert.deepEqual(shown.cost, cost);
    const repriced = hearth({ HEARTH_COST_PER_CORE_HOUR: '1', HEARTH_COST_CURRENCY: 'USD' }, 'runs', 'show', runId) as {
      modelVersion: { cost: CostEstimate };
    };
    assert.deepEqual(repriced.modelVersion.cost.training, cost.training);
    assert.deepEqual([repriced.modelVersion.cost.price!.perCoreHour, repriced.modelVersion.cost.price!.currency], [1, 'USD']);
    assert.equal(repriced.modelVersion.cost.price!.training, cost.training.cpuHours);
  });

  it('hearth train --json answers the new version with its cost', () => {
    const trained = hearth({}, 'train', '--dataset', 'churn', '--target', 'label', '--algorithm', 'gbdt', '--model', 'trees') as {
      cost: CostEstimate;
    };
    const t = trained.cost.training;
    assert.ok(t.cpuSeconds > 0 && t.cpuSeconds <= t.wallSeconds * t.cores + 0.5, JSON.stringify(t));
    assert.ok(t.phases.some((p) => p.phase === 'fit'));
    assert.equal(trained.cost.batch!.rows % 2000, 0);
    assert.equal(trained.cost.price!.training, t.cpuHours * 0.05);
  });

  it('an unpriced host shows CPU-hours only', () => {
    writeFileSync(join(dataDir, 'hearth.config.json'), '{}');
    const shown = hearth({}, 'models', 'cost', 'churn') as { cost: CostEstimate };
    assert.equal(shown.cost.price, null);
    assert.equal(shown.cost.training.cpuHours, cost.training.cpuHours);
  });
});
